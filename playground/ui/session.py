"""Per-browser-session state (kept in gr.State, never in a module global).

Two separate states, so that the timer's writes never race with a user's clicks:
``Session`` is what the user chose (written by the Data tab), ``Curve`` is what the Train
tab has read of the followed run's events (written only by the timer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Session:
    data_path: str | None = None  # the uploaded or sample file the user picked


@dataclass
class Curve:
    run_id: str | None = None  # the run these points belong to
    offset: int = 0  # bytes of its events.jsonl already read
    train_points: list[dict[str, Any]] = field(default_factory=list)
    eval_points: list[dict[str, Any]] = field(default_factory=list)
    last_train: dict[str, Any] = field(default_factory=dict)
    phase: dict[str, Any] = field(default_factory=dict)  # the newest phase event after
    # the newest training step: what the worker is doing when it is not stepping
    warnings: dict[str, list[str]] | None = None  # the run's data warnings, "en" and "zh"
    shown: bool = False  # the plots already show these points
    announced: bool = False  # the run's end has been shown (scores, the agent lists)
    # The task's headline score, read from each eval event; None for a task that scores
    # nothing but the loss while it trains (chat): the loss plot shows its validation loss.
    metric: str | None = "accuracy"
