"""The training service: a queue per device, one worker process at a time on each.

Jobs belong to the service by run id, never to a user or a module global: a web app
and a command line both make a ``TrainingService`` over a runs folder and talk to runs
by id. The folders are the truth; the in-memory queue is rebuilt from them on start.
"""

from __future__ import annotations

import collections
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Callable

import psutil

from playground.errors import RunError
from playground.runfolder import RunFolder, read_json
from playground.service.launch import count_gpus, worker_command
from playground.service.states import State, process_alive, reconcile


class _Worker:
    """A worker process: one we started (Popen) or one adopted from an earlier service."""

    def __init__(self, run: RunFolder, popen: subprocess.Popen | None = None,
                 pid: int | None = None) -> None:
        self.run = run
        self.popen = popen
        self.pid = popen.pid if popen else pid
        self.started_at: float | None = None
        if popen is not None:
            try:
                self.started_at = psutil.Process(self.pid).create_time()
            except psutil.Error:  # it already exited; poll() will say how
                pass

    def poll(self) -> tuple[bool, int | None]:
        """(still alive, exit code if known)."""
        if self.popen is not None:
            code = self.popen.poll()
            return code is None, code
        return process_alive(self.pid, None), None

    def kill(self) -> None:
        try:
            proc = psutil.Process(self.pid)
            for child in proc.children(recursive=True):
                child.kill()
            proc.kill()
        except psutil.Error:
            pass


