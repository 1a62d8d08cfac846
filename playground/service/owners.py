"""Who started a run, and who may stop, delete or rename it.

The room shares one app (and maybe one login), so a run records its owner in its
status.json when it is queued or imported:

* ``{"browser": DIGEST}``: a page; DIGEST is a hash of a key the browser keeps (the key
  itself is never stored, so reading a run folder lets no one pose as its browser);
* ``{"browser": DIGEST, "login": NAME}``: a page signed in with a personal login (each
  person has their own), so the run is theirs from any browser;
* ``{"cli": USER}``: a command on the server.

The host (a command on the server, or the app's admin login) may stop or delete any
run; anyone else only their own. Runs made before owners existed belong to no one and
anyone may touch them, as before.
"""

from __future__ import annotations

import getpass
import hashlib
from dataclasses import dataclass
from typing import Any

from playground.errors import NotYourRun

Owner = dict[str, str]
ACTIONS = {"stop": ("stop", "停止"), "delete": ("delete", "删除"), "rename": ("rename", "重命名")}


@dataclass(frozen=True)
class Person:
    """Who asks: a browser (its key's digest), a personal login, or the admin login."""

    browser: str | None = None
    login: str | None = None
    admin: bool = False

    def as_owner(self) -> Owner:
        """What a run this person starts records."""
        return {key: value for key, value in (("browser", self.browser),
                                              ("login", self.login)) if value}


def browser_digest(key: str) -> str:
    """The public name of a browser's private key."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def cli_owner() -> Owner:
    """The owner of a run queued or imported from the command line."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        user = "?"
    return {"cli": user}


def owns(owner: Owner | None, person: Person | None) -> bool:
    """Whether ``person`` started the run (same personal login, or same browser)."""
    if not owner or person is None:
        return False
    return any(owner.get(key) and owner.get(key) == getattr(person, key)
               for key in ("login", "browser"))


def may_change(owner: Owner | None, person: Person | None) -> bool:
    """Whether ``person`` may stop, delete or rename a run: the host (None, a command on the
    server), the admin login, the owner, or anyone when the run has no owner."""
    return person is None or person.admin or not owner or owns(owner, person)


def check_may_change(name: str, owner: Owner | None, person: Person | None,
                     action: str) -> None:
    """Raise NotYourRun, naming the owner, when ``person`` may not ``action`` the run."""
    if may_change(owner, person):
        return
    en, zh = ACTIONS[action]
    assert owner is not None
    if owner.get("login"):
        who, who_zh = f"belongs to {owner['login']}", f"属于 {owner['login']}"
        only, only_zh = f"Only {owner['login']}", f"只有 {owner['login']}"
    elif owner.get("cli"):
        who = f"was started on the server's command line by {owner['cli']}"
        who_zh = f"是 {owner['cli']} 在服务器的命令行上启动的"
        only, only_zh = "Only a command on the server", "只有服务器上的命令"
    else:
        who, who_zh = "was started in another browser", "是在另一个浏览器中启动的"
        only, only_zh = "Only that browser", "只有那个浏览器"
    raise NotYourRun(f"The run “{name}” {who}.",
                     f"{only} or the host's admin login may {en} it.",
                     zh=f"训练记录“{name}”{who_zh}。{only_zh}或主持人的管理员登录才能{zh}它。")


def owner_of(status: dict[str, Any]) -> Owner | None:
    """The owner recorded in a run's status (None for runs made before owners)."""
    owner = status.get("owner")
    return owner if isinstance(owner, dict) else None
