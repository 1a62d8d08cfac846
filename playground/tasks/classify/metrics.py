"""Held-out scores, computed the same way for every model (scikit-learn's metrics)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any


def score(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1, per-label precision/recall/F1/support and the confusion matrix."""
    from sklearn.metrics import (
        accuracy_score,
        confusion_matrix,
        f1_score,
        precision_recall_fscore_support,
    )

    labels = list(labels)
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0)
    return {
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(float(f1_score(y_true, y_pred, labels=labels, average="macro",
                                         zero_division=0)), 4),
        "per_label": {
            label: {"precision": round(float(p), 4), "recall": round(float(r), 4),
                    "f1": round(float(f), 4), "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support)},
        "confusion_matrix": {"labels": labels,
                             "matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist()},
    }


def headline(scores: dict[str, Any]) -> dict[str, float]:
    """Just the two numbers a table of runs shows."""
    return {"accuracy": scores["accuracy"], "macro_f1": scores["macro_f1"]}


def majority_label(train_labels: Sequence[str]) -> str:
    """The most frequent training label (ties broken by name, so the result is stable)."""
    counts = Counter(train_labels)
    return min(counts, key=lambda label: (-counts[label], label))


def majority_baseline(train_labels: Sequence[str], y_true: Sequence[str],
                      labels: Sequence[str]) -> dict[str, Any]:
    """Scores of always answering the most frequent training label: the floor to beat."""
    label = majority_label(train_labels)
    return {"label": label, **headline(score(y_true, [label] * len(y_true), labels))}
