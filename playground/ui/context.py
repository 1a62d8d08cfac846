"""What every tab's builder gets: the service, the words, and the shared session state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from playground.service.jobs import TrainingService


@dataclass
class Context:
    service: TrainingService
    t: Any  # gr.I18n: t("key") is a label the browser translates
    session: Any  # gr.State holding a Session
    # gr.BrowserState with the run this browser follows, so a reload reconnects to it.
    # Made outside the tabs: a component in a tab that is not shown yet is not mounted,
    # and would not send its stored value with the page's load events.
    browser_run: Any
    # gr.BrowserState with this browser's own key, and gr.State with it for this page:
    # who started a run (see visitor.py). Made outside the tabs, as browser_run.
    browser_key: Any = None
    visitor: Any = None
    max_upload_mb: int = 50
    api_locked: bool = False  # the HTTP API needs a key: code snippets send one
    web_calls: bool = True  # whether agents' http actions may run on this server at all
    admins: frozenset[str] = frozenset()  # logins that may stop and delete any run
    personal_logins: bool = False  # each person has their own login (an --auth file)
    # (function, inputs, outputs) to run when a page loads, registered by the tabs.
    on_load: list[tuple[Any, list, list]] = field(default_factory=list)
