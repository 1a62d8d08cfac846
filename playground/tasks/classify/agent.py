"""A trained text classifier: load a run's model folder and predict labels for texts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from playground.data.columns import text_column_of
from playground.data.limits import cut
from playground.runfolder import LABELS, RUN_CONFIG, read_json
from playground.tasks.classify.classic import (
    FILE_JSON,
    FILE_WEIGHTS,
    VECTORIZER,
    ClassicModel,
    vectorizer_fault,
)
from playground.training.calibration import softmax
from playground.training.precision import resolve_precision

CLASSIC_FILES = (FILE_JSON, FILE_WEIGHTS)  # the classic model's metadata and weights
OUTPUTS = "labels"  # the key of labels.json that lists the model's outputs


def classic_fault(meta: dict, labels: list[str]) -> str | None:
    """The first setting of a saved classic model (its metadata ``meta``) that the
    playground never writes, "labels" when it does not answer ``labels``, else None."""
    vectorizer, known = meta.get("vectorizer"), meta.get("labels")
    if not isinstance(vectorizer, dict) or not isinstance(known, list) or \
            sorted(map(str, known)) != sorted(labels):
        return "labels"
    fault = vectorizer_fault(vectorizer)
    vocabulary, longest = meta.get("vocabulary"), VECTORIZER["ngram_range"][1]
    if fault is None and not (isinstance(vocabulary, list)
                              and len(vocabulary) <= vectorizer["max_features"]
                              and all(isinstance(t, str) and 0 < len(t) <= longest
                                      for t in vocabulary)):
        fault = "vocabulary"
    return fault


# Rows per forward pass when labelling: sorted by length a big batch pads little, and
# the matrix products are wide enough to keep every core busy.
BATCH_ROWS = 128
# What one more forward pass costs, in tokens of a batch: its fixed Python and kernel
# overhead (measured on a 2-core CPU with MiniLM: about 12 ms, the work of some 70-100
# tokens; on a GPU a token costs next to nothing beside a pass). A batch is cut where
# the padding it would add to the rows already in it costs more than a pass.
PASS_COST_TOKENS = {"cpu": 64}
# A row whose two best logits are closer than this in bf16/fp16 is computed again in
# fp32: their rounding moves a logit by a few hundredths, so the label stays fp32's.
RECHECK_MARGIN = 0.25


def batched_logits(model, tokenizer, texts: Sequence[str], max_length: int,
                   batch_size: int = BATCH_ROWS, precision: str = "fp32") -> np.ndarray:
    """The model's logits for ``texts`` in their own order, from an in-memory model.

    The texts are tokenized once and read shortest first, so each batch pads little. In
    ``precision`` "bf16" or "fp16" the matrix products run in that format (autocast) and
    the close calls are computed again in fp32, so the labels are the ones fp32 gives.
    """
    import torch

    encoded = tokenizer(list(texts), truncation=True, max_length=max_length)
    lengths = np.array([len(ids) for ids in encoded["input_ids"]])
    order = np.argsort(lengths, kind="stable")
    out = np.zeros((len(texts), model.config.num_labels), dtype=np.float32)
    device = next(model.parameters()).device
    pass_cost = PASS_COST_TOKENS.get(device.type, max_length * batch_size)
    half = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)

    def forward(index: np.ndarray, dtype) -> np.ndarray:
        batch = tokenizer.pad({key: [values[i] for i in index] for key, values in encoded.items()},
                              return_tensors="pt").to(device)
        with torch.autocast(device.type, dtype=dtype or torch.float32, enabled=dtype is not None):
            return model(**batch).logits.float().cpu().numpy()

    was_training = model.training
    if was_training:  # an agent's model is always in eval mode; switching costs ms a call
        model.eval()
    with torch.inference_mode():
        for index in length_batches(order, lengths, batch_size, pass_cost):
            out[index] = forward(index, half)
        if half is not None and len(texts) and out.shape[1] > 1:
            top2 = np.sort(out, axis=1)[:, -2:]
            close = np.flatnonzero(top2[:, 1] - top2[:, 0] < RECHECK_MARGIN)
            close = close[np.argsort(lengths[close], kind="stable")]
            for index in length_batches(close, lengths, batch_size, pass_cost):
                out[index] = forward(index, None)
    if was_training:
        model.train()
    return out


def length_batches(order: np.ndarray, lengths: np.ndarray, max_rows: int,
                   pass_cost: int) -> list[np.ndarray]:
    """``order`` (row indices, shortest first) cut into batches of at most ``max_rows``.

    Each batch is padded to its longest row. A batch is cut before a row whose extra
    length, times the rows already in the batch, is padding that would cost more than
    ``pass_cost`` tokens (what another forward pass costs): twenty chat questions of 5 to
    40 tokens read as a few passes of like lengths, not one pass padded to 40.
    """
    batches, start = [], 0
    for end in range(1, len(order) + 1):
        rows = end - start
        if end == len(order) or rows == max_rows or \
                rows * (lengths[order[end]] - lengths[order[end - 1]]) > pass_cost:
            batches.append(order[start:end])
            start = end
    return batches


@dataclass
class Prediction:
    label: str
    confidence: float
    probabilities: dict[str, float]  # every label, most likely first

    def top(self, k: int = 3) -> list[tuple[str, float]]:
        return list(self.probabilities.items())[:k]

    def to_dict(self) -> dict:
        return {"label": self.label, "confidence": self.confidence,
                "probabilities": self.probabilities}


class Agent:
    """Predicts a label and probabilities for each text, in batches."""

    task = "text-classification"
    file_kind = "predictions"  # a labelled file is saved as NAME.predictions.csv

    def __init__(self, model_dir: Path, precision: str = "auto") -> None:
        """``precision`` of a transformer's inference: "auto" is bf16 where the processor
        computes it natively (the labels stay fp32's, see ``batched_logits``), else fp32."""
        self.model_dir = model_dir
        saved = json.loads((model_dir / LABELS).read_text(encoding="utf-8"))
        self.labels: list[str] = saved["labels"]
        # Fitted on the validation rows (calibration.py); agents made before have none.
        self.temperature = float(saved.get("temperature", 1.0))
        self.kind = "classic" if ClassicModel.is_saved_in(model_dir) else "transformer"
        if self.kind == "classic":
            self._classic = ClassicModel.load(model_dir)
            self.precision = "fp64"
        else:
            from transformers import AutoModelForSequenceClassification, AutoTokenizer

            self._tokenizer = AutoTokenizer.from_pretrained(model_dir, trust_remote_code=False)
            self._model = AutoModelForSequenceClassification.from_pretrained(
                model_dir, trust_remote_code=False).eval()
            # Read texts as training did: the run's max length, not the tokenizer's.
            self._max_length = read_json(model_dir / RUN_CONFIG)["config"]["max_length"]
            self.precision = resolve_precision(precision, "cpu")

    def probabilities(self, texts: Sequence[str], batch_size: int = BATCH_ROWS) -> np.ndarray:
        """Rows of calibrated probabilities in the order of ``self.labels``; a text over
        the length limit is read up to it (``data.limits``)."""
        texts = cut([str(t) for t in texts])
        if not texts:
            return np.zeros((0, len(self.labels)))
        if self.kind == "classic":
            order = [self._classic.labels.index(label) for label in self.labels]
            logits = self._classic.logits(texts)[:, order]
        else:
            logits = batched_logits(self._model, self._tokenizer, texts, self._max_length,
                                    batch_size, self.precision)
        return softmax(logits, self.temperature)

    def predict(self, texts: Sequence[str], batch_size: int = BATCH_ROWS) -> list[Prediction]:
        result = []
        for row in self.probabilities(texts, batch_size):
            ranked = sorted(zip(self.labels, row.tolist()), key=lambda p: -p[1])
            result.append(Prediction(ranked[0][0], round(ranked[0][1], 4),
                                     {label: round(p, 4) for label, p in ranked}))
        return result

    def answer(self, text: str) -> dict:
        """The chat's answer: the label, its calibrated confidence, every probability."""
        return self.predict([text])[0].to_dict()

    @staticmethod
    def answer_lines(answer: dict) -> list[str]:
        """The answer as a terminal shows it: the three likeliest labels."""
        return [f"{prob:6.1%}  {label}" for label, prob in
                list(answer["probabilities"].items())[:3]]

    def label_frame(self, frame, text_column: str | None = None):
        """``frame`` with predicted_label, confidence and the top-3 labels added, and the
        text column used: the one given, else the guessed one, else the first."""
        column = text_column_of(frame, text_column)
        probabilities = self.probabilities(frame[column].astype(str).tolist())
        # Only the top three per row: no ranked dict of every label for every row.
        top = np.argsort(-probabilities, axis=1, kind="stable")[:, :3]
        out = frame.copy()
        out["predicted_label"] = [self.labels[i] for i in top[:, 0]]
        out["confidence"] = np.round(probabilities[np.arange(len(top)), top[:, 0]], 4)
        out["top3"] = ["; ".join(f"{self.labels[i]} {row[i]:.2f}" for i in ranks)
                       for row, ranks in zip(probabilities, top)]
        return out, column


def load(model_dir: Path) -> Agent:
    """The agent saved in a run's model folder."""
    return Agent(model_dir)
