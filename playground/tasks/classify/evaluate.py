"""A text classifier on a user's labelled file: its scores, the floor's, its mistakes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from playground.data import read_table
from playground.data.limits import long_rows_note
from playground.errors import DataError
from playground.runfolder import RunFolder
from playground.service.agents import agent_for
from playground.tasks.classify.checks import check_eval_table
from playground.tasks.classify.metrics import score


def evaluate_file(run: RunFolder, path: str | Path, max_mistakes: int = 200) -> dict[str, Any]:
    """``evaluate_table`` of the table in ``path``."""
    return evaluate_table(run, read_table(path), max_mistakes)


def evaluate_table(run: RunFolder, frame: pd.DataFrame, max_mistakes: int = 200) -> dict:
    """Score a run's agent on a labeled table: scores, the majority baseline, mistakes,
    and (en, zh) naming the rows read only up to the length limit (None when none is).

    The table is checked as an evaluation file (any size; only labels the agent knows).
    """
    agent = agent_for(run.path)
    clean, report = check_eval_table(frame, agent.labels)
    if report.errors:
        raise DataError(" ".join(p.message for p in report.errors),
                        "Fix the file and test again.",
                        zh="".join(p.message_zh or p.message for p in report.errors)
                           + "请修正文件后重新测试。")
    probabilities = agent.probabilities(clean["text"].tolist())
    predicted = [agent.labels[i] for i in probabilities.argmax(axis=1)]
    majority = ((run.read_report() or {}).get("scores", {}).get("majority", {})
                .get("label"))
    wrong = clean.assign(predicted=predicted, confidence=probabilities.max(axis=1).round(4))
    return {"rows": len(clean), "scores": score(clean["label"].tolist(), predicted, agent.labels),
            "majority_accuracy": float((clean["label"] == majority).mean()) if majority else 0.0,
            "mistakes": wrong[wrong["label"] != wrong["predicted"]].head(max_mistakes),
            "long_rows": long_rows_note(frame[report.text_column])}
