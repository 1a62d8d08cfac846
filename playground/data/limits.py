"""How long a text an agent reads: one limit for the chat, the API and labelled files.

A 10 MB question cost 23-26 s of server time. No model here reads that far anyway (a
fine-tuned one stops at its max length, 512 tokens at most), so a question over the limit
is refused with a sentence, and a longer text in a file is cut to the limit (said once,
naming the rows), since refusing a whole file for one long row would help nobody.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from playground.errors import DataError

# About two pages: a long e-mail fits, and a question costs milliseconds to read.
MAX_TEXT_CHARS = 5_000
MAX_ROWS_NAMED = 10
# A conversation sent to a chat agent: each message within MAX_TEXT_CHARS, and together
# about eight pages, which a small model reads in a few seconds on a CPU.
MAX_MESSAGES = 64
MAX_CONVERSATION_CHARS = 4 * MAX_TEXT_CHARS


def check_question(text: str) -> str:
    """``text`` when it is within the limit, else a DataError saying how to shorten it."""
    if len(text) > MAX_TEXT_CHARS:
        raise DataError(f"The question is {len(text):,} characters long; an agent reads at "
                        f"most {MAX_TEXT_CHARS:,}.", "Shorten it to the part that matters "
                        "and ask again.",
                        zh=f"这个问题有 {len(text):,} 个字符，智能体最多读 {MAX_TEXT_CHARS:,} 个。"
                           "请只保留关键部分后再问。")
    return text


def recent(messages: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    """The newest ``messages`` within the conversation limits (a chat that goes on
    forgets its oldest turns), starting with a user's message."""
    kept: list[dict[str, str]] = []
    size = 0
    for message in reversed(messages):
        size += len(message["content"])
        if len(kept) == MAX_MESSAGES or size > MAX_CONVERSATION_CHARS:
            break
        kept.insert(0, message)
    while kept and kept[0]["role"] != "user":
        kept.pop(0)
    return kept


def cut(texts: Sequence[str]) -> list[str]:
    """The texts, each cut to the limit (what every agent reads)."""
    return [text[:MAX_TEXT_CHARS] for text in texts]


def long_rows_note(texts: pd.Series) -> tuple[str, str] | None:
    """(English, Chinese) naming the rows of a file (the header is row 1) whose text the
    agent read only the start of; None when none is over the limit."""
    rows = [i + 2 for i, text in enumerate(texts.astype(str)) if len(text) > MAX_TEXT_CHARS]
    if not rows:
        return None
    named = ", ".join(map(str, rows[:MAX_ROWS_NAMED])) + (" ..." if len(rows) > MAX_ROWS_NAMED
                                                          else "")
    many = f"{len(rows):,} texts are" if len(rows) > 1 else "1 text is"
    return (f"{many} longer than {MAX_TEXT_CHARS:,} characters "
            f"({'rows' if len(rows) > 1 else 'row'} {named}, "
            f"counting the header as row 1): the agent read only their first {MAX_TEXT_CHARS:,} "
            "characters.",
            f"有 {len(rows):,} 条文本超过 {MAX_TEXT_CHARS:,} 个字符（第 {named} 行，表头算第 1 行）："
            f"智能体只读了它们的前 {MAX_TEXT_CHARS:,} 个字符。")
