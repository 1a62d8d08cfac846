"""Tags aligned to subword pieces with the real embedded tokenizer: first piece only."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from playground.catalog import embedded_model_dir
from playground.tasks.entities.finetune import (
    IGNORE,
    align_labels,
    encode,
    load_for_tokens,
    load_tokenizer,
    word_probabilities,
)
from playground.tasks.entities.reading import Sentence

TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
IDS = {tag: i for i, tag in enumerate(TAGS)}


def test_align_labels_marks_only_first_pieces() -> None:
    # [CLS] ko ##wal ##cz ##yk in paris [SEP]
    word_ids = [None, 0, 0, 0, 0, 1, 2, None]
    assert align_labels(word_ids, [IDS["B-PER"], IDS["O"], IDS["B-LOC"]]) == [
        IGNORE, IDS["B-PER"], IGNORE, IGNORE, IGNORE, IDS["O"], IDS["B-LOC"], IGNORE]


def test_encode_with_the_real_tokenizer() -> None:
    tokenizer = load_tokenizer(str(embedded_model_dir()))
    sentence = Sentence(["Kowalczyk", "visited", "Ljubljana", "Playgrounds"],
                        ["B-PER", "O", "B-LOC", "O"])
    data = encode([sentence], tokenizer, 32, IDS)
    ids, labels = data[0]["input_ids"], data[0]["labels"]
    pieces = tokenizer.convert_ids_to_tokens(ids)
    assert pieces == ["[CLS]", "ko", "##wal", "##cz", "##yk", "visited", "ljubljana",
                      "playground", "##s", "[SEP]"]
    expected = [IGNORE, IDS["B-PER"], IGNORE, IGNORE, IGNORE, IDS["O"], IDS["B-LOC"],
                IDS["O"], IGNORE, IGNORE]
    assert labels == expected and data[0]["length"] == len(ids)
    # Every token keeps exactly one label, however many pieces it has.
    assert sum(label != IGNORE for label in labels) == len(sentence.tokens)


def test_encode_cuts_long_sentences_and_keeps_labels_in_step() -> None:
    tokenizer = load_tokenizer(str(embedded_model_dir()))
    sentence = Sentence(["Kowalczyk"] * 10, ["B-PER"] * 10)  # 4 pieces each
    data = encode([sentence], tokenizer, 12, IDS)
    assert len(data[0]["input_ids"]) == len(data[0]["labels"]) == 12
    assert sum(label != IGNORE for label in data[0]["labels"]) == 3  # (12 - 2) // 4 -> 3 tokens


def test_word_probabilities_read_first_pieces_and_default_cut_tokens_to_o(
        tiny_model_dir: Path) -> None:
    tokenizer, model = load_for_tokens(str(tiny_model_dir), TAGS)
    sentences = [["Kowalczyk"] * 5, ["hi"], []]
    probs = word_probabilities(model, tokenizer, sentences, max_length=10)
    assert [p.shape for p in probs] == [(5, 5), (1, 5), (0, 5)]
    np.testing.assert_allclose(probs[0][:2].sum(axis=1), 1.0, rtol=1e-5)
    # Only two tokens fit in 10 pieces ([CLS] + 2 x 4 + [SEP]); the rest are "O" for sure.
    assert (probs[0][2:, 0] == 1.0).all() and (probs[0][:2, 0] < 1.0).all()
