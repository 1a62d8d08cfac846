"""A worker started before its run: it imports what training needs, then waits for a run.

Importing torch, transformers' Trainer and pandas takes a fresh worker several seconds
before its first step, so the service (``service/standby.py``) keeps one worker started
ahead, as ``python -m playground.training.worker --standby`` with the environment a run
would get. When a run starts, the service hands that process the run folder and it becomes
the run's worker; the user sees the first loss point that many seconds sooner. One line
each way:

    worker -> service   READY                   imports done, waiting for a run
    service -> worker   {"run": "/abs/run/dir"}  the run is yours (one JSON line, stdin)
    worker -> service   TOOK                    from here on, output goes to the run's log

Standard input closing before a run arrives (the service has gone, or let the standby go)
ends the process at once, even in the middle of its imports: a standby never outlives
its service. Importing this module is light; ``warm_up`` does the heavy imports.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import IO

from playground.runfolder import RunFolder

STANDBY_FLAG = "--standby"  # the worker's one argument when it starts without its run
READY = "standby: ready"
TOOK = "standby: took the run"


def handoff_line(run_dir: Path) -> bytes:
    """What the service writes on a standby's standard input to give it ``run_dir``."""
    return (json.dumps({"run": str(run_dir)}) + "\n").encode("utf-8")


def read_handoff(line: bytes) -> Path | None:
    """The run folder a hand-off line names; None for anything else (end of input)."""
    try:
        run = json.loads(line.decode("utf-8")).get("run")
    except (ValueError, AttributeError):
        return None
    return Path(run) if isinstance(run, str) and run else None


def warm_up() -> None:
    """Import what a run's training imports before its first step, for every task."""
    import torch  # noqa: F401
    from transformers import (  # noqa: F401
        AutoConfig,
        AutoModelForSequenceClassification,
        AutoModelForTokenClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        EarlyStoppingCallback,
        Trainer,
        TrainingArguments,
    )

    from playground import tasks
    from playground.training import callbacks, engine, failures, job, sampling  # noqa: F401

    for name in tasks.names():
        tasks.part(name, "training")


class _Handoff:
    """The run a standby was given, filled in by the thread that reads standard input."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # READY is never said after TOOK
        self.arrived = threading.Event()
        self.run: Path | None = None
        self.at = 0.0


def wait_for_run(stdin: IO[bytes] | None = None) -> tuple[Path, float]:
    """Warm up, say READY, and return the run folder handed over and when it came.

    Standard input is read by a thread from the start, so a run handed over during the
    imports is taken (and the service told so) at once, and the end of input ends the
    process at once.
    """
    handoff = _Handoff()
    listener = threading.Thread(target=_listen, args=(handoff, stdin or sys.stdin.buffer),
                                name="standby-handoff", daemon=True)
    listener.start()
    warm_up()
    with handoff.lock:
        if handoff.run is None:
            _say(READY)
    handoff.arrived.wait()
    assert handoff.run is not None
    os.chdir(handoff.run)  # where a fresh worker starts (service/jobs.py)
    return handoff.run, handoff.at


def _listen(handoff: _Handoff, stdin: IO[bytes]) -> None:
    run = read_handoff(stdin.readline())
    if run is None:
        os._exit(0)  # no run will come: the service has gone or let this standby go
    with handoff.lock:
        handoff.at = time.time()  # the run's clock starts now, as a fresh worker's would
        _say(TOOK)
        _write_to(RunFolder(run).log_path)
        handoff.run = run
    handoff.arrived.set()


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _write_to(log_path: Path) -> None:
    """Send this process's stdout and stderr to the run's log, as a fresh worker's are."""
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
    finally:
        os.close(fd)
