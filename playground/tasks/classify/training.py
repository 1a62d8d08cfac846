"""A label per text, as the one job flow (``training/job.py``) trains it.

The parts are pandas frames of ``text`` and ``label``; outputs are logits (rows x
labels, in the order of the run's labels). The floor is always answering the most common
training label; the classic model is TF-IDF + a linear model. The agent's confidence is
calibrated on the validation rows (temperature scaling, ``calibration.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from playground.config import best_metric
from playground.runfolder import SPLITS, RunFolder
from playground.tasks.classify.classic import ClassicModel, Progress
from playground.tasks.classify.metrics import headline, majority_baseline
from playground.tasks.classify.metrics import score as scores_of
from playground.training.calibration import calibration_report, fit_temperature
from playground.training.choice import agent_choice, comparison_metric
from playground.training.engine import Tuned

summary = headline  # the numbers a table of runs shows


def read_splits(run: RunFolder) -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(run.split_path(name), dtype=str, keep_default_na=False)
            for name in SPLITS}


def finetune(run: RunFolder, spec: dict[str, Any], splits: dict[str, pd.DataFrame],
             started_at: float, announce: Any) -> Tuned:
    from playground.tasks.classify.finetune import recipe
    from playground.training.engine import finetune as train

    config = spec["config"]
    return train(run, config, started_at,
                 recipe(config, spec["model"]["location"], splits, spec["labels"]), announce)


def join(*parts: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(parts)


def floor(splits: dict[str, pd.DataFrame], spec: dict[str, Any]) -> dict[str, Any]:
    return majority_baseline(splits["train"]["label"], splits["test"]["label"].tolist(),
                             spec["labels"])


def fit_classic(part: pd.DataFrame, spec: dict[str, Any],
                progress: Progress | None = None) -> ClassicModel:
    return ClassicModel.fit(part["text"], part["label"], spec["config"]["seed"], progress)


def classic_outputs(classic: ClassicModel, part: pd.DataFrame,
                    spec: dict[str, Any]) -> np.ndarray:
    """The classic model's logits for a part, columns in the order of the run's labels."""
    return classic_logits_of(classic, part["text"], spec["labels"])


def score(part: pd.DataFrame, logits: np.ndarray, spec: dict[str, Any]) -> dict[str, Any]:
    labels = spec["labels"]
    return scores_of(part["label"].tolist(), [labels[i] for i in logits.argmax(axis=1)], labels)


def choose(splits: dict[str, pd.DataFrame], spec: dict[str, Any], tuned: Tuned | None,
           progress: Progress | None = None) -> dict[str, Any]:
    """Score a classic model fitted on the training rows alone and the fine-tuned model
    (when there is one) on the validation rows; pick the agent; fit each one's temperature.
    """
    labels, config = spec["labels"], spec["config"]
    truth = label_indices(splits["validation"]["label"], labels)
    metric = comparison_metric(best_metric(config))
    alone = fit_classic(splits["train"], spec, progress)
    classic_logits = classic_logits_of(alone, splits["validation"]["text"], labels)
    classic_score = validation_score(classic_logits, truth, metric)
    if tuned is None:
        agent, temperature, tuned_t = (agent_choice(metric, None, classic_score),
                                       fit_temperature(classic_logits, truth), None)
    else:
        validation = tuned.outputs["validation"]
        agent = agent_choice(metric, validation_score(validation, truth, metric),
                             classic_score)
        tuned_t = fit_temperature(validation, truth)
        temperature = tuned_t if agent["kind"] == "finetuned" else \
            fit_temperature(classic_logits, truth)
    return {"agent": agent, "temperature": temperature,
            "files": {"labels": labels, "temperature": temperature},
            "tuned_files": {"labels": labels, "temperature": tuned_t}}


def report(spec: dict[str, Any], splits: dict[str, pd.DataFrame], logits: np.ndarray,
           model_scores: dict[str, Any], chosen: dict[str, Any]) -> dict[str, Any]:
    """The labels, and how well calibrated the agent's confidence is on the test rows."""
    labels = spec["labels"]
    return {"labels": labels,
            "calibration": calibration_report(logits, label_indices(splits["test"]["label"],
                                                                    labels),
                                              chosen["temperature"])}


def label_indices(values: Any, labels: list[str]) -> np.ndarray:
    """Each label's position in ``labels`` (the models' output order)."""
    index = {label: i for i, label in enumerate(labels)}
    return np.array([index[value] for value in values], dtype=int)


def classic_logits_of(classic: ClassicModel, texts: Any, labels: list[str]) -> np.ndarray:
    """The classic model's logits for ``texts``, columns in the order of ``labels``."""
    return classic.logits(texts)[:, [classic.labels.index(label) for label in labels]]


def validation_score(logits: np.ndarray, truth: np.ndarray, metric: str) -> float:
    """Accuracy or macro-F1 of ``logits`` on the validation rows."""
    from sklearn.metrics import f1_score

    predicted = logits.argmax(axis=1)
    if metric == "macro_f1":
        return round(float(f1_score(truth, predicted, average="macro", zero_division=0)), 4)
    return round(float((predicted == truth).mean()), 4)
