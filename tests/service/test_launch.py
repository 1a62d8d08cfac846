from __future__ import annotations

from pathlib import Path

from playground.service.launch import (
    WORKER_MODULE,
    standby_command,
    standby_takes,
    worker_command,
)
from playground.training.standby import STANDBY_FLAG


def test_single_process_on_cpu_hides_gpus() -> None:
    argv, env = worker_command(Path("/runs/a"), device="cpu", gpu_count=4, python="py",
                               base_env={"PATH": "/bin"})
    assert argv == ["py", "-m", WORKER_MODULE, "/runs/a"]
    assert env["CUDA_VISIBLE_DEVICES"] == "" and env["PATH"] == "/bin"
    assert env["PYTHONUNBUFFERED"] == "1"


def test_one_gpu_is_a_plain_process() -> None:
    argv, env = worker_command(Path("/runs/a"), device="cuda", gpu_count=1, python="py",
                               base_env={})
    assert argv == ["py", "-m", WORKER_MODULE, "/runs/a"]
    assert "CUDA_VISIBLE_DEVICES" not in env


def test_several_gpus_use_torchrun_one_process_each() -> None:
    argv, _ = worker_command(Path("/runs/a"), device="cuda", gpu_count=2, python="py",
                             base_env={})
    assert argv[:3] == ["py", "-m", "torch.distributed.run"]
    assert "--nproc_per_node=2" in argv
    assert argv[-3:] == ["-m", WORKER_MODULE, "/runs/a"]


def test_a_standby_is_the_single_process_worker_waiting_for_its_run() -> None:
    standby = standby_command(device="cpu", gpu_count=0, python="py", base_env={"A": "1"})
    assert standby is not None
    argv, env = standby
    assert argv == ["py", "-m", WORKER_MODULE, STANDBY_FLAG]
    assert env == worker_command(Path("/runs/a"), device="cpu", gpu_count=0, python="py",
                                 base_env={"A": "1"})[1]
    run = worker_command(Path("/runs/a"), device="cpu", gpu_count=0, python="py",
                         base_env={"A": "1"})
    assert standby_takes(standby, run)


def test_a_standby_takes_no_run_of_another_device_or_environment() -> None:
    cpu = standby_command(device="cpu", gpu_count=1, python="py", base_env={})
    gpu = worker_command(Path("/runs/a"), device="cuda", gpu_count=1, python="py",
                         base_env={})
    assert cpu is not None and not standby_takes(cpu, gpu)  # CUDA_VISIBLE_DEVICES differs
    changed = worker_command(Path("/runs/a"), device="cpu", gpu_count=1, python="py",
                             base_env={"HF_HOME": "/elsewhere"})
    assert not standby_takes(cpu, changed)
    other_python = worker_command(Path("/runs/a"), device="cpu", gpu_count=1,
                                  python="py3", base_env={})
    assert not standby_takes(cpu, other_python)


def test_several_gpus_have_no_standby() -> None:
    assert standby_command(device="cuda", gpu_count=2, python="py", base_env={}) is None
    # ...but a CPU run on that machine does
    assert standby_command(device="cpu", gpu_count=2, python="py", base_env={}) is not None
