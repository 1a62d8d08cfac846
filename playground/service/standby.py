"""The service's side of a worker started before its run (``training/standby.py``).

A standby is a worker process that has imported torch, transformers and pandas and waits
for a run folder on its standard input; handed one, it is that run's worker, as if started
for it (its output goes to the run's log, its process is the one status.json names). Its
standard input is a pipe only the service holds, so a standby ends with the service.
``StandbyKeeper`` is the service's one standby: when to start it, which run it takes.
"""

from __future__ import annotations

import collections
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from playground.catalog import CLASSIC
from playground.runfolder import RunFolder
from playground.service.launch import Command, standby_command, standby_takes
from playground.training.standby import READY, TOOK, handoff_line

HANDOFF_TIMEOUT_S = 10.0  # a standby answers a hand-off at once, mid-import or not
CLOSE_TIMEOUT_S = 5.0  # an idle standby ends at once when let go; killed after this


class Standby:
    """One worker process started ahead of its run, for ``device``."""

    def __init__(self, command: Command, device: str, cwd: Path) -> None:
        self.command = command
        self.device = device
        self.ready = threading.Event()  # it said READY: its imports are done
        self.tail: collections.deque[str] = collections.deque(maxlen=20)  # what else it said
        self._took = threading.Event()
        argv, env = command
        # Its own session, as a fresh worker's: a Ctrl-C meant for the command line does
        # not reach the run it becomes.
        self.popen = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      start_new_session=True)
        threading.Thread(target=self._read, name="standby-output", daemon=True).start()

    def alive(self) -> bool:
        return self.popen.poll() is None

    def fits(self, run_command: Command) -> bool:
        """Whether this standby can be the worker of a run started with ``run_command``."""
        return standby_takes(self.command, run_command)

    def hand_over(self, run_dir: Path) -> subprocess.Popen | None:
        """Give the standby its run. Returns its process, now the run's worker, or None
        when it could not take the run (it had ended, or did not answer; it is stopped)."""
        try:
            assert self.popen.stdin is not None
            self.popen.stdin.write(handoff_line(run_dir))
            self.popen.stdin.close()  # a worker's stdin is empty, as a fresh one's
        except OSError:  # it has ended: the pipe has no reader
            self.close()
            return None
        deadline = time.monotonic() + HANDOFF_TIMEOUT_S
        while not self._took.wait(0.02):
            if not self.alive() or time.monotonic() > deadline:
                self.close()
                return None
        return self.popen

    def close(self) -> int | None:
        """Let an idle standby go (closing its stdin ends it); returns its exit code."""
        try:
            if self.popen.stdin is not None and not self.popen.stdin.closed:
                self.popen.stdin.close()
        except OSError:
            pass  # it had ended: nothing left to tell it
        try:
            return self.popen.wait(CLOSE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            return self.popen.wait()

    def _read(self) -> None:
        """Follow what it says until it takes a run (its output then goes to the run's
        log) or ends."""
        assert self.popen.stdout is not None
        for raw in self.popen.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            if line == READY:
                self.ready.set()
            elif line == TOOK:
                self._took.set()
            else:
                self.tail.append(line)
        self.popen.stdout.close()


STANDBY_TRIES = 3  # standbys in a row that may end before a run before none is started


class StandbyKeeper:
    """The one standby a service keeps, for the device runs go to by default: started
    while that device has no run, handed the next run that fits, then replaced."""

    def __init__(self, runs_dir: Path, gpu_count: int, environ: dict[str, str],
                 record: Callable[[Exception], None], wanted: bool = False) -> None:
        self.runs_dir = runs_dir
        self.gpu_count = gpu_count
        self.environ = environ  # the environment workers get
        self.record = record  # writes a failure where the service keeps them
        self.wanted = wanted
        self.current: Standby | None = None
        self.ended = 0  # standbys in a row that ended before they took a run

    def keep(self, busy: set[str]) -> None:
        """Start a standby when none waits and its device is not in ``busy``."""
        if self.current is not None and not self.current.alive():
            self._gone(self.current)
        if not self.wanted or self.current is not None or self.ended >= STANDBY_TRIES:
            return
        device = "cuda" if self.gpu_count > 0 else "cpu"  # where "auto" runs go
        command = standby_command(device=device, gpu_count=self.gpu_count,
                                  base_env=self.environ)
        # Not while that device trains: its imports would slow the run down.
        if command is not None and device not in busy:
            try:
                self.current = Standby(command, device, self.runs_dir)
            except OSError as exc:
                self.ended += 1
                self.record(exc)

    def take(self, run_command: Command, run: RunFolder) -> subprocess.Popen | None:
        """The standby as the worker of ``run`` (started as ``run_command`` would start
        it), or None: start a fresh process instead."""
        standby = self.current
        if standby is None:
            return None
        if not standby.fits(run_command):
            return None  # a run on another device, or torchrun: it waits for one it fits
        if not standby.ready.is_set() and run.read_config()["model"]["id"] == CLASSIC:
            return None  # a fresh worker needs no torch: it starts before the imports end
        self.current = None  # taken or not, it is no one's standby any more
        popen = standby.hand_over(run.path)
        if popen is None:
            self._gone(standby)
        else:
            self.ended = 0
        return popen

    def wait_ready(self, timeout_s: float) -> bool:
        """Block until a standby has done its imports; False when none is ready in time."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            standby = self.current
            if standby is None:
                time.sleep(0.1)
            elif standby.ready.wait(0.1):
                return standby.alive()
        return False

    def close(self) -> None:
        """Let the waiting standby go."""
        if self.current is not None:
            self.current.close()
            self.current = None

    def _gone(self, standby: Standby) -> None:
        """Record a standby that ended before it took a run (runs start fresh meanwhile)."""
        if standby is self.current:
            self.current = None
        self.ended += 1
        code = standby.close()
        said = " | ".join(standby.tail)[-2000:]
        again = "" if self.ended < STANDBY_TRIES else " from now on"
        self.record(RuntimeError(f"the standby worker ended (exit code {code}) before it "
                                 f"took a run; runs start in a fresh process{again}. "
                                 f"It said: {said}"))
