"""What one browser session has chosen so far (kept in gr.State, never in a global)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Session:
    data_path: str | None = None
    data_name: str = ""
    run_id: str | None = None  # the run this window follows on the Train tab
    offset: int = 0  # bytes of that run's events.jsonl already read
    train_points: list[dict[str, Any]] = field(default_factory=list)
    eval_points: list[dict[str, Any]] = field(default_factory=list)
    last_train: dict[str, Any] = field(default_factory=dict)

    def follow(self, run_id: str | None) -> None:
        """Start following another run: its curve is read again from the beginning."""
        self.run_id, self.offset = run_id, 0
        self.train_points, self.eval_points, self.last_train = [], [], {}
