from __future__ import annotations

import subprocess
import sys

import psutil

from playground.service.states import State, can_move, describe_exit, process_alive, reconcile


def test_transitions() -> None:
    assert can_move(State.QUEUED, State.RUNNING)
    assert can_move(State.RUNNING, State.CANCELLED)
    assert not can_move(State.SUCCEEDED, State.RUNNING)
    assert not can_move(State.QUEUED, State.SUCCEEDED)
    assert State.FAILED.finished and not State.RUNNING.finished


def test_running_without_a_process_becomes_failed_with_a_reason() -> None:
    changes = reconcile({"state": "running"}, alive=False, returncode=-9)
    assert changes["state"] == "failed" and "memory" in changes["reason"]
    changes = reconcile({"state": "running"}, alive=False, returncode=None)
    assert changes["state"] == "failed" and "restarted" in changes["reason"]


def test_cancel_requested_and_gone_is_cancelled() -> None:
    changes = reconcile({"state": "running", "cancel_requested": True}, alive=False)
    assert changes["state"] == "cancelled"


def test_live_or_finished_runs_are_left_alone() -> None:
    assert reconcile({"state": "running"}, alive=True) is None
    assert reconcile({"state": "succeeded"}, alive=False) is None
    assert reconcile({"state": "queued"}, alive=False) is None


def test_process_alive_follows_a_real_process() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    started = psutil.Process(proc.pid).create_time()
    assert process_alive(proc.pid, started)
    # A pid recycled by a newer process is not our worker.
    assert not process_alive(proc.pid, started - 100)
    proc.kill()
    proc.wait()
    assert not process_alive(proc.pid, started)
    assert not process_alive(None, None)


def test_exit_descriptions_are_sentences() -> None:
    for code in (None, -9, -15, 1):
        text = describe_exit(code)
        assert text.endswith(".") and len(text) > 30


def test_a_gone_worker_is_explained_in_chinese_too() -> None:
    changes = reconcile({"state": "running"}, alive=False, returncode=-9)
    assert "内存不足" in changes["reason_zh"]
    changes = reconcile({"state": "running", "cancel_requested": True}, alive=False)
    assert "已按要求停止" in changes["reason_zh"]
    for code in (None, -9, -15, 1):
        text = describe_exit(code, "zh")
        assert text.endswith("。") and not any(c.isascii() and c.isalpha() for c in
                                               text.replace("worker.log", ""))
