"""Settings that fit the data: batch size, epochs and patience from the row count.

The defaults suit a few thousand rows. On 80 rows they give 10 steps, and early stopping
on a noisy 8-row validation set ends the run before the model has learned anything.
``fit_settings`` changes what a careful person would change for small data, and says
why; for data the defaults already fit it changes nothing.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from playground.config import RunConfig

# Why these numbers: 8 steps per epoch give the validation score something to follow
# between evaluations; below 8 examples a batch's gradient is mostly noise. About 120
# optimizer steps is where the tiny-data runs of the gallery stop improving, and 40 epochs
# bound the time (and over-fitting) on a handful of rows. A validation set under 100 rows
# moves by a point or more per row, so one unlucky evaluation must not end the run.
MIN_STEPS_PER_EPOCH = 8
MIN_BATCH_SIZE = 8
MIN_TOTAL_STEPS = 120
MAX_EPOCHS = 40
NOISY_VALIDATION_ROWS = 100
NOISY_PATIENCE = 5


@dataclass(frozen=True)
class Adjustment:
    """One setting changed to fit the data, and why (in English and Chinese)."""

    field: str
    old: Any
    new: Any
    why: str
    why_zh: str

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _steps_per_epoch(rows: int, batch_size: int, accumulation: int) -> int:
    return max(1, math.ceil(rows / (batch_size * accumulation)))


def fit_settings(config: RunConfig, train_rows: int,
                 validation_rows: int) -> tuple[RunConfig, list[Adjustment]]:
    """``config`` with batch size, epochs and patience fitted to ``train_rows`` (texts or
    sentences) and ``validation_rows``, and the list of changes (empty when none)."""
    changes: list[Adjustment] = []
    batch, accumulation = config.batch_size, config.gradient_accumulation
    if _steps_per_epoch(train_rows, batch, accumulation) < MIN_STEPS_PER_EPOCH \
            and batch > MIN_BATCH_SIZE:
        smaller = max(MIN_BATCH_SIZE, train_rows // (MIN_STEPS_PER_EPOCH * accumulation))
        if smaller < batch:
            changes.append(Adjustment(
                "batch_size", batch, smaller,
                f"{train_rows} training rows at {batch} per step make only "
                f"{_steps_per_epoch(train_rows, batch, accumulation)} steps per epoch; "
                f"{smaller} per step make {_steps_per_epoch(train_rows, smaller, accumulation)}.",
                f"{train_rows} 行训练数据按每步 {batch} 条只有 "
                f"{_steps_per_epoch(train_rows, batch, accumulation)} 步一轮；"
                f"改为每步 {smaller} 条，一轮 {_steps_per_epoch(train_rows, smaller, accumulation)} 步。"))
            batch = smaller
    per_epoch = _steps_per_epoch(train_rows, batch, accumulation)
    epochs = config.epochs
    if per_epoch * epochs < MIN_TOTAL_STEPS and epochs < MAX_EPOCHS:
        more = float(min(MAX_EPOCHS, math.ceil(MIN_TOTAL_STEPS / per_epoch)))
        if more > epochs:
            changes.append(Adjustment(
                "epochs", epochs, more,
                f"{epochs:g} epochs of {per_epoch} steps are {math.ceil(per_epoch * epochs)} "
                f"learning steps, too few to learn from; {more:g} epochs give "
                f"{math.ceil(per_epoch * more)}.",
                f"{epochs:g} 轮、每轮 {per_epoch} 步，共 {math.ceil(per_epoch * epochs)} 步，"
                f"太少学不会；改为 {more:g} 轮，共 {math.ceil(per_epoch * more)} 步。"))
            epochs = more
    patience = config.early_stopping_patience
    if 0 < patience < NOISY_PATIENCE and validation_rows < NOISY_VALIDATION_ROWS:
        changes.append(Adjustment(
            "early_stopping_patience", patience, NOISY_PATIENCE,
            f"With {validation_rows} validation rows the score jumps by chance from one "
            f"evaluation to the next; waiting {NOISY_PATIENCE} evaluations instead of "
            f"{patience} keeps luck from ending the run early.",
            f"验证集只有 {validation_rows} 行，分数在两次评估之间会随机跳动；"
            f"改为等待 {NOISY_PATIENCE} 次评估（原为 {patience} 次），避免偶然因素过早结束训练。"))
        patience = NOISY_PATIENCE
    if not changes:
        return config, []
    return dataclasses.replace(config, batch_size=batch, epochs=epochs,
                               early_stopping_patience=patience).validate(), changes
