"""Questions asked of one agent at the same time, answered in one forward pass.

Twenty people chatting with one agent would otherwise run twenty forward passes side by
side, each fighting the others for the same cores; one pass over twenty short texts
costs little more than a pass over one. A ``Batcher`` lets the questions that arrive
while a batch is computed wait, then answers them together: no thread of its own, the
caller whose question is next runs the batch for everyone waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

Answer = TypeVar("Answer")


class Batcher(Generic[Answer]):
    """Calls ``predict`` (a list of texts -> a list of answers, in order) on whatever
    questions are waiting, ``max_rows`` at most, one batch at a time."""

    def __init__(self, predict: Callable[[Sequence[str]], Sequence[Answer]],
                 max_rows: int = 64) -> None:
        self._predict = predict
        self._max_rows = max_rows
        self._ready = threading.Condition()
        self._waiting: list[tuple[str, Future]] = []
        self._busy = False

    def ask(self, text: str) -> Answer:
        """The answer to ``text``, computed in a batch with the questions asked meanwhile."""
        future: Future = Future()
        with self._ready:
            self._waiting.append((text, future))
        while not future.done():
            with self._ready:
                while self._busy and not future.done():
                    self._ready.wait()
                if future.done():
                    break
                self._busy = True
                batch = self._waiting[:self._max_rows]
                del self._waiting[:self._max_rows]
            try:
                self._run(batch)
            finally:
                with self._ready:
                    self._busy = False
                    self._ready.notify_all()
        return future.result()

    def _run(self, batch: list[tuple[str, Future]]) -> None:
        try:
            answers = self._predict([text for text, _ in batch])
        except BaseException as exc:  # every waiting caller gets the failure, not a hang
            for _, future in batch:
                future.set_exception(exc)
            return
        for (_, future), answer in zip(batch, answers):
            future.set_result(answer)
