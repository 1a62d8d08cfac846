"""Read chat data in the forms people have into conversations of role/content messages.

1. A sheet (CSV, TSV, Excel, or JSON lines with plain keys) with a question column and an
   answer column, optionally a system column (instructions, a persona): one row is one
   exchange. The columns are guessed from common English and Chinese names.
2. Alpaca (JSON or JSON lines): ``instruction``, ``input`` (added to the instruction),
   ``output``, optional ``system`` and ``history`` (earlier [question, answer] pairs).
3. Messages (JSON lines): ``{"messages": [{"role": ..., "content": ...}, ...]}``.
4. ShareGPT (JSON lines): ``{"conversations": [{"from": "human", "value": ...}, ...]}``.

A conversation is a list of ``{"role": "system" | "user" | "assistant", "content": str}``
(the trainer's contract). The reader keeps the messages as the file gives them, in their
order; ``checks.py`` says what is out of order, empty or duplicated. What cannot be read
at all (bad JSON, a role we do not know, no answer column) is a ``DataError`` naming the
rows or lines. The run folder keeps each split as JSON lines of ``{"messages": [...]}``
(``write_conversations``, ``read_split``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from playground import json_text
from playground.data.reading import DEFAULT_MAX_BYTES, detect_encoding, read_table
from playground.data.report import Problem
from playground.errors import DataError

ROLES = ("system", "user", "assistant")
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
# Names are compared lower-cased, with spaces and hyphens as underscores; first match wins.
QUESTION_NAMES = ("question", "questions", "prompt", "input", "query", "user", "q",
                  "问题", "提问", "问", "输入", "用户")
ANSWER_NAMES = ("answer", "answers", "response", "output", "reply", "completion",
                "assistant", "a", "回答", "答案", "答", "回复", "输出", "助手")
SYSTEM_NAMES = ("system", "system_prompt", "instructions", "persona", "系统提示",
                "系统提示词", "系统", "人设")
# ShareGPT's speakers, and the few other spellings tools write.
SPEAKERS = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant",
            "chatgpt": "assistant", "bot": "assistant", "model": "assistant",
            "system": "system"}
MAX_LISTED = 5  # rows or lines named in one message


@dataclass
class Conversation:
    """One example: its messages, and where it came from in the file."""

    messages: list[dict[str, str]]
    source: int = 0  # row of a sheet (the header is row 1), line of JSON lines, item of a list

    def to_dict(self) -> dict[str, Any]:
        return {"messages": self.messages}


@dataclass
class ConversationFile:
    """What ``read_conversations`` found: the conversations, the form of the file, the
    columns used (sheets) and why, and problems found while reading."""

    conversations: list[Conversation]
    format: str  # "sheet", "alpaca", "messages" or "sharegpt"
    file_name: str = ""
    unit: str = "row"  # what ``Conversation.source`` counts: "row", "line" or "item"
    columns: dict[str, str] = field(default_factory=dict)  # question/answer/system -> column
    column_reason: str = ""
    column_reason_zh: str = ""
    problems: list[Problem] = field(default_factory=list)


def where(unit: str, numbers: list[int]) -> str:
    """'row 4', 'lines 2, 7, 9 ...' (at most ``MAX_LISTED`` numbers)."""
    shown = ", ".join(str(n) for n in numbers[:MAX_LISTED])
    more = " ..." if len(numbers) > MAX_LISTED else ""
    return f"{unit}{'' if len(numbers) == 1 else 's'} {shown}{more}"


def where_zh(unit: str, numbers: list[int]) -> str:
    """'第 4 行', '第 2、7 项' (the same numbers as ``where``)."""
    more = " ..." if len(numbers) > MAX_LISTED else ""
    return f"第 {'、'.join(str(n) for n in numbers[:MAX_LISTED])}{more} {'项' if unit == 'item' else '行'}"


def read_conversations(path: str | Path, *, question_column: str | None = None,
                       answer_column: str | None = None, system_column: str | None = None,
                       max_bytes: int = DEFAULT_MAX_BYTES) -> ConversationFile:
    """Read a chat file in any of the forms of the module docstring. The columns are used
    for sheets only (guessed when not given); JSON lines in the alpaca, messages or
    ShareGPT form are recognised by their keys."""
    path = Path(path)
    found = read_chat_json(path, max_bytes=max_bytes)
    if found is not None:
        return found
    table = read_table(path, max_bytes=max_bytes)
    return read_conversation_table(table, question_column, answer_column, system_column,
                                   path.name)


def read_chat_json(path: str | Path, *,
                   max_bytes: int = DEFAULT_MAX_BYTES) -> ConversationFile | None:
    """The conversations of a JSON (lines) file in the alpaca, messages or ShareGPT form;
    None for any other file (a sheet, or JSON lines with plain keys, read as a table)."""
    path = Path(path)
    if path.suffix.lower() not in JSON_SUFFIXES or not path.is_file():
        return None
    records, unit = _json_records(path, max_bytes)
    return _read_records(records, unit, path.name)


def read_conversation_table(df: pd.DataFrame, question_column: str | None = None,
                            answer_column: str | None = None,
                            system_column: str | None = None,
                            file_name: str = "") -> ConversationFile:
    """One conversation per row: an optional system message, the question, the answer.
    A sheet with ``instruction`` and ``output`` columns (alpaca saved as a table) is read
    as alpaca."""
    df = df.rename(columns=lambda c: str(c).strip())
    columns = list(df.columns)
    existing = ", ".join(f"'{c}'" for c in columns)
    existing_zh = "、".join(f"“{c}”" for c in columns)
    for given in (question_column, answer_column, system_column):
        if given is not None and given not in columns:
            raise DataError(f"There is no column named '{given}' (columns: {existing}).",
                            "Pick one of the file's columns.",
                            zh=f"没有名为“{given}”的列（现有的列：{existing_zh}）。请选择文件中的一列。")
    by_name = {_normalise(c): c for c in reversed(columns)}  # the first look-alike wins
    if question_column is None and answer_column is None and \
            {"instruction", "output"} <= set(by_name):
        records = [{key: row[by_name[key]] for key in ("instruction", "input", "output",
                                                        "system") if key in by_name}
                   for row in df.to_dict("records")]
        found = _read_records(records, "row", file_name, first=2)
        assert found is not None
        return found
    picked, reasons, reasons_zh = {}, [], []
    for role, given, names, zh in (("question", question_column, QUESTION_NAMES, "问题"),
                                   ("answer", answer_column, ANSWER_NAMES, "回答"),
                                   ("system", system_column, SYSTEM_NAMES, "系统提示")):
        taken = set(picked.values())
        column = given or next((by_name[n] for n in names
                                if n in by_name and by_name[n] not in taken), None)
        if column is None:
            continue
        picked[role] = column
        if given is None:
            reasons.append(f"'{column}' is named like a{'n' if role == 'answer' else ''} "
                           f"{role} column")
            reasons_zh.append(f"“{column}”的列名像{zh}列")
    missing = [role for role in ("question", "answer") if role not in picked]
    if missing:
        _refuse_columns(missing, existing, existing_zh, file_name)
    if picked["question"] == picked["answer"]:
        raise DataError(f"The question and the answer are both the column "
                        f"'{picked['question']}'.", "Pick two different columns.",
                        zh=f"问题和回答都是“{picked['question']}”这一列。请选择两个不同的列。")
    result = ConversationFile([], "sheet", file_name, "row", picked,
                              "; ".join(reasons) + ("." if reasons else ""),
                              "；".join(reasons_zh) + ("。" if reasons_zh else ""))
    for row, record in enumerate(df.to_dict("records"), start=2):
        messages = []
        system = _cell(record.get(picked.get("system", ""), ""))
        if system:
            messages.append({"role": "system", "content": system})
        messages.append({"role": "user", "content": _cell(record[picked["question"]])})
        messages.append({"role": "assistant", "content": _cell(record[picked["answer"]])})
        result.conversations.append(Conversation(messages, row))
    return result


def _refuse_columns(missing: list[str], existing: str, existing_zh: str,
                    file_name: str) -> None:
    both = len(missing) == 2
    what = "question and answer columns" if both else f"{missing[0]} column"
    what_zh = "问题列和回答列" if both else ("问题列" if missing[0] == "question" else "回答列")
    raise DataError(
        f"No {what} {'were' if both else 'was'} found in {file_name or 'the file'} "
        f"(columns: {existing}).",
        "Name the columns 'question' and 'answer' (or 问题 and 回答; a 'system' column for "
        "instructions is optional), or pick them; JSON lines in the alpaca, messages or "
        "ShareGPT form work too.",
        zh=f"在{file_name or '文件'}中找不到{what_zh}（现有的列：{existing_zh}）。"
           "请把列命名为“问题”和“回答”（或 question 和 answer；可选的“系统提示”列写指令），"
           "或手动选择这些列；也可以使用 alpaca、messages 或 ShareGPT 格式的 JSON lines。")


def _json_records(path: Path, max_bytes: int) -> tuple[list[tuple[int, Any]], str]:
    """(line or item number, value) of a JSON lines file or a JSON list."""
    raw = path.read_bytes()[:max_bytes + 1]
    if len(raw) > max_bytes:
        raise DataError(f"The file {path.name} is larger than {max_bytes / 2**20:g} MB.",
                        "Split the conversations into smaller files.",
                        zh=f"文件 {path.name} 超过了 {max_bytes / 2**20:g} MB。"
                           "请把对话拆成几个较小的文件。")
    text = raw.decode(detect_encoding(raw), errors="replace").lstrip("\ufeff")
    if text.lstrip().startswith("["):
        try:
            items = json_text.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path.name} is not valid JSON (line {exc.lineno}: {exc.msg}).",
                            "Save one conversation per line (JSON lines), or fix that line.",
                            zh=f"{path.name} 不是有效的 JSON（第 {exc.lineno} 行：{exc.msg}）。"
                               "请每行保存一个对话（JSON lines），或修正这一行。") from exc
        return list(enumerate(items, start=1)), "item"
    records, bad = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append((number, json_text.loads(line)))
        except json.JSONDecodeError:
            bad.append(number)
    if bad:
        raise DataError(f"{where('line', bad).capitalize()} of {path.name} "
                        f"{'is' if len(bad) == 1 else 'are'} not valid JSON.",
                        "Put one JSON object per line, such as {\"messages\": [{\"role\": "
                        "\"user\", \"content\": \"...\"}, ...]}.",
                        zh=f"{path.name} 的{where_zh('line', bad)}不是有效的 JSON。"
                           "请每行放一个 JSON 对象，例如 {\"messages\": [{\"role\": \"user\", "
                           "\"content\": \"...\"}, ...]}。")
    return records, "line"


def _form(record: Any) -> str | None:
    if not isinstance(record, dict):
        return None
    if "messages" in record:
        return "messages"
    if "conversations" in record:
        return "sharegpt"
    if "instruction" in record and "output" in record:
        return "alpaca"
    return None


def _read_records(records: list[tuple[int, Any]] | list[dict[str, Any]], unit: str,
                  file_name: str, first: int = 1) -> ConversationFile | None:
    """Conversations from the records of one form (the first record's); None when the
    records are none of the forms (a sheet saved as JSON lines, read as a table)."""
    numbered = [r if isinstance(r, tuple) else (n, r) for n, r in enumerate(records, first)]
    form = next((_form(r) for _, r in numbered if _form(r)), None)
    if form is None:
        return None
    result = ConversationFile([], form, file_name, unit)
    bad: list[tuple[int, str, str]] = []  # (number, why, why in Chinese)
    for number, record in numbered:
        try:
            messages = _PARSE[form](record)
        except _Unreadable as why:
            bad.append((number, why.en, why.zh))
            continue
        result.conversations.append(Conversation(messages, number))
    if bad:
        _refuse_records(bad, form, unit, file_name)
    return result


class _Unreadable(Exception):
    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en, self.zh = en, zh


def _messages(record: Any) -> list[dict[str, str]]:
    items = record.get("messages") if isinstance(record, dict) else None
    return _turns(items, "messages", "role", "content", {r: r for r in ROLES})


def _sharegpt(record: Any) -> list[dict[str, str]]:
    items = record.get("conversations") if isinstance(record, dict) else None
    messages = _turns(items, "conversations", "from", "value", SPEAKERS)
    system = _text(record.get("system"), "system")
    return ([{"role": "system", "content": system}] if system else []) + messages


def _alpaca(record: Any) -> list[dict[str, str]]:
    if not isinstance(record, dict) or "output" not in record:
        raise _Unreadable("it has no 'output'", "缺少“output”")
    messages = []
    system = _text(record.get("system"), "system")
    if system:
        messages.append({"role": "system", "content": system})
    history = record.get("history") or []
    if not isinstance(history, list) or not all(
            isinstance(pair, list) and len(pair) == 2 for pair in history):
        raise _Unreadable("'history' is not a list of [question, answer] pairs",
                          "“history”不是 [问题, 回答] 对的列表")
    for question, answer in history:
        messages += [{"role": "user", "content": _text(question, "history")},
                     {"role": "assistant", "content": _text(answer, "history")}]
    question = "\n\n".join(filter(None, (_text(record.get("instruction"), "instruction"),
                                         _text(record.get("input"), "input"))))
    return messages + [{"role": "user", "content": question},
                       {"role": "assistant", "content": _text(record["output"], "output")}]


_PARSE = {"messages": _messages, "sharegpt": _sharegpt, "alpaca": _alpaca}


def _turns(items: Any, key: str, role_key: str, text_key: str,
           roles: dict[str, str]) -> list[dict[str, str]]:
    if not isinstance(items, list) or not items:
        raise _Unreadable(f"'{key}' is not a list of messages", f"“{key}”不是消息列表")
    messages = []
    for item in items:
        if not isinstance(item, dict) or role_key not in item or text_key not in item:
            raise _Unreadable(f"a message lacks '{role_key}' or '{text_key}'",
                              f"有一条消息缺少“{role_key}”或“{text_key}”")
        role = roles.get(str(item[role_key]).strip().lower())
        if role is None:
            raise _Unreadable(f"the {role_key} '{item[role_key]}' is not one of "
                              f"{', '.join(sorted(set(roles)))}",
                              f"{role_key}“{item[role_key]}”不是 {'、'.join(sorted(set(roles)))} 之一")
        messages.append({"role": role, "content": _text(item[text_key], text_key)})
    return messages


def _text(value: Any, key: str) -> str:
    """A message's text: a string, a number, or OpenAI's list of text parts."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list) and all(isinstance(p, dict) and p.get("type") == "text"
                                       for p in value):
        return "".join(str(p.get("text", "")) for p in value).strip()
    raise _Unreadable(f"'{key}' holds {type(value).__name__}, not text",
                      f"“{key}”中不是文本（是 {type(value).__name__}）")


