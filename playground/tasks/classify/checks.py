"""Check a labelled table before training and say, in plain words, what to fix.

``check_dataset`` never raises for bad data: every problem goes into the report as an
error (training cannot start) or a warning (it can, but the user should know), and the
caller decides what to do. The cleaned frame always has exactly the columns
``text`` and ``label``, both stripped strings.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd

from playground.data.columns import guess_columns
from playground.data.report import (
    WHAT_ZH,
    DataReport,
    Problem,
    count_noun,
    detect_language,
    estimate_tokens,
    length_stats,
    name_counts,
    name_counts_zh,
)

MIN_ROWS = 10
# Warn about cut texts only when they are more than a few outliers.
LONG_TEXT_SHARE = 0.05


def check_dataset(
    df: pd.DataFrame,
    text_column: str | None = None,
    label_column: str | None = None,
    *,
    min_per_label: int = 3,
    max_length: int | None = None,
    count_tokens: Callable[[list[str]], list[int]] | None = None,
) -> tuple[pd.DataFrame, DataReport]:
    """Clean ``df`` to the columns text/label and report every problem found (never raises)."""
    return _check(
        df, text_column, label_column, min_per_label, max_length, count_tokens, "training data"
    )


def check_eval_table(
    eval_df: pd.DataFrame,
    train_labels: Iterable[str],
    text_column: str | None = None,
    label_column: str | None = None,
    *,
    train_texts: Iterable[str] | None = None,
    max_length: int | None = None,
    count_tokens: Callable[[list[str]], list[int]] | None = None,
) -> tuple[pd.DataFrame, DataReport]:
    """Check a separate evaluation file: as ``check_dataset``, plus labels unknown to training.

    With ``train_texts``, texts that also appear in the training data are reported too,
    since they make the test score look better than it is.
    """
    # One example of a label is enough to score it; nothing is split off an evaluation file.
    clean, report = _check(
        eval_df, text_column, label_column, 1, max_length, count_tokens, "evaluation file"
    )
    if not len(clean):
        return clean, report
    known = {str(label).strip() for label in train_labels}
    unknown = {label: n for label, n in report.label_counts.items() if label not in known}
    if unknown:
        report.problems.append(Problem(
            "error", "unknown_labels",
            "The evaluation file has labels that the training data does not have: "
            f"{name_counts(unknown)}. The model cannot predict a label it never saw: "
            "remove those rows from the evaluation file, or add training examples for them.",
            f"评估文件中有训练数据里没有的标签：{name_counts_zh(unknown)}。模型无法预测从未见过的标签："
            "请从评估文件中删除这些行，或为它们补充训练样本。",
        ))
    if train_texts is not None:
        seen = {str(t).strip() for t in train_texts}
        overlap = int(clean["text"].isin(seen).sum())
        if overlap:
            report.problems.append(Problem(
                "warning", "overlap",
                f"Found {count_noun(overlap, 'text')} of the evaluation file in the training data too, "
                "so the test score will look better than it is. Remove them from one of the two files.",
                f"评估文件中有 {overlap:,} 条文本也出现在训练数据中，测试分数会偏高。"
                "请从两个文件之一中删除它们。",
            ))
    return clean, report


def _check(
    df: pd.DataFrame,
    text_column: str | None,
    label_column: str | None,
    min_per_label: int,
    max_length: int | None,
    count_tokens: Callable[[list[str]], list[int]] | None,
    what: str,
) -> tuple[pd.DataFrame, DataReport]:
    df = df.rename(columns=str)  # column names are reported and matched as strings
    report = DataReport(rows_in=len(df))
    empty = pd.DataFrame({"text": pd.Series(dtype=str), "label": pd.Series(dtype=str)})
    if not _pick_columns(df, text_column, label_column, report):
        return empty, report

    clean = pd.DataFrame({
        "text": _as_text(df[report.text_column]),
        "label": _as_text(df[report.label_column]),
    })
    clean = _drop_bad_rows(clean, report, what)
    report.rows_used = len(clean)
    if not len(clean):
        report.problems.append(Problem(
            "error", "no_rows",
            f"No rows are left in the {what} after leaving out rows with an empty text or label. "
            f"Check that '{report.text_column}' and '{report.label_column}' are the right columns.",
            f"去掉文本或标签为空的行后，{WHAT_ZH[what]}中没有剩下任何行。"
            f"请确认“{report.text_column}”和“{report.label_column}”是正确的列。",
        ))
        return clean, report

    counts = clean["label"].value_counts()
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))  # ties by name, for stable output
    report.label_counts = {str(k): int(v) for k, v in ordered}
    _check_labels(clean, report, min_per_label, what)
    report.char_lengths = length_stats(clean["text"].str.len().tolist())
    report.language = detect_language(clean["text"].tolist())
    tokens = count_tokens(clean["text"].tolist()) if count_tokens is not None else None
    if tokens is not None:
        report.token_lengths = length_stats(tokens)
    if max_length is not None:
        _check_lengths(clean, report, max_length, tokens)
    return clean, report


def _pick_columns(
    df: pd.DataFrame, text_column: str | None, label_column: str | None, report: DataReport
) -> bool:
    """Fill in the report's columns (guessing missing ones); False when they cannot be used."""
    existing = ", ".join(f"'{c}'" for c in df.columns) or "(none)"
    existing_zh = "、".join(f"“{c}”" for c in df.columns) or "（无）"
    for role, column in (("text", text_column), ("label", label_column)):
        if column is not None and column not in df.columns:
            report.problems.append(Problem(
                "error", "missing_column",
                f"There is no column named '{column}'. The columns in this file are: {existing}. "
                f"Pick one of them as the {role} column.",
                f"没有名为“{column}”的列。该文件的列有：{existing_zh}。"
                f"请从中选择一列作为{'文本' if role == 'text' else '标签'}列。",
            ))
    if report.errors:
        return False
    if text_column is None or label_column is None:
        guess = guess_columns(df.drop(columns=[c for c in (text_column, label_column) if c is not None]))
        text_column = text_column or guess.text
        label_column = label_column or guess.label
        report.column_reason = guess.reason
    report.text_column, report.label_column = text_column, label_column
    if text_column is None:
        report.problems.append(Problem(
            "error", "no_text_column",
            f"No column with text was found (columns: {existing}). "
            "Add a column named 'text' with one example per row, or pick the text column.",
            f"找不到含文本的列（现有的列：{existing_zh}）。"
            "请添加一列名为“text”、每行一个样本的列，或选择文本列。",
        ))
    if label_column is None:
        report.problems.append(Problem(
            "error", "no_label_column",
            f"No label column was found (columns: {existing}). "
            "Add a column named 'label' with the class of each row, or pick the label column.",
            f"找不到标签列（现有的列：{existing_zh}）。"
            "请添加一列名为“label”、写明每行类别的列，或选择标签列。",
        ))
    if text_column is not None and text_column == label_column:
        report.problems.append(Problem(
            "error", "same_column",
            f"The text and the label are both the column '{text_column}'. Pick two different columns.",
            f"文本和标签都是“{text_column}”这一列。请选择两个不同的列。",
        ))
    return not report.errors


