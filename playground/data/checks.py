"""Check a labelled table before training and say, in plain words, what to fix.

``check_dataset`` never raises for bad data: every problem goes into the report as an
error (training cannot start) or a warning (it can, but the user should know), and the
caller decides what to do. The cleaned frame always has exactly the columns
``text`` and ``label``, both stripped strings.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import pandas as pd

from playground.data.columns import guess_columns

MIN_ROWS = 10
# Warn about cut texts only when they are more than a few outliers.
LONG_TEXT_SHARE = 0.05
# Share of CJK ideographs among letters above which a text sample counts as Chinese.
CJK_SHARE_ZH = 0.2
ASCII_SHARE_EN = 0.8
LANGUAGE_SAMPLE = 500
MAX_NAMED = 10  # labels or examples named in one message; more would not be read
WHAT_ZH = {"training data": "训练数据", "evaluation file": "评估文件"}

Level = Literal["error", "warning"]


@dataclass
class Problem:
    """One thing wrong with the data: ``message`` says what and what to do about it, and
    ``message_zh`` says the same in Chinese, with the same rows and labels."""

    level: Level
    code: str
    message: str
    message_zh: str = ""


@dataclass
class DataReport:
    """What ``check_dataset`` found: sizes, labels, lengths, language and problems."""

    rows_in: int = 0
    rows_used: int = 0
    dropped_empty: int = 0
    dropped_duplicates: int = 0
    text_column: str | None = None
    label_column: str | None = None
    label_counts: dict[str, int] = field(default_factory=dict)
    char_lengths: dict[str, float] = field(default_factory=dict)
    token_lengths: dict[str, float] | None = None
    language: str = "other"
    problems: list[Problem] = field(default_factory=list)
    column_reason: str = ""

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

    @property
    def ok(self) -> bool:
        """True when nothing stops training (warnings are allowed)."""
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable copy, with ``ok`` added for readers of the saved file."""
        return {**asdict(self), "ok": self.ok}

    def summary_lines(self) -> list[str]:
        """Plain-English lines for the user: rows, labels, lengths, dropped rows, language."""
        lines = [f"Using {self.rows_used:,} of {self.rows_in:,} rows."]
        if self.text_column is not None and self.label_column is not None:
            lines.append(f"Text column: '{self.text_column}'; label column: '{self.label_column}'.")
        if self.label_counts:
            first = list(self.label_counts.items())[:MAX_NAMED]
            shown = ", ".join(f"{label} ({n:,})" for label, n in first)
            more = len(self.label_counts) - MAX_NAMED
            tail = f", and {more:,} more" if more > 0 else ""
            lines.append(f"{len(self.label_counts):,} labels: {shown}{tail}.")
        if self.char_lengths:
            c = self.char_lengths
            lines.append(
                f"Text length in characters: {c['mean']:.0f} on average, {c['median']:.0f} median, "
                f"{c['p95']:.0f} for the longest 5%, {c['max']:.0f} at most."
            )
        if self.token_lengths:
            t = self.token_lengths
            lines.append(
                f"Text length in tokens: {t['mean']:.0f} on average, {t['p95']:.0f} for the longest 5%."
            )
        # Rows left out (empty, duplicate) are said once, by their warnings.
        names = {"en": "English", "zh": "Chinese"}
        lines.append(f"Language: {names.get(self.language, 'other / mixed')}.")
        return lines

    def summary_lines_zh(self) -> list[str]:
        """The lines of ``summary_lines``, in Chinese."""
        lines = [f"使用 {self.rows_in:,} 行中的 {self.rows_used:,} 行。"]
        if self.text_column is not None and self.label_column is not None:
            lines.append(f"文本列：“{self.text_column}”；标签列：“{self.label_column}”。")
        if self.label_counts:
            first = list(self.label_counts.items())[:MAX_NAMED]
            shown = "、".join(f"{label}（{n:,}）" for label, n in first)
            more = len(self.label_counts) - MAX_NAMED
            tail = f"，另有 {more:,} 个" if more > 0 else ""
            lines.append(f"{len(self.label_counts):,} 个标签：{shown}{tail}。")
        if self.char_lengths:
            c = self.char_lengths
            lines.append(f"文本长度（字符）：平均 {c['mean']:.0f}，中位数 {c['median']:.0f}，"
                         f"最长的 5% 为 {c['p95']:.0f}，最长 {c['max']:.0f}。")
        if self.token_lengths:
            t = self.token_lengths
            lines.append(f"文本长度（词元）：平均 {t['mean']:.0f}，最长的 5% 为 {t['p95']:.0f}。")
        names = {"en": "英文", "zh": "中文"}
        lines.append(f"语言：{names.get(self.language, '其他/混合')}。")
        return lines


