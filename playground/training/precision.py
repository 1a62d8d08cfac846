"""Which number format to train in (bf16/fp16 on GPUs, bf16 on CPUs that have it natively),
and which a language model answers in (``generation_precision``)."""

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


# The number formats a model may answer in, as torch names them.
DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


def generation_precision(device: str) -> str:
    """The number format a language model writes answers fastest in on ``device``.

    On a CPU bf16, native or not: writing a token reads every weight once, so halving
    their bytes is what counts. On a 2-core Zen 3 without native bf16 the embedded 135M
    model streams 26.7 tokens/s in bf16 against 15.2 in fp32, though it reads a prompt
    about 3x slower (0.5 s against 0.15 s to the first token; benchmarks/generation_speed.py).
    On a GPU bf16 where it is supported, else fp16 (both run natively there)."""
    if device == "cuda":
        import torch

        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return "bf16"


def torch_dtype(precision: str) -> object:
    """torch's dtype for "fp32", "bf16" or "fp16"; a ValueError for anything else."""
    import torch

    if precision not in DTYPES:
        raise ValueError(f"unknown precision {precision!r}: one of {', '.join(DTYPES)}")
    return getattr(torch, DTYPES[precision])
