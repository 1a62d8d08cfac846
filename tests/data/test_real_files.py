"""The real shared datasets read, check and split as expected (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from playground.data import guess_columns, read_table
from playground.tasks.classify.checks import check_dataset, check_eval_table
from playground.tasks.classify.splits import make_splits

DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"
BANKING = DATASETS / "banking77"
HOTEL = DATASETS / "chnsenticorp_htl" / "ChnSentiCorp_htl_all.csv"


def _require(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path} is not here")


def test_banking77_train_and_test() -> None:
    _require(BANKING / "train.csv")
    df = read_table(BANKING / "train.csv")
    guess = guess_columns(df)
    assert (guess.text, guess.label) == ("text", "category")

    clean, report = check_dataset(df, max_length=128)
    assert report.ok, report.errors
    assert report.language == "en"
    assert len(report.label_counts) == 77
    assert report.rows_in == 10_003
    # Four rows repeat another row once surrounding spaces are stripped; none is empty.
    assert (report.dropped_empty, report.dropped_duplicates) == (0, 4)
    assert report.rows_used == 9_999
    assert "long_texts" not in {p.code for p in report.problems}
    print("\n".join(report.summary_lines()))

    test, test_report = check_eval_table(
        read_table(BANKING / "test.csv"), report.label_counts, train_texts=clean["text"]
    )
    assert test_report.ok, test_report.errors
    assert len(test_report.label_counts) == 77
    assert set(test_report.label_counts.values()) == {40, 39}  # one duplicate left out
    splits = make_splits(clean, eval_df=test, eval_name="test.csv")
    assert splits.validation["label"].nunique() == 77
    assert splits.held_out == "the evaluation file test.csv (3,079 rows), which training never saw"


def test_chnsenticorp_hotel() -> None:
    _require(HOTEL)
    df = read_table(HOTEL)
    guess = guess_columns(df)
    assert (guess.text, guess.label) == ("review", "label")

    clean, report = check_dataset(df, max_length=128)
    assert report.ok, report.errors
    assert report.language == "zh"
    assert report.label_counts == {"1": 5_322, "0": 2_443}
    # One review is empty; Chinese reviews are long, so many pass 128 tokens.
    assert (report.rows_in, report.dropped_empty, report.dropped_duplicates) == (7_766, 1, 0)
    assert {p.code for p in report.warnings} == {"empty_rows", "long_texts"}
    print("\n".join(report.summary_lines()))

    splits = make_splits(clean, source_name=HOTEL.name)
    assert len(splits.test) == 1_553
    assert splits.test["label"].value_counts(normalize=True).round(2).to_dict() == {"1": 0.69, "0": 0.31}