def detect_language(texts: Sequence[str]) -> str:
    """Say "zh", "en" or "other" from the letters of a sample of the texts."""
    step = max(1, len(texts) // LANGUAGE_SAMPLE)
    cjk = ascii_letters = kana = letters = 0
    for text in list(texts)[::step][:LANGUAGE_SAMPLE]:
        for ch in text:
            if _is_cjk(ch):
                cjk += 1
                letters += 1
            elif ch.isalpha():
                letters += 1
                ascii_letters += ch.isascii()
                kana += "\u3040" <= ch <= "\u30ff"
    if letters == 0:
        return "other"
    # Japanese mixes kanji with kana; Chinese has no kana.
    if cjk / letters > CJK_SHARE_ZH and kana / letters < 0.05:
        return "zh"
    if ascii_letters / letters > ASCII_SHARE_EN:
        return "en"
    return "other"


def estimate_tokens(texts: Iterable[str]) -> list[int]:
    """Rough token counts: about one per CJK character and one per four other characters."""
    counts = []
    for text in texts:
        cjk = sum(1 for ch in text if _is_cjk(ch))
        counts.append(cjk + math.ceil((len(text) - cjk) / 4))
    return counts


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
            f"{_name_counts(unknown)}. The model cannot predict a label it never saw: "
            "remove those rows from the evaluation file, or add training examples for them.",
            f"评估文件中有训练数据里没有的标签：{_name_counts_zh(unknown)}。模型无法预测从未见过的标签："
            "请从评估文件中删除这些行，或为它们补充训练样本。",
        ))
    if train_texts is not None:
        seen = {str(t).strip() for t in train_texts}
        overlap = int(clean["text"].isin(seen).sum())
        if overlap:
            report.problems.append(Problem(
                "warning", "overlap",
                f"Found {_count(overlap, 'text')} of the evaluation file in the training data too, "
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
    report.char_lengths = _length_stats(clean["text"].str.len().tolist())
    report.language = detect_language(clean["text"].tolist())
    tokens = count_tokens(clean["text"].tolist()) if count_tokens is not None else None
    if tokens is not None:
        report.token_lengths = _length_stats(tokens)
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
            f"Left out {_count(report.dropped_empty, 'row')} of the {what} with an empty text or label. "
            "Fill them in if they should be used.",
            f"已跳过{WHAT_ZH[what]}中文本或标签为空的 {report.dropped_empty:,} 行。如需使用请补全。",
        ))
    clean = clean.loc[~empty]
    duplicate = clean.duplicated()
    report.dropped_duplicates = int(duplicate.sum())
    if report.dropped_duplicates:
        report.problems.append(Problem(
            "warning", "duplicate_rows",
            f"Left out {_count(report.dropped_duplicates, 'exact duplicate row')} of the {what}, "
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
            f"Found {_count(len(conflicting), 'text')} with different labels in different rows "
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
            f"Some labels have fewer than {min_per_label} examples: {_name_counts(rare)}. "
            f"The held-out split needs at least {min_per_label} of each label: "
            "add examples of these labels, or remove those rows.",
            f"有的标签样本少于 {min_per_label} 个：{_name_counts_zh(rare)}。"
            f"留出验证和测试数据需要每个标签至少 {min_per_label} 个样本：请为这些标签补充样本，或删除这些行。",
        ))
    if len(clean) < MIN_ROWS:
        report.problems.append(Problem(
            "error", "too_few_rows",
            f"The {what} has only {len(clean):,} usable rows; "
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
    p95 = _length_stats(tokens)["p95"]
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


def _length_stats(lengths: Sequence[int]) -> dict[str, float]:
    series = pd.Series(lengths, dtype=float)
    return {
        "mean": round(float(series.mean()), 1),
        "median": float(series.median()),
        "p95": float(series.quantile(0.95)),
        "max": float(series.max()),
    }


def _count(n: int, noun: str) -> str:
    """'1 row', '2 rows', '1,234 rows', '2 entities'."""
    if n == 1:
        return f"{n:,} {noun}"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return f"{n:,} {noun[:-1]}ies"
    return f"{n:,} {noun}s"


def _name_counts(counts: dict[str, int]) -> str:
    shown = ", ".join(f"'{label}' ({n:,})" for label, n in list(counts.items())[:MAX_NAMED])
    more = len(counts) - MAX_NAMED
    return shown + (f" and {more:,} more" if more > 0 else "")


def _name_counts_zh(counts: dict[str, int]) -> str:
    shown = "、".join(f"“{label}”（{n:,}）" for label, n in list(counts.items())[:MAX_NAMED])
    more = len(counts) - MAX_NAMED
    return shown + (f"，另有 {more:,} 个" if more > 0 else "")


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return (
        0x4E00 <= code <= 0x9FFF  # unified ideographs
        or 0x3400 <= code <= 0x4DBF  # extension A
        or 0xF900 <= code <= 0xFAFF  # compatibility ideographs
        or 0x20000 <= code <= 0x2FA1F  # extensions B and later
    )
