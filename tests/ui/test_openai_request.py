"""The body of a chat-completions call as the /v1 API reads it: system messages become
the instructions, text parts are joined, fields it does not use are ignored, and every
field at fault is named (the live API is tested with the openai client in
test_chat_app.py and test_agents_app.py)."""

from __future__ import annotations

import json

import pytest

from playground.data.limits import MAX_CONVERSATION_CHARS
from playground.ui.openai_request import BadField, read_body


def _body(**fields) -> bytes:
    return json.dumps({"model": "run-1", "messages": [{"role": "user", "content": "hi"}],
                       **fields}).encode()


def test_a_conversation_and_its_settings_are_read() -> None:
    asked = read_body(_body(messages=[
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "what is"},
                                     {"type": "text", "text": "your name"}]},
        {"role": "assistant", "content": "Ada"},
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "and your maker?"}],
        temperature=0, top_p=0.5, max_completion_tokens=12, stream=True,
        presence_penalty=0.3, user="someone"))
    assert asked.model == "run-1" and asked.stream
    assert asked.messages == [{"role": "user", "content": "what is\nyour name"},
                              {"role": "assistant", "content": "Ada"},
                              {"role": "user", "content": "and your maker?"}]
    sampling = asked.sampling
    assert (sampling.system, sampling.temperature, sampling.top_p, sampling.max_new_tokens) \
        == ("Be brief.\n\nBe kind.", 0, 0.5, 12)
    plain = read_body(_body())
    assert not plain.stream and plain.sampling.max_new_tokens == 256  # Sampling's defaults


@pytest.mark.parametrize(("body", "param", "words"), [
    (b"{not json", "body", "not a JSON object"),
    (b"[1, 2]", "body", "not a JSON object"),
    (b"[" * 20_000, "body", "not a JSON object"),  # nested past Python's recursion
    (json.dumps({"messages": []}).encode(), "model", "model is missing"),
    (_body(model="x" * 201), "model", "not a run id"),
    (_body(messages=None), "messages", "missing or empty"),
    (_body(messages=[{"role": "user"}]), "messages[0].content", "not text"),
    (_body(messages=[{"role": "user", "content": [{"type": "image_url"}]}]),
     "messages[0].content", "not text"),
    (_body(messages=[{"role": "user", "content": "  "}]), "messages[0].content", "empty"),
    (_body(messages=[{"role": "system", "content": "x"}]), "messages[0].role",
     "last message must be the user's"),
    (_body(messages=[{"role": "user", "content": "x" * 4_000}] * 6), "messages[5].content",
     f"longer than {MAX_CONVERSATION_CHARS:,}"),
    (_body(messages=[{"role": "system", "content": "x" * 3_000}] * 2 +
           [{"role": "user", "content": "hi"}]), "messages", "system messages are 6,002"),
    (_body(temperature="hot"), "temperature", "a number between 0.0 and 2.0"),
    (_body(top_p=True), "top_p", "top_p is True"),
    (_body(max_tokens=2.5), "max_tokens", "a whole number between 1 and 1024"),
    (_body(n=3), "n", "one answer per call"),
    (_body(stream="yes"), "stream", "true or false"),
    (b" " * 300_000, "messages", "300,000 bytes"),
])
def test_a_field_at_fault_is_named(body: bytes, param: str, words: str) -> None:
    with pytest.raises(BadField) as caught:
        read_body(body)
    assert caught.value.param == param and words in str(caught.value), str(caught.value)
    assert caught.value.zh
