"""How the service hands a run to a worker process: pure functions.

``worker_command`` returns ``(argv, env)`` and starts nothing, so the choice between a
plain process and a multi-GPU ``torchrun`` launch is tested without a GPU.
``standby_command`` is its form for a worker started before its run (``standby.py``),
and ``standby_takes`` says whether such a worker can be a given run's.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from playground.training.standby import STANDBY_FLAG

WORKER_MODULE = "playground.training.worker"
Command = tuple[list[str], dict[str, str]]  # (argv, env)


def worker_command(run_dir: Path, *, device: str, gpu_count: int,
                   python: str = sys.executable,
                   base_env: dict[str, str] | None = None) -> Command:
    """The command line and environment that run ``run_dir`` in a worker process.

    With more than one GPU the worker runs under ``torch.distributed.run`` (torchrun),
    one process per GPU; transformers' Trainer then trains data-parallel and only rank 0
    writes to the run folder.
    """
    env = dict(os.environ if base_env is None else base_env)
    env["PYTHONUNBUFFERED"] = "1"  # the log file shows progress as it happens
    env["TOKENIZERS_PARALLELISM"] = "false"  # no fork warnings from the Rust tokenizer
    env.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    if device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""
    if device != "cpu" and gpu_count > 1:
        argv = [python, "-m", "torch.distributed.run", "--standalone",
                f"--nproc_per_node={gpu_count}", "-m", WORKER_MODULE, str(run_dir)]
    else:
        argv = [python, "-m", WORKER_MODULE, str(run_dir)]
    return argv, env


def standby_command(*, device: str, gpu_count: int, python: str = sys.executable,
                    base_env: dict[str, str] | None = None) -> Command | None:
    """The command and environment of a worker for ``device`` started before its run,
    which reads the run folder from its standard input; None where a run on ``device``
    would be several processes (torchrun), which cannot be started ahead."""
    argv, env = worker_command(Path("."), device=device, gpu_count=gpu_count, python=python,
                               base_env=base_env)
    if argv[1:3] != ["-m", WORKER_MODULE]:
        return None
    return [*argv[:-1], STANDBY_FLAG], env


def standby_takes(standby: Command, run: Command) -> bool:
    """Whether a standby started with ``standby`` can be the worker of ``run`` (as
    ``worker_command`` made it): the same interpreter, module and environment, which
    differs by device (CUDA_VISIBLE_DEVICES) and for a torchrun launch."""
    (standby_argv, standby_env), (argv, env) = standby, run
    return argv[:-1] == standby_argv[:-1] and env == standby_env


def count_gpus() -> int:
    """GPUs visible to a worker, asked without importing torch here (it is slow)."""
    import subprocess

    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([d for d in visible.split(",") if d.strip()])
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(1 for line in out.stdout.splitlines() if line.startswith("GPU "))
