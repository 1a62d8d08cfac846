"""What fine-tuning a classifier means for the shared engine (``training/engine.py``):
a sequence-classification head for the labels, one label id per text, and the logits of
every validation and test row read back in order."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from playground.tasks.classify.agent import batched_logits
from playground.training.engine import Recipe, load_with_head


def load_for_classification(location: str, labels: list[str], dropout: float | None = None):
    """Tokenizer and a classification model with a fresh head for ``labels``."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(location, trust_remote_code=False)
    return tokenizer, load_with_head(AutoModelForSequenceClassification, location, labels,
                                     dropout)


def tokenize(frame: pd.DataFrame, tokenizer: Any, max_length: int,
             label_ids: dict[str, int]) -> list[dict[str, Any]]:
    """Rows of input ids (unpadded) and a label id, as the Trainer's collator takes them.

    One call of the fast tokenizer and a plain list: a ``datasets.Dataset`` and its
    ``map`` cost seconds before the first step and buy nothing at this size. The
    length-grouped sampler reads each row's length from its input ids.
    """
    encoded = tokenizer(frame["text"].tolist(), truncation=True, max_length=max_length)
    rows = [dict(zip(encoded.keys(), values)) for values in zip(*encoded.values())]
    for row, label in zip(rows, frame["label"]):
        row["labels"] = label_ids[label]
    return rows


def _compute_metrics(prediction: Any) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    logits = prediction.predictions[0] if isinstance(prediction.predictions, tuple) \
        else prediction.predictions
    predicted = np.asarray(logits).argmax(axis=-1)
    truth = prediction.label_ids
    return {"accuracy": float(accuracy_score(truth, predicted)),
            "macro_f1": float(f1_score(truth, predicted, average="macro", zero_division=0))}


def recipe(config: dict[str, Any], location: str, splits: dict[str, pd.DataFrame],
           labels: list[str]) -> Recipe:
    """The engine's recipe for a classifier of ``labels`` trained on ``splits``."""
    from transformers import DataCollatorWithPadding

    label_ids = {label: i for i, label in enumerate(labels)}

    def encode(tokenizer: Any, part: str) -> list[dict[str, Any]]:
        rows = tokenize(splits[part], tokenizer, config["max_length"], label_ids)
        # Sorted by length, each evaluation batch pads little; the scores ignore the order.
        return rows if part == "train" else sorted(rows, key=lambda r: len(r["input_ids"]))

    def outputs(model: Any, tokenizer: Any, precision: str) -> dict[str, np.ndarray]:
        # Not trainer.predict: with length-grouped sampling it returns rows out of order.
        # Without gradients four training batches fit where one did.
        return {part: batched_logits(model, tokenizer, splits[part]["text"].tolist(),
                                     config["max_length"], config["batch_size"] * 4, precision)
                for part in ("validation", "test")}

    return Recipe(load=lambda: load_for_classification(location, labels, config["dropout"]),
                  encode=encode, collator=DataCollatorWithPadding,
                  compute_metrics=_compute_metrics, outputs=outputs, lora_task="SEQ_CLS")
