"""One training run from its folder to its report, the same flow for every task.

Every report shows three scores on the same held-out data: what the task scores without
learning (always the most common label, finding no entity), the classic model, and the
agent, so a user sees what fine-tuning bought. The agent is the better of the fine-tuned
and the classic model on the validation part (``choice.py``). What differs by task (its
data, model, scores, agent files) comes from the task's ``training`` module
(``tasks/base.py``: ``TaskTraining``); this flow has no task switches.
"""

from __future__ import annotations

import json
import os
import resource
import time
from pathlib import Path
from typing import Any

from playground import tasks
from playground.runfolder import LABELS, RUN_CONFIG, RunFolder, write_json
from playground.training.choice import verdict
from playground.training.phases import phase_event

Progress = Any  # (what, values) -> None: a classic model's progress while it fits


def peak_rss_mb() -> float:
    """This process's peak resident memory (Linux reports kilobytes)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_job(run: RunFolder, started_at: float) -> dict[str, Any]:
    """Train the run's model, save the agent in model/, write and return report.json.

    Fine-tuning comes first, so the first loss point is not kept waiting; the baselines,
    the choice of agent (and its calibration) follow. Under torchrun every rank trains;
    only rank 0 scores the baselines and writes to the run folder.
    """
    spec = run.read_config()
    config, model = spec["config"], spec["model"]
    task = tasks.spec(config.get("task"))
    core = tasks.part(task.name, "training")
    main = int(os.environ.get("RANK", "0")) == 0
    emit = run.append_event if main else (lambda event: None)

    def phase(name: str, variant: str = "", **values: Any) -> dict[str, Any]:
        return phase_event(name, variant, task.phases, **values)

    is_classic = model["id"] == "classic"
    emit(phase("loading", "classic" if is_classic else ""))
    splits = core.read_splits(run)

    cancelled, details, tuned = False, {}, None
    train_start = time.time()
    if not is_classic:
        tuned = core.finetune(run, spec, splits, started_at,
                              lambda name: emit(phase(name, model=model["name"])))
        cancelled, details = tuned.cancelled, tuned.details()
    train_s = round(time.time() - train_start, 2)
    if not main:
        return {"cancelled": cancelled}

    emit(phase("training", "classic") if is_classic else phase("baselines"))
    test = splits["test"]
    floor = core.floor(splits, spec)
    classic_start = time.time()
    classic = classic_outputs = None
    classic_scores: dict[str, Any] = {}
    if task.has_classic:
        # The classic model picks no checkpoint, so it learns from the validation part
        # too: all of the training file, as a user running it alone would give it.
        classic = core.fit_classic(core.join(splits["train"], splits["validation"]), spec,
                                   classic_progress(emit, "training" if is_classic
                                                    else "baselines"))
        classic_outputs = core.classic_outputs(classic, test, spec)
        classic_scores = core.score(test, classic_outputs, spec)
    classic_s = round(time.time() - classic_start, 2)
    compared = baseline_values(task, floor, classic_scores)
    emit({"type": "baselines", **compared, "classic_s": classic_s})

    emit(phase("calibrating"))
    chosen = core.choose(splits, spec, tuned, classic_progress(emit, "calibrating"))
    emit(phase("saving"))
    if chosen["agent"]["kind"] == "classic":
        if tuned is not None:  # the fine-tuned model stays, for comparison
            run.model_dir.rename(run.finetuned_dir)
            save_agent_files(run, chosen["tuned_files"], spec, run.finetuned_dir)
        classic.save(run.model_dir)
        outputs = classic_outputs
    else:
        outputs = tuned.outputs["test"]
    save_agent_files(run, chosen["files"], spec)
    model_scores = core.score(test, outputs, spec)
    all_scores = {"majority": floor, "model": model_scores}
    if classic_scores:
        all_scores["classic"] = core.summary(classic_scores)
    if tuned is not None:
        all_scores["finetuned"] = core.score(test, tuned.outputs["test"], spec)
    if is_classic:  # the classic agent is the model fitted with the baselines
        train_s, details = classic_s, classic_details(len(splits["train"]), classic_s)
    key = task.headline
    report = {
        "run_id": run.run_id,
        "task": task.name,
        "model": model["name"],
        "method": config["method"] if not is_classic else "classic",
        "held_out": spec["data"]["held_out"],
        "held_out_zh": spec["data"].get("held_out_zh", ""),
        "test_rows": len(test),
        **core.report(spec, splits, outputs, model_scores, chosen),
        "cancelled": cancelled,
        "scores": all_scores,
        "headline": {"metric": key, "value": model_scores[key]},
        "agent": chosen["agent"],
        "verdict": verdict(model_scores[key], floor[key]),
        **finish_details(details, started_at, train_s, classic_s),
    }
    write_json(run.report_path, report)
    run.append_event({"type": "result", **numbers(model_scores), **compared,
                      "cancelled": cancelled, "agent": chosen["agent"]["kind"],
                      "verdict": report["verdict"]})
    return report


def baseline_values(task: tasks.TaskSpec, floor: dict[str, Any],
                    classic: dict[str, Any]) -> dict[str, float]:
    """The floor's and the classic model's scores, as the baselines event names them
    (majority_accuracy, classic_f1...): accuracy and the task's metrics."""
    keys = dict.fromkeys(["accuracy", *(name for name, _, _ in task.metrics)])
    return {f"{who}_{key}": scores[key] for key in keys
            for who, scores in (("majority", floor), ("classic", classic)) if key in scores}


def numbers(scores: dict[str, Any]) -> dict[str, float]:
    """The plain numbers of a task's scores (not the tables per label or type)."""
    return {key: value for key, value in scores.items()
            if isinstance(value, (int, float)) and not isinstance(value, bool)}


def classic_progress(emit: Any, phase: str) -> Progress:
    """The classic model's progress, as events of the phase it fits in."""
    return lambda what, values: emit(phase_event(phase, f"classic-{what}", **values))


def classic_details(train_rows: int, classic_s: float) -> dict[str, Any]:
    """How a classic agent trained, for the report."""
    return {"precision": "fp64", "device": "cpu", "first_loss_s": None,
            "examples_per_s": round(train_rows / max(classic_s, 1e-9), 1)}


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