def _refuse_records(bad: list[tuple[int, str, str]], form: str, unit: str,
                    file_name: str) -> None:
    shown = "; ".join(f"{unit} {n}: {why}" for n, why, _ in bad[:MAX_LISTED])
    shown_zh = "；".join(f"{where_zh(unit, [n])}：{why}" for n, _, why in bad[:MAX_LISTED])
    more = " ..." if len(bad) > MAX_LISTED else ""
    example = {"messages": '{"messages": [{"role": "user", "content": "..."}, '
                           '{"role": "assistant", "content": "..."}]}',
               "sharegpt": '{"conversations": [{"from": "human", "value": "..."}, '
                           '{"from": "gpt", "value": "..."}]}',
               "alpaca": '{"instruction": "...", "input": "", "output": "..."}'}[form]
    raise DataError(
        f"{len(bad):,} {unit}{'' if len(bad) == 1 else 's'} of {file_name or 'the file'} "
        f"could not be read as {form} conversations ({shown}{more}).",
        f"Write each as {example}; roles are system, user and assistant.",
        zh=f"{file_name or '文件'}中有 {len(bad):,} {'项' if unit == 'item' else '行'}无法按 "
           f"{form} 格式读取为对话（{shown_zh}{more}）。请写成 {example}；"
           "角色为 system、user 和 assistant。")


def _normalise(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def write_conversations(path: Path,
                        conversations: Iterable[Conversation | list[dict[str, str]]]) -> None:
    """One JSON object per line, ``{"messages": [...]}`` (the run folder's form, which
    ``read_conversations`` and TRL read too)."""
    with Path(path).open("w", encoding="utf-8") as fh:
        for conversation in conversations:
            messages = getattr(conversation, "messages", conversation)
            fh.write(json.dumps({"messages": messages}, ensure_ascii=False) + "\n")


def read_split(path: Path) -> list[list[dict[str, str]]]:
    """The conversations ``write_conversations`` wrote, each a list of messages."""
    with Path(path).open(encoding="utf-8") as fh:
        return [json.loads(line)["messages"] for line in fh if line.strip()]