def _as_text(values: pd.Series) -> pd.Series:
    """Stripped strings, with missing values as "" (frames built in code may hold None or numbers)."""
    def as_text(value: Any) -> str:
        if isinstance(value, str):
            return value.strip()
        if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
            return ""
        return str(value).strip()

    return values.map(as_text)


def _drop_bad_rows(clean: pd.DataFrame, report: DataReport, what: str) -> pd.DataFrame:
    """Leave out empty and duplicate rows, and warn about texts with conflicting labels."""
    empty = (clean["text"] == "") | (clean["label"] == "")
    report.dropped_empty = int(empty.sum())
    if report.dropped_empty:
        report.problems.append(Problem(
            "warning", "empty_rows",
            f"Left out {count_noun(report.dropped_empty, 'row')} of the {what} with an empty text or label. "
            "Fill them in if they should be used.",
            f"已跳过{WHAT_ZH[what]}中文本或标签为空的 {report.dropped_empty:,} 行。如需使用请补全。",
        ))
    clean = clean.loc[~empty]
    duplicate = clean.duplicated()
    report.dropped_duplicates = int(duplicate.sum())
    if report.dropped_duplicates:
        report.problems.append(Problem(
            "warning", "duplicate_rows",
            f"Left out {count_noun(report.dropped_duplicates, 'exact duplicate row')} of the {what}, "
            "so that no example counts twice.",
            f"已跳过{WHAT_ZH[what]}中完全重复的 {report.dropped_duplicates:,} 行，避免同一样本被计算两次。",
        ))
    clean = clean.loc[~duplicate].reset_index(drop=True)

    labels_per_text = clean.groupby("text")["label"].nunique()
    conflicting = labels_per_text[labels_per_text > 1]
    if len(conflicting):
        example = str(conflicting.index[0])
        example = example if len(example) <= 60 else example[:57] + "..."
        labels = " / ".join(sorted(clean.loc[clean["text"] == conflicting.index[0], "label"]))
        report.problems.append(Problem(
            "warning", "conflicting_labels",
            f"Found {count_noun(len(conflicting), 'text')} with different labels in different rows "
            f"(for example '{example}': {labels}). The model cannot learn both; "
            "correct the label or remove the extra rows.",
            f"有 {len(conflicting):,} 条文本在不同的行里标了不同的标签"
            f"（例如“{example}”：{labels}）。模型无法同时学会两者：请改正标签或删除多余的行。",
        ))
    return clean


