"""What the classic models' solver costs: the numbers every task's classic plan shares.

The classic models (TF-IDF + logistic regression for labels, a per-token logistic
regression for entities) fit with L-BFGS, all outputs at once. It holds about 25 copies
of a weight matrix of features x outputs (10 pairs of past steps and gradient changes,
and a few work copies), and per row and output its scores, probabilities and gradients.
5,000 labels with the default 300,000 n-grams asked for 17 GiB and crashed; a 60 MB file
fitted for over 23 minutes. Each task's plan (``classify/classic_plan.py``,
``entities/classic_plan.py``) keeps its features within ``MEMORY`` and its steps within
``WORK`` with the pieces below.
"""

from __future__ import annotations

from dataclasses import dataclass

MEMORY = 3 << 30  # bytes the fit may take: what a 16 GB laptop spares beside the app
LBFGS_COPIES = 25  # scipy's L-BFGS-B works in 2 x 10 + 5 vectors the size of the weights
ROW_COPIES = 4  # per row and output: scores, probabilities, gradient, and a spare
BYTES = 8  # float64
WORK = 10**12  # multiply-adds the solver may spend: about 5-10 minutes on 2 cores
MIN_FEATURES = 2_000  # fewer features than this and a classic model is not worth fitting


@dataclass(frozen=True)
class ClassicPlan:
    """How a classic model fits a file: on how many rows, with at most how many features."""

    rows: int  # rows it learns from (all of them, or a sample per label)
    max_features: int  # features it keeps, the most frequent first
    labels: int  # its outputs: labels, or BIO tags

    def need_bytes(self, features: int | None = None) -> int:
        """Memory the fit needs with ``features`` features (the most it may keep by default)."""
        features = self.max_features if features is None else features
        return BYTES * self.labels * (LBFGS_COPIES * features + ROW_COPIES * self.rows)


def fitting_plan(rows: int, outputs: int, most_features: int, memory: int) -> ClassicPlan | None:
    """The plan for ``rows`` rows of ``outputs`` outputs with at most ``most_features``
    features, within ``memory`` bytes; None when not even ``MIN_FEATURES`` fit."""
    spare = memory - BYTES * outputs * ROW_COPIES * rows
    features = min(most_features, spare // (BYTES * outputs * LBFGS_COPIES))
    return ClassicPlan(rows, int(features), outputs) if features >= MIN_FEATURES else None


def max_steps(nonzeros: int, labels: int, wanted: int) -> int:
    """At most ``wanted`` solver steps, fewer when rows with ``nonzeros`` feature values in
    all and ``labels`` outputs would spend more than ``WORK`` (never fewer than 100)."""
    return int(min(wanted, max(100, WORK // max(1, 2 * nonzeros * labels))))
