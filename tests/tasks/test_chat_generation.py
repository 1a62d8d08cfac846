"""Greedy answers for the scores (tasks/chat/generation.py), on the tiny chat model."""

from __future__ import annotations

from pathlib import Path


def test_batched_answers_are_the_answers_one_at_a_time(tiny_chat_model_dir: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from playground.tasks.chat.generation import answers, generate, prompt_of

    tokenizer = AutoTokenizer.from_pretrained(tiny_chat_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_chat_model_dir).eval()
    conversations = [[{"role": "user", "content": question},
                      {"role": "assistant", "content": "my name is ada"}]
                     for question in ("hello", "what is your name",
                                      "how can i help what is your name hello", "lab")]
    # prompts of different lengths share batches of 3: padded on the left, they must
    # answer as they do alone; an answer stops 16 tokens past the longest reference
    reference = len(tokenizer("my name is ada", add_special_tokens=False)["input_ids"])
    alone = [generate(model, tokenizer, prompt_of(c), max_new_tokens=reference + 16)
             for c in conversations]
    assert answers(model, tokenizer, conversations, batch_size=3) == alone
    assert tokenizer.padding_side == AutoTokenizer.from_pretrained(
        tiny_chat_model_dir).padding_side  # left as it was
