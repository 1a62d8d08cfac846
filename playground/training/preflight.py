"""Before Start: how long a run will take and how much memory it needs, from timed steps.

A few real training steps of the chosen model on a batch of the user's own texts give a
time per step; the growth of this process's memory over those steps, plus what the
worker process itself costs, gives the memory. Cheap enough to run when asked.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import psutil

from playground.training.methods import apply_method
from playground.training.precision import resolve_precision

# What a fresh worker holds before the model: Python, torch, transformers, datasets.
WORKER_BASE_MB = 700.0
TIMED_STEPS = 3


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def estimate(load: Callable[[], tuple[Any, Any]], batch_of: Callable[[Any], Any],
             label_shape: Callable[[Any], tuple[int, ...]], config: dict[str, Any],
             train_rows: int, lora_task: str = "SEQ_CLS") -> dict[str, float]:
    """Seconds per step, steps, total seconds and memory (MB) for a fine-tuning run on CPU.

    A task gives ``load()`` (its tokenizer and model), ``batch_of(tokenizer)`` (a padded
    batch of the user's data) and ``label_shape(batch)`` (the shape of its labels).
    """
    import torch

    before = _rss_mb()
    tokenizer, model = load()
    model = apply_method(model, config["method"], freeze_layers=config["freeze_layers"],
                         lora_rank=config["lora_rank"], lora_alpha=config["lora_alpha"],
                         lora_task=lora_task)
    model.train()
    precision = resolve_precision(config["precision"], "cpu")
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                                  lr=config["learning_rate"])
    batch = batch_of(tokenizer)
    batch["labels"] = torch.zeros(label_shape(batch), dtype=torch.long)
    timings = []
    for _ in range(TIMED_STEPS + 1):  # the first step warms up kernels; it is not counted
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        timings.append(time.perf_counter() - start)
    per_step = sorted(timings[1:])[len(timings[1:]) // 2] * config["gradient_accumulation"]
    steps = math.ceil(train_rows / (config["batch_size"] * config["gradient_accumulation"]))
    steps = max(1, math.ceil(steps * config["epochs"]))
    # Validation (a tenth of the rows, forward only) and checkpoints add about a tenth.
    total = per_step * steps * 1.1
    memory = WORKER_BASE_MB + max(_rss_mb() - before, 0.0)
    del model, optimizer
    return {"per_step_s": per_step, "steps": steps, "total_s": total, "memory_mb": memory,
            "free_mb": psutil.virtual_memory().available / 2**20,
            # Every planned step is counted: early stopping may end the run sooner.
            "may_stop_early": config["early_stopping_patience"] > 0}
