"""Entity-level scores (seqeval, strict IOB2 spans) and tag decoding for entity agents.

An entity counts as found only when its first token, its last token and its type all
match (``mode="strict"``): finding "New York" as "York" scores nothing. Precision,
recall and F1 are given per type and overall (micro-averaged over entities, the figure
papers report); ``macro_f1`` averages the types; ``accuracy`` is per token, where "O"
dominates, so it is shown but never used to judge an entity agent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def entity_scores(truth: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]],
                  types: Sequence[str] | None = None) -> dict[str, Any]:
    """Precision, recall and F1 overall and per type, macro-F1 and token accuracy."""
    from seqeval.metrics import accuracy_score, classification_report
    from seqeval.scheme import IOB2

    truth = [list(t) for t in truth]
    predicted = [list(p) for p in predicted]
    if [len(t) for t in truth] != [len(p) for p in predicted]:
        raise ValueError("every predicted sentence needs one tag per true tag")
    tokens = sum(len(t) for t in truth)
    accuracy = float(accuracy_score(truth, predicted)) if tokens else 0.0
    has_entities = any(tag != "O" for tags in truth + predicted for tag in tags)
    report = classification_report(truth, predicted, mode="strict", scheme=IOB2,
                                   output_dict=True, zero_division=0) if has_entities else {}
    per_type = {kind: _rounded(values) for kind, values in report.items()
                if not kind.endswith(" avg")}
    for kind in types or []:  # a type the test data lacks still shows, with support 0
        per_type.setdefault(kind, {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0})
    overall = _rounded(report.get("micro avg", {}))
    present = [v["f1"] for v in per_type.values() if v["support"] > 0]
    return {
        "precision": overall.get("precision", 0.0),
        "recall": overall.get("recall", 0.0),
        "f1": overall.get("f1", 0.0),
        "macro_f1": round(float(np.mean(present)), 4) if present else 0.0,
        "accuracy": round(accuracy, 4),
        "entities": sum(v["support"] for v in per_type.values()),
        "per_type": dict(sorted(per_type.items())),
    }


def headline(scores: dict[str, Any]) -> dict[str, float]:
    """The numbers a table of runs shows for an entity agent."""
    return {key: scores[key] for key in ("precision", "recall", "f1", "macro_f1", "accuracy")}


def outside_baseline(truth: Sequence[Sequence[str]], types: Sequence[str]) -> dict[str, Any]:
    """Scores of tagging every token O (no entity ever): the floor, F1 0 by definition."""
    predicted = [["O"] * len(t) for t in truth]
    return {"label": "O", **headline(entity_scores(truth, predicted, types))}


def decode(probabilities: np.ndarray, tags: Sequence[str]) -> tuple[list[str], list[float]]:
    """The most likely valid BIO sequence for one sentence (Viterbi over log-probabilities,
    I-X only after B-X or I-X), and the probability of each chosen tag."""
    n, k = probabilities.shape
    if n == 0:
        return [], []
    log_p = np.log(np.clip(probabilities, 1e-12, 1.0))
    allowed = np.array([[_may_follow(before, after) for after in tags] for before in tags])
    start_ok = np.array([not tag.startswith("I-") for tag in tags])
    transition = np.where(allowed, 0.0, -np.inf)
    score = np.where(start_ok, log_p[0], -np.inf)
    back = np.zeros((n, k), dtype=int)
    for i in range(1, n):
        total = score[:, None] + transition  # previous tag x next tag
        back[i] = total.argmax(axis=0)
        score = total.max(axis=0) + log_p[i]
    path = [int(score.argmax())]
    for i in range(n - 1, 0, -1):
        path.append(int(back[i, path[-1]]))
    path.reverse()
    return [tags[j] for j in path], [float(probabilities[i, j]) for i, j in enumerate(path)]


def _may_follow(before: str, after: str) -> bool:
    return not after.startswith("I-") or before[2:] == after[2:] and before != "O"


def _rounded(values: dict[str, Any]) -> dict[str, Any]:
    names = {"precision": "precision", "recall": "recall", "f1": "f1-score"}
    out = {key: round(float(values[name]), 4) for key, name in names.items() if name in values}
    if "support" in values:
        out["support"] = int(values["support"])
    return out
