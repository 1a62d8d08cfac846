"""Trained agents by run, loaded once and shared (they are read-only)."""

from __future__ import annotations

import functools
from pathlib import Path

from playground.service.jobs import TrainingService
from playground.training.agent import Agent, load_agent


@functools.lru_cache(maxsize=4)
def _cached(run_dir: str, model_mtime: float) -> Agent:
    return load_agent(run_dir)


def agent_for(run_dir: Path) -> Agent:
    """The agent of a run, from a small cache keyed by folder and model time."""
    labels = run_dir / "model" / "labels.json"
    return _cached(str(run_dir), labels.stat().st_mtime if labels.exists() else 0.0)


def finished_runs(service: TrainingService) -> list[str]:
    """Run ids that have an agent to talk to (succeeded, or cancelled with a checkpoint)."""
    return [row["run_id"] for row in service.list_runs()
            if row["state"] in ("succeeded", "cancelled") and row["accuracy"] is not None]
