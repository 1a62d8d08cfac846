"""Split checked data into train / validation / test, stratified by label.

Validation always comes out of the training file (it picks the best checkpoint); the
test part is the user's evaluation file when there is one, otherwise a held-out part of
the training file. Every part gets at least one row of every label, so per-label scores
exist, and the same seed always gives the same split.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from playground.errors import ConfigError, DataError

COLUMNS = ["text", "label"]


@dataclass
class Splits:
    """The three parts, each with columns text/label, and a sentence saying what was held out
    (``held_out_zh``: the same in Chinese)."""

    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame
    held_out: str
    held_out_zh: str = ""


def make_splits(
    df: pd.DataFrame,
    *,
    eval_df: pd.DataFrame | None = None,
    validation_fraction: float = 0.1,
    test_fraction: float = 0.2,
    seed: int = 42,
    source_name: str = "",
    eval_name: str = "",
) -> Splits:
    """Split a checked frame (columns text, label) into train, validation and test parts.

    Fractions are shares of ``df``; ``test_fraction`` is ignored when ``eval_df`` is given.
    """
    _check_fractions(validation_fraction, 0.0 if eval_df is not None else test_fraction)
    data = _text_and_label(df)
    n_labels = data["label"].nunique()
    n_val = _part_size(validation_fraction, len(data), n_labels)
    n_test = 0 if eval_df is not None else _part_size(test_fraction, len(data), n_labels)
    # Each label needs one row for training plus one for every part held out of this file.
    needed = 1 + (n_val > 0) + (n_test > 0)
    _check_enough(data, needed, n_val + n_test, n_labels)

    if eval_df is not None:
        rest, test = data, _text_and_label(eval_df)
        where = f"the evaluation file {eval_name}" if eval_name else "the evaluation file"
        held_out = f"{where} ({len(test):,} rows), which training never saw"
        held_out_zh = f"评估文件{' ' + eval_name if eval_name else ''}共 {len(test):,} 行，训练时从未见过"
    else:
        rest, test = _take_stratified(data, n_test, seed, keep_per_label=needed - 1)
        share = round(100 * len(test) / len(data))
        held_out = (
            f"a {share}% part of {source_name or 'the training file'} held out with each "
            f"label in its usual share ({len(test):,} rows), which training never saw"
        )
        held_out_zh = (f"{source_name or '训练文件'}中按标签比例留出的 {share}% 共 {len(test):,} 行，"
                       "训练时从未见过")
    train, validation = _take_stratified(rest, n_val, seed, keep_per_label=1)
    return Splits(train=train, validation=validation, test=test, held_out=held_out,
                  held_out_zh=held_out_zh)


def _text_and_label(df: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        # A caller bug, not a user mistake: check_dataset always returns these columns.
        raise ValueError(
            f"make_splits needs the columns text and label (from check_dataset); missing {missing}"
        )
    return df[COLUMNS].reset_index(drop=True)


def _check_fractions(validation_fraction: float, test_fraction: float) -> None:
    for name, value in (("validation", validation_fraction), ("test", test_fraction)):
        if not 0 <= value < 1:
            raise ConfigError(
                f"The {name} share must be between 0% and 100%, not {value:.0%}.",
                "Pick a share such as 10% or 20%.",
                zh=f"{'验证集' if name == 'validation' else '测试集'}比例必须在 0% 到 100% 之间，"
                   f"现在是 {value:.0%}。请选择 10% 或 20% 这样的比例。",
                field=f"{name}_fraction",
            )
    if validation_fraction + test_fraction >= 0.9:
        raise ConfigError(
            f"The validation and test shares ({validation_fraction:.0%} + {test_fraction:.0%}) "
            "leave too little to train on.",
            "Keep them together under 90%; 10% and 20% are usual.",
            zh=f"验证集和测试集比例（{validation_fraction:.0%} + {test_fraction:.0%}）"
               "留给训练的数据太少。两者合计请低于 90%；通常用 10% 和 20%。",
            field="validation_fraction",
        )


def _part_size(fraction: float, n_rows: int, n_labels: int) -> int:
    """Rows for a held-out part: its share of the file, but at least one per label."""
    return 0 if fraction <= 0 else max(n_labels, round(fraction * n_rows))


def _check_enough(data: pd.DataFrame, needed: int, n_held_out: int, n_labels: int) -> None:
    counts = data["label"].value_counts()
    rare = counts[counts < needed]
    if len(rare):
        named = ", ".join(f"'{label}' ({n})" for label, n in rare.head(10).items())
        raise DataError(
            f"Some labels have too few examples to split: {named}. "
            f"Each label needs at least {needed} rows (training, validation and test).",
            "Add examples of these labels, or remove those rows.",
            zh=f"有的标签样本太少，无法拆分：{'、'.join(f'“{label}”（{n}）' for label, n in rare.head(10).items())}。"
               f"每个标签至少需要 {needed} 行（训练、验证和测试）。请为这些标签补充样本，或删除这些行。",
        )
    if n_held_out + n_labels > len(data):
        raise DataError(
            f"The file has too few rows ({len(data):,}) to hold out {n_held_out:,} for checking "
            f"and still train on every one of its {n_labels:,} labels.",
            "Add more examples, or lower the validation and test shares.",
            zh=f"文件的行数太少（{len(data):,} 行）：留出 {n_held_out:,} 行用于检查后，"
               f"无法再让全部 {n_labels:,} 个标签都有训练数据。请补充样本，或调低验证集和测试集比例。",
        )


def _take_stratified(
    frame: pd.DataFrame, n_part: int, seed: int, keep_per_label: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``frame`` into (rest, part) of ``n_part`` rows with the label shares of ``frame``.

    sklearn's stratified split rounds small labels away; afterwards every label gets at
    least one row in ``part`` and ``keep_per_label`` rows in ``rest`` (for later splits).
    """
    if n_part == 0:
        return frame.reset_index(drop=True), frame.iloc[:0].reset_index(drop=True)
    from sklearn.model_selection import train_test_split

    rest_idx, part_idx = train_test_split(
        list(range(len(frame))), test_size=n_part, random_state=seed, stratify=frame["label"]
    )
    labels = frame["label"].tolist()
    rest_by_label: dict[str, list[int]] = defaultdict(list)
    part_by_label: dict[str, list[int]] = defaultdict(list)
    for i in rest_idx:
        rest_by_label[labels[i]].append(i)
    for i in part_idx:
        part_by_label[labels[i]].append(i)
    to_part, to_rest = [], []
    for label in sorted(set(labels)):
        in_rest, in_part = rest_by_label[label], part_by_label[label]
        if not in_part:
            to_part.append(in_rest.pop(0))
        while len(in_rest) < keep_per_label:
            moved = in_part.pop(0)
            in_rest.append(moved)
            to_rest.append(moved)
    moved = set(to_part) | set(to_rest)
    rest_idx = [i for i in rest_idx if i not in moved] + to_rest
    part_idx = [i for i in part_idx if i not in moved] + to_part
    rest = frame.iloc[rest_idx].reset_index(drop=True)
    part = frame.iloc[part_idx].reset_index(drop=True)
    return rest, part
