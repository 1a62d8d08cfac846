"""Guess which column holds the text and which holds the label.

Names win when they are clear (``text``, ``category``, ``评论``...); otherwise the shape
of the values decides: a label column repeats a few short values, a text column is the
one with the longest strings. The guess is only a default the user can change.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from playground.errors import DataError

# In order of preference: when a table has both "label" and "category", "label" wins.
LABEL_NAMES = (
    "label", "labels", "category", "intent", "class", "sentiment", "target", "tag", "y",
    "标签", "类别", "分类", "情感", "意图",
)
TEXT_NAMES = (
    "text", "sentence", "review", "utterance", "content", "query", "question", "comment",
    "message", "body", "文本", "内容", "评论", "句子", "问题",
)

# A label column repeats itself: at most this share of its values are distinct...
MAX_LABEL_DISTINCT_SHARE = 0.5
# ...and its values are short (class names, not sentences).
MAX_LABEL_MEAN_CHARS = 40


@dataclass(frozen=True)
class ColumnGuess:
    """The guessed text and label columns (None when no column fits) and why."""

    text: str | None
    label: str | None
    reason: str


def guess_columns(df: pd.DataFrame) -> ColumnGuess:
    """Guess the text and label columns of ``df`` by name first, then by their values."""
    df = df.rename(columns=str)  # frames built in code may have numbered columns
    columns = list(df.columns)
    label = _match_name(columns, LABEL_NAMES)
    text = _match_name([c for c in columns if c != label], TEXT_NAMES)
    reasons = []
    if label is not None:
        reasons.append(f"'{label}' is named like a label column")
    if text is not None:
        reasons.append(f"'{text}' is named like a text column")

    if label is None:
        label, why = _label_by_values(df, exclude=text)
        reasons.append(why)
    if text is None:
        text, why = _text_by_values(df, exclude=label)
        reasons.append(why)
    return ColumnGuess(text=text, label=label, reason="; ".join(reasons) + ".")


def _normalise(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def _match_name(columns: list[str], names: tuple[str, ...]) -> str | None:
    by_name = {}
    for column in columns:
        by_name.setdefault(_normalise(column), column)  # the first of two look-alikes wins
    for name in names:
        if name in by_name:
            return by_name[name]
    return None


def _values(df: pd.DataFrame, column: str) -> pd.Series:
    """The non-empty values of a column as stripped strings."""
    values = df[column].astype(str).str.strip()
    return values[values != ""]


def _label_by_values(df: pd.DataFrame, exclude: str | None) -> tuple[str | None, str]:
    """The column that repeats a few short values most; None if no column does."""
    best: tuple[float, float, str] | None = None
    for column in map(str, df.columns):
        values = _values(df, column)
        if column == exclude or len(values) < 2:
            continue
        share = values.nunique() / len(values)
        mean_chars = float(values.str.len().mean())
        if share <= MAX_LABEL_DISTINCT_SHARE and mean_chars <= MAX_LABEL_MEAN_CHARS:
            key = (share, mean_chars, column)
            best = key if best is None or key[:2] < best[:2] else best
    if best is None:
        return None, "no column repeats a few short values the way a label column does"
    share, _, column = best
    n_distinct = _values(df, column).nunique()
    return column, f"'{column}' repeats only {n_distinct:,} distinct values, like a label column"


def _text_by_values(df: pd.DataFrame, exclude: str | None) -> tuple[str | None, str]:
    """The column with the longest strings, leaving out empty and all-number columns."""
    best: tuple[float, str] | None = None
    for column in map(str, df.columns):
        values = _values(df, column)
        if column == exclude or len(values) == 0:
            continue
        # Ids and scores are not text, however long their digits are.
        if pd.to_numeric(values, errors="coerce").notna().all():
            continue
        mean_chars = float(values.str.len().mean())
        if best is None or mean_chars > best[0]:
            best = (mean_chars, column)
    if best is None:
        return None, "no other column holds text"
    return best[1], f"'{best[1]}' has the longest texts"


def text_column_of(frame, text_column: str | None = None) -> str:
    """The column of ``frame`` to read: the one given, else the guessed one, else the first."""
    column = text_column or guess_columns(frame).text or frame.columns[0]
    if column not in frame.columns:
        raise DataError(f"The file has no column '{column}'.",
                        f"Pick one of: {', '.join(map(str, frame.columns))}.",
                        zh=f"该文件没有“{column}”列。"
                           f"请选择其中之一：{'、'.join(map(str, frame.columns))}。")
    return column
