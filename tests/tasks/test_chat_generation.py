"""Streaming a language model's answer: the pieces come from a thread that generates, so
a failure there must reach the reader instead of leaving it waiting for ever."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from playground.tasks.chat.generation import stream


def test_a_failure_while_writing_reaches_the_reader(tiny_chat_model_dir: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_chat_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_chat_model_dir)
    hello = [{"role": "user", "content": "hello there"}]
    assert list(stream(model, tokenizer, hello, max_new_tokens=4, temperature=0.0))
    heard: list[BaseException] = []

    def read() -> None:  # generate refuses max_new_tokens=0 in the writing thread
        try:
            list(stream(model, tokenizer, hello, max_new_tokens=0))
        except ValueError as exc:
            heard.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=120)  # a liveness bound, not a speed one: the bug waited for ever
    assert not reader.is_alive(), "the reader is still waiting for the streamer's end"
    with pytest.raises(ValueError, match="max_new_tokens"):
        raise heard[0]
