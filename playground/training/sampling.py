"""The order of training batches on a CPU: length-grouped, the shortest batch first.

transformers' ``LengthGroupedSampler`` groups texts of similar length into batches and
puts the batch holding the longest text first, so that a GPU short of memory fails at
once rather than hours in. On a CPU that batch is by far the slowest step (banking77:
32 texts of 98 tokens, against 14 for a typical batch) and it stands between the user and
the first loss point, while the memory is the machine's own. So on a CPU the shortest
full batch trades places with the first one: the same batches, two in another order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from torch.utils.data import Sampler
from transformers.trainer_pt_utils import LengthGroupedSampler


def shortest_batch_first(order: Sequence[int], lengths: Sequence[int],
                         batch_size: int) -> list[int]:
    """``order`` (row indices, read ``batch_size`` at a time) with its batch of the
    shortest longest text swapped with its first batch. A last, partial batch stays
    where it is: moving it would regroup every batch."""
    full = len(order) // batch_size
    batches = [list(order[b * batch_size:(b + 1) * batch_size]) for b in range(full)]
    if full < 2:
        return list(order)
    shortest = min(range(full), key=lambda b: max(lengths[i] for i in batches[b]))
    batches[0], batches[shortest] = batches[shortest], batches[0]
    return [i for batch in batches for i in batch] + list(order[full * batch_size:])


class ShortestBatchFirst(Sampler):
    """A ``LengthGroupedSampler``'s order, each epoch, with its shortest batch first."""

    def __init__(self, grouped: LengthGroupedSampler) -> None:
        self.grouped = grouped

    def __len__(self) -> int:
        return len(self.grouped)

    def __iter__(self) -> Iterator[int]:
        return iter(shortest_batch_first(list(self.grouped), self.grouped.lengths,
                                         self.grouped.batch_size))


def with_shortest_batch_first(trainer_class: Any) -> Any:
    """``trainer_class`` (transformers' Trainer or a subclass such as TRL's) whose
    length-grouped training order starts with its shortest batch."""

    class ShortestBatchFirstTrainer(trainer_class):
        def _get_train_sampler(self, *args: Any, **kwargs: Any) -> Any:
            sampler = super()._get_train_sampler(*args, **kwargs)
            if isinstance(sampler, LengthGroupedSampler):
                return ShortestBatchFirst(sampler)
            return sampler

    ShortestBatchFirstTrainer.__qualname__ = f"ShortestBatchFirst{trainer_class.__name__}"
    return ShortestBatchFirstTrainer
