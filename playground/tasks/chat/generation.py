"""Answers from a language model: greedy for scores, sampled and streamed for chat, and
the model's loss on the answers of held-out conversations.

Every conversation is the user's part (all messages up to the last one) and the answer
the model should give (the last message, the assistant's). The prompt is the model's own
chat template with the generation prompt added, as it was trained.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Iterator, Sequence
from typing import Any

Messages = list[dict[str, str]]
MAX_NEW_TOKENS = 128  # a held-out answer longer than this is scored on its start
ANSWER_MARGIN = 16  # tokens a scored answer may run past the longest reference


def prompt_of(conversation: Messages) -> Messages:
    """The messages the model answers: everything before the last (assistant) message."""
    return conversation[:-1]


def reference_of(conversation: Messages) -> str:
    return conversation[-1]["content"]


def to_precision(model: Any, precision: str) -> Any:
    """``model`` with its weights (and floating buffers) in ``precision``, as an agent
    answers: cast in place, as ``answering_in`` casts them for a while."""
    from playground.training.precision import torch_dtype

    return model.to(torch_dtype(precision))


@contextlib.contextmanager
def answering_in(model: Any, precision: str) -> Iterator[Any]:
    """``model`` cast to ``precision`` for the block, as ``to_precision`` casts it, and
    given back exactly as it was after: its fp32 weights are kept aside, not cast back
    (bf16 and back would round them), so the trained model is saved as it trained."""
    from playground.training.precision import torch_dtype

    dtype = torch_dtype(precision)
    kept = [(tensor, tensor.data) for tensor in (*model.parameters(), *model.buffers())
            if tensor.is_floating_point() and tensor.dtype != dtype]
    for tensor, data in kept:
        tensor.data = data.to(dtype)
    try:
        yield model
    finally:
        for tensor, data in kept:
            tensor.data = data


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
    # floats: a whole number sent as a setting (an API's temperature 2) is refused by
    # transformers' sampler
    sampling = {"do_sample": True, "temperature": float(temperature), "top_p": float(top_p)} \
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
    generation too, instead of leaving it to spend the CPU up to ``max_new_tokens``; a
    failure of the generating thread is raised here, after the pieces it wrote."""
    from transformers import TextIteratorStreamer

    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
    stop = threading.Event()
    failed: list[Exception] = []

    def write() -> None:
        try:
            generate(model, tokenizer, messages, max_new_tokens, temperature, top_p, streamer,
                     stopping_criteria=_stopped_by(stop))
        except Exception as exc:  # the reader waits for the streamer's end: give it one
            failed.append(exc)
            streamer.end()

    worker = threading.Thread(target=write, daemon=True)
    worker.start()
    try:
        yield from (piece for piece in streamer if piece)
    finally:
        stop.set()
        worker.join()
    if failed:
        raise failed[0]


def answers(model: Any, tokenizer: Any, conversations: Sequence[Messages],
            max_new_tokens: int = MAX_NEW_TOKENS, batch_size: int = 16) -> list[str]:
    """Greedy answers to each conversation's prompt (what the scores compare). An answer
    may run ``ANSWER_MARGIN`` tokens past the longest reference (``answer_room``), not
    further: what it would add to its start counts for little in the scores."""
    limit = min(max_new_tokens, answer_room(tokenizer, conversations))
    return prompt_answers(model, tokenizer, [prompt_of(c) for c in conversations], limit,
                          batch_size)


def prompt_answers(model: Any, tokenizer: Any, prompts: Sequence[Messages],
                   max_new_tokens: int = MAX_NEW_TOKENS, batch_size: int = 16) -> list[str]:
    """Greedy answers to each prompt, in the prompts' order.

    Prompts of similar length are answered together, a batch at a time: on a CPU one
    batch of 16 costs little more per step than one prompt. The model may be an agent's
    that other threads chat with at the same time: nothing shared is changed (see
    ``left_padded``; an agent's model is in eval mode already, so ``eval()`` changes
    nothing there)."""
    import torch

    texts = [tokenizer.apply_chat_template(p, add_generation_prompt=True, tokenize=False)
             for p in prompts]
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    said: dict[int, str] = {}
    was_training = model.training
    model.eval()
    try:
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            inputs = left_padded(tokenizer, [texts[i] for i in chunk]).to(
                next(model.parameters()).device)
            with torch.inference_mode():
                out = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False,
                                     pad_token_id=tokenizer.pad_token_id
                                     or tokenizer.eos_token_id)
            decoded = tokenizer.batch_decode(out[:, inputs["input_ids"].shape[1]:],
                                             skip_special_tokens=True)
            said.update({i: text.strip() for i, text in zip(chunk, decoded)})
    finally:
        if was_training:
            model.train()
    return [said[i] for i in range(len(texts))]


def left_padded(tokenizer: Any, texts: list[str]) -> Any:
    """``texts`` tokenized and padded on the left (every prompt ends where its answer
    begins), as tensors. Padding is done apart from tokenizing: asked of a fast
    tokenizer's call, it switches its shared Rust backend's padding on (until a call
    without padding switches it off), and another thread tokenizing at that moment, as
    an agent's chats do, fails ("Already borrowed"); ``pad`` works on this call's lists
    alone."""
    encoded = tokenizer(texts, add_special_tokens=False)
    return tokenizer.pad(encoded, padding=True, padding_side="left", return_tensors="pt")


def answer_room(tokenizer: Any, conversations: Sequence[Messages]) -> int:
    """New tokens enough for the longest reference and a margin (an answer that goes
    on longer is no closer to any reference for the words it adds)."""
    longest = max((len(tokenizer(reference_of(c), add_special_tokens=False)["input_ids"])
                   for c in conversations), default=0)
    return longest + ANSWER_MARGIN


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
