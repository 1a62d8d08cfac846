"""Read named-entity data in three forms into sentences of tokens with one tag each.

1. CoNLL-style text: one token and its tag per line (more columns are allowed; the
   first is the token, the last the tag), a blank line between sentences.
2. A table (CSV, Excel, JSON lines) with a tokens column and a tags column, each a JSON
   list or space-separated words. Chinese tokens may be one string: one tag per character.
3. A table with a text column and entity spans, so entities can be labelled in a
   spreadsheet: one row per entity with ``start``/``end`` character offsets (counting
   from 0, end just after the last character) and a ``type``, or an ``entity`` column
   with the entity's words instead of offsets. Rows with the same text are one sentence;
   a row with no entity keeps a sentence that has none.

Tags may be BIO (IOB2), IOB1, BIOES, BMES or BILOU; ``entity_checks`` turns them all into
BIO. Chinese is tagged per character: ``split_tokens`` cuts every CJK character into a
token of its own, and other text into words and punctuation marks.

Problems in single rows or lines are collected (``EntityFile.problems``); a file that
cannot be read as any of the forms raises a ``DataError`` that says what to fix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from playground import json_text
from playground.data.reading import DEFAULT_MAX_BYTES, detect_encoding, read_table
from playground.data.report import Problem, count_noun
from playground.errors import DataError

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
# A CJK character alone, a run of other word characters, or one other visible character.
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+|\S")
_TAG = re.compile(r"^([BIEMSLU])[-_](.+)$")
TABLE_SUFFIXES = {".csv", ".tsv", ".xlsx", ".xlsm", ".xls", ".json", ".jsonl", ".ndjson"}
TOKEN_NAMES = ("tokens", "words", "token", "word", "chars", "characters", "字", "词")
TAG_NAMES = ("tags", "ner_tags", "ner", "tag", "labels", "label", "bio", "标签", "标注")
TEXT_NAMES = ("text", "sentence", "content", "文本", "句子", "内容")
MAX_LISTED = 5  # line or row numbers named in one message
_CONLL_SHARE = 0.9  # share of lines whose last field is a tag, for a file to count as CoNLL


@dataclass
class Sentence:
    """One example: tokens and their tags (as read, any scheme), and where it came from."""

    tokens: list[str]
    tags: list[str]
    source: int = 0  # first line (CoNLL) or row (tables, counting the header as row 1)

    def to_dict(self) -> dict[str, Any]:
        return {"tokens": self.tokens, "tags": self.tags}


@dataclass
class EntityFile:
    """What ``read_entities`` found: the sentences, the form of the file, and problems."""

    sentences: list[Sentence]
    format: str  # "conll", "tokens-table" or "spans-table"
    file_name: str = ""
    columns: dict[str, str] = field(default_factory=dict)  # role -> column name (tables)
    problems: list[Problem] = field(default_factory=list)


def split_tokens(text: str) -> list[tuple[str, int, int]]:
    """Tokens of ``text`` with their character offsets: every CJK character alone, runs of
    letters and digits, and each other visible character."""
    return [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def is_cjk(text: str) -> bool:
    """Whether ``text`` holds at least one CJK ideograph."""
    return re.search(f"[{_CJK}]", text) is not None


# Tokens read with no space before them (closing marks, English clitics), or after them;
# an apostrophe split off on its own ("Peet", "'", "s") joins both sides.
_CLOSING = {".", ",", "!", "?", ";", ":", "%", ")", "]", "}", "'s", "n't", "'re", "'ll",
            "'ve", "'m", "'d", "”", "’", "'"}
_OPENING = {"(", "[", "{", "$", "“", "‘", "'", "’"}


def shown_text(tokens: Sequence[str]) -> str:
    """``tokens`` as a person would write them: Chinese without spaces, other text with a
    space between words but none before "." or after "(" ("in Boston.", not "in Boston .")."""
    if any(is_cjk(t) for t in tokens):
        return "".join(tokens)
    text = ""
    for token in tokens:
        if text and token not in _CLOSING and text[-1] not in _OPENING:
            text += " "
        text += token
    return text


def entity_text(tokens: Sequence[str], tags: Sequence[str]) -> str:
    """The entities that ``tags`` mark in ``tokens``: "PER: Anna Lee; LOC: Boston"."""
    return "; ".join(f"{kind}: {shown_text(tokens[a:b])}"
                     for a, b, kind in spans_from_tags(tags))


def parse_tag(tag: str) -> tuple[str, str] | None:
    """("O", "") for outside, (prefix, type) for B-PER, E_LOC...; None for anything else."""
    tag = tag.strip()
    if tag == "O":
        return "O", ""
    match = _TAG.match(tag)
    return (match.group(1), match.group(2)) if match else None


def spans_from_tags(tags: list[str]) -> list[tuple[int, int, str]]:
    """Entities of a BIO tag sequence as (first token, token after the last, type)."""
    spans: list[tuple[int, int, str]] = []
    start, kind = None, ""
    for i, tag in enumerate([*tags, "O"]):
        prefix, typ = parse_tag(tag) or ("O", "")
        if start is not None and not (prefix == "I" and typ == kind):
            spans.append((start, i, kind))
            start = None
        if prefix in ("B", "I") and start is None:
            start, kind = i, typ
    return spans


def read_entities(path: str | Path, *, tokens_column: str | None = None,
                  tags_column: str | None = None,
                  max_bytes: int = DEFAULT_MAX_BYTES) -> EntityFile:
    """Read a named-entity file in any of the three forms (see the module docstring).

    ``tokens_column`` names the tokens column (or the text column of a spans table) and
    ``tags_column`` the tags column; both are guessed when not given.
    """
    path = Path(path)
    if path.suffix.lower() not in TABLE_SUFFIXES and path.is_file():
        raw = path.read_bytes()[:max_bytes + 1]
        if len(raw) > max_bytes:
            raise DataError(f"The file {path.name} is larger than {max_bytes / 2**20:g} MB.",
                            "Split the sentences into smaller files.",
                            zh=f"文件 {path.name} 超过了 {max_bytes / 2**20:g} MB。"
                               "请把句子拆成几个较小的文件。")
        text = raw.decode(detect_encoding(raw)).lstrip("\ufeff")
        if looks_like_conll(text):
            return read_conll(text, path.name)
    table = read_table(path, max_bytes=max_bytes)
    return read_entity_table(table, tokens_column, tags_column, path.name)


def is_conll_file(path: str | Path, sample_bytes: int = 200_000) -> bool:
    """Whether ``path`` holds tagged tokens one per line (CoNLL) rather than a table."""
    path = Path(path)
    if path.suffix.lower() in TABLE_SUFFIXES or not path.is_file():
        return False
    raw = path.read_bytes()[:sample_bytes]
    return looks_like_conll(raw.decode(detect_encoding(raw), errors="replace").lstrip("\ufeff"))


def looks_like_conll(text: str) -> bool:
    """Whether the lines look like "token ... tag": most end in a tag, or in one of a few
    short values (tags of a scheme we do not know, reported later) with blank lines between
    sentences. A header row ("token tag") is allowed."""
    lines = [line for line in text.splitlines()[:2000] if not line.startswith("-DOCSTART-")]
    filled = [line.split() for line in lines if line.strip()]
    if filled and filled[0][-1].lower() in TAG_NAMES:
        filled = filled[1:]
    last = [fields[-1] for fields in filled if len(fields) >= 2]
    if not filled or len(last) < len(filled) / 2:  # lines without a tag are reported later
        return False
    tagged = sum(1 for tag in last if parse_tag(tag) is not None)
    if tagged >= _CONLL_SHARE * len(last):
        return True
    # Tags of an unknown scheme: few distinct values after short lines, and an "O" or
    # blank lines between sentences, which a table does not have.
    short = sum(1 for fields in filled if len(fields) <= 4) >= _CONLL_SHARE * len(filled)
    separated = "O" in last or any(not line.strip() for line in lines)
    return short and separated and len(set(last)) <= 60


def read_conll(text: str, file_name: str = "") -> EntityFile:
    """Sentences from CoNLL-style lines: token ... tag, a blank line between sentences."""
    sentences: list[Sentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    start = 0
    untagged: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if number == 1 and line.split() and line.split()[-1].lower() in TAG_NAMES:
            continue  # a header row
        if not line.strip() or line.startswith("-DOCSTART-"):
            if tokens:
                sentences.append(Sentence(tokens, tags, start))
            tokens, tags = [], []
            continue
        fields = line.rstrip("\r\n").split("\t") if "\t" in line.strip() else line.split()
        fields = [f for f in fields if f.strip()]
        if len(fields) < 2:
            untagged.append(number)
            continue
        if not tokens:
            start = number
        tokens.append(fields[0].strip())
        tags.append(fields[-1].strip())
    if tokens:
        sentences.append(Sentence(tokens, tags, start))
    result = EntityFile(sentences, "conll", file_name)
    if untagged:
        result.problems.append(Problem(
            "error", "count_mismatch",
            f"{count_noun(len(untagged), 'line')} of {file_name or 'the file'} "
            f"{'has' if len(untagged) == 1 else 'have'} a token but no tag ({_lines(untagged)}). "
            "Put the tag after the token on each line, separated by a tab, such as 'Paris<TAB>B-LOC'.",
            f"{file_name or '文件'}中有 {len(untagged):,} 行只有词没有标注（{_lines_zh(untagged)}）。"
            "请在每行的词后面用制表符隔开写上标注，例如“Paris<TAB>B-LOC”。"))
    return result


def read_entity_table(df: pd.DataFrame, tokens_column: str | None = None,
                      tags_column: str | None = None, file_name: str = "") -> EntityFile:
    """Sentences from a table: tokens and tags columns, or a text column with spans."""
    df = df.rename(columns=lambda c: str(c).strip())
    columns = list(df.columns)
    existing = ", ".join(f"'{c}'" for c in columns)
    for given in (tokens_column, tags_column):
        if given is not None and given not in columns:
            raise DataError(f"There is no column named '{given}' (columns: {existing}).",
                            "Pick one of the file's columns.",
                            zh=f"没有名为“{given}”的列（现有的列：{existing}）。请选择文件中的一列。")
    lower = {c.lower(): c for c in columns}
    spans = {role: lower.get(role) for role in ("start", "end", "type", "entity")}
    text = tokens_column or _named(lower, TEXT_NAMES)
    if spans["type"] and (spans["entity"] or (spans["start"] and spans["end"])) and text:
        return _read_spans(df, text, spans, file_name)
    tokens = tokens_column or _named(lower, TOKEN_NAMES)
    tags = tags_column or _named(lower, TAG_NAMES)
    if tokens is None or tags is None or tokens == tags:
        raise DataError(
            f"No columns for entities were found in {file_name or 'the file'} (columns: {existing}).",
            "Use a 'tokens' and a 'tags' column (such as 'Anna lives in Paris' and "
            "'B-PER O O B-LOC'), or a 'text' column with 'start', 'end' and 'type' columns "
            "for each entity, or a CoNLL file with one token and its tag per line.",
            zh=f"在{file_name or '文件'}中找不到实体所需的列（现有的列：{existing}）。"
               "请使用“tokens”和“tags”两列（例如“Anna lives in Paris”和“B-PER O O B-LOC”），"
               "或一个“text”列加上每个实体的“start”“end”“type”列，"
               "或每行一个词及其标注的 CoNLL 文件。")
    return _read_token_table(df, tokens, tags, file_name)


def _read_token_table(df: pd.DataFrame, tokens_column: str, tags_column: str,
                      file_name: str) -> EntityFile:
    result = EntityFile([], "tokens-table", file_name,
                        {"tokens": tokens_column, "tags": tags_column})
    mismatched: list[str] = []
    mismatched_zh: list[str] = []
    for row, (raw_tokens, raw_tags) in enumerate(zip(df[tokens_column], df[tags_column]), 2):
        tokens, tags = _cell_list(raw_tokens), _cell_list(raw_tags)
        if not tokens and not tags:
            continue
        if len(tokens) == 1 and len(tags) > 1 and is_cjk(tokens[0]):
            tokens = list(tokens[0])  # Chinese written as one string: one tag per character
        if len(tokens) != len(tags):
            mismatched.append(f"row {row}: {count_noun(len(tokens), 'token')}, "
                              f"{count_noun(len(tags), 'tag')}")
            mismatched_zh.append(f"第 {row} 行：{len(tokens)} 个词，{len(tags)} 个标注")
            continue
        result.sentences.append(Sentence(tokens, tags, row))
    if mismatched:
        shown = "; ".join(mismatched[:MAX_LISTED]) + (" ..." if len(mismatched) > MAX_LISTED else "")
        result.problems.append(Problem(
            "error", "count_mismatch",
            f"{count_noun(len(mismatched), 'row')} of {file_name or 'the file'} "
            f"{'has' if len(mismatched) == 1 else 'have'} a different number of tokens and tags "
            f"({shown}). Give exactly one tag per token (Chinese: one per character).",
            f"{file_name or '文件'}中有 {len(mismatched):,} 行词数和标注数不一致"
            f"（{'；'.join(mismatched_zh[:MAX_LISTED])}{' ...' if len(mismatched) > MAX_LISTED else ''}）。"
            "每个词（中文为每个字）需要正好一个标注。"))
    return result


def _read_spans(df: pd.DataFrame, text_column: str, columns: dict[str, str | None],
                file_name: str) -> EntityFile:
    """Rows of (text, start, end, type) or (text, entity, type), grouped by text."""
    result = EntityFile([], "spans-table", file_name,
                        {"text": text_column, **{k: v for k, v in columns.items() if v}})
    order: dict[str, int] = {}  # text -> row of its first appearance
    spans: dict[str, list[tuple[int, int, str, int]]] = {}
    bad: list[str] = []
    bad_rows: list[int] = []
    for row, record in enumerate(df.to_dict("records"), start=2):
        text = str(record[text_column])
        if not text.strip():
            continue
        order.setdefault(text, row)
        spans.setdefault(text, [])
        kind = str(record.get(columns["type"] or "", "")).strip()
        entity = str(record.get(columns["entity"] or "", "") or "").strip()
        start = str(record.get(columns["start"] or "", "") or "").strip()
        end = str(record.get(columns["end"] or "", "") or "").strip()
        if not (kind or entity or start or end):
            continue  # a sentence with no entity
        span, why = _locate(text, kind, entity, start, end, spans[text])
        if span is None:
            bad.append(f"row {row}: {why}")
            bad_rows.append(row)
        else:
            spans[text].append((*span, kind, row))
    if bad:
        shown = "; ".join(bad[:MAX_LISTED]) + (" ..." if len(bad) > MAX_LISTED else "")
        result.problems.append(Problem(
            "error", "bad_spans",
            f"{count_noun(len(bad), 'entity row')} could not be placed in the text ({shown}). "
            "start is the position of the entity's first character, counting from 0, and end "
            "the position just after its last; or give the entity's words in an 'entity' column.",
            f"有 {len(bad):,} 个实体行无法在文本中找到位置（{_lines_zh(bad_rows)}）。"
            "start 是实体第一个字符的位置（从 0 开始），end 是最后一个字符之后的位置；"
            "也可以在“entity”列中写出实体的原文。"))
    split_words: list[int] = []
    for text, first_row in order.items():
        sentence, cut = _tag_text(text, spans[text], first_row)
        split_words.extend(cut)
        result.sentences.append(sentence)
    if split_words:
        result.problems.append(Problem(
            "warning", "span_inside_word",
            f"{count_noun(len(split_words), 'entity')} start or end inside a word "
            f"({_rows(split_words)}); the whole word was tagged. Check the offsets of those rows.",
            f"有 {len(split_words):,} 个实体的起止位置落在单词中间（{_lines_zh(split_words)}），"
            "已按整个单词标注。请检查这些行的位置。"))
    return result


def _locate(text: str, kind: str, entity: str, start: str, end: str,
            taken: list[tuple[int, int, str, int]]) -> tuple[tuple[int, int] | None, str]:
    """The (start, end) of one entity row in ``text``, or None and the reason."""
    if not kind:
        return None, "the type is empty"
    if start or end:
        try:
            first, last = int(float(start)), int(float(end))
        except ValueError:
            return None, f"start '{start}' and end '{end}' must be whole numbers"
        if not 0 <= first < last <= len(text):
            return None, f"{first}–{last} is outside the text's {len(text)} characters"
        if entity and text[first:last].strip() != entity:
            return None, f"the text at {first}–{last} is '{text[first:last]}', not '{entity}'"
    else:
        after = max((e for _, e, _, _ in taken), default=0)
        first = text.find(entity, after)
        first = text.find(entity) if first < 0 else first
        if first < 0:
            return None, f"'{entity}' is not in the text"
        last = first + len(entity)
    for s, e, _, other in taken:
        if first < e and s < last:
            return None, f"it overlaps the entity of row {other}"
    return (first, last), ""


def _tag_text(text: str, spans: list[tuple[int, int, str, int]],
              row: int) -> tuple[Sentence, list[int]]:
    """Tokens of ``text`` tagged BIO from character spans; rows whose span cuts a word."""
    tokens = split_tokens(text)
    tags = ["O"] * len(tokens)
    cut = []
    for first, last, kind, span_row in sorted(spans):
        inside = [i for i, (_, s, e) in enumerate(tokens) if s < last and first < e]
        if any(tokens[i][1] < first or tokens[i][2] > last for i in inside):
            cut.append(span_row)
        for n, i in enumerate(inside):
            tags[i] = f"{'B' if n == 0 else 'I'}-{kind}"
    return Sentence([t for t, _, _ in tokens], tags, row), cut


def _cell_list(value: Any) -> list[str]:
    """A JSON list or space-separated words from one cell."""
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    text = text.strip()
    if text.startswith("["):
        try:
            items = json_text.loads(text)
        except json.JSONDecodeError:
            items = None
        if isinstance(items, list):
            return [str(item) for item in items]
    return text.split()


def _named(lower: dict[str, str], names: Iterable[str]) -> str | None:
    return next((lower[name] for name in names if name in lower), None)


def write_sentences(path: Path, sentences: Iterable[Sentence]) -> None:
    """One JSON object per line: {"tokens": [...], "tags": [...]} (the run folder's form)."""
    with path.open("w", encoding="utf-8") as fh:
        for sentence in sentences:
            fh.write(json.dumps(sentence.to_dict(), ensure_ascii=False) + "\n")


def read_sentences(path: Path) -> list[Sentence]:
    """The sentences ``write_sentences`` wrote."""
    with path.open(encoding="utf-8") as fh:
        return [Sentence(**json.loads(line)) for line in fh if line.strip()]


def _lines(numbers: list[int], noun: str = "line") -> str:
    shown = ", ".join(str(n) for n in numbers[:MAX_LISTED])
    more = " ..." if len(numbers) > MAX_LISTED else ""
    return f"{noun}{'' if len(numbers) == 1 else 's'} {shown}{more}"


def _rows(numbers: list[int]) -> str:
    return _lines(numbers, "row")


def _lines_zh(numbers: list[int]) -> str:
    """"第 3、7 行" (line or row numbers, as in the English messages)."""
    more = " ..." if len(numbers) > MAX_LISTED else ""
    return f"第 {'、'.join(str(n) for n in numbers[:MAX_LISTED])}{more} 行"
