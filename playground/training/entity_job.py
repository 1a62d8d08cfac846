"""One named-entity run from its folder to its report: the model, baselines, the scores.

As for labelled texts, every report shows three scores on the same held-out sentences:
finding nothing (every token "O", entity F1 0: the floor), the classic entity model,
and the chosen model. Scores are entity-level (seqeval, strict spans; see
``entity_metrics``), overall and per type.
"""

from __future__ import annotations

import os
import time
from typing import Any

from playground.data.entities import Sentence, read_sentences
from playground.runfolder import SPLITS, RunFolder, write_json
from playground.training.choice import agent_choice, verdict
from playground.training.classic_entities import ClassicEntityModel
from playground.training.entity_metrics import entity_scores, headline, outside_baseline
from playground.training.job import (
    classic_details,
    finetune_details,
    finish_details,
    save_agent_files,
)
from playground.training.phases import phase_event


def read_entity_splits(run: RunFolder) -> dict[str, list[Sentence]]:
    return {name: read_sentences(run.entity_split_path(name)) for name in SPLITS}


def run_entity_job(run: RunFolder, started_at: float) -> dict[str, Any]:
    """Train the run's entity model, save the agent in model/, write and return report.json.

    As for labelled texts: fine-tuning first, then the baselines, and the agent is the
    better of the fine-tuned and the classic entity model by entity F1 on the validation
    sentences. Under torchrun every rank trains; only rank 0 writes to the run folder.
    """
    main = int(os.environ.get("RANK", "0")) == 0
    emit = run.append_event if main else (lambda event: None)
    spec = run.read_config()
    config, model = spec["config"], spec["model"]
    is_classic = model["id"] == "classic"
    emit(phase_event("loading", "classic" if is_classic else ""))
    splits = read_entity_splits(run)
    tags, types = spec["labels"], spec["entity_types"]

    cancelled, details, tuned = False, {}, None
    train_start = time.time()
    if not is_classic:
        from playground.training.entity_finetune import finetune_entities

        tuned = finetune_entities(run, config, model["location"], splits, tags, started_at,
                                  lambda phase: emit(phase_event(phase, "ner",
                                                                 model=model["name"])))
        cancelled, details = tuned.cancelled, finetune_details(tuned)
    train_s = round(time.time() - train_start, 2)
    if not main:
        return {"cancelled": cancelled}

    emit(phase_event("training", "classic") if is_classic else phase_event("baselines", "ner"))
    truth = [s.tags for s in splits["test"]]
    majority = outside_baseline(truth, types)
    classic_start = time.time()
    # The classic model picks no checkpoint, so it learns from the validation sentences too.
    seen = splits["train"] + splits["validation"]
    classic = ClassicEntityModel.fit([s.tokens for s in seen], [s.tags for s in seen], tags,
                                     config["seed"])
    classic_predicted = classic.predict([s.tokens for s in splits["test"]])
    classic_scores = entity_scores(truth, classic_predicted, types)
    classic_s = round(time.time() - classic_start, 2)
    emit({"type": "baselines", "majority_accuracy": majority["accuracy"],
          "classic_accuracy": classic_scores["accuracy"], "majority_f1": majority["f1"],
          "classic_f1": classic_scores["f1"], "classic_s": classic_s})

    agent = choose_entity_agent(splits, tags, types, config, tuned)
    emit(phase_event("saving"))
    labels = {"labels": types, "tags": tags, "task": "ner"}
    if agent["kind"] == "classic":
        if tuned is not None:  # the fine-tuned model stays, for comparison
            run.model_dir.rename(run.finetuned_dir)
            save_agent_files(run, labels, spec, run.finetuned_dir)
        classic.save(run.model_dir)
    save_agent_files(run, labels, spec)
    model_scores = classic_scores if agent["kind"] == "classic" else \
        entity_scores(truth, tuned.predicted, types)
    all_scores = {"majority": majority, "classic": headline(classic_scores),
                  "model": model_scores}
    if tuned is not None:
        all_scores["finetuned"] = entity_scores(truth, tuned.predicted, types)
    if is_classic:
        train_s, details = classic_s, classic_details(len(splits["train"]), classic_s)
    report = {
        "run_id": run.run_id,
        "task": "ner",
        "model": model["name"],
        "method": config["method"] if not is_classic else "classic",
        "held_out": spec["data"]["held_out"],
        "held_out_zh": spec["data"].get("held_out_zh", ""),
        "test_rows": len(truth),
        "test_entities": model_scores["entities"],
        "labels": types,
        "tags": tags,
        "metric": "entity-level precision, recall and F1 (seqeval, strict IOB2 spans)",
        "cancelled": cancelled,
        "scores": all_scores,
        "agent": agent,
        "verdict": verdict(model_scores["f1"], majority["f1"]),
        **finish_details(details, started_at, train_s, classic_s),
    }
    write_json(run.report_path, report)
    run.append_event({"type": "result", "f1": model_scores["f1"],
                      "precision": model_scores["precision"], "recall": model_scores["recall"],
                      "accuracy": model_scores["accuracy"], "macro_f1": model_scores["macro_f1"],
                      "majority_accuracy": majority["accuracy"],
                      "classic_accuracy": classic_scores["accuracy"],
                      "majority_f1": majority["f1"], "classic_f1": classic_scores["f1"],
                      "cancelled": cancelled, "agent": agent["kind"],
                      "verdict": report["verdict"]})
    return report


def choose_entity_agent(splits: dict[str, list[Sentence]], tags: list[str], types: list[str],
                        config: dict[str, Any], tuned: Any) -> dict[str, Any]:
    """report.json's "agent": a classic entity model fitted on the training sentences alone
    against the fine-tuned one (when there is one), by entity F1 on the validation ones."""
    validation = splits["validation"]
    truth = [s.tags for s in validation]
    alone = ClassicEntityModel.fit([s.tokens for s in splits["train"]],
                                   [s.tags for s in splits["train"]], tags, config["seed"])
    classic_f1 = entity_scores(truth, alone.predict([s.tokens for s in validation]),
                               types)["f1"]
    tuned_f1 = None if tuned is None else \
        entity_scores(truth, tuned.validation_predicted, types)["f1"]
    return agent_choice("f1", tuned_f1, classic_f1)