class TrainingService:
    """Queue runs, start their workers one per device, cancel them, list them."""

    def __init__(self, runs_dir: str | Path, *, cancel_timeout_s: float = 60.0,
                 poll_s: float = 0.3, gpu_count: int | None = None) -> None:
        self.runs_dir = Path(runs_dir).expanduser().resolve()
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.cancel_timeout_s = cancel_timeout_s
        self.poll_s = poll_s
        self.gpu_count = count_gpus() if gpu_count is None else gpu_count
        self._lock = threading.RLock()
        self._queues: dict[str, collections.deque[str]] = collections.defaultdict(
            collections.deque)
        self._active: dict[str, _Worker] = {}
        self._stop = threading.Event()
        self._recover()
        self._thread = threading.Thread(target=self._loop, name="training-service",
                                        daemon=True)
        self._thread.start()

    # ----- public API -------------------------------------------------------------
    def run(self, run_id: str) -> RunFolder:
        folder = RunFolder(self.runs_dir / run_id)
        if not run_id or "/" in run_id or not folder.exists():
            raise RunError(f"There is no run called '{run_id}' in {self.runs_dir}.",
                           "Pick a run from the list of runs.")
        return folder

    def submit(self, run: RunFolder) -> None:
        """Queue a prepared run folder (see ``prepare.create_run``)."""
        device = self.device_for(run)
        with self._lock:
            run.update_status(state=State.QUEUED.value, device=device,
                              queued_at=time.time())
            self._queues[device].append(run.run_id)

    def device_for(self, run: RunFolder) -> str:
        wanted = run.read_config()["config"]["device"]
        if wanted == "auto":
            return "cuda" if self.gpu_count > 0 else "cpu"
        return wanted

    def queue_position(self, run_id: str) -> int | None:
        """0 for the next to start; None when the run is not waiting."""
        with self._lock:
            for queue in self._queues.values():
                if run_id in queue:
                    return list(queue).index(run_id)
        return None

    def cancel(self, run_id: str) -> str:
        """Stop a run: drop it from its queue, or ask its worker to stop at the next step.

        Returns a sentence saying what happened. The worker keeps its best checkpoint;
        if it does not stop within ``cancel_timeout_s`` it is killed.
        """
        run = self.run(run_id)
        with self._lock:
            for queue in self._queues.values():
                if run_id in queue:
                    queue.remove(run_id)
                    run.update_status(state=State.CANCELLED.value,
                                      reason="Cancelled before it started.",
                                      finished_at=time.time())
                    return "The run was removed from the queue."
            state = State(run.read_status().get("state", "queued"))
            if state is not State.RUNNING:
                return f"The run has already {state.value}; there is nothing to stop."
            run.cancel_path.touch()
            run.update_status(cancel_requested=True, cancel_requested_at=time.time())
        return ("Stopping at the next training step; the best checkpoint so far will be "
                "kept as the agent.")

    def status(self, run_id: str) -> dict[str, Any]:
        run = self.run(run_id)
        status = run.read_status()
        position = self.queue_position(run_id)
        if position is not None:
            status["queue_position"] = position
        return status

    def wait(self, run_id: str, timeout_s: float | None = None,
             on_tick: Callable[[], None] | None = None) -> dict[str, Any]:
        """Block until the run has finished; returns its final status."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            if on_tick:
                on_tick()
            status = self.status(run_id)
            if State(status.get("state", "queued")).finished:
                return status
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"run {run_id} still {status.get('state')}")
            time.sleep(self.poll_s)

    def list_runs(self) -> list[dict[str, Any]]:
        """Every run folder, newest first, with its state and headline scores."""
        rows = []
        for path in sorted(self.runs_dir.iterdir(), reverse=True):
            run = RunFolder(path)
            if not path.is_dir() or not run.exists():
                continue
            status, report = run.read_status(), run.read_report() or {}
            spec = run.read_config()
            started, finished = status.get("started_at"), status.get("finished_at")
            rows.append({
                "run_id": run.run_id, "state": status.get("state", "queued"),
                "model": spec["model"]["name"], "data": spec["data"]["name"],
                "accuracy": report.get("scores", {}).get("model", {}).get("accuracy"),
                "macro_f1": report.get("scores", {}).get("model", {}).get("macro_f1"),
                "duration_s": round(finished - started, 1) if started and finished else None,
                "reason": status.get("reason", ""),
            })
        return rows

    def shutdown(self, cancel_running: bool = False) -> None:
        if cancel_running:
            for worker in list(self._active.values()):
                self.cancel(worker.run.run_id)
        self._stop.set()
        self._thread.join(timeout=5)

    # ----- internals ------------------------------------------------------------
    def _recover(self) -> None:
        """Rebuild the queue from the folders; reconcile runs whose worker is gone."""
        waiting = []
        for path in sorted(self.runs_dir.iterdir()):
            run = RunFolder(path)
            if not path.is_dir() or not run.exists():
                continue
            status = run.read_status()
            state = status.get("state")
            if state == State.QUEUED.value:
                waiting.append((status.get("queued_at", 0.0), run))
            elif state == State.RUNNING.value:
                alive = process_alive(status.get("pid"), status.get("pid_started_at"))
                if alive:
                    self._active[status.get("device", "cpu")] = _Worker(run, pid=status["pid"])
                else:
                    run.update_status(**reconcile(status, alive=False),
                                      finished_at=time.time())
        for _, run in sorted(waiting, key=lambda item: item[0]):
            self._queues[run.read_status().get("device", "cpu")].append(run.run_id)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                with self._lock:
                    self._check_active()
                    self._start_next()
            except Exception as exc:  # keep serving other runs; the failure is recorded
                self._record_loop_error(exc)
            self._stop.wait(self.poll_s)

    def _check_active(self) -> None:
        for device, worker in list(self._active.items()):
            alive, code = worker.poll()
            run = worker.run
            if alive:
                status = run.read_status()
                asked = status.get("cancel_requested_at")
                if asked and time.time() - asked > self.cancel_timeout_s:
                    worker.kill()
                    run.update_status(state=State.CANCELLED.value, finished_at=time.time(),
                                      reason="Stopped by force: the worker did not stop in "
                                             f"{self.cancel_timeout_s:.0f} s.")
                continue
            del self._active[device]
            changes = reconcile(run.read_status(), alive=False, returncode=code)
            if changes:
                run.update_status(**changes, finished_at=time.time(), exit_code=code)

    def _start_next(self) -> None:
        for device, queue in self._queues.items():
            if device in self._active or not queue:
                continue
            run = RunFolder(self.runs_dir / queue.popleft())
            argv, env = worker_command(run.path, device=device, gpu_count=self.gpu_count)
            with run.log_path.open("ab") as log:
                popen = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=env,
                                         cwd=run.path, start_new_session=True)
            worker = _Worker(run, popen=popen)
            self._active[device] = worker
            run.update_status(state=State.RUNNING.value, pid=popen.pid,
                              pid_started_at=worker.started_at, started_at=time.time())

    def _record_loop_error(self, exc: Exception) -> None:
        (self.runs_dir / "service-errors.log").open("a").write(
            f"{time.strftime('%Y-%m-%d %H:%M:%S')} {type(exc).__name__}: {exc}\n")


def load_report(run: RunFolder) -> dict[str, Any]:
    """The final report of a finished run, or a RunError that says why there is none."""
    if not run.report_path.exists():
        state = run.read_status().get("state", "queued")
        raise RunError(f"The run {run.run_id} has no report yet (it is {state}).",
                       "Wait for it to finish, or pick a finished run.")
    return read_json(run.report_path)
