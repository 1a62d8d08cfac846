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
and Adam's moments 80 MB) is never what runs out first; the classic model is.

The classic entity model (``classic_entities.py``) is the same solver with one row per
token and one output per BIO tag (two per entity type, and O) over hashed features: 300
types with every hashed column asked for over 30 GB. ``entity_plan`` keeps the most
frequent columns the memory allows, refuses a file when not even ``MIN_FEATURES`` fit,
and its steps are capped by the same ``WORK``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from playground.data.report import Problem
from playground.tasks.classify.classic import MIN_FEATURES, VECTORIZER
from playground.tasks.entities.classic import N_FEATURES

MAX_ROWS = 50_000  # char n-grams of 50,000 short texts fit in about a minute on 2 cores
MEMORY = 3 << 30  # bytes the fit may take: what a 16 GB laptop spares beside the app
LBFGS_COPIES = 25  # scipy's L-BFGS-B works in 2 x 10 + 5 vectors the size of the weights
ROW_COPIES = 4  # per row and label: scores, probabilities, gradient, and a spare
BYTES = 8  # float64
WORK = 10**12  # multiply-adds the solver may spend: about 5-10 minutes on 2 cores


@dataclass(frozen=True)
class ClassicPlan:
    """How the classic model fits a file: on how many rows, with at most how many n-grams."""

    rows: int  # rows it learns from (all of them, or a sample per label)
    max_features: int  # n-grams it keeps, the most frequent first
    labels: int

    def need_bytes(self, features: int | None = None) -> int:
        """Memory the fit needs with ``features`` n-grams (the most it may keep by default)."""
        features = self.max_features if features is None else features
        return BYTES * self.labels * (LBFGS_COPIES * features + ROW_COPIES * self.rows)


def plan(rows: int, labels: int, memory: int | None = None) -> ClassicPlan | None:
    """The plan for ``rows`` training rows of ``labels`` labels; None when even
    ``MIN_FEATURES`` n-grams would need more than ``memory`` bytes (``MEMORY`` by default)."""
    memory = MEMORY if memory is None else memory
    rows = min(rows, MAX_ROWS)
    spare = memory - BYTES * labels * ROW_COPIES * rows
    features = min(VECTORIZER["max_features"], spare // (BYTES * labels * LBFGS_COPIES))
    return ClassicPlan(rows, int(features), labels) if features >= MIN_FEATURES else None


def max_steps(nonzeros: int, labels: int, wanted: int) -> int:
    """At most ``wanted`` solver steps, fewer when texts with ``nonzeros`` n-gram counts in
    all and ``labels`` labels would spend more than ``WORK`` (never fewer than 100)."""
    return int(min(wanted, max(100, WORK // max(1, 2 * nonzeros * labels))))


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


def entity_plan(tokens: int, tags: int, memory: int | None = None) -> ClassicPlan | None:
    """The classic entity model's plan for ``tokens`` tokens and ``tags`` BIO tags: every
    token, at most ``N_FEATURES`` hashed columns (fewer for many tags); None when even
    ``MIN_FEATURES`` would need more than ``memory`` bytes (``MEMORY`` by default)."""
    memory = MEMORY if memory is None else memory
    spare = memory - BYTES * tags * ROW_COPIES * tokens
    features = min(N_FEATURES, spare // (BYTES * tags * LBFGS_COPIES))
    return ClassicPlan(tokens, int(features), tags) if features >= MIN_FEATURES else None


def most_entity_types(tokens: int) -> int:
    """The most entity types a file of ``tokens`` tokens can have and still fit (0: none)."""
    low, high = 0, 1 << 20
    while low < high:  # entity_plan() fits fewer types the more there are: bisect
        middle = (low + high + 1) // 2
        fits = entity_plan(tokens, 2 * middle + 1) is not None
        low, high = (middle, high) if fits else (low, middle - 1)
    return low


def entity_refusal(types: int, tokens: int) -> Problem:
    """Why a file of ``types`` entity types and ``tokens`` tokens cannot train, and what
    to do."""
    most, gb = most_entity_types(tokens), f"{MEMORY / 2**30:.0f}"
    if most == 0:  # too many tokens for even one type
        todo = "Train on fewer sentences: split the file and keep one part."
        todo_zh = "请用更少的句子训练：把文件拆开，只用其中一部分。"
    else:
        todo = (f"Merge related types into at most {most:,}, or train on fewer sentences "
                "(fewer tokens leave room for more types).")
        todo_zh = f"请把相关类型合并成最多 {most:,} 种，或用更少的句子训练（词越少，能容纳的类型越多）。"
    return Problem(
        "error", "too_many_types",
        f"The file has {types:,} entity types: too many for the classic entity model, which "
        f"every run fits as its yardstick, to learn from {tokens:,} tokens within {gb} GB of "
        f"memory (at most about {most:,} types with this many tokens). {todo}",
        f"该文件有 {types:,} 种实体类型，太多了：每次训练都会拟合经典实体模型作为参照，它无法在 "
        f"{gb} GB 内存内从 {tokens:,} 个词中学会这么多类型（这么多词时，最多约 {most:,} 种类型）。"
        f"{todo_zh}")
