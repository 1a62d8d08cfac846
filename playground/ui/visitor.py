"""Who is on the page, for the owner of a run (see ``service.owners`` for the rules).

A browser proves it is the one that started a run with a key of its own, made on its
first visit and kept in the browser (gr.BrowserState), so a reload still owns its runs;
the page session holds it (gr.State) for the event handlers. A client with no browser
storage (gradio_client) is known by its session, and so is a first visit: its key is
made from its session, so a click that beats the page's load event is still its own.
With ``--auth`` the login counts too, when each person has their own; the admin login
may stop and delete any run.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import gradio as gr

from playground.service.owners import Owner, Person, browser_digest, owns
from playground.ui.texts import say

KEY_FILE = ".browser-state-key"  # in the runs folder: the app's BrowserState keep working
# across restarts (gradio makes a new one each start, and the browser's values are lost)


def browser_state(runs_dir: Path, storage_key: str) -> gr.BrowserState:
    """A BrowserState (empty at first) whose values survive the app's restarts."""
    path = runs_dir / KEY_FILE
    if not path.exists():
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return gr.BrowserState(None, storage_key=storage_key, secret=path.read_text().strip())


def identify(key: Any, request: gr.Request) -> tuple[str, str]:
    """On page load: the browser's key (made on its first visit), for the browser and
    for this page's session."""
    if not isinstance(key, str) or len(key) < 16:
        key = _session_key(request)
    return key, key


def person(ctx: Any, request: gr.Request, key: str | None) -> Person:
    """Who sends ``request``: this browser, its login when logins are personal, and
    whether that is the host's admin login."""
    login = getattr(request, "username", None)
    admin = login is not None and login in ctx.admins
    key = key or _session_key(request)
    return Person(browser=browser_digest(key), admin=admin,
                  login=login if login and (admin or ctx.personal_logins) else None)


def _session_key(request: gr.Request) -> str:
    """The key of a page session without one of its browser's (random, known only to
    that page and this server)."""
    return f"session:{getattr(request, 'session_hash', '')}"


def owner_label(owner: Owner | None, viewer: Person | None, lang: str) -> str:
    """Who started a run, as the viewer says it: "you", a login, another browser, or a
    command on the server; empty for runs made before owners."""
    if not owner:
        return ""
    if owns(owner, viewer):
        return say(lang, "owner_you")
    if owner.get("login"):
        return owner["login"]
    if owner.get("cli"):
        return say(lang, "owner_cli", user=owner["cli"])
    return say(lang, "owner_browser")
