"""Answers from a language model: greedy for scores, sampled and streamed for chat, and
the model's loss on the answers of held-out conversations.

Every conversation is the user's part (all messages up to the last one) and the answer
the model should give (the last message, the assistant's). The prompt is the model's own
chat template with the generation prompt added, as it was trained.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Sequence
from typing import Any

Messages = list[dict[str, str]]
MAX_NEW_TOKENS = 128  # a held-out answer longer than this is scored on its start


def prompt_of(conversation: Messages) -> Messages:
    """The messages the model answers: everything before the last (assistant) message."""
    return conversation[:-1]


def reference_of(conversation: Messages) -> str:
    return conversation[-1]["content"]


def _inputs(tokenizer: Any, messages: Messages, device: Any) -> Any:
    return tokenizer.apply_chat_template(messages, add_generation_prompt=True,
                                         return_tensors="pt", return_dict=True).to(device)


def generate(model: Any, tokenizer: Any, messages: Messages, max_new_tokens: int = MAX_NEW_TOKENS,
             temperature: float = 0.0, top_p: float = 1.0, streamer: Any = None,
             stopping_criteria: Any = None) -> str:
    """The model's answer to ``messages``: greedy when ``temperature`` is 0."""
    import torch

    device = next(model.parameters()).device
    inputs = _inputs(tokenizer, messages, device)
    sampling = {"do_sample": True, "temperature": temperature, "top_p": top_p} \
        if temperature > 0 else {"do_sample": False}
    with torch.inference_mode():
        out = model.generate(**inputs, max_new_tokens=max_new_tokens, streamer=streamer,
                             stopping_criteria=stopping_criteria,
                             pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
                             **sampling)
    return tokenizer.decode(out[0, inputs["input_ids"].shape[1]:],
                            skip_special_tokens=True).strip()


def _stopped_by(event: threading.Event) -> Any:
    """A stopping rule that ends generation at the next token once ``event`` is set."""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    class Stopped(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            return torch.full((input_ids.shape[0],), event.is_set(), dtype=torch.bool,
                              device=input_ids.device)

    return StoppingCriteriaList([Stopped()])


def stream(model: Any, tokenizer: Any, messages: Messages, max_new_tokens: int = 256,
           temperature: float = 0.7, top_p: float = 0.9) -> Iterator[str]:
    """The answer as it is generated, piece by piece (a thread generates, this reads).
    A reader that stops early (the user pressed Stop, the client left) ends the
    generation too, instead of leaving it to spend the CPU up to ``max_new_tokens``."""
    from transformers import TextIteratorStreamer

    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
    stop = threading.Event()
    worker = threading.Thread(target=generate, daemon=True, kwargs=dict(
        model=model, tokenizer=tokenizer, messages=messages, max_new_tokens=max_new_tokens,
        temperature=temperature, top_p=top_p, streamer=streamer,
        stopping_criteria=_stopped_by(stop)))
    worker.start()
    try:
        yield from (piece for piece in streamer if piece)
    finally:
        stop.set()
        worker.join()


def answers(model: Any, tokenizer: Any, conversations: Sequence[Messages],
            max_new_tokens: int = MAX_NEW_TOKENS) -> list[str]:
    """Greedy answers to each conversation's prompt (what the scores compare)."""
    was_training = model.training
    model.eval()
    try:
        return [generate(model, tokenizer, prompt_of(c), max_new_tokens) for c in conversations]
    finally:
        model.train(was_training)


def answer_loss(model: Any, tokenizer: Any, conversations: Sequence[Messages],
                max_length: int) -> float | None:
    """Mean cross-entropy per answer token of the conversations' answers, given their
    prompts (the loss training lowers; its exponential is the perplexity)."""
    import torch

    device = next(model.parameters()).device
    total, tokens = 0.0, 0
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        for conversation in conversations:
            prompt = tokenizer.apply_chat_template(prompt_of(conversation),
                                                   add_generation_prompt=True, tokenize=True,
                                                   return_dict=True)["input_ids"]
            full = tokenizer.apply_chat_template(conversation, tokenize=True,
                                                 return_dict=True)["input_ids"]
            full = full[:max_length]
            if len(full) <= len(prompt):
                continue  # the answer is cut off entirely
            ids = torch.tensor([full], device=device)
            labels = ids.clone()
            labels[0, :len(prompt)] = -100
            out = model(input_ids=ids, labels=labels)
            count = int((labels[0, 1:] != -100).sum())
            total += float(out.loss) * count
            tokens += count
    model.train(was_training)
    return round(total / tokens, 4) if tokens else None


def perplexity(loss: float | None) -> float | None:
    return round(math.exp(min(loss, 50.0)), 2) if loss is not None else None
