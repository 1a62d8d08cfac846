"""Calibrated confidence: temperature scaling fitted on the validation rows.

A fine-tuned classifier is often overconfident (82% sure of a banking intent for
"hello"), a small one underconfident (25% for every answer). Dividing its logits by one
number T, chosen to make the validation rows' labels most likely, fixes most of that
without changing which label wins (Guo et al., 2017). For the classic model its
log-probabilities serve as the logits. The expected calibration error (ECE) measures
the gap between how sure the agent says it is and how often it is right.
"""

from __future__ import annotations

import math

import numpy as np

# T between 1/20 and 20: wide enough for any model seen so far, finite either way.
LOG_T_BOUNDS = (-3.0, 3.0)
ECE_BINS = 10


def is_fitted_temperature(value: object) -> bool:
    """Whether ``value`` is a temperature ``fit_temperature`` can give (a number between
    1/20 and 20): what an imported agent's labels.json may say. T near 0 would make every
    answer 100% sure, and 0 or a word would break every answer."""
    if type(value) not in (int, float) or not math.isfinite(value) or value <= 0:
        return False
    low, high = LOG_T_BOUNDS  # and the 4 decimals fit_temperature rounds to
    return low - 1e-3 <= math.log(value) <= high + 1e-3


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Rows of probabilities from rows of logits divided by ``temperature``."""
    scaled = np.asarray(logits, dtype=np.float64) / temperature
    scaled -= scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=1, keepdims=True)


def nll(logits: np.ndarray, truth: np.ndarray, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of the true label indices ``truth``."""
    probabilities = softmax(logits, temperature)[np.arange(len(truth)), truth]
    return float(-np.log(np.clip(probabilities, 1e-12, None)).mean())


def fit_temperature(logits: np.ndarray, truth: np.ndarray) -> float:
    """The T that minimises the validation NLL of ``logits / T`` (1.0 without rows).

    A standard normal prior on log T, weighted like one more row, keeps T finite when the
    model gets every validation row right (the NLL then falls forever as T shrinks) and
    pulls a fit on a handful of rows towards 1.
    """
    from scipy.optimize import minimize_scalar

    truth = np.asarray(truth)
    if len(truth) == 0:
        return 1.0
    logits = np.asarray(logits, dtype=np.float64)

    def objective(log_t: float) -> float:
        return nll(logits, truth, float(np.exp(log_t))) + log_t ** 2 / (2 * len(truth))

    found = minimize_scalar(objective, bounds=LOG_T_BOUNDS, method="bounded")
    return round(float(np.exp(found.x)), 4)


def expected_calibration_error(probabilities: np.ndarray, truth: np.ndarray,
                               bins: int = ECE_BINS) -> float:
    """The rows' gap between confidence and accuracy, averaged over ``bins`` equal-width
    confidence bins weighted by how many rows fall in each (0 without rows)."""
    truth = np.asarray(truth)
    if len(truth) == 0:
        return 0.0
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == truth
    # Bin i holds confidences in (i/bins, (i+1)/bins]; a confidence of 0 joins the first.
    which = np.clip(np.ceil(confidence * bins).astype(int) - 1, 0, bins - 1)
    gap = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            gap += members.sum() * abs(correct[members].mean() - confidence[members].mean())
    return round(float(gap / len(truth)), 4)


def calibration_report(test_logits: np.ndarray, truth: np.ndarray,
                       temperature: float) -> dict[str, float | int]:
    """report.json's "calibration": T and the held-out ECE before and after it."""
    return {"temperature": temperature,
            "ece_before": expected_calibration_error(softmax(test_logits), truth),
            "ece_after": expected_calibration_error(softmax(test_logits, temperature), truth),
            "bins": ECE_BINS}
