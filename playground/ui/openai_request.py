"""The body of an OpenAI chat-completions call, read and checked: the agent it names, the
conversation, and how to write the answer. A field that is missing, of the wrong type or
out of range is refused with a sentence naming it (``messages[2].role``), as OpenAI's own
API names its ``param``. Fields the playground does not use (``presence_penalty``,
``user``...) are ignored, so the tools that send them still work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playground import json_text
from playground.data.limits import MAX_CONVERSATION_CHARS, MAX_MESSAGES, MAX_TEXT_CHARS
from playground.errors import DataError
from playground.service.agents import MAX_NEW_TOKENS, Sampling

ROLES = ("system", "user", "assistant")
MAX_MODEL_CHARS = 200  # a run id is about 25: a longer name is no run's
# The longest conversation allowed, as JSON, with room for escapes (\u4e2d is 6 bytes).
MAX_BODY_BYTES = 8 * MAX_CONVERSATION_CHARS + 64_000
# (field, lowest, highest, whole numbers only): the bounds of Sampling, by OpenAI's names
SETTINGS = (("temperature", 0.0, 2.0, False), ("top_p", 0.0, 1.0, False),
            ("max_tokens", 1, MAX_NEW_TOKENS, True))


class BadField(DataError):
    """A field of the request the agent cannot take; ``param`` names it."""

    def __init__(self, param: str, message: str, hint: str, zh: str) -> None:
        super().__init__(message, hint, zh=zh)
        self.param = param


@dataclass(frozen=True)
class ChatRequest:
    model: str  # the run id of the agent
    messages: list[dict[str, str]]  # user and assistant turns, the user's last
    sampling: Sampling  # the system prompt (the system messages) and the settings
    stream: bool


def read_body(body: bytes) -> ChatRequest:
    """The checked request of a chat-completions call's JSON ``body``, or a BadField."""
    if len(body) > MAX_BODY_BYTES:
        raise BadField("messages", f"The request is {len(body):,} bytes long; a "
                       f"conversation may be at most {MAX_CONVERSATION_CHARS:,} characters.",
                       "Send fewer or shorter messages.",
                       zh=f"请求有 {len(body):,} 字节；一段对话最多 {MAX_CONVERSATION_CHARS:,} 个"
                          "字符。请发送更少或更短的消息。")
    try:
        data = json_text.loads(body)
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise BadField("body", "The request is not a JSON object.",
                       'Send {"model": "RUN_ID", "messages": [{"role": "user", '
                       '"content": "..."}]}.',
                       zh='请求不是 JSON 对象。请发送 {"model": "RUN_ID", "messages": '
                          '[{"role": "user", "content": "..."}]}。')
    model = data.get("model")
    if not isinstance(model, str) or not model.strip() or len(model) > MAX_MODEL_CHARS:
        raise BadField("model", "The field model is missing, or is not a run id.",
                       "Name the agent's run id; GET /v1/models lists them.",
                       zh="缺少字段 model，或它不是训练记录 ID。请写上智能体的训练记录 ID；"
                          "GET /v1/models 可列出它们。")
    system, messages = _conversation(data.get("messages"))
    settings = _settings(data)
    if data.get("n") not in (None, 1):
        raise BadField("n", f"n is {data['n']!r}; an agent writes one answer per call.",
                       "Leave n out, or set it to 1.",
                       zh=f"n 的值是 {data['n']!r}；智能体每次只写一个回答。请去掉 n，或设为 1。")
    stream = data.get("stream")
    if stream not in (None, True, False):
        raise BadField("stream", f"stream is {stream!r}; it must be true or false.",
                       "Set stream to true or false.",
                       zh=f"stream 的值是 {stream!r}，必须是 true 或 false。请改为 true 或 false。")
    return ChatRequest(model.strip(), messages, Sampling(system=system, **settings).checked(),
                       bool(stream))


def _settings(data: dict[str, Any]) -> dict[str, Any]:
    """Sampling's fields from the body's; a BadField naming one out of range."""
    data = {**data, "max_tokens": data.get("max_completion_tokens", data.get("max_tokens"))}
    settings: dict[str, Any] = {}
    for field, low, high, whole in SETTINGS:
        value = data.get(field)
        if value is None:
            continue
        kind = int if whole else int | float
        if isinstance(value, bool) or not isinstance(value, kind) or not low <= value <= high:
            number = "a whole number" if whole else "a number"
            raise BadField(field, f"{field} is {value!r}; it must be {number} between {low} "
                           f"and {high}.", f"Set {field} within that range, or leave it out.",
                           zh=f"{field} 的值是 {value!r}，必须是 {low} 到 {high} 之间的"
                              f"{'整数' if whole else '数'}。请在这个范围内设置 {field}，或去掉它。")
        settings["max_new_tokens" if field == "max_tokens" else field] = value
    return settings


