"""Entity-level scores on hand-made cases whose answers are worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from playground.tasks.entities.metrics import decode, entity_scores, outside_baseline


def test_perfect_tags_score_one() -> None:
    truth = [["B-PER", "I-PER", "O", "B-LOC"]]
    scores = entity_scores(truth, truth)
    assert scores["precision"] == scores["recall"] == scores["f1"] == 1.0
    assert scores["entities"] == 2


def test_counts_worked_out_by_hand() -> None:
    # True entities: PER(0-1), LOC(3), ORG(5) -> 3. Predicted: PER(0-1) right,
    # ORG(3) wrong type -> 2 predicted, 1 correct: P = 1/2, R = 1/3, F1 = 2PR/(P+R) = 0.4.
    truth = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG"]]
    predicted = [["B-PER", "I-PER", "O", "B-ORG"], ["O", "O"]]
    scores = entity_scores(truth, predicted, types=["PER", "LOC", "ORG", "MISC"])
    assert (scores["precision"], scores["recall"], scores["f1"]) == (0.5, 0.3333, 0.4)
    assert scores["per_type"]["PER"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0,
                                         "support": 1}
    assert scores["per_type"]["LOC"]["f1"] == 0.0 and scores["per_type"]["ORG"]["f1"] == 0.0
    assert scores["per_type"]["MISC"]["support"] == 0  # listed, but not in the macro average
    assert scores["macro_f1"] == pytest.approx(1 / 3, abs=1e-4)
    assert scores["accuracy"] == pytest.approx(4 / 6, abs=1e-4)  # tokens right


def test_strict_spans_give_no_credit_for_part_of_an_entity() -> None:
    truth = [["B-LOC", "I-LOC", "O"]]
    assert entity_scores(truth, [["O", "B-LOC", "O"]])["f1"] == 0.0  # "York" for "New York"
    assert entity_scores(truth, [["B-LOC", "O", "O"]])["f1"] == 0.0
    assert entity_scores(truth, [["B-LOC", "I-LOC", "I-LOC"]])["f1"] == 0.0  # one too long
    # Two true entities of which one is found exactly: P = 1, R = 1/2, F1 = 2/3.
    scores = entity_scores([["B-A", "O", "B-B", "I-B"]], [["B-A", "O", "O", "O"]])
    assert (scores["precision"], scores["recall"], scores["f1"]) == (1.0, 0.5, 0.6667)


def test_finding_nothing_scores_zero_with_high_token_accuracy() -> None:
    truth = [["O"] * 9 + ["B-PER"]]
    baseline = outside_baseline(truth, ["PER"])
    assert baseline["f1"] == baseline["precision"] == baseline["recall"] == 0.0
    assert baseline["accuracy"] == 0.9


def test_decode_keeps_the_best_valid_sequence() -> None:
    tags = ["O", "B-PER", "I-PER"]
    # Argmax alone would give I-PER I-PER O, which starts an entity with I-.
    probs = np.array([[0.4, 0.1, 0.5], [0.1, 0.1, 0.8], [0.9, 0.05, 0.05]])
    chosen, confidence = decode(probs, tags)
    # Valid paths: O O O = .4*.1*.9 = .036; B I O = .1*.8*.9 = .072 (best); O B O = .036.
    assert chosen == ["B-PER", "I-PER", "O"]
    assert confidence == pytest.approx([0.1, 0.8, 0.9])
    # An I- of another type cannot continue an entity either.
    tags = ["O", "B-A", "I-A", "B-B", "I-B"]
    probs = np.array([[0.0, 0.9, 0.0, 0.1, 0.0], [0.0, 0.0, 0.4, 0.0, 0.6]])
    assert decode(probs, tags)[0] == ["B-A", "I-A"]
    assert decode(np.zeros((0, 5)), tags) == ([], [])
