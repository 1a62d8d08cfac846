"""What a data check found, for every task: problems as sentences, sizes, language.

A task's checks (``tasks/*/checks.py``) fill a ``DataReport`` (or a subclass with the
task's own counts); the command line and the app show it the same way for every task.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import pandas as pd

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
            lines.append(f"{count_noun(len(self.label_counts), 'label')}: {shown}{tail}.")
        if self.char_lengths:
            c = self.char_lengths
            lines.append(
                f"Text length in characters: {c['mean']:,.0f} on average, {c['median']:,.0f} median, "
                f"{c['p95']:,.0f} for the longest 5%, {c['max']:,.0f} at most."
            )
        if self.token_lengths:
            t = self.token_lengths
            lines.append(
                f"Text length in tokens: {t['mean']:,.0f} on average, {t['p95']:,.0f} for the longest 5%."
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
            lines.append(f"文本长度（字符）：平均 {c['mean']:,.0f}，中位数 {c['median']:,.0f}，"
                         f"最长的 5% 为 {c['p95']:,.0f}，最长 {c['max']:,.0f}。")
        if self.token_lengths:
            t = self.token_lengths
            lines.append(f"文本长度（词元）：平均 {t['mean']:,.0f}，最长的 5% 为 {t['p95']:,.0f}。")
        names = {"en": "英文", "zh": "中文"}
        lines.append(f"语言：{names.get(self.language, '其他/混合')}。")
        return lines


def detect_language(texts: Sequence[str]) -> str:
    """Say "zh", "en" or "other" from the letters of a sample of the texts."""
    step = max(1, len(texts) // LANGUAGE_SAMPLE)
    cjk = ascii_letters = kana = letters = 0
    for text in list(texts)[::step][:LANGUAGE_SAMPLE]:
        for ch in text:
            if is_cjk_char(ch):
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
        cjk = sum(1 for ch in text if is_cjk_char(ch))
        counts.append(cjk + math.ceil((len(text) - cjk) / 4))
    return counts


def length_stats(lengths: Sequence[int]) -> dict[str, float]:
    series = pd.Series(lengths, dtype=float)
    return {
        "mean": round(float(series.mean()), 1),
        "median": float(series.median()),
        "p95": float(series.quantile(0.95)),
        "max": float(series.max()),
    }


def count_noun(n: int, noun: str) -> str:
    """'1 row', '2 rows', '1,234 rows', '2 entities'."""
    if n == 1:
        return f"{n:,} {noun}"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return f"{n:,} {noun[:-1]}ies"
    return f"{n:,} {noun}s"


def name_counts(counts: dict[str, int]) -> str:
    shown = ", ".join(f"'{label}' ({n:,})" for label, n in list(counts.items())[:MAX_NAMED])
    more = len(counts) - MAX_NAMED
    return shown + (f" and {more:,} more" if more > 0 else "")


def name_counts_zh(counts: dict[str, int]) -> str:
    shown = "、".join(f"“{label}”（{n:,}）" for label, n in list(counts.items())[:MAX_NAMED])
    more = len(counts) - MAX_NAMED
    return shown + (f"，另有 {more:,} 个" if more > 0 else "")


def is_cjk_char(ch: str) -> bool:
    code = ord(ch)
    return (
        0x4E00 <= code <= 0x9FFF  # unified ideographs
        or 0x3400 <= code <= 0x4DBF  # extension A
        or 0xF900 <= code <= 0xFAFF  # compatibility ideographs
        or 0x20000 <= code <= 0x2FA1F  # extensions B and later
    )
