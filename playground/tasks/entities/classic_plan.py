"""What the classic entity model may cost, worked out from tokens x tags before it fits.

It is the classic solver (``tasks/classic_cost.py``) with one row per token and one
output per BIO tag (two per entity type, and O) over hashed features: 300 types with
every hashed column asked for over 30 GB. ``entity_plan`` keeps the most frequent columns
the memory allows, refuses a file when not even ``MIN_FEATURES`` fit, and its steps are
capped by the same ``WORK`` (``max_steps``).
"""

from __future__ import annotations

from playground.data.report import Problem
from playground.tasks.classic_cost import MEMORY, ClassicPlan, fitting_plan, max_steps
from playground.tasks.entities.classic import N_FEATURES

__all__ = ["MEMORY", "entity_plan", "entity_refusal", "max_steps", "most_entity_types"]


def entity_plan(tokens: int, tags: int, memory: int | None = None) -> ClassicPlan | None:
    """The classic entity model's plan for ``tokens`` tokens and ``tags`` BIO tags: every
    token, at most ``N_FEATURES`` hashed columns (fewer for many tags); None when even
    ``MIN_FEATURES`` would need more than ``memory`` bytes (``MEMORY`` by default)."""
    return fitting_plan(tokens, tags, N_FEATURES, MEMORY if memory is None else memory)


def most_entity_types(tokens: int) -> int:
    """The most entity types a file of ``tokens`` tokens can have and still fit (0: none)."""
    low, high = 0, 1 << 20
    while low < high:  # entity_plan() fits fewer types the more there are: bisect
        middle = (low + high + 1) // 2
        fits = entity_plan(tokens, 2 * middle + 1) is not None
        low, high = (middle, high) if fits else (low, middle - 1)
    return low


def entity_refusal(types: int, tokens: int) -> Problem:
    """Why a file of ``types`` entity types and ``tokens`` tokens cannot train, and what
    to do."""
    most, gb = most_entity_types(tokens), f"{MEMORY / 2**30:.0f}"
    if most == 0:  # too many tokens for even one type
        todo = "Train on fewer sentences: split the file and keep one part."
        todo_zh = "请用更少的句子训练：把文件拆开，只用其中一部分。"
    else:
        todo = (f"Merge related types into at most {most:,}, or train on fewer sentences "
                "(fewer tokens leave room for more types).")
        todo_zh = f"请把相关类型合并成最多 {most:,} 种，或用更少的句子训练（词越少，能容纳的类型越多）。"
    return Problem(
        "error", "too_many_types",
        f"The file has {types:,} entity types: too many for the classic entity model, which "
        f"every run fits as its yardstick, to learn from {tokens:,} tokens within {gb} GB of "
        f"memory (at most about {most:,} types with this many tokens). {todo}",
        f"该文件有 {types:,} 种实体类型，太多了：每次训练都会拟合经典实体模型作为参照，它无法在 "
        f"{gb} GB 内存内从 {tokens:,} 个词中学会这么多类型（这么多词时，最多约 {most:,} 种类型）。"
        f"{todo_zh}")
