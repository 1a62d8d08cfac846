"""A failed run's reason, which the web page shows, says which file but not where the
server keeps it."""

from __future__ import annotations

import pytest
import torch

from playground.errors import OutOfMemory, hide_paths
from playground.training.failures import explain


def test_a_failure_names_the_file_not_the_servers_folders() -> None:
    missing = FileNotFoundError(2, "No such file or directory", "/srv/runs/2026-x/data/train.csv")
    model = OSError("Error no file named model.safetensors found in directory "
                    "/home/host/.cache/huggingface/hub/models--bert/snapshots/abc.")
    for exc, kept in ((missing, "'train.csv'"), (model, "directory abc.")):
        said = explain(exc)
        assert kept in said.message and kept in said.zh
        assert "/srv" not in str(said) + said.zh and "/home" not in str(said) + said.zh


def test_urls_and_relative_paths_stay_as_they_are() -> None:
    text = "Can't load https://huggingface.co/bert/resolve/main/config.json or data/train.csv"
    assert hide_paths(text) == text


def _run_out_of_memory() -> None:
    raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")


def test_out_of_memory_says_what_to_lower_with_the_runs_values() -> None:
    chat = {"task": "chat", "method": "full", "batch_size": 8, "max_length": 512,
            "gradient_checkpointing": False}
    with pytest.raises(torch.OutOfMemoryError) as caught:
        _run_out_of_memory()
    said = explain(caught.value, chat)
    assert isinstance(said, OutOfMemory)
    for words in ("batch size (now 8; try 4)", "max length (now 512 tokens; try 256)",
                  "gradient checkpointing", "'lora'"):
        assert words in said.hint, words
    for words in ("批次大小（现在是 8，可试 4）", "最大长度（现在是 512 个词元，可试 256）",
                  "梯度检查点", "lora"):
        assert words in said.zh, words
    # what is already on is not asked for again
    said = explain(caught.value, {**chat, "method": "lora", "gradient_checkpointing": True})
    assert "checkpointing" not in said.hint and "lora" not in said.hint
    assert "batch size" in said.hint and "梯度检查点" not in said.zh
    # without the settings, the sentence still names what to lower
    assert "batch size" in explain(caught.value).hint
