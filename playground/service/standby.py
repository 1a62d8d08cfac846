"""The service's side of a worker started before its run (``training/standby.py``).

A standby is a worker process that has imported torch, transformers and pandas and waits
for a run folder on its standard input; handed one, it is that run's worker, as if started
for it (its output goes to the run's log, its process is the one status.json names). Its
standard input is a pipe only the service holds, so a standby ends with the service.
"""

from __future__ import annotations

import collections
import subprocess
import threading
import time
from pathlib import Path

from playground.service.launch import Command, standby_takes
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
