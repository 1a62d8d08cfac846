"""The command line and the queue: a stopped `playground train` stops its worker,
`playground stop` stops a run from any shell, and `playground runs` starts nothing."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import tiny_settings
from test_cli import playground

from playground.runfolder import RunFolder
from playground.service.jobs import TrainingService
from playground.service.states import State, process_alive

TINY_LONG = ["--epochs", "100", "--learning-rate", "1e-3", "--batch-size", "8",
             "--max-length", "32", "--precision", "fp32", "--early-stopping-patience", "0",
             "--eval-every-steps", "4"]


def _train(data: Path, runs: Path, log: Path, *extra: str) -> subprocess.Popen:
    """`playground train` in the background, its output going to ``log``."""
    with log.open("w") as out:
        return subprocess.Popen([sys.executable, "-m", "playground", "train", "--data",
                                 str(data), "--runs-dir", str(runs), *extra],
                                stdout=out, stderr=subprocess.STDOUT, text=True)


def _wait_for(predicate, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _the_run(runs: Path, exclude: set[str] = frozenset()) -> RunFolder | None:
    found = [RunFolder(p) for p in runs.glob("*") if RunFolder(p).exists()
             and p.name not in exclude]
    return found[0] if found else None


def _has_event(run: RunFolder | None, kind: str) -> bool:
    return run is not None and any(e["type"] == kind for e in run.read_events(0)[0])


def test_ctrl_c_stops_the_worker_and_says_where_the_agent_is(
        tmp_path: Path, intent_csv: Path, tiny_model_dir: Path) -> None:
    runs, log = tmp_path / "runs", tmp_path / "train.log"
    cli = _train(intent_csv, runs, log, "--model", str(tiny_model_dir), *TINY_LONG)
    try:
        _wait_for(lambda: _has_event(_the_run(runs), "eval"))
        run = _the_run(runs)
        worker = run.read_status()
        assert worker["standby"]  # the worker it started while it read the data
        cli.send_signal(signal.SIGINT)
        assert cli.wait(timeout=120) == 3
    finally:
        cli.kill()
    said = log.read_text()
    assert "Traceback" not in said and str(run.model_dir) in said
    assert not process_alive(worker["pid"], worker["pid_started_at"])
    status = run.read_status()
    assert status["state"] == "cancelled" and "best checkpoint" in status["reason"]


def test_a_closed_terminal_unqueues_and_sigterm_stops_the_worker(
        tmp_path: Path, intent_csv: Path, tiny_model_dir: Path) -> None:
    runs = tmp_path / "runs"
    first = _train(intent_csv, runs, tmp_path / "first.log", "--model", str(tiny_model_dir),
                   *TINY_LONG)
    second = None
    try:
        _wait_for(lambda: _has_event(_the_run(runs), "train"))
        running = _the_run(runs)
        second = _train(intent_csv, runs, tmp_path / "second.log", "--model", "classic")
        _wait_for(lambda: (_the_run(runs, {running.run_id}) or RunFolder(tmp_path))
                  .read_status().get("queued_at") is not None)
        waiting = _the_run(runs, {running.run_id})
        second.send_signal(signal.SIGHUP)
        assert second.wait(timeout=60) == 3
        assert waiting.read_status()["state"] == "cancelled"
        assert "removed from the queue" in (tmp_path / "second.log").read_text()

        worker = running.read_status()
        first.send_signal(signal.SIGTERM)
        time.sleep(0.1)
        first.send_signal(signal.SIGTERM)  # the second one does not wait for the step
        assert first.wait(timeout=120) == 3
    finally:
        first.kill()
        if second is not None:
            second.kill()
    assert not process_alive(worker["pid"], worker["pid_started_at"])
    assert running.read_status()["state"] == "cancelled"
    assert "Traceback" not in (tmp_path / "first.log").read_text()


def test_stop_from_another_shell(runs_dir: Path, make_run, intent_csv: Path,
                                 tiny_model_dir: Path) -> None:
    missing = playground("stop", str(runs_dir / "no-such-run"))
    assert missing.returncode == 2 and "There is no run folder" in missing.stderr
    assert "Traceback" not in missing.stderr

    waiting = make_run(intent_csv, model="classic")  # queued, with no app or command alive
    waiting.update_status(state=State.QUEUED.value, device="cpu", queued_at=time.time())
    removed = playground("stop", str(waiting.path))
    assert removed.returncode == 0 and "removed from the queue" in removed.stdout
    assert waiting.read_status()["state"] == "cancelled"
    again = playground("stop", str(waiting.path))
    assert again.returncode == 0 and "already finished (cancelled)" in again.stdout

    service = TrainingService(runs_dir, poll_s=0.1, gpu_count=0)
    try:
        run = make_run(intent_csv, **tiny_settings(tiny_model_dir, epochs=100,
                                                   eval_every_steps=4))
        service.submit(run)
        _wait_for(lambda: _has_event(run, "eval"))
        stopping = playground("stop", str(run.path))
        assert stopping.returncode == 0 and "next step" in stopping.stdout
        status = service.wait(run.run_id, timeout_s=60)
        assert status["state"] == "cancelled" and "best checkpoint" in status["reason"]
    finally:
        service.shutdown()


def test_listing_runs_starts_nothing(runs_dir: Path, make_run, intent_csv: Path) -> None:
    run = make_run(intent_csv, model="classic")
    run.update_status(state=State.QUEUED.value, device="cpu", queued_at=time.time())
    listed = playground("runs", "--runs-dir", str(runs_dir))
    assert listed.returncode == 0 and run.run_id in listed.stdout
    time.sleep(1)
    assert run.read_status()["state"] == "queued" and not run.log_path.exists()
    assert not (runs_dir / ".service.lock").exists()  # it never took the lock


def test_a_stdout_that_breaks_mid_run_stops_the_worker(
        tmp_path: Path, intent_csv: Path, tiny_model_dir: Path, monkeypatch) -> None:
    """Not only a signal: whatever makes `playground train` fail while its run trains (here
    its output closed under it, so printing a progress line raises), its worker stops."""
    import threading

    from playground import cli

    runs, out = tmp_path / "runs", (tmp_path / "train.log").open("w")
    monkeypatch.setattr(sys, "stdout", out)
    seen: dict[str, dict] = {}

    def close_once_it_trains() -> None:
        _wait_for(lambda: _has_event(_the_run(runs), "train"))
        seen["worker"] = _the_run(runs).read_status()
        out.close()

    closer = threading.Thread(target=close_once_it_trains, daemon=True)
    closer.start()
    with pytest.raises(ValueError, match="closed file"):
        cli.main(["train", "--data", str(intent_csv), "--runs-dir", str(runs), "--model",
                  str(tiny_model_dir), *TINY_LONG])
    closer.join(timeout=10)
    worker, run = seen["worker"], _the_run(runs)
    assert not process_alive(worker["pid"], worker["pid_started_at"])
    assert run.read_status()["state"] == "cancelled"
