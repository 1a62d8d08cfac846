"""A trained agent: load a finished run's model folder and predict labels for texts.

``load_agent`` returns the kind a run made: an ``Agent`` (a label per text) or an
``EntityAgent`` (named entities, ``entity_agent.py``); ``agent.task`` tells them apart.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from playground.data.limits import cut
from playground.errors import DataError, RunError
from playground.runfolder import LABELS, RUN_CONFIG, RunFolder, read_json
from playground.training.calibration import softmax
from playground.training.classic import ClassicModel

if TYPE_CHECKING:
    from playground.training.entity_agent import EntityAgent


def batched_logits(model, tokenizer, texts: Sequence[str], max_length: int,
                   batch_size: int = 64) -> np.ndarray:
    """The model's logits for ``texts`` in their own order, from an in-memory model."""
    import torch

    # Sorting by length keeps each batch's padding small; rows go back in input order.
    order = np.argsort([len(t) for t in texts], kind="stable")
    out = np.zeros((len(texts), model.config.num_labels), dtype=np.float32)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            index = order[start:start + batch_size]
            batch = tokenizer([texts[i] for i in index], truncation=True, max_length=max_length,
                              padding=True, return_tensors="pt").to(device)
            out[index] = model(**batch).logits.float().cpu().numpy()
    model.train(was_training)
    return out


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

    def __init__(self, model_dir: Path) -> None:
        self.model_dir = model_dir
        saved = json.loads((model_dir / LABELS).read_text(encoding="utf-8"))
        self.labels: list[str] = saved["labels"]
        # Fitted on the validation rows (calibration.py); agents made before have none.
        self.temperature = float(saved.get("temperature", 1.0))
        self.kind = "classic" if ClassicModel.is_saved_in(model_dir) else "transformer"
        if self.kind == "classic":
            self._classic = ClassicModel.load(model_dir)
        else:
            from transformers import AutoModelForSequenceClassification, AutoTokenizer

            self._tokenizer = AutoTokenizer.from_pretrained(model_dir, trust_remote_code=False)
            self._model = AutoModelForSequenceClassification.from_pretrained(
                model_dir, trust_remote_code=False).eval()
            # Read texts as training did: the run's max length, not the tokenizer's.
            self._max_length = read_json(model_dir / RUN_CONFIG)["config"]["max_length"]

    def probabilities(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
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
                                    batch_size)
        return softmax(logits, self.temperature)

    def predict(self, texts: Sequence[str], batch_size: int = 64) -> list[Prediction]:
        result = []
        for row in self.probabilities(texts, batch_size):
            ranked = sorted(zip(self.labels, row.tolist()), key=lambda p: -p[1])
            result.append(Prediction(ranked[0][0], round(ranked[0][1], 4),
                                     {label: round(p, 4) for label, p in ranked}))
        return result

    def predict_frame(self, frame, text_column: str | None = None):
        """``frame`` with predicted_label, confidence and the top-3 labels added, and the
        text column used: the one given, else the guessed one, else the first."""
        column = text_column_of(frame, text_column)
        predictions = self.predict(frame[column].astype(str).tolist())
        out = frame.copy()
        out["predicted_label"] = [p.label for p in predictions]
        out["confidence"] = [p.confidence for p in predictions]
        out["top3"] = ["; ".join(f"{label} {prob:.2f}" for label, prob in p.top(3))
                       for p in predictions]
        return out, column


def text_column_of(frame, text_column: str | None = None) -> str:
    """The column of ``frame`` to read: the one given, else the guessed one, else the first."""
    from playground.data import guess_columns

    column = text_column or guess_columns(frame).text or frame.columns[0]
    if column not in frame.columns:
        raise DataError(f"The file has no column '{column}'.",
                        f"Pick one of: {', '.join(map(str, frame.columns))}.",
                        zh=f"该文件没有“{column}”列。"
                           f"请选择其中之一：{'、'.join(map(str, frame.columns))}。")
    return column


def load_agent(run_dir: str | Path) -> Agent | EntityAgent:
    """The agent of a finished (or cancelled-with-checkpoint) run, or a RunError:
    an ``EntityAgent`` for a named-entity run, an ``Agent`` otherwise."""
    name = Path(run_dir).name  # the run's id: web users see these sentences, not paths
    if not Path(run_dir).is_dir():
        raise RunError(f"There is no run folder {name}.",
                       "See the runs with: playground runs",
                       zh=f"没有训练记录文件夹 {name}。可用 playground runs 查看所有训练记录。")
    model_dir = RunFolder(Path(run_dir)).model_dir
    if not (model_dir / LABELS).exists():
        raise RunError(f"The run {name} has no trained agent yet.",
                       "Pick a run that has finished, or wait for this one to finish.",
                       zh=f"训练记录 {name} 还没有训练好的智能体。"
                          "请选择已完成的训练记录，或等这一个完成。")
    saved = json.loads((model_dir / LABELS).read_text(encoding="utf-8"))
    if saved.get("task") == "ner":
        from playground.training.entity_agent import EntityAgent

        return EntityAgent(model_dir)
    return Agent(model_dir)
