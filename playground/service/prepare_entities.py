"""``prepare`` for named entities: read any of the entity formats, check, choose, split.

The result is the same ``Preparation`` as for labelled texts (its report is an
``EntityReport``, its splits ``EntitySplits``), so the command line and the app show
and start both kinds of run the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playground.catalog import choose
from playground.config import RunConfig
from playground.data.checks import Problem
from playground.data.entities import read_entities, write_sentences
from playground.data.entity_checks import (
    EntitySplits,
    bio_tags,
    check_entities,
    check_entity_eval,
    entity_types,
    make_entity_splits,
)
from playground.runfolder import SPLITS, RunFolder
from playground.service.prepare import (
    Preparation,
    check_classic_entity_cost,
    fit_to_data,
    note_language,
)


def prepare_entities(data_path: str | Path, config: RunConfig,
                     eval_path: str | Path | None = None) -> Preparation:
    """Read and check entity data, pick the model, and split (see ``prepare``)."""
    data_path = Path(data_path)
    raw = read_entities(data_path, tokens_column=config.text_column,
                        tags_column=config.label_column)
    sentences, report = check_entities(raw, max_length=config.max_length)
    check_classic_entity_cost(report)
    prep = Preparation(config=config, data_name=data_path.name, report=report)
    eval_sentences = None
    if eval_path is not None:
        eval_path = Path(eval_path)
        prep.eval_name = eval_path.name
        eval_raw = read_entities(eval_path, tokens_column=config.text_column,
                                 tags_column=config.label_column)
        eval_sentences, prep.eval_report = check_entity_eval(
            eval_raw, list(report.label_counts), max_length=config.max_length)
        _warn_overlap(eval_sentences, sentences, prep)
    if report.errors:
        return prep
    prep.choice = choose(config.model, report.language)
    note_language(prep, report.language)
    if prep.errors:
        return prep
    prep.splits = make_entity_splits(
        sentences, eval_sentences=eval_sentences,
        validation_fraction=config.validation_fraction, test_fraction=config.test_fraction,
        seed=config.seed, source_name=prep.data_name, eval_name=prep.eval_name,
        max_train=config.max_train_rows)
    fit_to_data(prep)
    return prep


def write_entity_splits(run: RunFolder, splits: EntitySplits) -> dict[str, Any]:
    """Write data/*.jsonl; the config.json fields that describe the data."""
    parts = {"train": splits.train, "validation": splits.validation, "test": splits.test}
    for name in SPLITS:
        write_sentences(run.entity_split_path(name), parts[name])
    types = entity_types(splits.train)
    return {"labels": bio_tags(types), "entity_types": types,
            "rows": {name: len(part) for name, part in parts.items()}}


def _warn_overlap(eval_sentences: list, train_sentences: list, prep: Preparation) -> None:
    seen = {tuple(s.tokens) for s in train_sentences}
    overlap = sum(1 for s in eval_sentences if tuple(s.tokens) in seen)
    if overlap and prep.eval_report is not None:
        prep.eval_report.problems.append(Problem(
            "warning", "overlap",
            f"Found {overlap:,} sentences of the evaluation file in the training data too, so "
            "the test score will look better than it is. Remove them from one of the two files.",
            f"评估文件中有 {overlap:,} 个句子也出现在训练数据中，测试分数会偏高。"
            "请从两个文件之一中删除它们。"))
