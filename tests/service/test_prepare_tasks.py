"""What ``prepare`` does alike for every task: a classic model reads every text whole,
so no task warns that the ends of long texts are cut off when the classic model is
chosen (the entity twin once kept that warning), while a transformer gets it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from playground.config import RunConfig
from playground.service.prepare import prepare


def _long_table(folder: Path) -> Path:
    words = "please block my lost card today right now thank you very much indeed " * 6
    rows = [(f"{words} {i}", "card" if i % 2 else "refund") for i in range(40)]
    path = folder / "long.csv"
    pd.DataFrame(rows, columns=["text", "label"]).to_csv(path, index=False)
    return path


def _long_conll(folder: Path) -> Path:
    filler = [("and", "O"), ("then", "O"), ("we", "O"), ("walked", "O"), ("far", "O")] * 8
    sentences = [[("anna", "B-PER"), ("met", "O"), ("paris", "B-LOC"), (str(i), "O"), *filler]
                 for i in range(30)]
    sentences += [[("john", "B-PER"), ("left", "O"), ("rome", "B-LOC"), (str(i), "O")]
                  for i in range(30)]
    path = folder / "long.conll"
    path.write_text("\n\n".join("\n".join(f"{t}\t{g}" for t, g in s) for s in sentences)
                    + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("task, write", [("text-classification", _long_table),
                                         ("ner", _long_conll)])
def test_only_a_model_with_a_cut_off_warns_of_long_texts(task, write, tmp_path: Path,
                                                          tiny_model_dir: Path) -> None:
    data = write(tmp_path)
    codes = {model: [p.code for p in prepare(data, RunConfig(
        task=task, model=model, max_length=16)).report.problems]
        for model in ("classic", str(tiny_model_dir))}
    assert "long_texts" in codes[str(tiny_model_dir)]
    assert "long_texts" not in codes["classic"]
