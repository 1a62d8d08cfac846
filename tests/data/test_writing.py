"""Cells a spreadsheet would run get a leading quote; everything else is written as is."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from playground.data.writing import safe_cell, safe_frame, write_csv


@pytest.mark.parametrize("cell", ["=1+1", "+1+2", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd",
                                  '=HYPERLINK("http://x","y")', "-", "+", "=", "- item"])
def test_a_cell_that_would_run_is_quoted(cell: str) -> None:
    assert safe_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["hello", "", "-5", "+1.5", "-.5", "1e-3", "-2E+4", " =1",
                                  "'=already quoted", "a=b", 3, -4.5, None])
def test_text_and_numbers_that_run_nothing_are_kept(cell) -> None:
    assert safe_cell(cell) == cell


def test_a_frame_is_made_safe_in_its_text_cells_and_names_and_not_changed(
        tmp_path: Path) -> None:
    frame = pd.DataFrame({"=name": ["=1+1", "fine"], "n": [-1, 2], "p": [0.5, -0.25]})
    safe = safe_frame(frame)
    assert list(safe.columns) == ["'=name", "n", "p"]
    assert safe["'=name"].tolist() == ["'=1+1", "fine"]
    assert safe["n"].tolist() == [-1, 2] and safe["p"].tolist() == [0.5, -0.25]
    assert frame["=name"].tolist() == ["=1+1", "fine"]  # the caller's frame is untouched
    back = pd.read_csv(write_csv(frame, tmp_path / "out.csv"), dtype=str)
    assert back.to_dict("list") == {"'=name": ["'=1+1", "fine"], "n": ["-1", "2"],
                                    "p": ["0.5", "-0.25"]}
