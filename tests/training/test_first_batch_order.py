"""On a CPU the Trainer's length-grouped batches come shortest first: the same batches."""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    Trainer,
    TrainingArguments,
)
from transformers.trainer_pt_utils import LengthGroupedSampler

from playground.training.sampling import (
    ShortestBatchFirst,
    shortest_batch_first,
    with_shortest_batch_first,
)


def _batches(order: list[int], size: int) -> list[list[int]]:
    return [order[i:i + size] for i in range(0, len(order), size)]


def test_the_shortest_full_batch_trades_places_with_the_first() -> None:
    lengths = [9, 9, 9, 5, 5, 5, 2, 2, 2, 1]  # the last, partial batch is shortest of all
    order = list(range(10))
    assert _batches(shortest_batch_first(order, lengths, 3), 3) == \
        [[6, 7, 8], [3, 4, 5], [0, 1, 2], [9]]
    assert shortest_batch_first(order[:4], lengths, 3) == order[:4]  # one full batch
    assert shortest_batch_first([], lengths, 3) == []


def test_the_samplers_batches_stay_the_same_in_another_order() -> None:
    lengths = [(i * 37) % 50 + 1 for i in range(203)]

    def grouped() -> LengthGroupedSampler:
        return LengthGroupedSampler(8, lengths=lengths,
                                    generator=torch.Generator().manual_seed(0))

    theirs, ours = list(grouped()), list(ShortestBatchFirst(grouped()))
    assert sorted(ours) == list(range(203)) and len(ShortestBatchFirst(grouped())) == 203
    assert max(lengths[i] for i in theirs[:8]) == max(lengths)  # theirs: longest first
    firsts = [max(lengths[i] for i in batch) for batch in _batches(ours, 8)[:-1]]
    assert firsts[0] == min(firsts)
    assert sorted(map(sorted, _batches(ours, 8))) == sorted(map(sorted, _batches(theirs, 8)))


def test_a_trainer_on_a_cpu_takes_its_shortest_batch_first(tiny_model_dir: Path,
                                                          tmp_path: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir, num_labels=2)
    texts = [" ".join(["word"] * n) for n in range(1, 41)]
    rows = [{**tokenizer(text), "labels": i % 2} for i, text in enumerate(texts)]
    args = TrainingArguments(output_dir=str(tmp_path), per_device_train_batch_size=4,
                             use_cpu=True, train_sampling_strategy="group_by_length",
                             report_to="none")
    trainer = with_shortest_batch_first(Trainer)(
        model=model, args=args, train_dataset=rows, processing_class=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer))
    widths = [batch["input_ids"].shape[1] for batch in trainer.get_train_dataloader()]
    assert len(widths) == 10 and widths[0] == min(widths) < max(widths)
