"""Small tagged data sets that the tiny test model learns in seconds."""

from __future__ import annotations

import random
from pathlib import Path

NAMES = ["anna", "john", "maria", "peter", "oliver", "sophie", "kowalczyk", "fitzgerald"]
CITIES = ["paris", "london", "berlin", "tokyo", "madrid", "vienna", "reykjavik", "ljubljana"]
TEMPLATES = [
    "{name} lives in {city} now",
    "yesterday {name} flew to {city}",
    "we met {name} near {city} station",
    "{city} is where {name} works",
    "call {name} when you reach {city}",
]


def entity_sentences(count: int = 120, seed: int = 0) -> list[list[tuple[str, str]]]:
    """(token, tag) sentences: PER and LOC in a few templates, names and cities at random."""
    rng = random.Random(seed)
    sentences = []
    for _ in range(count):
        name, city = rng.choice(NAMES), rng.choice(CITIES)
        sentence = []
        for word in rng.choice(TEMPLATES).split():
            if word == "{name}":
                sentence.append((name, "B-PER"))
            elif word == "{city}":
                sentence.append((city, "B-LOC"))
            else:
                sentence.append((word, "O"))
        sentences.append(sentence)
    return sentences


def write_conll(path: Path, count: int = 120, seed: int = 0) -> Path:
    """The sentences as a CoNLL file: token TAB tag, a blank line between sentences."""
    lines = []
    for sentence in entity_sentences(count, seed):
        lines += [f"{token}\t{tag}" for token, tag in sentence] + [""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
