"""The chat task's classic model: retrieval. It answers with the answer of the most
similar training question (TF-IDF over character n-grams, cosine), the yardstick that
needs no training. Saved as JSON (the questions, answers and vectorizer settings; the
vectorizer is fitted again on load, which is exact and needs no pickle)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

FILE_JSON = "retrieval.json"
VECTORIZER = {"analyzer": "char_wb", "ngram_range": [1, 4], "sublinear_tf": True,
              "lowercase": True, "max_features": 200_000}
MAX_PAIRS = 100_000  # questions kept: more would make each answer slow


def question_of(conversation: list[dict[str, str]]) -> str:
    """What a conversation asks: the last user message before its answer."""
    return last_question(conversation[:-1])


def last_question(messages: list[dict[str, str]]) -> str:
    """The last user message of ``messages`` (a prompt, with no answer yet), or ""."""
    users = [m["content"] for m in messages if m["role"] == "user"]
    return users[-1] if users else ""


class RetrievalModel:
    """Answers a question with the answer of the nearest training question."""

    def __init__(self, questions: list[str], answers: list[str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.questions, self.answers = questions, answers
        settings = {**VECTORIZER, "ngram_range": tuple(VECTORIZER["ngram_range"])}
        self._vectorizer = TfidfVectorizer(**settings)
        self._matrix = self._vectorizer.fit_transform(questions)

    @classmethod
    def fit(cls, conversations: Sequence[list[dict[str, str]]]) -> RetrievalModel:
        pairs = [(question_of(c), c[-1]["content"]) for c in conversations][:MAX_PAIRS]
        return cls([q for q, _ in pairs], [a for _, a in pairs])

    def nearest(self, questions: Sequence[str]) -> list[tuple[str, float]]:
        """The answer of the nearest training question, and how similar it is (0..1)."""
        scores = self._vectorizer.transform(list(questions)) @ self._matrix.T
        best = scores.argmax(axis=1).A.ravel()
        return [(self.answers[i], round(float(scores[row, i]), 4))
                for row, i in enumerate(best)]

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / FILE_JSON).write_text(json.dumps(
            {"vectorizer": VECTORIZER, "questions": self.questions, "answers": self.answers},
            ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> RetrievalModel:
        saved = json.loads((folder / FILE_JSON).read_text(encoding="utf-8"))
        return cls(saved["questions"], saved["answers"])

    @staticmethod
    def is_saved_in(folder: Path) -> bool:
        return (folder / FILE_JSON).exists()


def saved_fault(meta: dict[str, Any]) -> str | None:
    """The first part of a saved retrieval model that the playground never writes."""
    if meta.get("vectorizer") != VECTORIZER:
        return "vectorizer"
    questions, answers = meta.get("questions"), meta.get("answers")
    if not (isinstance(questions, list) and isinstance(answers, list)
            and len(questions) == len(answers) <= MAX_PAIRS
            and all(isinstance(t, str) for t in questions + answers)):
        return "questions"
    return None
