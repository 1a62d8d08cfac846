"""Readable run names: made from the data file and the task, editable, shown where ids were.

A name lives in the run's status.json (it may change; the config that made the run may
not). Runs made before names existed are named from their data file when listed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from playground.errors import RunError
from playground.service.owners import Person, check_may_change, owner_of
from playground.tasks import TaskSpec

MAX_NAME = 60  # characters: fits a dropdown and a card


def clean_name(name: str) -> str:
    """``name`` without control characters and runs of spaces, at most MAX_NAME long."""
    kept = "".join(" " if unicodedata.category(c).startswith("C") else c for c in str(name))
    return re.sub(r"\s+", " ", kept).strip()[:MAX_NAME].strip()


def default_name(data_name: str, task: TaskSpec, taken: Iterable[str],
                 lang: str = "en") -> str:
    """"reviews" for labels from reviews.csv, "reviews · entities" for entities (the
    task's ``run_suffix`` in ``lang``: "reviews · 实体"); "#2" and so on when that name is
    taken."""
    suffix = task.run_suffix[lang == "zh"]
    base = (clean_name(Path(data_name).stem or data_name) or "run") + suffix
    taken = set(taken)
    name, number = base, 2
    while name in taken:
        name, number = f"{base} #{number}", number + 1
    return name


def name_of(run_id: str, status: dict[str, Any], spec: dict[str, Any]) -> str:
    """The run's name; for a run made before names, its data file and start time."""
    if status.get("name"):
        return str(status["name"])
    stamp = run_id[9:11] + ":" + run_id[11:13] if len(run_id) > 13 else run_id
    return f"{Path(spec.get('data', {}).get('name') or run_id).stem} ({stamp})"


def rename(service: Any, run_id: str, name: str, by: Person | None = None) -> str:
    """Give a run a new name (any state); returns the name as stored. ``by`` is who asks
    (None: the host); NotYourRun when it is someone else's run, as for Stop and Delete."""
    cleaned = clean_name(name)
    if not cleaned:
        raise RunError("A run's name cannot be empty.", "Type a name, then press Enter.",
                       zh="训练记录的名字不能为空。请输入名字后按回车。")
    run = service.run(run_id)
    status = run.read_status()
    check_may_change(name_of(run_id, status, run.read_config()), owner_of(status), by, "rename")
    run.update_status(name=cleaned)
    return cleaned
