"""What the classic model may cost, worked out from rows x labels before it fits.

Its logistic regression (L-BFGS, all labels at once) holds about 25 copies of a weight
matrix of n-grams x labels (10 pairs of past steps and gradient changes, and a few work
copies), and per row and label its scores, probabilities and gradients. 5,000 labels
with the default 300,000 n-grams asked for 17 GiB and crashed; a 60 MB file fitted for
over 23 minutes. So, before a run starts and again as it fits:

- a file of more than ``MAX_ROWS`` training rows is sampled per label for the classic
  model (the fine-tuned one still learns from every row);
- the n-grams kept shrink until the fit needs at most ``MEMORY`` bytes;
- when even ``MIN_FEATURES`` n-grams would not fit, the run is refused before it starts;
- the solver's steps are capped so that the fit spends at most ``WORK`` multiply-adds
  (each step multiplies the texts' n-grams by the weights of every label, twice).

A fine-tuned model's head (hidden size x labels: 1,024 x 5,000 weights, with gradients
and Adam's moments 80 MB) is never what runs out first; the classic model is. The solver's
costs, shared with the classic entity model's plan (``entities/classic_plan.py``), are in
``tasks/classic_cost.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from playground.data.report import Problem
from playground.tasks.classic_cost import (
    BYTES,
    LBFGS_COPIES,
    MEMORY,
    MIN_FEATURES,
    ROW_COPIES,
    WORK,
    ClassicPlan,
    fitting_plan,
    max_steps,
)
from playground.tasks.classify.classic import VECTORIZER

__all__ = ["BYTES", "LBFGS_COPIES", "MAX_ROWS", "MEMORY", "MIN_FEATURES", "ROW_COPIES", "WORK",
           "ClassicPlan", "max_steps", "most_labels", "plan", "refusal", "sample_rows"]

MAX_ROWS = 50_000  # char n-grams of 50,000 short texts fit in about a minute on 2 cores


def plan(rows: int, labels: int, memory: int | None = None) -> ClassicPlan | None:
    """The plan for ``rows`` training rows of ``labels`` labels; None when even
    ``MIN_FEATURES`` n-grams would need more than ``memory`` bytes (``MEMORY`` by default)."""
    memory = MEMORY if memory is None else memory
    return fitting_plan(min(rows, MAX_ROWS), labels, VECTORIZER["max_features"], memory)


def most_labels(rows_per_label: float, memory: int | None = None) -> int:
    """The most labels a file with ``rows_per_label`` rows of each can have and still fit."""
    low, high = 2, 1 << 20
    while low < high:  # plan() fits fewer labels the more there are: bisect
        middle = (low + high + 1) // 2
        fits = plan(round(middle * rows_per_label), middle, memory) is not None
        low, high = (middle, high) if fits else (low, middle - 1)
    return low


def refusal(labels: int, rows: int) -> Problem:
    """Why a file of ``labels`` labels and ``rows`` rows cannot train, and what to do."""
    most, gb = most_labels(rows / labels), f"{MEMORY / 2**30:.0f}"
    return Problem(
        "error", "too_many_labels",
        f"The file has {labels:,} labels: too many for the classic model, which every run "
        f"fits as its yardstick, to learn from {rows:,} rows within {gb} GB of memory (at "
        f"most about {most:,} labels with this many rows per label). A label with a handful "
        f"of examples is more a lookup than a class: merge related labels into at most "
        f"{most:,} groups, or answer the rare ones with keyword rules.",
        f"该文件有 {labels:,} 个标签，太多了：每次训练都会拟合经典模型作为参照，它无法在 {gb} GB "
        f"内存内从 {rows:,} 行中学会这么多标签（每个标签这么多行时，最多约 {most:,} 个标签）。"
        f"只有寥寥几个样本的标签更像查表而不是类别：请把相关标签合并成最多 {most:,} 组，"
        "或用关键词规则回答少见的标签。")


def sample_rows(labels: Sequence[str], rows: int, seed: int) -> np.ndarray:
    """Indices of about ``rows`` of ``labels`` (at most, give or take rounding), the same
    share of each label and at least one row of each, in their original order."""
    if len(labels) <= rows:
        return np.arange(len(labels))
    _, which = np.unique(np.asarray(labels, dtype=str), return_inverse=True)
    by_label = np.split(np.argsort(which, kind="stable"), np.cumsum(np.bincount(which))[:-1])
    rng, share = np.random.default_rng(seed), rows / len(labels)
    kept = [rng.choice(where, size=max(1, round(len(where) * share)), replace=False)
            for where in by_label]
    return np.sort(np.concatenate(kept))
