"""A worker started before its run: it trains the run, stops and dies as a fresh one
would, never outlives its service, and a standby that died leaves runs to fresh ones."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from conftest import tiny_settings

from playground.runfolder import RunFolder
from playground.service.jobs import LOCK, TrainingService
from playground.service.launch import standby_command
from playground.service.standby import Standby
from playground.training.standby import STANDBY_FLAG


def _wait_for(predicate, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _standbys(parent: int | None = None) -> list[psutil.Process]:
    """The standby workers a process (this one by default) has started."""
    found = []
    for child in psutil.Process(parent).children():
        try:
            if STANDBY_FLAG in child.cmdline() and child.status() != psutil.STATUS_ZOMBIE:
                found.append(child)
        except psutil.Error:
            pass  # it ended while we looked
    return found


def _events(run: RunFolder, kind: str) -> list[dict]:
    return [e for e in run.read_events(0)[0] if e["type"] == kind]


@pytest.fixture
def service(runs_dir: Path):
    service = TrainingService(runs_dir, poll_s=0.1, cancel_timeout_s=60, gpu_count=0,
                              standby=True)
    yield service
    service.shutdown()


def test_a_standby_trains_the_run_as_a_fresh_worker_would(
        service, runs_dir: Path, make_run, intent_csv: Path, tiny_model_dir: Path) -> None:
    assert service.wait_for_standby()
    [standby] = _standbys()
    assert service.list_runs() == []  # a standby is no run
    # It never holds the runs folder's lock: a worker it becomes outlives the service.
    assert not any(Path(f.path).name == LOCK for f in standby.open_files())

    settings = tiny_settings(tiny_model_dir, epochs=3)
    run = make_run(intent_csv, **settings)
    service.submit(run)
    status = service.wait(run.run_id, timeout_s=120)
    assert status["state"] == "succeeded" and status["pid"] == standby.pid
    assert status["standby"]
    service.wait_for_exit(run.run_id)  # it writes its status, then its last line
    assert f"run {run.run_id} succeeded" in run.log_path.read_text()  # its output, there
    psutil.wait_procs([standby], timeout=30)  # after the run it exits, as a fresh one
    # Once the device is idle, the next standby waits.
    assert service.wait_for_standby()
    [after] = _standbys()
    assert after.pid != standby.pid
    service.shutdown()
    psutil.wait_procs([after], timeout=10)
    assert not after.is_running()

    # The same run in a fresh worker learns the same: the standby changes when, not what.
    fresh = TrainingService(runs_dir, poll_s=0.1, gpu_count=0)
    try:
        again = make_run(intent_csv, **settings)
        fresh.submit(again)
        assert fresh.wait(again.run_id, timeout_s=120)["state"] == "succeeded"
    finally:
        fresh.shutdown()
    assert [e["loss"] for e in _events(again, "train")] == \
        [e["loss"] for e in _events(run, "train")]


def test_stop_and_kill_work_on_a_standby_worker(
        service, make_run, intent_csv: Path, tiny_model_dir: Path) -> None:
    assert service.wait_for_standby()
    [standby] = _standbys()
    run = make_run(intent_csv, **tiny_settings(tiny_model_dir, epochs=100, eval_every_steps=4))
    service.submit(run)
    _wait_for(lambda: _events(run, "eval"))
    assert run.read_status()["pid"] == standby.pid
    assert service.cancel(run.run_id) == "stopping"
    status = service.wait(run.run_id, timeout_s=60)
    assert status["state"] == "cancelled" and "best checkpoint" in status["reason"]
    assert run.read_report()["cancelled"]

    assert service.wait_for_standby()
    [second] = _standbys()
    killed = make_run(intent_csv, **tiny_settings(tiny_model_dir, epochs=100))
    service.submit(killed)
    _wait_for(lambda: _events(killed, "train"))
    assert killed.read_status()["pid"] == second.pid
    os.kill(second.pid, signal.SIGKILL)
    failed = service.wait(killed.run_id, timeout_s=30)
    assert failed["state"] == "failed" and "SIGKILL" in failed["reason"]
    assert failed["exit_code"] == -9


def test_a_standby_that_died_leaves_the_run_to_a_fresh_worker(
        service, runs_dir: Path, make_run, intent_csv: Path) -> None:
    assert service.wait_for_standby()
    [standby] = _standbys()
    standby.kill()
    run = make_run(intent_csv, model="classic")
    service.submit(run)
    status = service.wait(run.run_id, timeout_s=120)
    assert status["state"] == "succeeded" and status["pid"] != standby.pid
    assert not status["standby"]
    said = (runs_dir / "service-errors.log").read_text()
    assert "standby worker ended" in said and "fresh process" in said


def test_a_dead_standby_takes_no_run(tmp_path: Path, make_run, intent_csv: Path) -> None:
    command = standby_command(device="cpu", gpu_count=0)
    standby = Standby(command, "cpu", tmp_path)
    standby.popen.kill()
    standby.popen.wait()
    run = make_run(intent_csv, model="classic")
    assert standby.hand_over(run.path) is None
    assert run.read_status()["state"] == "queued" and not run.log_path.exists()


def test_a_standby_ends_at_once_when_let_go_or_its_service_dies(tmp_path: Path) -> None:
    standby = Standby(standby_command(device="cpu", gpu_count=0), "cpu", tmp_path)
    assert standby.close() == 0  # mid-import: it does not finish them first

    code = ("import sys, time\n"
            "from playground.service.jobs import TrainingService\n"
            "TrainingService(sys.argv[1], gpu_count=0, standby=True)\n"
            "time.sleep(600)\n")
    server = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "runs")])
    try:
        _wait_for(lambda: _standbys(server.pid), timeout_s=60)
        [orphan] = _standbys(server.pid)
    finally:
        server.kill()  # no shutdown: the service's process is simply gone
        server.wait()
    psutil.wait_procs([orphan], timeout=30)
    assert not orphan.is_running()


def test_no_standby_unless_asked(runs_dir: Path) -> None:
    service = TrainingService(runs_dir, poll_s=0.1, gpu_count=0)
    try:
        assert not service.wait_for_standby(timeout_s=1)
        assert _standbys() == []
    finally:
        service.shutdown()
