"""The app's logins (``--auth``), with a wait that grows after each wrong password.

Without it, 50 guesses took under a second. Wrong passwords are counted twice: per login
name (unknown names share one count, so made-up names cost the same) and per client
address, so a client that spreads its guesses over many names waits as much as one that
tries one name. After the n-th wrong password in a row, the next try of that name, and the
next try from that address, waits ``delay_s(n)``: 0.5 s, 1 s, 2 s... up to 30 s (the
longer of the two). Tries of one name, and tries from one address, take turns, so guesses
sent side by side wait too. A right password clears both counts.

Gradio calls the login check with the name and password alone; ``ClientAddress`` (an
ASGI middleware) tells it who is asking.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

FIRST_S = 0.5  # a person who mistyped barely notices
MOST_S = 30.0  # 50 guesses of one name then take over 20 minutes
MAX_CLIENTS = 10_000  # addresses remembered at most: an old, finished wait is forgotten first

# The address of the client whose request is being served, set by ``ClientAddress``.
CLIENT: ContextVar[str] = ContextVar("playground_login_client", default="")


def delay_s(failures: int, first_s: float = FIRST_S, most_s: float = MOST_S) -> float:
    """The wait before the next try after ``failures`` wrong passwords in a row."""
    return 0.0 if failures <= 0 else min(most_s, first_s * 2 ** (failures - 1))


class ClientAddress:
    """ASGI middleware: the client address of each HTTP request, in ``CLIENT``. It is the
    address that connects (behind a proxy or a share link, the proxy's)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = CLIENT.set((scope.get("client") or ("",))[0] or "")
        try:
            await self.app(scope, receive, send)
        finally:
            CLIENT.reset(token)


class Logins:
    """user:password pairs, checked in constant time, with the growing wait."""

    def __init__(self, pairs: list[tuple[str, str]], first_s: float = FIRST_S,
                 most_s: float = MOST_S) -> None:
        self.pairs = list(pairs)
        self.first_s, self.most_s = first_s, most_s
        # Keyed ("name", login) and ("client", address): wrong passwords in a row, and
        # the monotonic time before which the next try waits.
        self._failures: dict[tuple[str, str], int] = {}
        self._until: dict[tuple[str, str], float] = {}
        self._turns: dict[tuple[str, str], asyncio.Lock] = {}  # the login page's, per key

    def _keys(self, user: str, client: str) -> list[tuple[str, str]]:
        name = user if any(user == u for u, _ in self.pairs) else ""
        return [("name", name)] + ([("client", client)] if client else [])

    def matches(self, user: str, password: str) -> bool:
        return any(secrets.compare_digest(user.encode(), u.encode())
                   and secrets.compare_digest(password.encode(), p.encode())
                   for u, p in self.pairs)

    def wait_s(self, user: str, client: str = "") -> float:
        """How long a try of ``user`` from ``client`` must still wait (0: it may go now)."""
        now = time.monotonic()
        return max(max(0.0, self._until.get(key, 0.0) - now)
                   for key in self._keys(user, client))

    def record(self, user: str, ok: bool, client: str = "") -> None:
        keys = self._keys(user, client)
        if ok:
            for key in keys:
                self._failures.pop(key, None)
                self._until.pop(key, None)
            return
        for key in keys:
            failures = self._failures.get(key, 0) + 1
            self._failures[key] = failures
            self._until[key] = time.monotonic() + delay_s(failures, self.first_s, self.most_s)
        self._forget_old_clients()

    def _forget_old_clients(self) -> None:
        """Keep at most ``MAX_CLIENTS`` addresses: many addresses must not fill memory."""
        clients = [key for key in self._until if key[0] == "client"]
        if len(clients) <= MAX_CLIENTS:
            return
        for key in sorted(clients, key=self._until.__getitem__)[:len(clients) - MAX_CLIENTS]:
            self._failures.pop(key, None)
            self._until.pop(key, None)
            if key in self._turns and not self._turns[key].locked():
                del self._turns[key]

    def check_now(self, user: str, password: str, client: str = "") -> bool | None:
        """For callers that cannot wait (the HTTP API): None while ``user`` or ``client``
        must wait, else whether the password is right (a wrong one is counted)."""
        if self.wait_s(user, client) > 0:
            return None
        ok = self.matches(user, password)
        self.record(user, ok, client)
        return ok

    def gradio_auth(self) -> Callable[[str, str], Awaitable[bool]]:
        """The async check gradio's login page calls: it waits, then answers. The client
        is the one ``ClientAddress`` saw (none without it: the name's count alone)."""
        turns = self._turns

        async def check(user: str, password: str) -> bool:
            client = CLIENT.get()
            # Always the name's turn first, then the address's: no two checks wait on
            # each other in a circle.
            name_key, *client_key = self._keys(user, client)
            async with turns.setdefault(name_key, asyncio.Lock()):
                for key in client_key:
                    await turns.setdefault(key, asyncio.Lock()).acquire()
                try:
                    await asyncio.sleep(self.wait_s(user, client))
                    ok = self.matches(user, password)
                    self.record(user, ok, client)
                    return ok
                finally:
                    for key in client_key:
                        turns[key].release()

        return check
