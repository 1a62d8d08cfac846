"""Questions asked of one agent at once share a forward pass and each gets its own answer."""

from __future__ import annotations

import threading
import time

import pytest

from playground.service.batching import Batcher


def _ask_all(batcher: Batcher, texts: list[str]) -> dict[str, object]:
    answers: dict[str, object] = {}

    def ask(text: str) -> None:
        try:
            answers[text] = batcher.ask(text)
        except ValueError as exc:
            answers[text] = exc

    threads = [threading.Thread(target=ask, args=(text,)) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return answers


def test_questions_asked_while_a_batch_runs_are_answered_together_in_order() -> None:
    batches: list[list[str]] = []
    first_may_finish = threading.Event()

    def predict(texts):
        batches.append(list(texts))
        if len(batches) == 1:  # hold the first batch until the others have queued
            first_may_finish.wait(timeout=30)
        return [text.upper() for text in texts]

    batcher = Batcher(predict, max_rows=8)
    texts = [f"q{i}" for i in range(12)]
    releaser = threading.Thread(target=lambda: (_wait_for_queue(batcher, 11),
                                                first_may_finish.set()))
    releaser.start()
    answers = _ask_all(batcher, texts)
    releaser.join()
    assert answers == {text: text.upper() for text in texts}
    assert len(batches[0]) == 1 and [len(b) for b in batches[1:]] == [8, 3]


def _wait_for_queue(batcher: Batcher, rows: int) -> None:
    deadline = time.time() + 30
    while len(batcher._waiting) < rows and time.time() < deadline:
        time.sleep(0.01)


def test_a_failing_batch_reaches_every_caller_and_the_next_question_still_runs() -> None:
    def predict(texts):
        if "bad" in texts:
            raise ValueError("the model failed")
        return list(texts)

    batcher = Batcher(predict)
    answers = _ask_all(batcher, ["bad"])
    assert isinstance(answers["bad"], ValueError)
    assert batcher.ask("fine") == "fine"
    with pytest.raises(ValueError):
        batcher.ask("bad")


def test_after_a_batch_of_three_the_next_waits_for_three_questions_asked_apart() -> None:
    batches: list[list[str]] = []
    first_may_finish = threading.Event()

    def predict(texts):
        batches.append(list(texts))
        if len(batches) == 1:
            first_may_finish.wait(timeout=30)
        return list(texts)

    batcher = Batcher(predict, linger_s=30)
    releaser = threading.Thread(target=lambda: (_wait_for_queue(batcher, 3),
                                                first_may_finish.set()))
    releaser.start()
    _ask_all(batcher, ["a", "b", "c", "d"])  # "a" alone, then the three that queued
    releaser.join()
    assert [len(b) for b in batches] == [1, 3]

    def ask_later(text: str, delay: float) -> None:
        time.sleep(delay)
        batcher.ask(text)

    threads = [threading.Thread(target=ask_later, args=(t, 0.05 * i))
               for i, t in enumerate(["e", "f", "g"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(batches[2]) == ["e", "f", "g"]  # one batch, not "e" alone first


def test_a_lone_question_does_not_linger_and_a_short_batch_ends_its_wait() -> None:
    batches: list[list[str]] = []

    def predict(texts):
        batches.append(list(texts))
        return list(texts)

    lone = Batcher(predict, linger_s=300)  # a wait would hang this test, not slow it
    answered: list[str] = []
    thread = threading.Thread(target=lambda: answered.extend([lone.ask("x"), lone.ask("y")]))
    thread.start()
    thread.join(timeout=60)
    assert answered == ["x", "y"]

    short = Batcher(predict, linger_s=0.05)
    short._last_rows = 5  # five asked together last time; only one comes back
    assert short.ask("z") == "z"
    assert batches[-1] == ["z"]
