"""One training run from its folder to its report: the model, baselines, the scores.

Every report shows three scores on the same held-out data: always answering the
majority label, the classic TF-IDF model, and the agent, so a user sees what
fine-tuning bought. The agent is the better of the fine-tuned and the classic model on
the validation rows (``choice.py``), with its confidence calibrated on them
(``calibration.py``).
"""

from __future__ import annotations

import json
import os
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from playground.config import best_metric
from playground.runfolder import LABELS, RUN_CONFIG, SPLITS, RunFolder, write_json
from playground.training.calibration import calibration_report, fit_temperature
from playground.training.choice import agent_choice, comparison_metric, verdict
from playground.training.classic import ClassicModel, Progress
from playground.training.metrics import headline, majority_baseline, score
from playground.training.phases import phase_event


def read_splits(run: RunFolder) -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(run.split_path(name), dtype=str, keep_default_na=False)
            for name in SPLITS}


def peak_rss_mb() -> float:
    """This process's peak resident memory (Linux reports kilobytes)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_job(run: RunFolder, started_at: float) -> dict[str, Any]:
    """Train the run's model, save the agent in model/, write and return report.json.

    Fine-tuning comes first, so the first loss point is not kept waiting; the baselines,
    the choice of agent and the calibration follow. Under torchrun every rank trains;
    only rank 0 scores the baselines and writes to the run folder.
    """
    spec = run.read_config()
    if spec["config"].get("task") == "ner":
        from playground.training.entity_job import run_entity_job

        return run_entity_job(run, started_at)
    main = int(os.environ.get("RANK", "0")) == 0
    emit = run.append_event if main else (lambda event: None)
    config, model = spec["config"], spec["model"]
    is_classic = model["id"] == "classic"
    emit(phase_event("loading", "classic" if is_classic else ""))
    splits = read_splits(run)
    labels = spec["labels"]

    cancelled, details, tuned = False, {}, None
    train_start = time.time()
    if not is_classic:
        from playground.training.finetune import finetune

        tuned = finetune(run, config, model["location"], splits, labels, started_at,
                         lambda phase: emit(phase_event(phase, model=model["name"])))
        cancelled, details = tuned.cancelled, finetune_details(tuned)
    train_s = round(time.time() - train_start, 2)
    if not main:
        return {"cancelled": cancelled}

    emit(phase_event("training", "classic") if is_classic else phase_event("baselines"))
    progress = classic_progress(emit, "training" if is_classic else "baselines")
    truth = splits["test"]["label"].tolist()
    majority = majority_baseline(splits["train"]["label"], truth, labels)
    classic_start = time.time()
    # The classic model picks no checkpoint, so it learns from the validation rows too:
    # every row of the training file, as a user running it alone would give it.
    seen = pd.concat([splits["train"], splits["validation"]])
    classic = ClassicModel.fit(seen["text"], seen["label"], config["seed"], progress)
    classic_logits = classic_logits_of(classic, splits["test"]["text"], labels)
    classic_scores = score(truth, [labels[i] for i in classic_logits.argmax(axis=1)], labels)
    classic_s = round(time.time() - classic_start, 2)
    emit({"type": "baselines", "majority_accuracy": majority["accuracy"],
          "classic_accuracy": classic_scores["accuracy"], "classic_s": classic_s})

    emit(phase_event("calibrating"))
    served = choose_and_calibrate(splits, labels, config, tuned,
                                  classic_progress(emit, "calibrating"))
    emit(phase_event("saving"))
    if served["agent"]["kind"] == "classic":
        if tuned is not None:  # the fine-tuned model stays, for comparison
            run.model_dir.rename(run.finetuned_dir)
            save_agent_files(run, {"labels": labels, "temperature": served["tuned_t"]}, spec,
                             run.finetuned_dir)
        classic.save(run.model_dir)
        test_logits = classic_logits
    else:
        test_logits = tuned.test_logits
    save_agent_files(run, {"labels": labels, "temperature": served["temperature"]}, spec)
    model_scores = score(truth, [labels[i] for i in test_logits.argmax(axis=1)], labels)
    all_scores = {"majority": majority, "classic": headline(classic_scores),
                  "model": model_scores}
    if tuned is not None:
        all_scores["finetuned"] = score(
            truth, [labels[i] for i in tuned.test_logits.argmax(axis=1)], labels)
    if is_classic:  # the classic agent is the model fitted with the baselines
        train_s, details = classic_s, classic_details(len(splits["train"]), classic_s)
    report = {
        "run_id": run.run_id,
        "task": "text-classification",
        "model": model["name"],
        "method": config["method"] if not is_classic else "classic",
        "held_out": spec["data"]["held_out"],
        "held_out_zh": spec["data"].get("held_out_zh", ""),
        "test_rows": len(truth),
        "labels": labels,
        "cancelled": cancelled,
        "scores": all_scores,
        "agent": served["agent"],
        "verdict": verdict(model_scores["accuracy"], majority["accuracy"]),
        "calibration": calibration_report(test_logits, label_indices(truth, labels),
                                          served["temperature"]),
        **finish_details(details, started_at, train_s, classic_s),
    }
    write_json(run.report_path, report)
    run.append_event({"type": "result", "accuracy": model_scores["accuracy"],
                      "macro_f1": model_scores["macro_f1"],
                      "majority_accuracy": majority["accuracy"],
                      "classic_accuracy": classic_scores["accuracy"], "cancelled": cancelled,
                      "agent": served["agent"]["kind"], "verdict": report["verdict"]})
    return report


def classic_progress(emit: Any, phase: str) -> Progress:
    """The classic model's progress, as events of the phase it fits in."""
    return lambda what, values: emit(phase_event(phase, f"classic-{what}", **values))


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


