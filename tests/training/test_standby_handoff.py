"""The standby worker's hand-off line: what the service writes, what the worker reads."""

from __future__ import annotations

from pathlib import Path

from playground.training.standby import handoff_line, read_handoff


def test_a_handoff_line_names_its_run_folder() -> None:
    odd = Path("/runs/a folder with spaces, \"quotes\"\nand a newline/20261203-1")
    line = handoff_line(odd)
    assert line.endswith(b"\n") and line.count(b"\n") == 1  # one line, whatever the path
    assert read_handoff(line) == odd


def test_anything_else_is_no_run() -> None:
    for line in (b"", b"\n", b"not json\n", b"[1]\n", b'{"run": ""}\n', b'{"run": 3}\n',
                 b"\xff\xfe\n"):
        assert read_handoff(line) is None
