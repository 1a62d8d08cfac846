"""The task registry: every kind of agent the playground can make, by name.

Adding a task is one folder under ``playground/tasks/`` (see ``base.py`` for what it
holds) and one line in ``_REGISTERED``. Everything else asks this module; importing it
loads only the tasks' plain specs, never torch or gradio.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from playground.tasks.base import TaskSpec

__all__ = ["DEFAULT", "PARTS", "TaskSpec", "get", "names", "of_config", "part", "spec",
           "specs"]

# name (as run folders, bundles and --task spell it) -> the package that implements it.
_REGISTERED = {
    "text-classification": "playground.tasks.classify",
    "ner": "playground.tasks.entities",
    "chat": "playground.tasks.chat",
}
DEFAULT = "text-classification"


def names() -> tuple[str, ...]:
    """Every registered task's name, the default first."""
    return tuple(_REGISTERED)


def get(name: str | None) -> ModuleType:
    """The package of task ``name`` (the default task for None or "", as configs and
    labels files written before tasks were named say nothing). Its ``SPEC`` is plain data;
    its parts (``part``) load the heavy libraries.
    An unknown name is a KeyError: config validation refuses it long before."""
    return importlib.import_module(_REGISTERED[name or DEFAULT])


PARTS = ("prepare", "training", "agent", "evaluate", "views")


def part(name: str | None, which: str) -> ModuleType:
    """One part of task ``name``: its module ``which`` (one of PARTS; see ``base.py`` for
    what each holds), imported now. "views" is the UI's; the others are below it."""
    assert which in PARTS, which
    return importlib.import_module(f"{get(name).__name__}.{which}")


def spec(name: str | None) -> TaskSpec:
    """The plain description of task ``name``."""
    return get(name).SPEC


def specs() -> list[TaskSpec]:
    return [spec(name) for name in _REGISTERED]


def of_config(config: dict) -> TaskSpec:
    """The spec of the task a config dict (as a run folder holds it) names."""
    return spec(config.get("task"))
