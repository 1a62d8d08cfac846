"""Labelling in batches: rows come back in their order, and bf16 keeps fp32's labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from playground.tasks.classify.agent import batched_logits, length_batches
from playground.tasks.classify.finetune import load_for_classification

TEXTS = ["refund my order please", "hi", "I lost my card somewhere in the city yesterday",
         "where is my card", "hello there friend", "can I get my money back for this order"]


def test_sorted_batches_give_each_row_its_own_logits(tiny_model_dir: Path) -> None:
    tokenizer, model = load_for_classification(str(tiny_model_dir), ["a", "b", "c"])
    together = batched_logits(model, tokenizer, TEXTS, max_length=32, batch_size=4)
    alone = np.vstack([batched_logits(model, tokenizer, [text], max_length=32)
                       for text in TEXTS])
    np.testing.assert_allclose(together, alone, atol=1e-4)


def test_bf16_gives_the_labels_of_fp32(tiny_model_dir: Path) -> None:
    tokenizer, model = load_for_classification(str(tiny_model_dir), ["a", "b", "c"])
    texts = TEXTS * 5
    fp32 = batched_logits(model, tokenizer, texts, max_length=32)
    bf16 = batched_logits(model, tokenizer, texts, max_length=32, precision="bf16")
    assert (fp32.argmax(axis=1) == bf16.argmax(axis=1)).all()


def test_rows_of_like_lengths_share_a_pass_and_a_long_row_gets_its_own() -> None:
    lengths = np.array([30, 5, 5, 31, 5])
    order = np.argsort(lengths, kind="stable")
    batches = length_batches(order, lengths, max_rows=8, pass_cost=20)
    assert [b.tolist() for b in batches] == [[1, 2, 4], [0, 3]]
    # a pass costs more than the padding: one batch, cut only at max_rows
    batches = length_batches(order, lengths, max_rows=4, pass_cost=1000)
    assert [b.tolist() for b in batches] == [[1, 2, 4, 0], [3]]