def _conversation(messages: Any) -> tuple[str, list[dict[str, str]]]:
    """(the system prompt, the user and assistant turns) of the body's ``messages``."""
    if not isinstance(messages, list) or not messages:
        raise BadField("messages", "The field messages is missing or empty.",
                       'Send a list such as [{"role": "user", "content": "Hello"}].',
                       zh='缺少字段 messages，或它是空的。请发送一个列表，例如 '
                          '[{"role": "user", "content": "你好"}]。')
    if len(messages) > MAX_MESSAGES:
        raise BadField("messages", f"The conversation has {len(messages):,} messages; an agent "
                       f"reads at most {MAX_MESSAGES}.", "Send only the latest turns.",
                       zh=f"这段对话有 {len(messages):,} 条消息，智能体最多读 {MAX_MESSAGES} 条。"
                          "请只发送最近的几轮。")
    system: list[str] = []
    turns: list[dict[str, str]] = []
    size = 0
    for i, message in enumerate(messages):
        role, content = _message(i, message)
        size += len(content)
        if size > MAX_CONVERSATION_CHARS:
            raise BadField(f"messages[{i}].content", f"The conversation is longer than "
                           f"{MAX_CONVERSATION_CHARS:,} characters at messages[{i}].",
                           "Send only the latest turns, or shorter ones.",
                           zh=f"对话在 messages[{i}] 处超过了 {MAX_CONVERSATION_CHARS:,} 个字符。"
                              "请只发送最近的几轮，或更短的消息。")
        if role == "system":
            system.append(content)
        else:
            last = i  # the index of the newest turn, to name it
            turns.append({"role": role, "content": content})
    if role != "user":  # of the last message
        where = f"messages[{len(messages) - 1}].role"
        raise BadField(where, f"{where} is {role!r}; the last message must be the user's.",
                       "End the conversation with the user's message, the one to answer.",
                       zh=f"{where} 的值是 {role!r}；最后一条消息必须是用户的。"
                          "请以用户的消息（要回答的那条）结束对话。")
    if not turns[-1]["content"].strip():
        raise BadField(f"messages[{last}].content", f"messages[{last}].content is empty.",
                       "Write the question to answer.",
                       zh=f"messages[{last}].content 是空的。请写上要回答的问题。")
    prompt = "\n\n".join(system)
    if len(prompt) > MAX_TEXT_CHARS:
        raise BadField("messages", f"The system messages are {len(prompt):,} characters "
                       f"long together; an agent reads at most {MAX_TEXT_CHARS:,}.",
                       "Shorten the instructions.",
                       zh=f"系统消息合计 {len(prompt):,} 个字符，智能体最多读 {MAX_TEXT_CHARS:,} 个。"
                          "请缩短这些指示。")
    return prompt, turns


def _message(i: int, message: Any) -> tuple[str, str]:
    """(role, content) of ``messages[i]``; content parts of text are joined."""
    role = message.get("role") if isinstance(message, dict) else None
    if role not in ROLES:
        raise BadField(f"messages[{i}].role", f"messages[{i}].role is {role!r}; it must be "
                       "system, user or assistant.", "Use one of those three roles.",
                       zh=f"messages[{i}].role 的值是 {role!r}，必须是 system、user 或 "
                          "assistant。请使用这三种角色之一。")
    content = message.get("content")
    if isinstance(content, list):  # [{"type": "text", "text": "..."}], as newer clients send
        texts = [part.get("text") for part in content if isinstance(part, dict)
                 and part.get("type") == "text"]
        content = "\n".join(texts) if len(texts) == len(content) and \
            all(isinstance(t, str) for t in texts) else None
    if not isinstance(content, str):
        raise BadField(f"messages[{i}].content", f"messages[{i}].content is not text.",
                       "Send the message's words as a string (agents read text only).",
                       zh=f"messages[{i}].content 不是文本。请以字符串发送消息内容（智能体只读文本）。")
    if len(content) > MAX_TEXT_CHARS:
        raise BadField(f"messages[{i}].content", f"messages[{i}].content is {len(content):,} "
                       f"characters long; an agent reads at most {MAX_TEXT_CHARS:,}.",
                       "Shorten it to the part that matters.",
                       zh=f"messages[{i}].content 有 {len(content):,} 个字符，智能体最多读 "
                          f"{MAX_TEXT_CHARS:,} 个。请只保留关键部分。")
    return role, content
