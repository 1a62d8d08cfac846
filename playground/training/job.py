"""One training run from its folder to its report: baselines, the model, the scores.

Every report shows three scores on the same held-out data: always answering the
majority label, the classic TF-IDF model, and the chosen model, so a user sees what
fine-tuning bought.
"""

from __future__ import annotations

import json
import os
import resource
import time
from typing import Any

import pandas as pd

from playground.runfolder import LABELS, RUN_CONFIG, SPLITS, RunFolder, write_json
from playground.training.classic import ClassicModel
from playground.training.metrics import headline, majority_baseline, score


def read_splits(run: RunFolder) -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(run.split_path(name), dtype=str, keep_default_na=False)
            for name in SPLITS}


def peak_rss_mb() -> float:
    """This process's peak resident memory (Linux reports kilobytes)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_job(run: RunFolder, started_at: float) -> dict[str, Any]:
    """Train the run's model, save the agent in model/, write and return report.json.

    Under torchrun every rank trains; only rank 0 writes to the run folder.
    """
    spec = run.read_config()
    if spec["config"].get("task") == "ner":
        from playground.training.entity_job import run_entity_job

        return run_entity_job(run, started_at)
    main = int(os.environ.get("RANK", "0")) == 0
    emit = run.append_event if main else (lambda event: None)
    config, model = spec["config"], spec["model"]
    splits = read_splits(run)
    labels = spec["labels"]
    truth = splits["test"]["label"].tolist()

    emit({"type": "phase", "phase": "baselines",
                      "message": "Scoring the majority label and the classic model."})
    majority = majority_baseline(splits["train"]["label"], truth, labels)
    classic_start = time.time()
    # The classic model picks no checkpoint, so it learns from the validation rows too:
    # every row of the training file, as a user running it alone would give it.
    seen = pd.concat([splits["train"], splits["validation"]])
    classic = ClassicModel.fit(seen["text"], seen["label"], config["seed"])
    classic_scores = score(truth, classic.predict(splits["test"]["text"]), labels)
    classic_s = round(time.time() - classic_start, 2)
    emit({"type": "baselines", "majority_accuracy": majority["accuracy"],
                      "classic_accuracy": classic_scores["accuracy"], "classic_s": classic_s})

    cancelled, details = False, {}
    train_start = time.time()
    if model["id"] == "classic":
        if main:
            classic.save(run.model_dir)
        model_scores = classic_scores
        details = classic_details(len(splits["train"]), classic_s)
    else:
        from playground.training.finetune import finetune

        emit({"type": "phase", "phase": "training",
                          "message": f"Fine-tuning {model['name']}."})
        result = finetune(run, config, model["location"], splits, labels, started_at)
        predicted = [labels[i] for i in result.probabilities.argmax(axis=1)]
        model_scores = score(truth, predicted, labels)
        cancelled = result.cancelled
        details = finetune_details(result)
    # The classic agent is the model fitted with the baselines: its training time is that.
    train_s = classic_s if model["id"] == "classic" else round(time.time() - train_start, 2)

    if not main:
        return {"cancelled": cancelled}
    save_agent_files(run, {"labels": labels}, spec)
    report = {
        "run_id": run.run_id,
        "task": "text-classification",
        "model": model["name"],
        "method": config["method"] if model["id"] != "classic" else "classic",
        "held_out": spec["data"]["held_out"],
        "held_out_zh": spec["data"].get("held_out_zh", ""),
        "test_rows": len(truth),
        "labels": labels,
        "cancelled": cancelled,
        "scores": {"majority": majority, "classic": headline(classic_scores),
                   "model": model_scores},
        **finish_details(details, started_at, train_s, classic_s),
    }
    write_json(run.report_path, report)
    run.append_event({"type": "result", "accuracy": model_scores["accuracy"],
                      "macro_f1": model_scores["macro_f1"],
                      "majority_accuracy": majority["accuracy"],
                      "classic_accuracy": classic_scores["accuracy"], "cancelled": cancelled})
    return report


def classic_details(train_rows: int, classic_s: float) -> dict[str, Any]:
    """How a classic agent trained, for the report."""
    return {"precision": "fp64", "device": "cpu", "first_loss_s": None,
            "examples_per_s": round(train_rows / max(classic_s, 1e-9), 1)}


def finetune_details(result: Any) -> dict[str, Any]:
    """How a fine-tuned agent trained (a FinetuneResult or its entity twin), for the report."""
    return {"precision": result.precision, "device": result.device,
            "first_loss_s": result.first_loss_s, "parameters": result.parameters,
            "best_validation": result.best_validation,
            "examples_per_s": round(result.train_metrics.get("train_samples_per_second", 0.0),
                                    1)}


def finish_details(details: dict[str, Any], started_at: float, train_s: float,
                   classic_s: float) -> dict[str, Any]:
    """The report's timings, peak memory and the rest of ``details``."""
    details = dict(details)
    return {"timings": {"total_s": round(time.time() - started_at, 2), "train_s": train_s,
                        "classic_s": classic_s, "first_loss_s": details.pop("first_loss_s"),
                        "examples_per_s": details.pop("examples_per_s")},
            "peak_rss_mb": peak_rss_mb(), **details}


def save_agent_files(run: RunFolder, labels: dict[str, Any], spec: dict[str, Any]) -> None:
    """model/labels.json (what the agent outputs) and the config that made it."""
    (run.model_dir / LABELS).write_text(json.dumps(labels, ensure_ascii=False),
                                        encoding="utf-8")
    write_json(run.model_dir / RUN_CONFIG, spec)
