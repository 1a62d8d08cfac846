from __future__ import annotations

from pathlib import Path

from playground.service.launch import WORKER_MODULE, worker_command


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
