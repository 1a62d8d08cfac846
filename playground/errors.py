"""Typed failures that carry a sentence a non-programmer can act on.

Every error the user can cause or fix is one of these: the command line prints
``message`` (and ``hint``), the web app shows it in ``gr.Error``, and a failed run
stores both in its ``status.json``. Nothing else should reach a user as a traceback.
"""

from __future__ import annotations


class PlaygroundError(Exception):
    """Base class: ``message`` says what is wrong, ``hint`` says what to do."""

    kind = "error"

    def __init__(self, message: str, hint: str = "", zh: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.zh = zh  # message and hint in Chinese

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "message": self.message, "hint": self.hint}


class DataError(PlaygroundError):
    """The user's file cannot be used as it is (empty, not a table, bad labels...)."""

    kind = "data"


class ConfigError(PlaygroundError):
    """A setting is out of range, of the wrong type, or not one of its choices."""

    kind = "config"


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
