"""The queue with real worker processes: order, kill, cancel, restart."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from conftest import tiny_settings

from playground.runfolder import RunFolder
from playground.service.jobs import TrainingService
from playground.service.states import State
from playground.training.agent import load_agent


@pytest.fixture
def service(runs_dir: Path):
    service = TrainingService(runs_dir, poll_s=0.1, cancel_timeout_s=60, gpu_count=0)
    yield service
    service.shutdown()


def _wait_for(predicate, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _has_event(run: RunFolder, kind: str) -> bool:
    return any(e["type"] == kind for e in run.read_events(0)[0])


def test_one_job_at_a_time_in_order(service, make_run, intent_csv: Path) -> None:
    first = make_run(intent_csv, model="classic")
    second = make_run(intent_csv, model="classic")
    service.submit(first)
    service.submit(second)
    assert service.queue_position(second.run_id) in (0, 1)
    one = service.wait(first.run_id, timeout_s=120)
    two = service.wait(second.run_id, timeout_s=120)
    assert one["state"] == two["state"] == "succeeded"
    assert two["started_at"] >= one["finished_at"] - 0.5
    rows = {r["run_id"]: r for r in service.list_runs()}
    assert rows[first.run_id]["accuracy"] > 0.9 and rows[first.run_id]["duration_s"] > 0


def test_killed_worker_fails_with_reason_and_next_job_runs(
        service, make_run, intent_csv: Path, tiny_model_dir: Path) -> None:
    long = make_run(intent_csv, **tiny_settings(tiny_model_dir, epochs=100))
    after = make_run(intent_csv, model="classic")
    service.submit(long)
    service.submit(after)
    _wait_for(lambda: _has_event(long, "train"))
    assert service.queue_position(after.run_id) == 0
    os.kill(long.read_status()["pid"], signal.SIGKILL)
    failed = service.wait(long.run_id, timeout_s=30)
    assert failed["state"] == "failed" and "killed" in failed["reason"]
    assert service.wait(after.run_id, timeout_s=120)["state"] == "succeeded"


def test_cancel_stops_at_next_step_and_keeps_best_checkpoint(
        service, make_run, intent_csv: Path, tiny_model_dir: Path) -> None:
    run = make_run(intent_csv, **tiny_settings(tiny_model_dir, epochs=100, eval_every_steps=4))
    service.submit(run)
    _wait_for(lambda: _has_event(run, "eval"))
    assert service.cancel(run.run_id) == "stopping"
    status = service.wait(run.run_id, timeout_s=60)
    assert status["state"] == "cancelled" and "best checkpoint" in status["reason"]
    report = run.read_report()
    assert report["cancelled"] and report["scores"]["model"]["accuracy"] is not None
    events = run.read_events(0)[0]
    total = next(e["total_steps"] for e in events if e["type"] == "train_begin")
    assert max(e["step"] for e in events if e["type"] == "train") < total
    evals = [e["accuracy"] for e in events if e["type"] == "eval"]
    assert report["best_validation"] == max(evals)  # the best checkpoint, not the last
    assert len(load_agent(run.path).predict(["refund my order"])[0].probabilities) == 3


def test_cancel_a_queued_run_and_nothing_to_stop(service, make_run, intent_csv: Path,
                                                 tiny_model_dir: Path) -> None:
    first = make_run(intent_csv, **tiny_settings(tiny_model_dir, epochs=100))
    second = make_run(intent_csv, model="classic")
    service.submit(first)
    service.submit(second)
    _wait_for(lambda: first.read_status().get("state") == "running")
    assert service.cancel(second.run_id) == "removed"
    assert second.read_status()["state"] == "cancelled"
    assert service.cancel(second.run_id) == "finished"
    service.cancel(first.run_id)
    assert service.wait(first.run_id, timeout_s=60)["state"] == "cancelled"


def test_restart_reconciles_dead_runs_and_requeues_waiting_ones(
        runs_dir: Path, make_run, intent_csv: Path) -> None:
    dead = make_run(intent_csv, model="classic")
    dead.update_status(state=State.RUNNING.value, pid=2**22 + 7, device="cpu")
    waiting = make_run(intent_csv, model="classic")
    waiting.update_status(state=State.QUEUED.value, device="cpu", queued_at=time.time())
    service = TrainingService(runs_dir, poll_s=0.1, gpu_count=0)
    try:
        status = dead.read_status()
        assert status["state"] == "failed" and "process is gone" in status["reason"]
        assert service.wait(waiting.run_id, timeout_s=120)["state"] == "succeeded"
    finally:
        service.shutdown()


def test_a_second_service_queues_and_the_owner_runs(service, runs_dir: Path, make_run,
                                                    intent_csv: Path) -> None:
    reader = TrainingService(runs_dir, poll_s=0.1, gpu_count=0)  # e.g. `playground runs`
    try:
        assert service.owner and not reader.owner
        run = make_run(intent_csv, model="classic")
        reader.submit(run)
        assert reader.wait(run.run_id, timeout_s=120)["state"] == "succeeded"
        assert [r["run_id"] for r in reader.list_runs()] == [run.run_id]
    finally:
        reader.shutdown()