def choose_and_calibrate(splits: dict[str, pd.DataFrame], labels: list[str],
                         config: dict[str, Any], tuned: Any,
                         progress: Progress | None = None) -> dict[str, Any]:
    """Score a classic model fitted on the training rows alone and the fine-tuned model
    (when there is one) on the validation rows; pick the agent; fit each one's temperature.

    Returns {"agent": report's "agent", "temperature": the served agent's T, "tuned_t"}.
    """
    truth = label_indices(splits["validation"]["label"], labels)
    metric = comparison_metric(best_metric(config))
    alone = ClassicModel.fit(splits["train"]["text"], splits["train"]["label"], config["seed"],
                             progress)
    classic_logits = classic_logits_of(alone, splits["validation"]["text"], labels)
    classic_score = validation_score(classic_logits, truth, metric)
    if tuned is None:
        return {"agent": agent_choice(metric, None, classic_score),
                "temperature": fit_temperature(classic_logits, truth), "tuned_t": None}
    tuned_score = validation_score(tuned.validation_logits, truth, metric)
    agent = agent_choice(metric, tuned_score, classic_score)
    tuned_t = fit_temperature(tuned.validation_logits, truth)
    temperature = tuned_t if agent["kind"] == "finetuned" else \
        fit_temperature(classic_logits, truth)
    return {"agent": agent, "temperature": temperature, "tuned_t": tuned_t}


def classic_details(train_rows: int, classic_s: float) -> dict[str, Any]:
    """How a classic agent trained, for the report."""
    return {"precision": "fp64", "device": "cpu", "first_loss_s": None,
            "examples_per_s": round(train_rows / max(classic_s, 1e-9), 1)}


def finetune_details(result: Any) -> dict[str, Any]:
    """How a fine-tuned agent trained (a FinetuneResult or its entity twin), for the report."""
    return {"precision": result.precision, "device": result.device,
            "first_loss_s": result.first_loss_s, "parameters": result.parameters,
            "best_validation": result.best_validation, **result.speed}


def finish_details(details: dict[str, Any], started_at: float, train_s: float,
                   classic_s: float) -> dict[str, Any]:
    """The report's timings, peak memory and the rest of ``details``. examples_per_s
    counts the training steps alone; eval_s and checkpoint_s are what the validation
    passes and checkpoint writes took besides (both inside train_s)."""
    details = dict(details)
    kept = {key: details.pop(key) for key in ("eval_s", "checkpoint_s") if key in details}
    return {"timings": {"total_s": round(time.time() - started_at, 2), "train_s": train_s,
                        "classic_s": classic_s, "first_loss_s": details.pop("first_loss_s"),
                        "examples_per_s": details.pop("examples_per_s"), **kept},
            "peak_rss_mb": peak_rss_mb(), **details}


def save_agent_files(run: RunFolder, labels: dict[str, Any], spec: dict[str, Any],
                     folder: Path | None = None) -> None:
    """labels.json (what the agent outputs, its temperature) and the config that made it,
    in ``folder`` (the run's model/ by default)."""
    folder = folder or run.model_dir
    (folder / LABELS).write_text(json.dumps(labels, ensure_ascii=False), encoding="utf-8")
    write_json(folder / RUN_CONFIG, spec)
