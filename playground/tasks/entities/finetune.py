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

from playground.errors import ModelError
from playground.tasks.entities.metrics import decode, entity_scores
from playground.tasks.entities.reading import Sentence
from playground.training.engine import Recipe, load_with_head

IGNORE = -100  # the label the loss skips: later pieces of a token, special tokens, padding


def load_tokenizer(location: str) -> Any:
    """A fast tokenizer (it maps pieces back to words); byte-level BPE ones need a space
    before every word to read pre-split words."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(location, trust_remote_code=False)
    if not tokenizer.is_fast:
        raise ModelError("This model's tokenizer cannot map word pieces back to words.",
                         "Choose a model with a fast tokenizer, such as the embedded MiniLM.",
                         zh="该模型的分词器无法把子词对应回原来的词。"
                            "请选择带快速分词器的模型，例如内置的 MiniLM。")
    if getattr(tokenizer, "add_prefix_space", None) is False:
        tokenizer = AutoTokenizer.from_pretrained(location, trust_remote_code=False,
                                                  add_prefix_space=True)
    return tokenizer


def load_for_tokens(location: str, tags: list[str], dropout: float | None = None):
    """Tokenizer and a token-classification model with a fresh head for ``tags``."""
    from transformers import AutoModelForTokenClassification

    model = load_with_head(AutoModelForTokenClassification, location, tags, dropout)
    return load_tokenizer(location), model


def align_labels(word_ids: Sequence[int | None], tag_ids: Sequence[int]) -> list[int]:
    """One label per piece: the token's tag on its first piece, -100 everywhere else."""
    labels, previous = [], None
    for word in word_ids:
        labels.append(IGNORE if word is None or word == previous else tag_ids[word])
        previous = word
    return labels


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


def word_probabilities(model: Any, tokenizer: Any, sentences: Sequence[Sequence[str]],
                       max_length: int, batch_size: int = 64) -> list[np.ndarray]:
    """Tokens x tags probabilities per sentence (first piece of each token); tokens cut off
    by ``max_length`` get probability 1 for "O" (the first tag)."""
    import torch

    n_tags = model.config.num_labels
    out = [np.zeros((len(s), n_tags), dtype=np.float32) for s in sentences]
    for row in out:
        row[:, 0] = 1.0
    order = np.argsort([len(s) for s in sentences], kind="stable")
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(sentences), batch_size):
            index = [int(i) for i in order[start:start + batch_size] if len(sentences[i])]
            if not index:
                continue
            batch = tokenizer([list(sentences[i]) for i in index], is_split_into_words=True,
                              truncation=True, max_length=max_length, padding=True,
                              return_tensors="pt")
            inputs = {k: v.to(device) for k, v in batch.items()}
            probs = torch.softmax(model(**inputs).logits.float(), dim=-1).cpu().numpy()
            for row, i in enumerate(index):
                firsts = align_labels(batch.word_ids(row), range(len(sentences[i])))
                for piece, word in enumerate(firsts):
                    if word != IGNORE:
                        out[i][word] = probs[row, piece]
    model.train(was_training)
    return out


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
