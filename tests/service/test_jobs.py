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
from playground.training.agents import load_agent


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
    # The running run is ahead of the waiting one: "0 ahead" would be untrue.
    assert service.queue_position(after.run_id) == 1
    assert service.status(after.run_id)["running_ahead"] == 1
    os.kill(long.read_status()["pid"], signal.SIGKILL)
    failed = service.wait(long.run_id, timeout_s=30)
    # Nothing says memory ran out, so the reason names the signal instead of guessing.
    assert failed["state"] == "failed" and "SIGKILL" in failed["reason"]
    assert "out of memory" not in failed["reason"] and failed["exit_code"] == -9
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
    reader = TrainingService(runs_dir, poll_s=0.1, gpu_count=0, serve=False)  # `playground runs`
    try:
        assert service.owner and not reader.owner
        run = make_run(intent_csv, model="classic")
        reader.submit(run)
        assert reader.wait(run.run_id, timeout_s=120)["state"] == "succeeded"
        assert [r["run_id"] for r in reader.list_runs()] == [run.run_id]
    finally:
        reader.shutdown()


def _started_once(run: RunFolder) -> bool:
    """One worker trained the run: a second launch would score the baselines again."""
    return sum(e["type"] == "baselines" for e in run.read_events(0)[0]) == 1


def test_a_serving_process_takes_over_when_the_owner_goes(
        runs_dir: Path, make_run, intent_csv: Path, tiny_model_dir: Path) -> None:
    first = TrainingService(runs_dir, poll_s=0.1, gpu_count=0)
    second = TrainingService(runs_dir, poll_s=0.1, gpu_count=0)  # e.g. a second app
    try:
        assert first.owner and not second.owner
        long = make_run(intent_csv, **tiny_settings(tiny_model_dir, epochs=100))
        after = make_run(intent_csv, model="classic")
        second.submit(long)
        second.submit(after)
        _wait_for(lambda: _has_event(long, "train"))
        first.shutdown()  # the owner goes; its worker trains on
        _wait_for(lambda: second.owner, timeout_s=10)
        assert second.status(long.run_id)["state"] == "running"  # adopted, not failed
        assert second.cancel(long.run_id) == "stopping"
        assert second.wait(long.run_id, timeout_s=60)["state"] == "cancelled"
        assert second.wait(after.run_id, timeout_s=120)["state"] == "succeeded"
        assert _started_once(long) and _started_once(after)
    finally:
        first.shutdown()
        second.shutdown()


def test_a_dead_worker_with_no_owner_alive_is_settled_by_whoever_looks(
        runs_dir: Path, make_run, intent_csv: Path, tiny_model_dir: Path) -> None:
    owner = TrainingService(runs_dir, poll_s=0.1, gpu_count=0)
    run = make_run(intent_csv, **tiny_settings(tiny_model_dir, epochs=100))
    owner.submit(run)
    _wait_for(lambda: _has_event(run, "train"))
    owner.shutdown()  # no one serves the folder now
    os.kill(run.read_status()["pid"], signal.SIGKILL)
    reader = TrainingService(runs_dir, gpu_count=0, serve=False)
    _wait_for(lambda: reader.status(run.run_id)["state"] != "running", timeout_s=10)
    status = run.read_status()
    assert status["state"] == "failed" and "process is gone" in status["reason"]
    assert "out of memory" not in status["reason"]
    assert reader.cancel(run.run_id) == "finished"
    reader.delete(run.run_id)  # refused while it said "running"
    assert not run.path.exists()


def test_services_started_and_stopped_in_any_order_run_each_run_once(
        runs_dir: Path, make_run, intent_csv: Path) -> None:
    runs = [make_run(intent_csv, model="classic") for _ in range(4)]
    services = [TrainingService(runs_dir, poll_s=0.1, gpu_count=0) for _ in range(2)]
    try:
        for i, run in enumerate(runs):
            services[i % 2].submit(run)
        services[0].shutdown()  # the owner leaves before anything finished
        assert services[1].wait(runs[0].run_id, timeout_s=120)["state"] == "succeeded"
        services[1].shutdown()  # and the next one too; the rest waits for a third
        late = TrainingService(runs_dir, poll_s=0.1, gpu_count=0)
        services.append(late)
        finals = [late.wait(run.run_id, timeout_s=120) for run in runs]
        assert [f["state"] for f in finals] == ["succeeded"] * 4
        assert all(_started_once(run) for run in runs)
        starts = [f["started_at"] for f in finals]
        assert starts == sorted(starts)  # in the order they were queued
    finally:
        for service in services:
            service.shutdown()


def test_a_listing_service_never_launches(runs_dir: Path, make_run, intent_csv: Path) -> None:
    run = make_run(intent_csv, model="classic")
    run.update_status(state=State.QUEUED.value, device="cpu", queued_at=time.time())
    reader = TrainingService(runs_dir, poll_s=0.1, gpu_count=0, serve=False)
    try:
        assert [r["state"] for r in reader.list_runs()] == ["queued"]
        assert reader.status(run.run_id)["queue_position"] == 0
        time.sleep(2 * TrainingService.RESCAN_S)
        assert run.read_status()["state"] == "queued" and not reader.owner
    finally:
        reader.shutdown()
