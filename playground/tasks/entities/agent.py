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
from playground.errors import ModelError
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

IGNORE = -100  # the label the loss skips: later pieces of a token, special tokens, padding
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


def align_labels(word_ids: Sequence[int | None], tag_ids: Sequence[int]) -> list[int]:
    """One label per piece: the token's tag on its first piece, -100 everywhere else."""
    labels, previous = [], None
    for word in word_ids:
        labels.append(IGNORE if word is None or word == previous else tag_ids[word])
        previous = word
    return labels


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
