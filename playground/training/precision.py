"""Which number format to train in: bf16/fp16 on GPUs, bf16 on CPUs that have it natively."""

from __future__ import annotations

from pathlib import Path

# CPU flags (as /proc/cpuinfo names them) for native bf16 matrix instructions.
_BF16_FLAGS = {"avx512_bf16", "amx_bf16"}


def cpu_has_native_bf16(cpuinfo: str | None = None) -> bool:
    """True when the processor computes bf16 dot products in hardware (AVX512-BF16, AMX)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:  # not Linux: stay with fp32 rather than guess
            return False
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            return bool(_BF16_FLAGS & set(line.split(":", 1)[1].split()))
    return False


def resolve_precision(setting: str, device: str) -> str:
    """Turn the config's precision ("auto", "fp32", "bf16", "fp16") into what to use.

    ``device`` is "cuda" or "cpu". fp16 on a CPU is not offered by the engine and is
    changed to fp32.
    """
    if setting == "auto":
        if device == "cuda":
            import torch

            return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        return "bf16" if cpu_has_native_bf16() else "fp32"
    if setting == "fp16" and device == "cpu":
        return "fp32"
    return setting
