"""A trained entity agent: find named entities in texts, with types, offsets and confidence.

The agent cuts a text into tokens as training data is cut (``split_tokens``: words and
punctuation, every Chinese character alone), tags the tokens (the classic model or the
fine-tuned transformer), keeps the most likely valid BIO sequence, and maps each entity
back to character offsets in the original text, so a chat can highlight it in place.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from playground.data.columns import text_column_of
from playground.data.limits import cut
from playground.runfolder import LABELS, RUN_CONFIG, read_json
from playground.tasks.entities.classic import (
    FILE_JSON,
    FILE_WEIGHTS,
    N_FEATURES,
    WINDOW,
    ClassicEntityModel,
)
from playground.tasks.entities.metrics import decode
from playground.tasks.entities.reading import spans_from_tags, split_tokens

CLASSIC_FILES = (FILE_JSON, FILE_WEIGHTS)  # the classic model's metadata and weights
OUTPUTS = "tags"  # the key of labels.json that lists the model's outputs (BIO tags)


def classic_fault(meta: dict, labels: list[str]) -> str | None:
    """The first setting of a saved classic entity model that the playground never
    writes, "labels" when its tags are not BIO tags of ``labels``, else None."""
    tags = meta.get("tags")
    if not isinstance(tags, list) or "O" not in tags or \
            sorted({str(t)[2:] for t in tags if t != "O"}) != sorted(labels):
        return "labels"
    for key, wanted in (("n_features", N_FEATURES), ("window", WINDOW)):
        if meta.get(key) != wanted:
            return key
    return None


@dataclass(frozen=True)
class Entity:
    """One entity found in a text: ``text == source[start:end]``."""

    text: str
    type: str
    start: int  # offset of the first character in the text
    end: int  # offset just after the last character
    confidence: float  # mean probability of the entity's tags, 0..1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class EntityAgent:
    """Finds entities in texts, in batches. ``labels`` are the entity types it knows."""

    task = "ner"
    file_kind = "entities"  # a labelled file is saved as NAME.entities.csv

    def __init__(self, model_dir: Path) -> None:
        self.model_dir = model_dir
        saved = json.loads((model_dir / LABELS).read_text(encoding="utf-8"))
        self.labels: list[str] = saved["labels"]
        self.tags: list[str] = saved["tags"]
        self.kind = "classic" if ClassicEntityModel.is_saved_in(model_dir) else "transformer"
        if self.kind == "classic":
            self._classic = ClassicEntityModel.load(model_dir)
        else:
            from transformers import AutoModelForTokenClassification

            from playground.tasks.entities.finetune import load_tokenizer

            self._tokenizer = load_tokenizer(str(model_dir))
            self._model = AutoModelForTokenClassification.from_pretrained(
                model_dir, trust_remote_code=False).eval()
            self._max_length = read_json(model_dir / RUN_CONFIG)["config"]["max_length"]


    def token_probabilities(self, sentences: Sequence[Sequence[str]],
                            batch_size: int = 64) -> list[np.ndarray]:
        """Tokens x tags probabilities (columns in ``self.tags`` order) per sentence."""
        sentences = [list(s) for s in sentences]
        if self.kind == "classic":
            return self._classic.probabilities(sentences)
        from playground.tasks.entities.finetune import word_probabilities

        return word_probabilities(self._model, self._tokenizer, sentences, self._max_length,
                                  batch_size)

    def tag(self, sentences: Sequence[Sequence[str]],
            batch_size: int = 64) -> list[tuple[list[str], list[float]]]:
        """BIO tags and each tag's probability for already tokenised sentences."""
        return [decode(p, self.tags) for p in self.token_probabilities(sentences, batch_size)]

    def find(self, texts: Sequence[str], batch_size: int = 64) -> list[list[Entity]]:
        """The entities of each text, in order of appearance; a text over the length
        limit is read up to it (``data.limits``)."""
        texts = cut([str(t) for t in texts])
        pieces = [split_tokens(text) for text in texts]
        tagged = self.tag([[token for token, _, _ in p] for p in pieces], batch_size)
        result = []
        for text, tokens, (tags, probs) in zip(texts, pieces, tagged):
            found = []
            for first, after, kind in spans_from_tags(tags):
                start, end = tokens[first][1], tokens[after - 1][2]
                confidence = round(float(np.mean(probs[first:after])), 4)
                found.append(Entity(text[start:end], kind, start, end, confidence))
            result.append(found)
        return result

    def answer(self, text: str) -> dict[str, Any]:
        """The chat's answer: every entity in the text."""
        return {"entities": [e.to_dict() for e in self.find([text])[0]]}

    def reply(self, text: str) -> dict[str, Any]:
        """A chat reply of its own (no reply rules): the entities found, listed."""
        entities = self.answer(text)["entities"]
        found = "; ".join(f"{e['type']}: {e['text']}" for e in entities)
        sure = min((e["confidence"] for e in entities), default=1.0)
        return {"text": found or "No entities found.", "label": "entities",
                "confidence": sure, "source": "entities", "detail": f"{len(entities)} found",
                "detail_zh": f"找到 {len(entities)} 个", "probabilities": {},
                "entities": entities}

    @staticmethod
    def answer_lines(answer: dict[str, Any]) -> list[str]:
        """The answer as a terminal shows it: one entity per line."""
        return [f"{e['confidence']:6.1%}  {e['type']:<14} {e['text']}"
                for e in answer["entities"]] or ["No entities found."]

    def label_frame(self, frame, text_column: str | None = None):
        """``frame`` with an ``entities`` column ("type: text (confidence); ...") and a JSON
        column ``entities_json``, and the text column used (as the classifier's)."""
        column = text_column_of(frame, text_column)
        found = self.find(frame[column].astype(str).tolist())
        out = frame.copy()
        out["entities"] = ["; ".join(f"{e.type}: {e.text} ({e.confidence:.2f})" for e in row)
                           for row in found]
        out["entities_json"] = [json.dumps([e.to_dict() for e in row], ensure_ascii=False)
                                for row in found]
        return out, column


def load(model_dir: Path) -> EntityAgent:
    """The agent saved in a run's model folder."""
    return EntityAgent(model_dir)
