"""make_splits: stratified, every label in every part, deterministic, eval-file path."""

from __future__ import annotations

import pandas as pd
import pytest

from playground.errors import ConfigError, DataError
from playground.tasks.classify.splits import make_splits


def _frame(counts: dict[str, int]) -> pd.DataFrame:
    rows = [(f"{label} text {i}", label) for label, n in counts.items() for i in range(n)]
    return pd.DataFrame(rows, columns=["text", "label"])


def test_held_out_part_is_stratified_and_sized() -> None:
    df = _frame({"a": 60, "b": 30, "c": 10})
    splits = make_splits(df, source_name="train.csv")
    assert (len(splits.train), len(splits.validation), len(splits.test)) == (70, 10, 20)
    assert splits.test["label"].value_counts().to_dict() == {"a": 12, "b": 6, "c": 2}
    assert splits.held_out == ("a 20% part of train.csv held out with each label in its "
                               "usual share (20 rows), which training never saw")
    assert splits.held_out_zh == "train.csv中按标签比例留出的 20% 共 20 行，训练时从未见过"
    for part in (splits.train, splits.validation, splits.test):
        assert list(part.columns) == ["text", "label"]
        assert list(part.index) == list(range(len(part)))


def test_parts_do_not_overlap_and_cover_everything() -> None:
    df = _frame({"a": 40, "b": 25, "c": 9})
    splits = make_splits(df)
    texts = [set(p["text"]) for p in (splits.train, splits.validation, splits.test)]
    assert not (texts[0] & texts[1]) and not (texts[0] & texts[2]) and not (texts[1] & texts[2])
    assert set.union(*texts) == set(df["text"])


def test_every_label_in_every_part_even_when_rare() -> None:
    # 3 rows of each rare label: proportional rounding would give them none in test/validation.
    counts = {"big": 500} | {f"rare{i}": 3 for i in range(5)}
    splits = make_splits(_frame(counts))
    for part in (splits.train, splits.validation, splits.test):
        assert set(part["label"]) == set(counts)


def test_part_is_raised_to_the_number_of_labels() -> None:
    counts = {f"l{i}": 3 for i in range(10)}  # 30 rows: 20% would be 6 rows for 10 labels
    splits = make_splits(_frame(counts))
    assert len(splits.test) == 10 and len(splits.validation) == 10 and len(splits.train) == 10
    assert splits.test["label"].nunique() == 10


def test_deterministic_for_a_seed() -> None:
    df = _frame({"a": 50, "b": 50})
    first, again, other = make_splits(df, seed=7), make_splits(df, seed=7), make_splits(df, seed=8)
    pd.testing.assert_frame_equal(first.test, again.test)
    pd.testing.assert_frame_equal(first.train, again.train)
    assert set(first.test["text"]) != set(other.test["text"])


def test_eval_file_is_the_test_part() -> None:
    df = _frame({"a": 30, "b": 20})
    eval_df = _frame({"a": 4, "b": 3}).set_axis(range(100, 107))
    splits = make_splits(df, eval_df=eval_df, eval_name="test.csv")
    pd.testing.assert_frame_equal(splits.test, eval_df.reset_index(drop=True))
    assert len(splits.train) + len(splits.validation) == 50  # nothing else held out
    assert len(splits.validation) == 5
    assert splits.held_out == "the evaluation file test.csv (7 rows), which training never saw"
    assert splits.held_out_zh == "评估文件 test.csv共 7 行，训练时从未见过"


def test_eval_path_needs_two_rows_per_label() -> None:
    df = _frame({"a": 10, "b": 2})  # too few of "b" to also hold out a test part...
    splits = make_splits(df, eval_df=_frame({"a": 2, "b": 2}))  # ...but enough with an eval file
    assert set(splits.train["label"]) == set(splits.validation["label"]) == {"a", "b"}


def test_label_with_too_few_rows_is_a_data_error() -> None:
    with pytest.raises(DataError, match=r"'b' \(2\).*at least 3 rows"):
        make_splits(_frame({"a": 10, "b": 2}))


def test_no_validation_part() -> None:
    splits = make_splits(_frame({"a": 10, "b": 10}), validation_fraction=0)
    assert len(splits.validation) == 0
    assert list(splits.validation.columns) == ["text", "label"]
    assert len(splits.train) == 16


@pytest.mark.parametrize(("validation", "test"), [(1.2, 0.2), (-0.1, 0.2), (0.5, 0.5)])
def test_bad_fractions(validation: float, test: float) -> None:
    with pytest.raises(ConfigError):
        make_splits(_frame({"a": 10, "b": 10}), validation_fraction=validation, test_fraction=test)


def test_needs_checked_columns() -> None:
    with pytest.raises(ValueError, match="text and label"):
        make_splits(pd.DataFrame({"sentence": ["x"], "label": ["y"]}))
