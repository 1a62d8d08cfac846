"""The classic model: character n-gram TF-IDF + logistic regression.

It is both an agent ("Instant (classic)": any language, trains in seconds) and the
yardstick every fine-tuning report shows. Character n-grams need no tokenizer, so
Chinese works as well as English.

Saved without pickle: the vectorizer's settings and vocabulary go to JSON, the numbers
(idf, coefficients) to safetensors, so loading a shared agent never runs code.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from playground.data.limits import cut
from playground.errors import DataError
from playground.tasks.classic_cost import MIN_FEATURES

FILE_JSON = "classic.json"
FILE_WEIGHTS = "classic.safetensors"

# Why these: word-boundary-aware char 1-4 grams catch stems, typos and Chinese words
# alike; sublinear tf damps repeated characters; C=10 fits short texts with many labels
# (banking77: 0.91 test accuracy, ChnSentiCorp: 0.90, each in seconds).
VECTORIZER = {"analyzer": "char_wb", "ngram_range": [1, 4], "sublinear_tf": True,
              "min_df": 2, "lowercase": True, "max_features": 300_000}
REGRESSION = {"C": 10.0, "max_iter": 2000}
# What fit() may write besides VECTORIZER's own values: min_df falls to 1 on tiny data
# sets, and max_features shrinks for many labels (``plan``). Import checks a bundle's
# vectorizer against exactly this, since one value (ngram_range [1, 100000]) can make
# every question cost seconds and gigabytes.
SAVED_CHOICES = {"analyzer": ("char_wb",), "ngram_range": ([1, 4],), "sublinear_tf": (True,),
                 "min_df": (1, 2), "lowercase": (True,)}


def vectorizer_fault(settings: dict) -> str | None:
    """The first of a saved vectorizer's settings that fit() never writes, else None."""
    if set(settings) != set(VECTORIZER):
        return ", ".join(sorted(set(settings) ^ set(VECTORIZER)))
    for key, allowed in SAVED_CHOICES.items():
        if not any(type(settings[key]) is type(a) and settings[key] == a for a in allowed):
            return key
    features = settings["max_features"]
    if type(features) is not int or not MIN_FEATURES <= features <= VECTORIZER["max_features"]:
        return "max_features"
    return None


Progress = Callable[[str, dict[str, int]], None]
STEPS_PER_EVENT = 100  # L-BFGS steps between progress events (it restarts its memory)


