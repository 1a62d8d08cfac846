"""The run folder: the single source of truth for one training run.

Layout (every file name lives here and nowhere else)::

    runs/<run_id>/
        config.json     the RunConfig that made the run (plus the resolved model)
        status.json     state, timings, pid, failure reason
        events.jsonl    one JSON event per line, appended by the worker
        report.json     the final held-out scores and data statistics
        worker.log      the worker's stdout and stderr
        data/           train.csv, validation.csv, test.csv as the worker will read them
                        (named entities: train.jsonl... one {"tokens", "tags"} per line;
                        chat: train.jsonl... one {"messages": [{"role", "content"}...]})
        model/          the agent: weights, tokenizer or vectorizer, labels.json, config
        finetuned/      the fine-tuned model, kept for comparison when the classic model
                        scored higher on the validation rows and serves as the agent
        CANCEL          present when someone asked the run to stop
        agent.json      how the agent answers: reply templates, keywords, tools, threshold
        tools/          lookup tables (CSV) the agent's tools read
        train_<run_id>.py   an exported standalone training script (on request)

Readers tail ``events.jsonl`` from an offset and never re-read what they have seen.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONFIG = "config.json"
STATUS = "status.json"
EVENTS = "events.jsonl"
REPORT = "report.json"
LOG = "worker.log"
DATA = "data"
MODEL = "model"
FINETUNED = "finetuned"
CANCEL = "CANCEL"
CHECKPOINTS = "checkpoints"
LABELS = "labels.json"  # in model/: the label names, in the model's output order
RUN_CONFIG = "run_config.json"  # in model/: the config.json of the run that made it
ADAPTER_CONFIG = "adapter_config.json"  # in model/: peft's, when the agent is an adapter
AGENT = "agent.json"
SCRIPT = "train_{run_id}.py"  # the exported training script, when one was asked for
TOOLS = "tools"
SPLITS = ("train", "validation", "test")
ENTITY_SPLIT_SUFFIX = ".jsonl"  # the data/ files of a named-entity run
CONVERSATION_SPLIT_SUFFIX = ".jsonl"  # the data/ files of a chat run


def new_run_id(prefix: str = "") -> str:
    """Sortable by creation time, unique without a lock: 20261124-071152-3fa9c01e."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return f"{prefix}{stamp}-{secrets.token_hex(4)}"


def write_json(path: Path, value: Any) -> None:
    """Write atomically, so a reader never sees half a file."""
    # Unique per process and thread: two app threads may save the same file at once.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class RunFolder:
    """Paths and small read/write helpers for one run folder."""

    path: Path

    @property
    def run_id(self) -> str:
        return self.path.name

    @property
    def config_path(self) -> Path:
        return self.path / CONFIG

    @property
    def status_path(self) -> Path:
        return self.path / STATUS

    @property
    def events_path(self) -> Path:
        return self.path / EVENTS

    @property
    def report_path(self) -> Path:
        return self.path / REPORT

    @property
    def log_path(self) -> Path:
        return self.path / LOG

    @property
    def model_dir(self) -> Path:
        return self.path / MODEL

    @property
    def finetuned_dir(self) -> Path:
        return self.path / FINETUNED

    @property
    def checkpoints_dir(self) -> Path:
        return self.path / CHECKPOINTS

    @property
    def agent_path(self) -> Path:
        return self.path / AGENT

    @property
    def tools_dir(self) -> Path:
        return self.path / TOOLS

    @property
    def cancel_path(self) -> Path:
        return self.path / CANCEL

    def split_path(self, split: str) -> Path:
        return self.path / DATA / f"{split}.csv"

    def entity_split_path(self, split: str) -> Path:
        """A named-entity run's sentences of one split (JSON lines)."""
        return self.path / DATA / f"{split}{ENTITY_SPLIT_SUFFIX}"

    def conversation_split_path(self, split: str) -> Path:
        """A chat run's conversations of one split (JSON lines of {"messages": [...]})."""
        return self.path / DATA / f"{split}{CONVERSATION_SPLIT_SUFFIX}"

    def exists(self) -> bool:
        return self.config_path.exists()

    def read_config(self) -> dict[str, Any]:
        return read_json(self.config_path)

    def read_status(self) -> dict[str, Any]:
        try:
            return read_json(self.status_path)
        except FileNotFoundError:
            return {}

    def update_status(self, **changes: Any) -> dict[str, Any]:
        """Merge ``changes`` into status.json (stamping updated_at) and return the result.

        The service and the worker both write here; a file lock keeps one from undoing
        the other's change.
        """
        with (self.path / ".status.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            status = self.read_status()
            status.update(changes, updated_at=time.time())
            write_json(self.status_path, status)
        return status

    def change_status(self, decide: Callable[[dict[str, Any]], dict[str, Any] | None]
                      ) -> dict[str, Any]:
        """Apply the changes ``decide(status)`` returns (None: none) under the status lock.

        A check and its write are one step, so a state another process just wrote (a
        worker that finished, a run cancelled from another shell) is never undone.
        """
        with (self.path / ".status.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            status = self.read_status()
            changes = decide(status)
            if changes:
                status.update(changes, updated_at=time.time())
                write_json(self.status_path, status)
        return status

    def read_report(self) -> dict[str, Any] | None:
        try:
            return read_json(self.report_path)
        except FileNotFoundError:
            return None

    def append_event(self, event: dict[str, Any]) -> None:
        """One JSON object per line; the line is written whole, then flushed."""
        line = json.dumps({"time": round(time.time(), 3), **event}, ensure_ascii=False)
        with self.events_path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    def read_events(self, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """Events appended after byte ``offset``, and the offset to pass next time.

        A trailing line without its newline is still being written: it is left for the
        next call.
        """
        try:
            with self.events_path.open("rb") as fh:
                fh.seek(offset)
                chunk = fh.read()
        except FileNotFoundError:
            return [], offset
        end = chunk.rfind(b"\n") + 1
        events = [json.loads(line) for line in chunk[:end].splitlines() if line.strip()]
        return events, offset + end

    def cancel_requested(self) -> bool:
        return self.cancel_path.exists()
