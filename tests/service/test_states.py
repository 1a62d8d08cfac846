from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import psutil

from playground.service.states import (
    State,
    can_move,
    describe_exit,
    oom_kill_count,
    out_of_memory_evidence,
    process_alive,
    reconcile,
    worker_gone,
)


def test_transitions() -> None:
    assert can_move(State.QUEUED, State.RUNNING)
    assert can_move(State.RUNNING, State.CANCELLED)
    assert not can_move(State.SUCCEEDED, State.RUNNING)
    assert not can_move(State.QUEUED, State.SUCCEEDED)
    assert State.FAILED.finished and not State.RUNNING.finished


def test_running_without_a_process_becomes_failed_with_a_reason() -> None:
    changes = reconcile({"state": "running"}, alive=False, returncode=-9)
    assert changes["state"] == "failed" and "SIGKILL" in changes["reason"]
    assert "out of memory" not in changes["reason"]  # a kill -9 alone says nothing of memory
    changes = reconcile({"state": "running"}, alive=False, returncode=-9, out_of_memory=True)
    assert "out of memory" in changes["reason"] and changes["error_kind"] == "out_of_memory"
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
    changes = reconcile({"state": "running"}, alive=False, returncode=-9, out_of_memory=True)
    assert "内存不足" in changes["reason_zh"]
    changes = reconcile({"state": "running", "cancel_requested": True}, alive=False)
    assert "已按要求停止" in changes["reason_zh"]
    for code in (None, -9, -15, 1):
        text = describe_exit(code, lang="zh")
        assert text.endswith("。") and not any(c.isascii() and c.isalpha() for c in
                                               text.replace("worker.log", ""))


def test_out_of_memory_needs_evidence(tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    log.write_text("step 1/100\nstep 2/100\n")
    assert not out_of_memory_evidence(log, {})
    assert out_of_memory_evidence(log, {}, memory_low_seen=True)
    log.write_text("x" * 100_000 + "\ntorch.OutOfMemoryError: CUDA out of memory. Tried to "
                   "allocate 2.00 GiB\n")
    assert out_of_memory_evidence(log, {})
    assert not out_of_memory_evidence(tmp_path / "missing.log", {})
    count = oom_kill_count()
    if count is not None:  # the kernel shows its OOM-kill count here
        assert not out_of_memory_evidence(tmp_path / "missing.log", {"oom_kills_at_start": count})
        assert out_of_memory_evidence(tmp_path / "missing.log",
                                      {"oom_kills_at_start": count - 1})


def test_a_zombie_is_gone_only_when_no_parent_will_report_it() -> None:
    # A parent that starts a child which exits at once, and does not reap it for a while.
    parent = subprocess.Popen([sys.executable, "-c",
                               "import subprocess, sys, time\n"
                               "child = subprocess.Popen([sys.executable, '-c', 'pass'])\n"
                               "print(child.pid, flush=True)\n"
                               "time.sleep(60)\n"], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    deadline = time.monotonic() + 20
    while psutil.Process(child).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert not process_alive(child, None)
    assert not worker_gone(child, None)  # its parent lives and will say how it ended
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 20
    while not worker_gone(child, None):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert worker_gone(None, None)
