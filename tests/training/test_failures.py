"""A failed run's reason, which the web page shows, says which file but not where the
server keeps it."""

from __future__ import annotations

from playground.errors import hide_paths
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
