"""A run's life as a named state machine, and the one function that reconciles it.

    queued -> running -> succeeded | failed | cancelled
    queued -> cancelled (removed from the queue before it started)

``reconcile`` decides what a status file means given whether its worker process still
lives; the service calls it on start-up and whenever a worker exits.
"""

from __future__ import annotations

import enum
from typing import Any

import psutil


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


def describe_exit(returncode: int | None, lang: str = "en") -> str:
    """A plain sentence for how a worker process ended without reporting, in ``lang``."""
    if lang == "zh":
        return _describe_exit_zh(returncode)
    if returncode is None:
        return ("The training process is gone (the app or the machine restarted while it "
                "ran). Start the run again.")
    if returncode in (-9, 137):
        return ("The training process was killed, most likely because the machine ran out "
                "of memory. Try a smaller batch size or max length, or close other programs.")
    if returncode < 0:
        return (f"The training process was stopped by signal {-returncode}. "
                "Start the run again.")
    return (f"The training process ended with exit code {returncode} without saying why. "
            "See worker.log in the run folder.")


def _describe_exit_zh(returncode: int | None) -> str:
    if returncode is None:
        return "训练进程已经不在了（训练时应用或机器重启了）。请重新开始训练。"
    if returncode in (-9, 137):
        return ("训练进程被强行结束了，很可能是因为机器内存不足。"
                "请减小批次大小或最大长度，或关闭其他程序。")
    if returncode < 0:
        return f"训练进程被信号 {-returncode} 停止了。请重新开始训练。"
    return f"训练进程以退出码 {returncode} 结束，没有说明原因。详情见训练记录文件夹中的 worker.log。"


def reconcile(status: dict[str, Any], alive: bool,
              returncode: int | None = None) -> dict[str, Any] | None:
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
        return {"state": State.FAILED.value, "reason": describe_exit(returncode),
                "reason_zh": describe_exit(returncode, "zh"), "error_kind": "process_exit"}
    return None
