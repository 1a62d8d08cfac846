"""The training service: a queue per device, one worker process at a time on each.

Jobs belong to the service by run id, never to a user or a module global: a web app
and a command line both make a ``TrainingService`` over a runs folder and talk to runs
by id. The folders are the truth; the in-memory queue is rebuilt from them on start.
"""

from __future__ import annotations

import collections
import fcntl
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from playground.errors import ConfigError, RunError
from playground.runfolder import RunFolder
from playground.service.launch import count_gpus, worker_command
from playground.service.names import name_of
from playground.service.states import State, can_move, process_alive, reconcile


class _Worker:
    """A worker process: one we started (Popen) or one adopted from an earlier service."""

    def __init__(self, run: RunFolder, popen: subprocess.Popen | None = None,
                 pid: int | None = None, started_at: float | None = None) -> None:
        self.run = run
        self.popen = popen
        self.pid = popen.pid if popen else pid
        self.started_at = started_at
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
        return process_alive(self.pid, self.started_at), None

    def kill(self) -> None:
        try:
            proc = psutil.Process(self.pid)
            for child in proc.children(recursive=True):
                child.kill()
            proc.kill()
        except psutil.Error:
            pass


class TrainingService:
    """Queue runs, start their workers one per device, cancel them, list them.

    One service per runs folder starts workers (it holds a lock file); any other, such
    as ``playground runs`` beside a running app, only reads the folders and queues runs,
    which the owner picks up from the folders within a second or two.
    """

    RESCAN_S = 1.5  # how often the owner looks for runs queued by other processes

    def __init__(self, runs_dir: str | Path, *, cancel_timeout_s: float = 300.0,
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
        self._lock_file = (self.runs_dir / ".service.lock").open("w")
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self.owner = True
        except OSError:
            self.owner = False
        self._thread: threading.Thread | None = None
        if self.owner:
            self._reconcile_running()
            self._adopt_queued()
            self._thread = threading.Thread(target=self._loop, name="training-service",
                                            daemon=True)
            self._thread.start()

    # ----- public API -------------------------------------------------------------
    def run(self, run_id: str) -> RunFolder:
        folder = RunFolder(self.runs_dir / (run_id or ""))
        if not run_id or folder.path.resolve().parent != self.runs_dir or not folder.exists():
            raise RunError(f"There is no run called '{run_id}' in {self.runs_dir}.",
                           "Pick a run from the list of runs.",
                           zh=f"{self.runs_dir} 中没有名为“{run_id}”的训练记录。请从训练记录列表中选择一个。")
        return folder

    def submit(self, run: RunFolder) -> None:
        """Queue a prepared run folder (see ``prepare.create_run``)."""
        device = self.device_for(run)
        with self._lock:
            run.update_status(state=State.QUEUED.value, device=device,
                              queued_at=time.time())
            if self.owner:
                self._queues[device].append(run.run_id)

    def device_for(self, run: RunFolder) -> str:
        """"cpu" or "cuda": the queue the run waits in (classic runs never need a GPU)."""
        spec = run.read_config()
        wanted = spec["config"]["device"]
        if spec["model"]["id"] == "classic":
            return "cpu"
        if wanted == "cuda" and self.gpu_count == 0:
            raise ConfigError("The setting 'device' is 'cuda' but this machine has no GPU.",
                              "Choose 'auto' or 'cpu'.",
                              zh="“设备”设为 cuda，但本机没有 GPU。请选择 auto 或 cpu。",
                              field="device")
        if wanted == "auto":
            return "cuda" if self.gpu_count > 0 else "cpu"
        return wanted

    def queue_position(self, run_id: str) -> int | None:
        """0 for the next to start; None when the run is not waiting."""
        with self._lock:
            if self.owner:
                for queue in self._queues.values():
                    if run_id in queue:
                        return list(queue).index(run_id)
                return None
        waiting = self._queued_in_folders()
        for device_runs in waiting.values():
            if run_id in device_runs:
                return device_runs.index(run_id)
        return None

    def cancel(self, run_id: str) -> str:
        """Stop a run. Returns what happened: "removed" (it had not started), "stopping"
        (its worker stops at the next step and keeps the best checkpoint; it is killed if
        it has not stopped after ``cancel_timeout_s``) or "finished" (nothing to stop)."""
        run = self.run(run_id)
        with self._lock:
            for queue in self._queues.values():
                if run_id in queue:
                    queue.remove(run_id)
            state = State(run.read_status().get("state", "queued"))
            if state is State.QUEUED:
                run.update_status(state=State.CANCELLED.value,
                                  reason="Cancelled before it started.",
                                  reason_zh="在开始之前就取消了。",
                                  finished_at=time.time())
                return "removed"
            if state is not State.RUNNING:
                return "finished"
            run.cancel_path.touch()
            run.update_status(cancel_requested=True, cancel_requested_at=time.time())
        return "stopping"

    def delete(self, run_id: str) -> None:
        """Remove a finished run's folder (its agent with it); a live run must stop first."""
        run = self.run(run_id)
        with self._lock:
            state = State(run.read_status().get("state", "queued"))
            if not state.finished:
                raise RunError(f"The run {run_id} is {state.value}.",
                               "Stop it first, then delete it.",
                               zh=f"训练记录 {run_id} 的状态是 {state.value}。请先停止它，再删除。")
            shutil.rmtree(run.path)

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
        for run in sorted(self._folders(), key=lambda r: r.run_id, reverse=True):
            status, report = run.read_status(), run.read_report() or {}
            spec = run.read_config()
            started, finished = status.get("started_at"), status.get("finished_at")
            rows.append({
                "run_id": run.run_id, "name": name_of(run.run_id, status, spec),
                "state": status.get("state", "queued"),
                "model": spec["model"]["name"], "data": spec["data"]["name"],
                "accuracy": report.get("scores", {}).get("model", {}).get("accuracy"),
                "macro_f1": report.get("scores", {}).get("model", {}).get("macro_f1"),
                "duration_s": round(finished - started, 1) if started and finished else None,
                "reason": status.get("reason", ""), "reason_zh": status.get("reason_zh", ""),
                "recipe": spec.get("recipe"), "imported_from": status.get("imported_from"),
                "task": spec["config"].get("task", "text-classification"),
                "entity_f1": report.get("scores", {}).get("model", {}).get("f1"),
            })
        return rows

    def shutdown(self, cancel_running: bool = False) -> None:
        if cancel_running:
            for worker in list(self._active.values()):
                self.cancel(worker.run.run_id)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._lock_file.close()  # releases the lock for the next service

    # ----- internals ------------------------------------------------------------
    def _folders(self) -> list[RunFolder]:
        return [RunFolder(p) for p in self.runs_dir.iterdir()
                if p.is_dir() and RunFolder(p).exists()]

    def _queued_in_folders(self) -> dict[str, list[str]]:
        """Device -> ids of the runs whose status says queued, oldest first."""
        waiting: dict[str, list[tuple[float, str]]] = collections.defaultdict(list)
        for run in self._folders():
            status = run.read_status()
            if status.get("state") == State.QUEUED.value:
                waiting[status.get("device", "cpu")].append(
                    (status.get("queued_at", 0.0), run.run_id))
        return {device: [run_id for _, run_id in sorted(items)]
                for device, items in waiting.items()}

    def _reconcile_running(self) -> None:
        """On start: adopt live workers, and fail runs whose worker is gone (with why)."""
        for run in self._folders():
            status = run.read_status()
            if status.get("state") != State.RUNNING.value:
                continue
            started = status.get("pid_started_at")
            if process_alive(status.get("pid"), started):
                self._active[status.get("device", "cpu")] = _Worker(
                    run, pid=status["pid"], started_at=started)
            else:
                run.update_status(**reconcile(status, alive=False), finished_at=time.time())

    def _adopt_queued(self) -> None:
        """Add runs queued in the folders (by us earlier, or by another process)."""
        known = {run_id for queue in self._queues.values() for run_id in queue}
        known |= {worker.run.run_id for worker in self._active.values()}
        for device, run_ids in self._queued_in_folders().items():
            self._queues[device].extend(r for r in run_ids if r not in known)

    def _loop(self) -> None:
        last_scan = time.monotonic()
        while not self._stop.is_set():
            try:
                with self._lock:
                    self._check_active()
                    if time.monotonic() - last_scan > self.RESCAN_S:
                        self._adopt_queued()
                        last_scan = time.monotonic()
                    self._start_next()
            except Exception as exc:  # keep serving; the failure is logged, not hidden
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
                    if can_move(State(status.get("state", "running")), State.CANCELLED):
                        run.update_status(
                            state=State.CANCELLED.value, finished_at=time.time(),
                            reason="Stopped by force: the worker did not stop within "
                                   f"{self.cancel_timeout_s:.0f} s, so no agent was saved.",
                            reason_zh=f"已强制停止：训练进程没有在 {self.cancel_timeout_s:.0f} 秒内"
                                      "停下，所以没有保存智能体。")
                continue
            del self._active[device]
            changes = reconcile(run.read_status(), alive=False, returncode=code)
            if changes:
                run.update_status(**changes, finished_at=time.time(), exit_code=code)

    def _start_next(self) -> None:
        for device, queue in self._queues.items():
            while device not in self._active and queue:
                run = RunFolder(self.runs_dir / queue.popleft())
                if run.read_status().get("state") != State.QUEUED.value:
                    continue  # cancelled (or started) since it was queued
                self._launch(run, device)

    def _launch(self, run: RunFolder, device: str) -> None:
        argv, env = worker_command(run.path, device=device, gpu_count=self.gpu_count)
        try:
            with run.log_path.open("ab") as log:
                popen = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=env,
                                         cwd=run.path, start_new_session=True)
        except OSError as exc:
            run.update_status(state=State.FAILED.value, finished_at=time.time(),
                              reason=f"The training process could not start: {exc}.",
                              reason_zh=f"训练进程无法启动：{exc}。")
            return
        worker = _Worker(run, popen=popen)
        self._active[device] = worker
        run.update_status(state=State.RUNNING.value, pid=popen.pid,
                          pid_started_at=worker.started_at, started_at=time.time())

    def _record_loop_error(self, exc: Exception) -> None:
        try:
            with (self.runs_dir / "service-errors.log").open("a") as log:
                log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {type(exc).__name__}: {exc}\n")
        except OSError:
            pass  # the runs folder itself is gone; nothing left to record into
