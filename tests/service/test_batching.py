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
