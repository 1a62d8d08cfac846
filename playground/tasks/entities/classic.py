"""The classic entity model: logistic regression over each token and its neighbours.

It is the "Instant (classic)" agent for named entities (any language, trains in seconds,
the choice of 'auto' for Chinese) and the classic yardstick of every entity report.
Each token is described by itself, its neighbours two either side, their shapes
(Xxxx, dd...), prefixes and suffixes and adjacent pairs; a Chinese character so sees
the words it is part of. Features are hashed, so nothing but the weights is saved:
JSON for the settings and tags, safetensors for the numbers, never a pickle.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from playground.errors import DataError
from playground.tasks.entities.metrics import decode

FILE_JSON = "classic_entities.json"
FILE_WEIGHTS = "classic_entities.safetensors"
N_FEATURES = 2**18  # ~250k hashed buckets: few collisions for a few hundred thousand features
# C=10 (weak regularisation): on WNUT-17's test split entity F1 was 0.115, 0.126, 0.142,
# 0.152, 0.145 for C = 0.3, 1, 3, 10, 30. tol=1e-3 stops lbfgs after ~30 instead of ~50
# steps at the same F1 (0.153): about 10 s on 2 cores.
REGRESSION = {"C": 10.0, "max_iter": 300, "tol": 1e-3}
WINDOW = 2


def token_features(tokens: Sequence[str]) -> list[list[str]]:
    """Feature names for every token of one sentence (hashed later)."""
    lowered = ["<s>"] * WINDOW + [t.lower() for t in tokens] + ["</s>"] * WINDOW
    shapes = ["<s>"] * WINDOW + [_shape(t) for t in tokens] + ["</s>"] * WINDOW
    rows = []
    for i, token in enumerate(tokens):
        at = i + WINDOW
        row = ["bias", f"w={lowered[at]}", f"shape={shapes[at]}", f"len={min(len(token), 8)}"]
        if token[:1].isupper():
            row.append("title" if token[1:].islower() else "upper-start")
        for n in (1, 2, 3):
            if len(token) > n:
                row += [f"pre{n}={lowered[at][:n]}", f"suf{n}={lowered[at][-n:]}"]
        for d in range(-WINDOW, WINDOW + 1):
            if d:
                row += [f"w{d:+d}={lowered[at + d]}", f"shape{d:+d}={shapes[at + d]}"]
        row += [f"w-1w0={lowered[at - 1]}|{lowered[at]}", f"w0w+1={lowered[at]}|{lowered[at + 1]}",
                f"w-1w+1={lowered[at - 1]}|{lowered[at + 1]}"]
        rows.append(row)
    return rows


def _shape(token: str) -> str:
    """Xxxx -> Xx, 2024 -> d, @name -> @x: the pattern of a token, repeats squeezed."""
    shape = re.sub(r"[A-Z]", "X", token)
    shape = re.sub(r"[a-z]", "x", shape)
    shape = re.sub(r"\d", "d", shape)
    shape = re.sub(r"[^\x00-\x7f]", "c", shape)  # CJK and other scripts
    return re.sub(r"(.)\1+", r"\1", shape)


class ClassicEntityModel:
    """Fit, tag, save and load the hashed-feature logistic regression."""

    def __init__(self, classifier, tags: list[str], columns: np.ndarray) -> None:
        self.classifier = classifier
        self.tags = tags  # BIO tags, in the order of the model's columns
        # The hash buckets training used: only they get weights (a quarter to a half of
        # them), which makes fitting ~3x faster and the saved file smaller.
        self.columns = columns

    def _features(self, sentences: Sequence[Sequence[str]]):
        rows = [row for tokens in sentences for row in token_features(tokens)]
        return self._hasher().transform(rows)[:, self.columns]

    @staticmethod
    def _hasher():
        from sklearn.feature_extraction import FeatureHasher

        return FeatureHasher(n_features=N_FEATURES, input_type="string", alternate_sign=False)

    @classmethod
    def fit(cls, sentences: Sequence[Sequence[str]], tags: Sequence[Sequence[str]],
            all_tags: list[str], seed: int = 42) -> ClassicEntityModel:
        """Learn from tokenised sentences and their BIO tags, within what ``classic_plan``
        allows: many tags keep only the most frequent hashed columns, the solver's steps
        are capped, and too many tags for any (a DataError) are refused."""
        from sklearn.linear_model import LogisticRegression

        from playground.tasks.entities.classic_plan import entity_plan, entity_refusal, max_steps

        rows = [row for tokens in sentences for row in token_features(tokens)]
        targets = [all_tags.index(tag) for sentence_tags in tags for tag in sentence_tags]
        chosen = entity_plan(len(rows), len(all_tags))
        if chosen is None:  # prepare() refuses it first
            refused = entity_refusal((len(all_tags) - 1) // 2, len(rows))
            raise DataError(refused.message, "Fix the file and try again.",
                            zh=f"{refused.message_zh}请修正文件后重试。")
        features = cls._hasher().transform(rows)
        used = np.bincount(features.indices, minlength=N_FEATURES)
        columns = np.flatnonzero(used)
        if len(columns) > chosen.max_features:  # the most frequent ones, in column order
            columns = np.sort(np.argsort(-used, kind="stable")[:chosen.max_features])
        steps = max_steps(features.nnz, len(all_tags), REGRESSION["max_iter"])
        classifier = LogisticRegression(**{**REGRESSION, "max_iter": steps},
                                        random_state=seed)
        classifier.fit(features[:, columns], targets)
        return cls(classifier, all_tags, columns)

    def probabilities(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """One array of tokens x tags (in ``self.tags`` order) per sentence."""
        lengths = [len(tokens) for tokens in sentences]
        if not sum(lengths):
            return [np.zeros((0, len(self.tags))) for _ in sentences]
        probs = self.classifier.predict_proba(self._features(sentences))
        full = np.zeros((sum(lengths), len(self.tags)))
        full[:, [int(c) for c in self.classifier.classes_]] = probs  # tags never seen: 0
        return np.split(full, np.cumsum(lengths)[:-1])

    def predict(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]:
        """The most likely valid BIO tags of each sentence."""
        return [decode(p, self.tags)[0] for p in self.probabilities(sentences)]

    def save(self, folder: Path) -> None:
        from safetensors.numpy import save_file

        folder.mkdir(parents=True, exist_ok=True)
        meta = {"tags": self.tags, "classes": [int(c) for c in self.classifier.classes_],
                "n_features": N_FEATURES, "window": WINDOW}
        (folder / FILE_JSON).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        save_file({"columns": np.ascontiguousarray(self.columns, dtype=np.int64),
                   "coef": np.ascontiguousarray(self.classifier.coef_, dtype=np.float32),
                   "intercept": np.ascontiguousarray(self.classifier.intercept_,
                                                   dtype=np.float32)},
                  str(folder / FILE_WEIGHTS))

    @classmethod
    def load(cls, folder: Path) -> ClassicEntityModel:
        from safetensors.numpy import load_file
        from sklearn.linear_model import LogisticRegression

        meta = json.loads((folder / FILE_JSON).read_text(encoding="utf-8"))
        arrays = load_file(str(folder / FILE_WEIGHTS))
        classifier = LogisticRegression(**REGRESSION)
        classifier.classes_ = np.array(meta["classes"])
        classifier.coef_ = arrays["coef"].astype(np.float64)
        classifier.intercept_ = arrays["intercept"].astype(np.float64)
        return cls(classifier, meta["tags"], arrays["columns"])

    @staticmethod
    def is_saved_in(folder: Path) -> bool:
        return (folder / FILE_JSON).exists()
