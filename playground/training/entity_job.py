"""One named-entity run from its folder to its report: baselines, the model, the scores.

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
from playground.training.classic_entities import ClassicEntityModel
from playground.training.entity_metrics import entity_scores, headline, outside_baseline
from playground.training.job import (
    classic_details,
    finetune_details,
    finish_details,
    save_agent_files,
)


def read_entity_splits(run: RunFolder) -> dict[str, list[Sentence]]:
    return {name: read_sentences(run.entity_split_path(name)) for name in SPLITS}


def run_entity_job(run: RunFolder, started_at: float) -> dict[str, Any]:
    """Train the run's entity model, save the agent in model/, write and return report.json.

    Under torchrun every rank trains; only rank 0 writes to the run folder.
    """
    main = int(os.environ.get("RANK", "0")) == 0
    emit = run.append_event if main else (lambda event: None)
    spec = run.read_config()
    config, model = spec["config"], spec["model"]
    splits = read_entity_splits(run)
    tags, types = spec["labels"], spec["entity_types"]
    truth = [s.tags for s in splits["test"]]

    emit({"type": "phase", "phase": "baselines",
          "message": "Scoring 'no entity at all' and the classic entity model."})
    majority = outside_baseline(truth, types)
    classic_start = time.time()
    # The classic model picks no checkpoint, so it learns from the validation sentences too.
    seen = splits["train"] + splits["validation"]
    classic = ClassicEntityModel.fit([s.tokens for s in seen], [s.tags for s in seen], tags,
                                     config["seed"])
    classic_scores = entity_scores(truth, classic.predict([s.tokens for s in splits["test"]]),
                                   types)
    classic_s = round(time.time() - classic_start, 2)
    emit({"type": "baselines", "majority_accuracy": majority["accuracy"],
          "classic_accuracy": classic_scores["accuracy"], "majority_f1": majority["f1"],
          "classic_f1": classic_scores["f1"], "classic_s": classic_s})

    cancelled, details = False, {}
    train_start = time.time()
    if model["id"] == "classic":
        if main:
            classic.save(run.model_dir)
        model_scores = classic_scores
        details = classic_details(len(splits["train"]), classic_s)
    else:
        from playground.training.entity_finetune import finetune_entities

        emit({"type": "phase", "phase": "training",
              "message": f"Fine-tuning {model['name']} to tag entities."})
        result = finetune_entities(run, config, model["location"], splits, tags, started_at)
        model_scores = entity_scores(truth, result.predicted, types)
        cancelled = result.cancelled
        details = finetune_details(result)
    train_s = classic_s if model["id"] == "classic" else round(time.time() - train_start, 2)

    if not main:
        return {"cancelled": cancelled}
    save_agent_files(run, {"labels": types, "tags": tags, "task": "ner"}, spec)
    report = {
        "run_id": run.run_id,
        "task": "ner",
        "model": model["name"],
        "method": config["method"] if model["id"] != "classic" else "classic",
        "held_out": spec["data"]["held_out"],
        "held_out_zh": spec["data"].get("held_out_zh", ""),
        "test_rows": len(truth),
        "test_entities": model_scores["entities"],
        "labels": types,
        "tags": tags,
        "metric": "entity-level precision, recall and F1 (seqeval, strict IOB2 spans)",
        "cancelled": cancelled,
        "scores": {"majority": majority, "classic": headline(classic_scores),
                   "model": model_scores},
        **finish_details(details, started_at, train_s, classic_s),
    }
    write_json(run.report_path, report)
    run.append_event({"type": "result", "f1": model_scores["f1"],
                      "precision": model_scores["precision"], "recall": model_scores["recall"],
                      "accuracy": model_scores["accuracy"], "macro_f1": model_scores["macro_f1"],
                      "majority_accuracy": majority["accuracy"],
                      "classic_accuracy": classic_scores["accuracy"],
                      "majority_f1": majority["f1"], "classic_f1": classic_scores["f1"],
                      "cancelled": cancelled})
    return report