def _fit_in_steps(features, labels: list[str], seed: int, steps: int,
                  on_step: Callable[[int], None]):
    """The logistic regression, fitted for at most ``steps`` steps, ``STEPS_PER_EVENT`` at
    a time (each part starts from the last one's weights), ``on_step(steps done)`` before
    each part."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    classifier = LogisticRegression(**{**REGRESSION, "max_iter": STEPS_PER_EVENT},
                                    warm_start=True, random_state=seed)
    for done in range(0, steps, STEPS_PER_EVENT):
        on_step(done)
        with warnings.catch_warnings():  # a part that stops short of converging is expected
            warnings.simplefilter("ignore", ConvergenceWarning)
            classifier.fit(features, labels)
        if classifier.n_iter_.max() < STEPS_PER_EVENT:  # converged within this part
            break
    return classifier


class ClassicModel:
    """Fit, predict probabilities, save and load a TF-IDF + logistic regression model."""

    def __init__(self, vectorizer, classifier) -> None:
        self.vectorizer = vectorizer
        self.classifier = classifier

    @property
    def labels(self) -> list[str]:
        return [str(c) for c in self.classifier.classes_]

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[str], seed: int = 42,
            progress: Progress | None = None) -> ClassicModel:
        """Learn from ``texts`` and ``labels``, within what ``classic_plan`` allows: a large
        file is sampled per label, many labels keep fewer n-grams, and too many for any
        (a DataError) are refused; each text is read up to the length limit, as an agent
        reads a question (``data.limits``). ``progress(what, values)`` hears "vectorizing"
        before the n-grams are read and "fitting" every ``STEPS_PER_EVENT`` steps."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        from playground.tasks.classify.classic_plan import max_steps, plan, refusal, sample_rows

        texts, labels = cut(list(texts)), [str(label) for label in labels]
        chosen = plan(len(texts), len(set(labels)))
        if chosen is None:
            refused = refusal(len(set(labels)), len(texts))  # prepare() refuses it first
            raise DataError(refused.message, "Fix the file and try again.",
                            zh=f"{refused.message_zh}请修正文件后重试。")
        kept = sample_rows(labels, chosen.rows, seed)
        texts, labels, all_rows = [texts[i] for i in kept], [labels[i] for i in kept], len(texts)
        say = progress or (lambda what, values: None)
        say("vectorizing", {"rows": len(texts), "all_rows": all_rows})
        params = {**VECTORIZER, "ngram_range": tuple(VECTORIZER["ngram_range"]),
                  "max_features": chosen.max_features}
        vectorizer = TfidfVectorizer(**params)
        try:
            features = vectorizer.fit_transform(texts)
        except ValueError:  # min_df=2 leaves nothing on a tiny data set
            vectorizer = TfidfVectorizer(**{**params, "min_df": 1})
            features = vectorizer.fit_transform(texts)
        steps = max_steps(features.nnz, len(set(labels)), REGRESSION["max_iter"])
        classifier = _fit_in_steps(features, labels, seed, steps, lambda step: say(
            "fitting", {"step": step, "steps": steps, "rows": len(texts),
                        "features": features.shape[1]}))
        return cls(vectorizer, classifier)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Rows of probabilities, columns in the order of ``labels``."""
        return self.classifier.predict_proba(self.vectorizer.transform(list(texts)))

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """Log-probabilities, the logits temperature scaling divides (softmax undoes the log)."""
        return np.log(np.clip(self.predict_proba(texts), 1e-12, None))  # no log(0) = -inf

    def predict(self, texts: Sequence[str]) -> list[str]:
        labels = self.labels
        return [labels[i] for i in self.predict_proba(texts).argmax(axis=1)]

    def save(self, folder: Path) -> None:
        from safetensors.numpy import save_file

        folder.mkdir(parents=True, exist_ok=True)
        vocab = sorted(self.vectorizer.vocabulary_, key=self.vectorizer.vocabulary_.get)
        params = self.vectorizer.get_params()
        meta = {"vectorizer": {k: params[k] for k in VECTORIZER},
                "vocabulary": vocab, "labels": self.labels}
        (folder / FILE_JSON).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        save_file({"idf": np.ascontiguousarray(self.vectorizer.idf_, dtype=np.float64),
                   "coef": np.ascontiguousarray(self.classifier.coef_, dtype=np.float64),
                   "intercept": np.ascontiguousarray(self.classifier.intercept_,
                                                   dtype=np.float64)},
                  str(folder / FILE_WEIGHTS))

    @classmethod
    def load(cls, folder: Path) -> ClassicModel:
        from safetensors.numpy import load_file
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        meta = json.loads((folder / FILE_JSON).read_text(encoding="utf-8"))
        arrays = load_file(str(folder / FILE_WEIGHTS))
        params = {**meta["vectorizer"], "ngram_range": tuple(meta["vectorizer"]["ngram_range"])}
        vectorizer = TfidfVectorizer(**params,
                                     vocabulary={t: i for i, t in enumerate(meta["vocabulary"])})
        vectorizer.idf_ = arrays["idf"]
        classifier = LogisticRegression(**REGRESSION)
        classifier.classes_ = np.array(meta["labels"], dtype=object)
        classifier.coef_ = arrays["coef"]
        classifier.intercept_ = arrays["intercept"]
        return cls(vectorizer, classifier)

    @staticmethod
    def is_saved_in(folder: Path) -> bool:
        return (folder / FILE_JSON).exists()
