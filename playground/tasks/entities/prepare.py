"""``prepare`` for named entities: read any of the entity formats, check, choose, split.

The result is the same ``Preparation`` as for labelled texts (its report is an
``EntityReport``, its splits ``EntitySplits``), so the command line and the app show
and start both kinds of run the same way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from playground.config import RunConfig
from playground.data import read_table
from playground.data.report import Problem
from playground.runfolder import SPLITS, RunFolder
from playground.service.prepare import Preparation, split_when_clean
from playground.tasks.base import Preview
from playground.tasks.entities.checks import (
    EntityReport,
    EntitySplits,
    bio_tags,
    check_entities,
    check_entity_eval,
    entity_types,
    make_entity_splits,
)
from playground.tasks.entities.reading import (
    entity_text,
    read_entities,
    shown_text,
    write_sentences,
)


def prepare(data_path: str | Path, config: RunConfig,
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
    return split_when_clean(prep, lambda: make_entity_splits(
        sentences, eval_sentences=eval_sentences,
        validation_fraction=config.validation_fraction, test_fraction=config.test_fraction,
        seed=config.seed, source_name=prep.data_name, eval_name=prep.eval_name,
        max_train=config.max_train_rows))


def write_splits(run: RunFolder, splits: EntitySplits) -> dict[str, Any]:
    """Write data/*.jsonl; the config.json fields that describe the data."""
    parts = {"train": splits.train, "validation": splits.validation, "test": splits.test}
    for name in SPLITS:
        write_sentences(run.entity_split_path(name), parts[name])
    types = entity_types(splits.train)
    return {"labels": bio_tags(types), "entity_types": types,
            "rows": {name: len(part) for name, part in parts.items()}}


def check_classic_entity_cost(report: EntityReport) -> None:
    """Add to ``report`` an error when the classic entity model, which every entity run
    fits, cannot learn its entity types from its tokens within its memory
    (``classic_plan.entity_plan``)."""
    from playground.tasks.entities.classic_plan import entity_plan, entity_refusal

    types = len(report.label_counts)
    if not types or report.errors:
        return
    if entity_plan(report.tokens, 2 * types + 1) is None:
        report.problems.append(entity_refusal(types, report.tokens))


def preview(path: str | Path, tokens_column: str | None, tags_column: str | None,
            model: str, rows: int) -> Preview:
    """The Data tab's view of an entity file: sentences with their entities, the
    columns of a table (a CoNLL file has none), and every check."""
    found = read_entities(path, tokens_column=tokens_column, tags_column=tags_column)
    sentences, report = check_entities(found)
    check_classic_entity_cost(report)
    shown = []
    for sentence in sentences[:rows]:
        shown.append({"text": shown_text(sentence.tokens),
                      "entities": entity_text(sentence.tokens, sentence.tags)})
    columns = [] if found.format == "conll" else [str(c) for c in read_table(path).columns]
    roles = found.columns
    return Preview(rows=pd.DataFrame(shown, columns=["text", "entities"]), columns=columns,
                   text_column=(roles.get("tokens") or roles.get("text")) if columns else None,
                   label_column=(roles.get("tags") or roles.get("type")) if columns else None,
                   report=report,
                   titles={"text": ("text", "文本"), "entities": ("entities", "实体")})


def estimate(prep: Preparation) -> dict[str, float]:
    """Seconds and memory of a fine-tuning run, from a few timed steps of a batch."""
    from playground.tasks.entities.finetune import load_for_tokens
    from playground.training.preflight import estimate as timed

    train, config = prep.splits.train, prep.config
    sentences = [s.tokens for s in train[:config.batch_size]] or [["x"]]
    tags = bio_tags(entity_types(train))
    return timed(lambda: load_for_tokens(prep.choice.card.location, tags, config.dropout),
                 lambda tokenizer: tokenizer(sentences, truncation=True, padding=True,
                                             max_length=config.max_length,
                                             is_split_into_words=True, return_tensors="pt"),
                 lambda batch: batch["input_ids"].shape, config.to_dict(), len(train),
                 "TOKEN_CLS")


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


def example_text(run: RunFolder) -> str | None:
    """The first held-out sentence of a run, its tokens joined as its language writes them."""
    path = run.entity_split_path("test")
    if not path.exists():  # an imported agent carries no data
        return None
    with path.open(encoding="utf-8") as fh:
        tokens = json.loads(fh.readline() or '{"tokens": []}').get("tokens", [])
    return shown_text(tokens) or None
