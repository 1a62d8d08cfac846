"""Two apps and two `playground train` commands on one runs folder, started and killed
in an order that leaves, for a while, no one serving it: every queued run starts once a
serving process is alive, none starts twice, and none stays "running" once its worker
is gone. Real processes throughout; the run folders are the evidence."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
from conftest import intent_rows
from test_cli_jobs import TINY_LONG, _has_event, _the_run, _train, _wait_for

from playground.runfolder import RunFolder
from playground.service.jobs import TrainingService
from playground.service.states import process_alive

# Longer than the test: 900 rows, 100 epochs (the most), so only a kill ends this run.
LONGER = [*TINY_LONG, "--eval-every-steps", "50", "--no-fit-to-data"]


def _app(runs: Path, log: Path) -> subprocess.Popen:
    """`playground --runs-dir RUNS` (the web app), once it serves its page."""
    with log.open("w") as out:
        app = subprocess.Popen([sys.executable, "-m", "playground", "--runs-dir", str(runs)],
                               stdout=out, stderr=subprocess.STDOUT, text=True)
    _wait_for(lambda: "Agent Playground is on" in log.read_text() or app.poll() is not None)
    assert app.poll() is None, log.read_text()
    return app


def _kill(process: subprocess.Popen) -> None:
    process.kill()  # no goodbye: as a crash, or a closed laptop
    process.wait(timeout=30)


def _someone_serves(runs: Path) -> bool:
    """Whether a serving process holds the runs folder's lock."""
    with (runs / ".service.lock").open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(lock, fcntl.LOCK_UN)
        return False


def _queued_besides(runs: Path, run_id: str) -> bool:
    other = _the_run(runs, {run_id})
    return other is not None and "queued_at" in other.read_status()


def _launches(run: RunFolder) -> int:
    """How many workers began the run: each one's first event is its loading phase."""
    return sum(e["type"] == "phase" and e.get("phase") == "loading"
               for e in run.read_events(0)[0])


def _state(run: RunFolder) -> str:
    return run.read_status().get("state", "")


def test_two_apps_and_two_commands_in_any_order(tmp_path: Path, runs_dir: Path, make_run,
                                                intent_csv: Path, tiny_model_dir: Path) -> None:
    logs, started = tmp_path / "logs", []
    logs.mkdir()
    big = tmp_path / "big.csv"
    pd.DataFrame(intent_rows(per_label=300), columns=["text", "intent"]).to_csv(big, index=False)
    try:
        started.append(first_app := _app(runs_dir, logs / "app-a.log"))
        started.append(first_cli := _train(big, runs_dir, logs / "cli-1.log",
                                           "--model", str(tiny_model_dir), *LONGER))
        _wait_for(lambda: _has_event(_the_run(runs_dir), "train"))
        long = _the_run(runs_dir)
        started.append(second_cli := _train(intent_csv, runs_dir, logs / "cli-2.log",
                                            "--model", "classic"))
        _wait_for(lambda: _queued_besides(runs_dir, long.run_id))
        waiting = _the_run(runs_dir, {long.run_id})
        started.append(second_app := _app(runs_dir, logs / "app-b.log"))

        _kill(first_app)  # the folder's owner: another takes over and adopts the worker
        _kill(first_cli)
        _kill(second_cli)
        worker = long.read_status()
        assert process_alive(worker["pid"], worker["pid_started_at"])
        submitter = TrainingService(runs_dir, gpu_count=0, serve=False)  # as a page queues
        later = make_run(intent_csv, model="classic")
        submitter.submit(later)
        _wait_for(lambda: _someone_serves(runs_dir))  # the second app took over
        assert _state(long) == "running" and _launches(long) == 1  # adopted, not relaunched

        _kill(second_app)  # no one serves the folder now
        os.kill(worker["pid"], signal.SIGKILL)  # and the worker dies unwatched
        _wait_for(lambda: not process_alive(worker["pid"], worker["pid_started_at"]))

        started.append(last_app := _app(runs_dir, logs / "app-c.log"))  # a serving process
        _wait_for(lambda: _state(long) == "failed")  # the dead worker's run is settled
        for run in (waiting, later):
            _wait_for(lambda run=run: _state(run) in ("succeeded", "failed", "cancelled"),
                      timeout_s=300)
        last_app.send_signal(signal.SIGINT)
        last_app.wait(timeout=60)
    finally:
        for process in started:
            process.kill()
            process.wait(timeout=30)
    assert "process is gone" in long.read_status()["reason"]
    for run in (long, waiting, later):
        status = run.read_status()
        assert status["state"] in ("succeeded", "failed"), (run.run_id, status)
        # a worker writes its last status, then exits: give it a moment to be gone
        _wait_for(lambda s=status: not process_alive(s["pid"], s["pid_started_at"]),
                  timeout_s=30)
        assert _launches(run) == 1, run.run_id
    assert _state(waiting) == _state(later) == "succeeded"