def _check_labels(clean: pd.DataFrame, report: DataReport, min_per_label: int, what: str) -> None:
    counts = report.label_counts
    if len(counts) < 2:
        only = next(iter(counts))
        report.problems.append(Problem(
            "error", "one_label",
            f"The {what} has only one label ('{only}'); "
            "a classifier needs at least two different labels. "
            f"Check that '{report.label_column}' is the label column, or add examples of other labels.",
            f"{WHAT_ZH[what]}只有一个标签（“{only}”）；分类器至少需要两个不同的标签。"
            f"请确认“{report.label_column}”是标签列，或补充其他标签的样本。",
        ))
    rare = {label: n for label, n in counts.items() if n < min_per_label}
    if rare:
        report.problems.append(Problem(
            "error", "rare_labels",
            f"Some labels have fewer than {min_per_label} examples: {name_counts(rare)}. "
            f"The held-out split needs at least {min_per_label} of each label: "
            "add examples of these labels, or remove those rows.",
            f"有的标签样本少于 {min_per_label} 个：{name_counts_zh(rare)}。"
            f"留出验证和测试数据需要每个标签至少 {min_per_label} 个样本：请为这些标签补充样本，或删除这些行。",
        ))
    if len(clean) < MIN_ROWS and what == "evaluation file":  # a file to score on
        report.problems.append(Problem(
            "error", "too_few_rows",
            f"The {what} has only {count_noun(len(clean), 'usable row')}; a score needs at "
            f"least {MIN_ROWS} to mean anything. Add more rows with their right labels.",
            f"{WHAT_ZH[what]}只有 {len(clean):,} 行可用；至少要 {MIN_ROWS} 行，得分才有意义。"
            "请补充带正确标签的行。",
        ))
    elif len(clean) < MIN_ROWS:
        report.problems.append(Problem(
            "error", "too_few_rows",
            f"The {what} has only {count_noun(len(clean), 'usable row')}; "
            f"at least {MIN_ROWS} are needed to train and test. "
            "Add more examples.",
            f"{WHAT_ZH[what]}只有 {len(clean):,} 行可用；训练和测试至少需要 {MIN_ROWS} 行。请补充样本。",
        ))


def _check_lengths(
    clean: pd.DataFrame,
    report: DataReport,
    max_length: int,
    tokens: list[int] | None,
) -> None:
    """Warn when more than a few texts are longer than the model reads, so their ends are cut.

    ``tokens`` are the tokenizer's counts; without them the counts are estimated.
    """
    estimated = tokens is None
    tokens = estimate_tokens(clean["text"].tolist()) if tokens is None else tokens
    over = sum(1 for n in tokens if n > max_length)
    if over / len(tokens) <= LONG_TEXT_SHARE:
        return
    p95 = length_stats(tokens)["p95"]
    # Sequence lengths are usually powers of two; most encoders stop at 512.
    suggestion = min(512, 2 ** math.ceil(math.log2(max(p95, 2))))
    about = "About " if estimated else ""
    advice = (
        f"Raise the max length to {suggestion} to keep 95% of the texts whole (training gets slower)."
        if suggestion > max_length
        else "Shorten the texts, or accept that only their beginning is used."
    )
    advice_zh = (
        f"把最大长度调到 {suggestion}，可让 95% 的文本完整保留（训练会变慢）。"
        if suggestion > max_length
        else "请缩短文本，或接受只使用文本的开头部分。"
    )
    report.problems.append(Problem(
        "warning", "long_texts",
        f"{about}{over:,} of {len(tokens):,} texts ({over / len(tokens):.0%}) are longer than "
        f"the max length of {max_length} tokens, so their ends will be cut off. {advice}",
        f"{len(tokens):,} 条文本中{'约' if estimated else '有'} {over:,} 条（{over / len(tokens):.0%}）"
        f"超过最大长度 {max_length} 个词元，末尾会被截断。{advice_zh}",
    ))
