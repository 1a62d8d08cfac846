"""The app's logins (``--auth``), with a wait that grows after each wrong password.

Without it, 50 guesses took under a second. Each known user name has its own count of
wrong passwords in a row (unknown names share one, so made-up names cost the same and
the table stays as small as the list of logins); after the n-th, the next try of that name
waits ``delay_s(n)``: 0.5 s, 1 s, 2 s... up to 30 s. Tries of one name take turns, so
guesses sent side by side wait too. A right password clears the count.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable

FIRST_S = 0.5  # a person who mistyped barely notices
MOST_S = 30.0  # 50 guesses of one name then take over 20 minutes


def delay_s(failures: int, first_s: float = FIRST_S, most_s: float = MOST_S) -> float:
    """The wait before the next try after ``failures`` wrong passwords in a row."""
    return 0.0 if failures <= 0 else min(most_s, first_s * 2 ** (failures - 1))


class Logins:
    """user:password pairs, checked in constant time, with the growing wait."""

    def __init__(self, pairs: list[tuple[str, str]], first_s: float = FIRST_S,
                 most_s: float = MOST_S) -> None:
        self.pairs = list(pairs)
        self.first_s, self.most_s = first_s, most_s
        self._failures: dict[str, int] = {}
        self._until: dict[str, float] = {}  # monotonic time before which a name waits

    def _key(self, user: str) -> str:
        return user if any(user == u for u, _ in self.pairs) else ""

    def matches(self, user: str, password: str) -> bool:
        return any(secrets.compare_digest(user.encode(), u.encode())
                   and secrets.compare_digest(password.encode(), p.encode())
                   for u, p in self.pairs)

    def wait_s(self, user: str) -> float:
        """How long a try of ``user`` must still wait (0 when it may go now)."""
        return max(0.0, self._until.get(self._key(user), 0.0) - time.monotonic())

    def record(self, user: str, ok: bool) -> None:
        key = self._key(user)
        if ok:
            self._failures.pop(key, None)
            self._until.pop(key, None)
            return
        failures = self._failures.get(key, 0) + 1
        self._failures[key] = failures
        self._until[key] = time.monotonic() + delay_s(failures, self.first_s, self.most_s)

    def check_now(self, user: str, password: str) -> bool | None:
        """For callers that cannot wait (the HTTP API): None while ``user`` must wait,
        else whether the password is right (a wrong one is counted)."""
        if self.wait_s(user) > 0:
            return None
        ok = self.matches(user, password)
        self.record(user, ok)
        return ok

    def gradio_auth(self) -> Callable[[str, str], Awaitable[bool]]:
        """The async check gradio's login page calls: it waits, then answers."""
        turns: dict[str, asyncio.Lock] = {}

        async def check(user: str, password: str) -> bool:
            async with turns.setdefault(self._key(user), asyncio.Lock()):
                await asyncio.sleep(self.wait_s(user))
                ok = self.matches(user, password)
                self.record(user, ok)
                return ok

        return check
