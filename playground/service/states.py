"""A run's life as a named state machine, and the one function that reconciles it.

    queued -> running -> succeeded | failed | cancelled
    queued -> cancelled (removed from the queue before it started)

``reconcile`` decides what a status file means given whether its worker process still
lives; the service calls it when it takes a runs folder over, whenever a worker exits,
and whenever anyone reads a running run whose worker is gone.
"""

from __future__ import annotations

import enum
import os
import signal
from pathlib import Path
from typing import Any

import psutil

LOW_MEMORY_PERCENT = 95.0  # memory in use at which a later kill counts as out of memory
LOG_TAIL_BYTES = 64 * 1024  # how much of worker.log to search for a memory error
MEMORY_ERRORS = ("out of memory", "memoryerror", "outofmemoryerror",
                 "cannot allocate memory", "bad_alloc")
# The kernel's counts of processes its out-of-memory killer ended: this cgroup's (v2, v1),
# then the machine's. Their sum rises whenever it kills a process here.
OOM_KILL_COUNTERS = ("/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control",
                     "/proc/vmstat")


class State(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (State.SUCCEEDED, State.FAILED, State.CANCELLED)


ALLOWED = {
    State.QUEUED: {State.RUNNING, State.CANCELLED, State.FAILED},
    State.RUNNING: {State.SUCCEEDED, State.FAILED, State.CANCELLED},
    State.SUCCEEDED: set(),
    State.FAILED: set(),
    State.CANCELLED: set(),
}


def can_move(current: State, new: State) -> bool:
    return new in ALLOWED[current]


def process_alive(pid: int | None, started_at: float | None) -> bool:
    """Whether ``pid`` is still the worker we started (not a recycled pid, not a zombie)."""
    if not pid:
        return False
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        # A recycled pid belongs to a process created after our worker was.
        return started_at is None or proc.create_time() <= started_at + 1.0
    except psutil.Error:
        return False


def worker_gone(pid: int | None, started_at: float | None) -> bool:
    """Whether the worker has ended and no one else will report how.

    A zombie whose parent is another live process is not gone yet: that parent (the
    service that started it) reaps it within a poll and records its exit code.
    """
    if not pid:
        return True
    if process_alive(pid, started_at):
        return False
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE and proc.ppid() not in (0, 1, os.getpid()):
            return not psutil.pid_exists(proc.ppid())
    except psutil.Error:
        pass  # no such process: gone
    return True


def oom_kill_count() -> int | None:
    """A number that rises whenever the kernel's out-of-memory killer ends a process
    here (see ``OOM_KILL_COUNTERS``); None where the system shows none of them."""
    total, found = 0, False
    for name in OOM_KILL_COUNTERS:
        try:
            lines = Path(name).read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip().isdigit():
                total, found = total + int(value), True
    return total if found else None


def out_of_memory_evidence(log_path: Path, status: dict[str, Any],
                           memory_low_seen: bool = False) -> bool:
    """Whether anything shows that a worker which ended without reporting ran out of
    memory: a memory error at the end of its log, the kernel's OOM-kill count risen since
    it started (``status["oom_kills_at_start"]``), or memory seen nearly full while it ran.
    """
    if memory_low_seen:
        return True
    before, now = status.get("oom_kills_at_start"), oom_kill_count()
    if before is not None and now is not None and now > before:
        return True
    try:
        with log_path.open("rb") as log:
            log.seek(max(log_path.stat().st_size - LOG_TAIL_BYTES, 0))
            tail = log.read().decode("utf-8", "replace").lower()
    except OSError:
        return False
    return any(words in tail for words in MEMORY_ERRORS)


def describe_exit(returncode: int | None, out_of_memory: bool = False,
                  lang: str = "en") -> str:
    """A plain sentence for how a worker process ended without reporting.

    Out of memory is said only on evidence (``out_of_memory_evidence``): a kill -9 from a
    person or another program looks the same from outside.
    """
    if lang == "zh":
        return _describe_exit_zh(returncode, out_of_memory)
    if out_of_memory:
        return ("The training process ran out of memory and was stopped. Try a smaller "
                "batch size or max length, or close other programs.")
    if returncode is None:
        return ("The training process is gone without reporting how it ended (the app or "
                "command that started it had closed, or the machine restarted). See "
                "worker.log in the run folder, then start the run again.")
    if returncode < 0 or returncode in (137, 143):
        number = -returncode if returncode < 0 else returncode - 128
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        return (f"The training process was stopped from outside by {name} (signal {number}), "
                "by a person or another program; nothing shows a memory shortage. Start the "
                "run again, and see worker.log in the run folder if it happens again.")
    return (f"The training process ended with exit code {returncode} without saying why. "
            "See worker.log in the run folder.")


def _describe_exit_zh(returncode: int | None, out_of_memory: bool) -> str:
    if out_of_memory:
        return "训练进程内存不足，已被停止。请减小批次大小或最大长度，或关闭其他程序。"
    if returncode is None:
        return ("训练进程已经不在了，没有留下结束的原因（启动它的应用或命令已关闭，或机器重启了）。"
                "请查看训练记录文件夹中的 worker.log，然后重新开始训练。")
    if returncode < 0 or returncode in (137, 143):
        number = -returncode if returncode < 0 else returncode - 128
        return (f"训练进程被外部的信号 {number} 停止了（某个人或其他程序所为），没有迹象表明内存不足。"
                "请重新开始训练；如果再次发生，请查看训练记录文件夹中的 worker.log。")
    return f"训练进程以退出码 {returncode} 结束，没有说明原因。详情见训练记录文件夹中的 worker.log。"


def reconcile(status: dict[str, Any], alive: bool, returncode: int | None = None,
              out_of_memory: bool = False) -> dict[str, Any] | None:
    """The status changes needed to make ``status`` true, or None if it already is.

    A running run whose process is gone has failed, with the reason; a finished run is
    left alone; a queued run is the queue's business.
    """
    state = State(status.get("state", State.QUEUED))
    if state is State.RUNNING and not alive:
        if status.get("cancel_requested"):
            return {"state": State.CANCELLED.value,
                    "reason": "Stopped on request before the worker could save a model.",
                    "reason_zh": "已按要求停止，训练进程还没来得及保存模型。"}
        return {"state": State.FAILED.value, "reason": describe_exit(returncode, out_of_memory),
                "reason_zh": describe_exit(returncode, out_of_memory, "zh"),
                "error_kind": "out_of_memory" if out_of_memory else "process_exit"}
    return None
