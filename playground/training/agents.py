"""Load the agent a run made, whatever its task (the task's ``agent.load``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playground import tasks
from playground.errors import RunError
from playground.runfolder import LABELS, RunFolder


def load_agent(run_dir: str | Path) -> Any:
    """The agent of a finished (or cancelled-with-checkpoint) run, or a RunError. Its
    task is the one its labels.json names (agents made before tasks were named there
    are the default task's)."""
    name = Path(run_dir).name  # the run's id: web users see these sentences, not paths
    if not Path(run_dir).is_dir():
        raise RunError(f"There is no run folder {name}.",
                       "See the runs with: playground runs",
                       zh=f"没有训练记录文件夹 {name}。可用 playground runs 查看所有训练记录。")
    model_dir = RunFolder(Path(run_dir)).model_dir
    if not (model_dir / LABELS).exists():
        raise RunError(f"The run {name} has no trained agent yet.",
                       "Pick a run that has finished, or wait for this one to finish.",
                       zh=f"训练记录 {name} 还没有训练好的智能体。"
                          "请选择已完成的训练记录，或等这一个完成。")
    saved = json.loads((model_dir / LABELS).read_text(encoding="utf-8"))
    return tasks.part(saved.get("task"), "agent").load(model_dir)
