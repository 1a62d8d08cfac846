"""Questions asked of one agent at the same time, answered in one forward pass.

Twenty people chatting with one agent would otherwise run twenty forward passes side by
side, each fighting the others for the same cores; one pass over twenty short texts
costs little more than a pass over one. A ``Batcher`` lets the questions that arrive
while a batch is computed wait, then answers them together: no thread of its own, the
caller whose question is next runs the batch for everyone waiting.

People who asked together tend to ask again together: when a batch ends, its callers
get their answers and come back with their next questions one after the other. So a
batch waits a moment (``linger_s``) for as many questions as the last one held, rather
than starting with the first to come back and leaving the rest to wait out a whole
batch. A lone user's question never waits: the last batch held one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

Answer = TypeVar("Answer")


class Batcher(Generic[Answer]):
    """Calls ``predict`` (a list of texts -> a list of answers, in order) on whatever
    questions are waiting, ``max_rows`` at most, one batch at a time."""

    def __init__(self, predict: Callable[[Sequence[str]], Sequence[Answer]],
                 max_rows: int = 64, linger_s: float = 0.015) -> None:
        self._predict = predict
        self._max_rows = max_rows
        self._linger_s = linger_s
        self._ready = threading.Condition()
        self._waiting: list[tuple[str, Future]] = []
        self._busy = False
        self._last_rows = 1  # how many questions the last batch answered

    def ask(self, text: str) -> Answer:
        """The answer to ``text``, computed in a batch with the questions asked meanwhile."""
        future: Future = Future()
        with self._ready:
            self._waiting.append((text, future))
            self._ready.notify_all()  # a batch lingering for company starts sooner
        while not future.done():
            with self._ready:
                while self._busy and not future.done():
                    self._ready.wait()
                if future.done():
                    break
                self._busy = True
                self._linger()
                batch = self._waiting[:self._max_rows]
                del self._waiting[:self._max_rows]
                self._last_rows = len(batch)
            try:
                self._run(batch)
            finally:
                with self._ready:
                    self._busy = False
                    self._ready.notify_all()
        return future.result()

    def _linger(self) -> None:
        """Wait (holding the lock's condition) up to ``linger_s`` until as many questions
        wait as the last batch answered."""
        deadline = time.monotonic() + self._linger_s
        while len(self._waiting) < min(self._last_rows, self._max_rows):
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._ready.wait(left)

    def _run(self, batch: list[tuple[str, Future]]) -> None:
        try:
            answers = self._predict([text for text, _ in batch])
        except BaseException as exc:  # every waiting caller gets the failure, not a hang
            for _, future in batch:
                future.set_exception(exc)
            return
        for (_, future), answer in zip(batch, answers):
            future.set_result(answer)
