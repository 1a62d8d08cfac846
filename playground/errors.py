"""Typed failures that carry a sentence a non-programmer can act on.

Every error the user can cause or fix is one of these: the command line prints
``message`` (and ``hint``), the web app shows it in ``gr.Error``, and a failed run
stores both in its ``status.json``. Nothing else should reach a user as a traceback.
``zh`` is the same message and hint in Chinese, with the same specifics, for Chinese pages.
"""

from __future__ import annotations

import re

# An absolute path of two or more parts, not inside a URL: "/srv/runs/x/data/train.csv".
_PATH = re.compile(r"(?<![\w:/.~])/(?:[^\s'\"/,;()\[\]]+/)+[^\s'\"/,;()\[\]]*")


def hide_paths(text: str) -> str:
    """``text`` with each absolute path cut to its last part: a library's message about a
    file says which file, not where the server keeps it (web users read these)."""
    return _PATH.sub(lambda m: m.group(0).rstrip("/").rsplit("/", 1)[-1], text)


class PlaygroundError(Exception):
    """Base class: ``message`` says what is wrong, ``hint`` says what to do, ``zh`` says
    both in Chinese."""

    kind = "error"

    def __init__(self, message: str, hint: str = "", zh: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.zh = zh  # message and hint in Chinese

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()

    def text(self, lang: str) -> str:
        """The whole message in ``lang`` ("zh" or "en"); English where no Chinese was given."""
        return self.zh if lang == "zh" and self.zh else str(self)

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "message": self.message, "hint": self.hint, "zh": self.zh}


class DataError(PlaygroundError):
    """The user's file cannot be used as it is (empty, not a table, bad labels...)."""

    kind = "data"


class ConfigError(PlaygroundError):
    """A setting is out of range, of the wrong type, or not one of its choices.

    ``field`` names the setting at fault (None when the error is about the whole file)."""

    kind = "config"

    def __init__(self, message: str, hint: str = "", zh: str = "",
                 field: str | None = None) -> None:
        super().__init__(message, hint, zh)
        self.field = field


class ModelError(PlaygroundError):
    """A model cannot be found or loaded (offline hub, missing folder, wrong task)."""

    kind = "model"


class OutOfMemory(PlaygroundError):
    """Training ran out of memory on the CPU or GPU."""

    kind = "out_of_memory"


class RunError(PlaygroundError):
    """A run cannot be found, is not finished, or is in the wrong state for the action."""

    kind = "run"


class BundleError(PlaygroundError):
    """An agent bundle cannot be exported or imported (unsafe, damaged, or not a bundle)."""

    kind = "bundle"


class NotYourRun(RunError):
    """Someone asked to stop or delete a run that another person started."""

    kind = "not_your_run"
