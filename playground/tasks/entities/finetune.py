"""What fine-tuning a tagger means for the shared engine (``training/engine.py``).

The engine's settings are the classifier's (methods, precision, dynamic padding,
length-grouped batches, early stopping, best checkpoint, live events); what differs is
the data: each sentence is already cut into tokens (words, or Chinese characters), the
tokenizer cuts them further into subword pieces, and only the first piece of each token
carries its tag. The other pieces and the special tokens get -100, which the loss skips,
so a token counts once however many pieces it has. Reading back, the first piece's
probabilities stand for the token.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from playground.tasks.entities.agent import (
    IGNORE,
    align_labels,
    load_tokenizer,
    word_probabilities,
)
from playground.tasks.entities.metrics import decode, entity_scores
from playground.tasks.entities.reading import Sentence
from playground.training.engine import Recipe, load_with_head


def load_for_tokens(location: str, tags: list[str], dropout: float | None = None):
    """Tokenizer and a token-classification model with a fresh head for ``tags``."""
    from transformers import AutoModelForTokenClassification

    model = load_with_head(AutoModelForTokenClassification, location, tags, dropout)
    return load_tokenizer(location), model


def encode(sentences: Sequence[Sentence], tokenizer: Any, max_length: int,
           tag_ids: dict[str, int]):
    """A datasets.Dataset of input ids (unpadded), lengths and aligned labels."""
    from datasets import Dataset

    batch = tokenizer([s.tokens for s in sentences], is_split_into_words=True,
                      truncation=True, max_length=max_length)
    data = {key: list(values) for key, values in batch.items()}
    data["labels"] = [align_labels(batch.word_ids(i), [tag_ids[t] for t in s.tags])
                      for i, s in enumerate(sentences)]
    data["length"] = [len(ids) for ids in data["input_ids"]]
    return Dataset.from_dict(data)


def _compute_metrics(tags: list[str]):
    def compute(prediction: Any) -> dict[str, float]:
        logits = prediction.predictions[0] if isinstance(prediction.predictions, tuple) \
            else prediction.predictions
        logits = np.asarray(logits, dtype=np.float64)
        truth, predicted = [], []
        for row_logits, row_labels in zip(logits, prediction.label_ids):
            keep = row_labels != IGNORE
            exp = np.exp(row_logits[keep] - row_logits[keep].max(axis=-1, keepdims=True))
            predicted.append(decode(exp / exp.sum(axis=-1, keepdims=True), tags)[0])
            truth.append([tags[i] for i in row_labels[keep]])
        scores = entity_scores(truth, predicted)
        return {key: scores[key] for key in ("f1", "precision", "recall", "macro_f1",
                                             "accuracy")}
    return compute


def recipe(config: dict[str, Any], location: str, splits: dict[str, list[Sentence]],
           tags: list[str]) -> Recipe:
    """The engine's recipe for a tagger of ``tags`` trained on ``splits``; its outputs are
    the BIO tags of every validation and test sentence."""
    from transformers import DataCollatorForTokenClassification

    tag_ids = {tag: i for i, tag in enumerate(tags)}

    def outputs(model: Any, tokenizer: Any, precision: str) -> dict[str, list[list[str]]]:
        return {part: [decode(p, tags)[0] for p in word_probabilities(
            model, tokenizer, [s.tokens for s in splits[part]], config["max_length"],
            config["batch_size"] * 2)] for part in ("validation", "test")}

    return Recipe(load=lambda: load_for_tokens(location, tags, config["dropout"]),
                  encode=lambda tokenizer, part: encode(splits[part], tokenizer,
                                                        config["max_length"], tag_ids),
                  collator=DataCollatorForTokenClassification,
                  compute_metrics=_compute_metrics(tags), outputs=outputs,
                  lora_task="TOKEN_CLS")
