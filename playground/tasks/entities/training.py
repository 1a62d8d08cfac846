"""Named entities, as the one job flow (``training/job.py``) trains them.

The parts are lists of tokenised, BIO-tagged sentences; outputs are the BIO tags of
each sentence. The floor is finding nothing (every token "O", entity F1 0); the classic
model tags each token from its features. Scores are entity-level (seqeval, strict spans;
see ``metrics.py``), overall and per type.
"""

from __future__ import annotations

from typing import Any

from playground.runfolder import SPLITS, RunFolder
from playground.tasks.entities.classic import ClassicEntityModel
from playground.tasks.entities.metrics import entity_scores, headline, outside_baseline
from playground.tasks.entities.reading import Sentence, read_sentences
from playground.training.choice import agent_choice
from playground.training.engine import Tuned

summary = headline  # the numbers a table of runs shows
Parts = dict[str, list[Sentence]]


def read_splits(run: RunFolder) -> Parts:
    return {name: read_sentences(run.entity_split_path(name)) for name in SPLITS}


def finetune(run: RunFolder, spec: dict[str, Any], splits: Parts, started_at: float,
             announce: Any) -> Tuned:
    from playground.tasks.entities.finetune import recipe
    from playground.training.engine import finetune as train

    config = spec["config"]
    return train(run, config, started_at,
                 recipe(config, spec["model"]["location"], splits, spec["labels"]), announce)


def join(*parts: list[Sentence]) -> list[Sentence]:
    return [sentence for part in parts for sentence in part]


def floor(splits: Parts, spec: dict[str, Any]) -> dict[str, Any]:
    return outside_baseline([s.tags for s in splits["test"]], spec["entity_types"])


def fit_classic(part: list[Sentence], spec: dict[str, Any],
                progress: Any = None) -> ClassicEntityModel:
    return ClassicEntityModel.fit([s.tokens for s in part], [s.tags for s in part],
                                  spec["labels"], spec["config"]["seed"])


def classic_outputs(classic: ClassicEntityModel, part: list[Sentence],
                    spec: dict[str, Any]) -> list[list[str]]:
    return classic.predict([s.tokens for s in part])


def score(part: list[Sentence], predicted: list[list[str]],
          spec: dict[str, Any]) -> dict[str, Any]:
    return entity_scores([s.tags for s in part], predicted, spec["entity_types"])


def choose(splits: Parts, spec: dict[str, Any], tuned: Tuned | None,
           progress: Any = None) -> dict[str, Any]:
    """A classic entity model fitted on the training sentences alone against the
    fine-tuned one (when there is one), by entity F1 on the validation ones."""
    validation = splits["validation"]
    classic_f1 = score(validation, classic_outputs(fit_classic(splits["train"], spec),
                                                   validation, spec), spec)["f1"]
    tuned_f1 = None if tuned is None else \
        score(validation, tuned.outputs["validation"], spec)["f1"]
    files = {"labels": spec["entity_types"], "tags": spec["labels"], "task": "ner"}
    return {"agent": agent_choice("f1", tuned_f1, classic_f1), "files": files,
            "tuned_files": files}


def report(spec: dict[str, Any], splits: Parts, predicted: list[list[str]],
           model_scores: dict[str, Any], chosen: dict[str, Any]) -> dict[str, Any]:
    return {"test_entities": model_scores["entities"], "labels": spec["entity_types"],
            "tags": spec["labels"],
            "metric": "entity-level precision, recall and F1 (seqeval, strict IOB2 spans)"}
