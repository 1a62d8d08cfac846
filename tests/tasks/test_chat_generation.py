"""Language-model answers (tasks/chat/generation.py), on the tiny chat model: greedy
answers for the scores, and an agent's answers to a file, batch as they answer alone;
streaming pieces come from a thread that generates, so a failure there must reach the
reader instead of leaving it waiting for ever."""

from __future__ import annotations

import shutil
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
    # an agent's tokenizer is shared by the threads that chat: the batch pads on the
    # left for itself and leaves the tokenizer's own side as it was
    tokenizer.padding_side = "right"
    assert answers(model, tokenizer, conversations, batch_size=3) == alone
    assert tokenizer.padding_side == "right"


def test_a_batch_is_padded_without_switching_the_shared_tokenizers_padding(
        tiny_chat_model_dir: Path) -> None:
    """An agent's tokenizer is shared by the threads that chat; asking its call to pad
    switches its Rust backend's padding on, and a thread tokenizing then fails."""
    from transformers import AutoTokenizer

    from playground.tasks.chat.generation import left_padded

    tokenizer = AutoTokenizer.from_pretrained(tiny_chat_model_dir)
    assert tokenizer.backend_tokenizer.padding is None
    batch = left_padded(tokenizer, ["hello", "what is your name my name is ada"])
    assert tokenizer.backend_tokenizer.padding is None  # as it was
    mask = batch["attention_mask"]
    assert mask[0, 0] == 0 and mask[:, -1].all()  # on the left: each prompt ends last
    assert batch["input_ids"][1].tolist() == tokenizer(
        "what is your name my name is ada", add_special_tokens=False)["input_ids"]


def test_an_agent_labels_and_scores_a_file_in_batches_as_it_answers_alone(
        tiny_chat_run: Path, tmp_path: Path) -> None:
    import json

    import pandas as pd

    from playground.tasks.chat.agent import load

    # in fp32: a padded batch in bf16 rounds differently, so its wording may differ from
    # an answer written alone (README, "Speed"); in fp32 a near tie could still flip on
    # another processor, but this tiny model's answers were all the same
    model_dir = Path(shutil.copytree(tiny_chat_run / "model", tmp_path / "model"))
    saved = json.loads((model_dir / "labels.json").read_text())
    (model_dir / "labels.json").write_text(json.dumps({**saved, "precision": "fp32"}))
    agent = load(model_dir)
    assert agent.precision == "fp32"
    questions = ["hello there 1", "what is your name", "lab",
                 "i lost my card and want my money back please 2"]
    labelled, column = agent.label_frame(pd.DataFrame({"question": questions}))
    assert column == "question"
    assert labelled["answer"].tolist() == [agent.generate(q) for q in questions]
    assert any(labelled["answer"])  # words, not the blank lines of an untrained model
    # scored as the report scores: up to 16 tokens past the reference
    conversations = [[{"role": "user", "content": q},
                      {"role": "assistant", "content": "my name is ada"}] for q in questions]
    room = len(agent._tokenizer("my name is ada", add_special_tokens=False)["input_ids"]) + 16
    assert agent.scored_answers(conversations) == [
        agent.generate(q, max_new_tokens=room) for q in questions]
