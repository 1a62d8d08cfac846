"""The training service: a queue per device, one worker process at a time on each.

Jobs belong to the service by run id, never to a user or a module global: a web app
and a command line both make a ``TrainingService`` over a runs folder and talk to runs
by id. The folders are the truth: the queue is the runs whose status says queued, oldest
first, so any process can read it and the one that launches can change hands.
"""

from __future__ import annotations

import collections
import fcntl
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from playground import tasks
from playground.errors import ConfigError, RunError, hide_paths
from playground.runfolder import RunFolder
from playground.service.launch import count_gpus, worker_command
from playground.service.names import name_of
from playground.service.owners import Owner, Person, check_may_change, owner_of
from playground.service.standby import StandbyKeeper
from playground.service.states import (
    LOW_MEMORY_PERCENT,
    State,
    oom_kill_count,
    out_of_memory_evidence,
    process_alive,
    reconcile,
    worker_gone,
)

LOCK = ".service.lock"  # in the runs folder: held by the one process that starts workers


class _Worker:
    """A worker process: one we started (Popen) or one adopted from an earlier service."""

    def __init__(self, run: RunFolder, popen: subprocess.Popen | None = None,
                 pid: int | None = None, started_at: float | None = None) -> None:
        self.run = run
        self.popen = popen
        self.pid = popen.pid if popen else pid
        self.started_at = started_at
        self.memory_low_seen = False  # evidence, should it be killed, that memory ran out
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

    def watch_memory(self) -> None:
        """Note when the machine's memory is nearly full while this worker runs."""
        if psutil.virtual_memory().percent >= LOW_MEMORY_PERCENT:
            self.memory_low_seen = True

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

    Every serving process (an app, a ``playground train`` waiting for its run) tries to
    take the runs folder's lock on each rescan; the one holding it starts workers, and
    when it goes another takes over, reconciles the folder and starts what is queued.
    ``serve=False`` (``playground runs``, ``playground stop``) never takes the lock and
    never starts a worker. Whoever reads a running run whose worker is gone settles it.

    With ``standby`` the process that starts workers keeps one worker started ahead, its
    imports done, for the device runs go to by default (``service/standby.py``): a run
    then starts in it and shows its first loss seconds sooner. It costs about 470 MB while
    it waits. It is started while that device is idle, never outlives the service, and a
    run it cannot take (another device, torchrun, or it ended) starts a fresh process.
    Setting ``standby`` False later starts no new one; the waiting one still takes a run.
    """

    RESCAN_S = 1.5  # how often a serving process looks for queued runs and a free lock

    def __init__(self, runs_dir: str | Path, *, cancel_timeout_s: float = 300.0,
                 poll_s: float = 0.3, gpu_count: int | None = None,
                 serve: bool = True, standby: bool = False) -> None:
        self.runs_dir = Path(runs_dir).expanduser().resolve()
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.cancel_timeout_s = cancel_timeout_s
        self.poll_s = poll_s
        self.gpu_count = count_gpus() if gpu_count is None else gpu_count
        self._lock = threading.RLock()
        self._active: dict[str, _Worker] = {}
        self._stop = threading.Event()
        self._wake = threading.Event()  # a run was queued: tick now, not at the next poll
        self._scan_due = True  # look at the folders on the next tick (a run was queued)
        self.owner = False
        # Workers get the environment the service started with, not variables the
        # libraries it loads later set for themselves (scikit-learn sets KMP_*: a worker
        # that loads it sets them too), so a standby started now fits a later run.
        self._environ = dict(os.environ)
        self._standby = StandbyKeeper(self.runs_dir, self.gpu_count, self._environ,
                                      self._record_loop_error, wanted=standby)
        self._lock_file = (self.runs_dir / LOCK).open("w") if serve else None
        self._thread: threading.Thread | None = None
        if serve:
            with self._lock:
                self._try_take_over()
            self._thread = threading.Thread(target=self._loop, name="training-service",
                                            daemon=True)
            self._thread.start()

    # ----- public API -------------------------------------------------------------
    def run(self, run_id: str) -> RunFolder:
        folder = RunFolder(self.runs_dir / (run_id or ""))
        if not run_id or folder.path.resolve().parent != self.runs_dir or not folder.exists():
            # Web users see this sentence: the runs folder's path is the server's business.
            raise RunError(f"There is no run called '{run_id}'.",
                           "Pick a run from the list of runs.",
                           zh=f"没有名为“{run_id}”的训练记录。请从训练记录列表中选择一个。")
        return folder

    def submit(self, run: RunFolder, owner: Owner | None = None) -> None:
        """Queue a prepared run folder (see ``prepare.create_run``); ``owner`` is who
        started it (see ``owners``), recorded in its status."""
        device = self.device_for(run)
        mine = {"owner": owner} if owner else {}
        run.update_status(state=State.QUEUED.value, device=device, queued_at=time.time(),
                          **mine)
        with self._lock:
            self._scan_due = True
        self._wake.set()

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
        """How many runs start before this one (the one running on its device counts):
        0 when it starts next with nothing running; None when the run is not waiting."""
        ahead = self._ahead(run_id)
        return None if ahead is None else sum(ahead)

    def cancel(self, run_id: str, by: Person | None = None) -> str:
        """Stop a run. Returns what happened: "removed" (it had not started), "stopping"
        (its worker stops at the next step and keeps the best checkpoint; it is killed if
        it has not stopped after ``cancel_timeout_s``) or "finished" (nothing to stop).

        ``by`` is who asks (None: the host); NotYourRun when it is someone else's run."""
        run = self.run(run_id)
        status = self._read_status(run)  # a run whose worker is gone is settled first
        if not State(status.get("state", "queued")).finished:
            check_may_change(name_of(run_id, status, run.read_config()), owner_of(status),
                             by, "stop")
        outcome = "finished"

        def decide(status: dict[str, Any]) -> dict[str, Any] | None:
            nonlocal outcome
            state = State(status.get("state", "queued"))
            if state is State.QUEUED:
                outcome = "removed"
                return {"state": State.CANCELLED.value, "reason": "Cancelled before it started.",
                        "reason_zh": "在开始之前就取消了。", "finished_at": time.time()}
            if state is State.RUNNING:
                outcome = "stopping"
                run.cancel_path.touch()
                # The first request starts the clock for the forced stop.
                return {"cancel_requested": True, "cancel_requested_at":
                        status.get("cancel_requested_at") or time.time()}
            return None

        run.change_status(decide)
        return outcome

    def force_stop(self, run_id: str, reason: str, reason_zh: str = "") -> bool:
        """Kill a running run's worker now (no agent is saved); False if it was not running.

        For a stop that should not wait any longer, such as a second Ctrl-C.
        """
        run = self.run(run_id)
        status = self._read_status(run)
        if status.get("state") != State.RUNNING.value:
            return False
        with self._lock:
            worker = next((w for w in self._active.values() if w.run.run_id == run_id), None)
        if worker is None and process_alive(status.get("pid"), status.get("pid_started_at")):
            worker = _Worker(run, pid=status["pid"], started_at=status.get("pid_started_at"))
        if worker is not None:
            worker.kill()
        run.change_status(lambda now: {"state": State.CANCELLED.value, "reason": reason,
                                       "reason_zh": reason_zh, "finished_at": time.time()}
                          if now.get("state") == State.RUNNING.value else None)
        return True

    @property
    def standby(self) -> bool:
        """Whether a standby worker is kept (set False: none after the waiting one)."""
        return self._standby.wanted

    @standby.setter
    def standby(self, wanted: bool) -> None:
        self._standby.wanted = wanted

    def wait_for_standby(self, timeout_s: float = 60.0) -> bool:
        """Block until the standby worker has done its imports; False when there is none
        (``standby`` off, not the process that starts workers) or it is not ready in time."""
        return self._standby.wait_ready(timeout_s)

    def wait_for_exit(self, run_id: str, timeout_s: float = 60.0) -> None:
        """Block until a finished run's worker process has exited (it writes its final
        status, then tears down), killing it when it is still there after ``timeout_s``."""
        status = self.run(run_id).read_status()
        pid, started = status.get("pid"), status.get("pid_started_at")
        deadline = time.monotonic() + timeout_s
        while process_alive(pid, started):
            if time.monotonic() > deadline:
                _Worker(self.run(run_id), pid=pid, started_at=started).kill()
                return
            time.sleep(min(self.poll_s, 0.1))

    def delete(self, run_id: str, by: Person | None = None) -> None:
        """Remove a finished run's folder (its agent with it); a live run must stop first.
        ``by`` is who asks (None: the host); NotYourRun when it is someone else's run."""
        run = self.run(run_id)
        with self._lock:
            status = self._read_status(run)
            check_may_change(name_of(run_id, status, run.read_config()), owner_of(status),
                             by, "delete")
            state = State(status.get("state", "queued"))
            if not state.finished:
                raise RunError(f"The run {run_id} is {state.value}.",
                               "Stop it first, then delete it.",
                               zh=f"训练记录 {run_id} 的状态是 {state.value}。请先停止它，再删除。")
            shutil.rmtree(run.path)

    def status(self, run_id: str) -> dict[str, Any]:
        """The run's status.json, true as of now; a waiting run adds "queue_position" (runs
        that start before it) and "running_ahead" (of those, the ones already running)."""
        run = self.run(run_id)
        status = self._read_status(run)
        if status.get("state") == State.QUEUED.value:
            ahead = self._ahead(run_id)
            if ahead is not None:
                status["queue_position"], status["running_ahead"] = sum(ahead), ahead[1]
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
            status, report = self._read_status(run), run.read_report() or {}
            spec = run.read_config()
            started, finished = status.get("started_at"), status.get("finished_at")
            task = tasks.of_config(spec["config"])
            model_scores = report.get("scores", {}).get("model", {})
            rows.append({
                "run_id": run.run_id, "name": name_of(run.run_id, status, spec),
                "state": status.get("state", "queued"),
                "model": spec["model"]["name"], "data": spec["data"]["name"],
                "model_zh": spec["model"].get("name_zh") or spec["model"]["name"],
                "accuracy": report.get("scores", {}).get("model", {}).get("accuracy"),
                "macro_f1": report.get("scores", {}).get("model", {}).get("macro_f1"),
                "duration_s": round(finished - started, 1) if started and finished else None,
                "reason": status.get("reason", ""), "reason_zh": status.get("reason_zh", ""),
                "recipe": spec.get("recipe"), "imported_from": status.get("imported_from"),
                "task": task.name,
                "entity_f1": report.get("scores", {}).get("model", {}).get("f1"),
                # the task's headline score (accuracy, entity F1...), and which it is
                "score": model_scores.get(task.headline), "metric": task.headline,
                "owner": owner_of(status),
                # "no_better_than_majority" when the agent is not worth using
                "verdict": report.get("verdict"),
            })
        return rows

    def shutdown(self, cancel_running: bool = False) -> None:
        """Stop serving and hand the lock on; workers keep running for the next owner."""
        if cancel_running:
            for worker in list(self._active.values()):
                if worker.run.exists():  # a run deleted as it ended is not reaped yet
                    self.cancel(worker.run.run_id)
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            self.owner = False
            self._standby.close()
            if self._lock_file is not None:
                self._lock_file.close()  # releases the lock for the next service
                self._lock_file = None

    # ----- internals ------------------------------------------------------------
    def _folders(self) -> list[RunFolder]:
        return [RunFolder(p) for p in self.runs_dir.iterdir()
                if p.is_dir() and RunFolder(p).exists()]

    def _read_status(self, run: RunFolder) -> dict[str, Any]:
        """The run's status, settled first when it says running and its worker is gone."""
        status = run.read_status()
        if status.get("state") != State.RUNNING.value:
            return status
        with self._lock:
            if any(w.run.run_id == run.run_id for w in self._active.values()):
                return status  # ours: the loop records its exit code
        if not worker_gone(status.get("pid"), status.get("pid_started_at")):
            return status
        return self._settle(run, returncode=None)

    def _settle(self, run: RunFolder, returncode: int | None,
                memory_low_seen: bool = False) -> dict[str, Any]:
        """Make a run whose worker has ended failed or cancelled, unless it said so itself."""
        def decide(status: dict[str, Any]) -> dict[str, Any] | None:
            if status.get("state") != State.RUNNING.value:
                return None  # the worker, or someone who looked first, already said
            oom = out_of_memory_evidence(run.log_path, status, memory_low_seen)
            changes = reconcile(status, alive=False, returncode=returncode, out_of_memory=oom)
            return changes and {**changes, "finished_at": time.time(), "exit_code": returncode}

        return run.change_status(decide)

    def _queue(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """Device -> queued run ids (oldest first), and device -> running run ids."""
        waiting: dict[str, list[tuple[float, str]]] = collections.defaultdict(list)
        running: dict[str, list[str]] = collections.defaultdict(list)
        for run in self._folders():
            status = self._read_status(run)
            state, device = status.get("state"), status.get("device", "cpu")
            # A run is queued once submitted; create_run's "queued" alone is not yet.
            if state == State.QUEUED.value and "queued_at" in status:
                waiting[device].append((status["queued_at"], run.run_id))
            elif state == State.RUNNING.value:
                running[device].append(run.run_id)
        return ({device: [run_id for _, run_id in sorted(items)]
                 for device, items in waiting.items()}, running)

    def _ahead(self, run_id: str) -> tuple[int, int] | None:
        """(queued runs ahead, running runs ahead) on the run's device; None if not waiting."""
        waiting, running = self._queue()
        for device, run_ids in waiting.items():
            if run_id in run_ids:
                return run_ids.index(run_id), len(running.get(device, []))
        return None

    def _try_take_over(self) -> None:
        """Take the folder's lock if no one holds it; then settle and adopt what runs."""
        if self.owner or self._lock_file is None:
            return
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return  # a live owner holds it
        self.owner = True
        self._scan_due = True
        self._reconcile_running()

    def _reconcile_running(self) -> None:
        """On taking over: adopt live workers, and settle runs whose worker is gone."""
        for run in self._folders():
            status = run.read_status()
            if status.get("state") != State.RUNNING.value:
                continue
            started = status.get("pid_started_at")
            if process_alive(status.get("pid"), started):
                self._active[status.get("device", "cpu")] = _Worker(
                    run, pid=status["pid"], started_at=started)
            else:
                self._settle(run, returncode=None)

    def _loop(self) -> None:
        next_scan = 0.0
        while not self._stop.is_set():
            self._wake.clear()  # before looking: a run queued from here on wakes the next
            try:
                with self._lock:
                    scan = self._scan_due or time.monotonic() >= next_scan
                    if scan:
                        next_scan = time.monotonic() + self.RESCAN_S
                        self._try_take_over()
                    if self.owner:
                        if self._check_active() or scan:
                            self._scan_due = False
                            self._start_next()
                        self._standby.keep(busy=set(self._active))
            except Exception as exc:  # keep serving; the failure is logged, not hidden
                self._record_loop_error(exc)
            self._wake.wait(self.poll_s)

    def _check_active(self) -> bool:
        """Watch our workers: stop overdue ones, settle ended ones. True if one ended."""
        ended = False
        for device, worker in list(self._active.items()):
            alive, code = worker.poll()
            run = worker.run
            if alive:
                worker.watch_memory()
                asked = run.read_status().get("cancel_requested_at")
                if asked and time.time() - asked > self.cancel_timeout_s:
                    self.force_stop(run.run_id,
                                    "Stopped by force: the worker did not stop within "
                                    f"{self.cancel_timeout_s:.0f} s, so no agent was saved.",
                                    f"已强制停止：训练进程没有在 {self.cancel_timeout_s:.0f} 秒内"
                                    "停下，所以没有保存智能体。")
                continue
            del self._active[device]
            self._settle(run, code, worker.memory_low_seen)
            ended = True
        return ended

    def _start_next(self) -> None:
        """On each free device, start the oldest queued run (the lock makes us the only
        launcher; a run that changed state meanwhile is skipped)."""
        waiting, _ = self._queue()
        for device, run_ids in waiting.items():
            for run_id in run_ids:
                if device in self._active:
                    break
                self._launch(RunFolder(self.runs_dir / run_id), device)

    def _launch(self, run: RunFolder, device: str) -> None:
        argv, env = worker_command(run.path, device=device, gpu_count=self.gpu_count,
                                   base_env=self._environ)
        oom_kills = oom_kill_count()
        try:
            popen = self._standby.take((argv, env), run)
            standby = popen is not None  # the run starts in the standby worker
            if popen is None:
                with run.log_path.open("ab") as log:
                    popen = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, env=env,
                                             cwd=run.path, start_new_session=True)
        except OSError as exc:
            said = hide_paths(str(exc))  # the reason shows in the web page
            run.update_status(state=State.FAILED.value, finished_at=time.time(),
                              reason=f"The training process could not start: {said}.",
                              reason_zh=f"训练进程无法启动：{said}。")
            return
        worker = _Worker(run, popen=popen)
        started = run.change_status(lambda status: {
            "state": State.RUNNING.value, "pid": popen.pid, "pid_started_at": worker.started_at,
            "started_at": time.time(), "oom_kills_at_start": oom_kills, "standby": standby}
            if status.get("state") == State.QUEUED.value else None)
        if started.get("pid") != popen.pid:  # cancelled (or deleted) while it launched
            worker.kill()
            popen.wait()
            return
        self._active[device] = worker

    def _record_loop_error(self, exc: Exception) -> None:
        try:
            with (self.runs_dir / "service-errors.log").open("a") as log:
                log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {type(exc).__name__}: {exc}\n")
        except OSError:
            pass  # the runs folder itself is gone; nothing left to record into
