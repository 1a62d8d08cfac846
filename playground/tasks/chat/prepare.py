"""``prepare`` for chat: read a question/answer sheet or chat JSON lines, check, choose,
split; write the splits into a new run; preview a file for the Data tab.

The result is the same ``Preparation`` as for the other tasks (its report is a
``ChatReport``, its splits ``ChatSplits``). The config's text column is the question
column and its label column the answer column (sheets only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from playground.config import RunConfig
from playground.data import read_table
from playground.runfolder import SPLITS, RunFolder
from playground.service.prepare import Preparation, split_when_clean
from playground.tasks.base import Preview
from playground.tasks.chat.checks import (
    ChatSplits,
    check_chat_eval,
    check_conversations,
    make_chat_splits,
)
from playground.tasks.chat.reading import (
    read_chat_json,
    read_conversation_table,
    read_conversations,
    write_conversations,
)


def prepare(data_path: str | Path, config: RunConfig,
            eval_path: str | Path | None = None) -> Preparation:
    """Read and check chat data, pick the model, and split. Raises DataError for a file
    that cannot be read at all and ModelError for a model that cannot be used; other data
    problems are listed in the result (see ``errors``)."""
    data_path = Path(data_path)
    found = read_conversations(data_path, question_column=config.text_column,
                               answer_column=config.label_column)
    conversations, report = check_conversations(found, max_length=config.max_length)
    prep = Preparation(config=config, data_name=data_path.name, report=report)
    eval_conversations = None
    if eval_path is not None:
        eval_path = Path(eval_path)
        prep.eval_name = eval_path.name
        eval_found = read_conversations(eval_path, question_column=config.text_column,
                                        answer_column=config.label_column)
        eval_conversations, prep.eval_report = check_chat_eval(
            eval_found, conversations, max_length=config.max_length)
    return split_when_clean(prep, lambda: make_chat_splits(
        conversations, eval_conversations=eval_conversations,
        validation_fraction=config.validation_fraction, test_fraction=config.test_fraction,
        seed=config.seed, source_name=prep.data_name, eval_name=prep.eval_name,
        max_train=config.max_train_rows))


def write_splits(run: RunFolder, splits: ChatSplits) -> dict[str, Any]:
    """Write data/{train,validation,test}.jsonl, one {"messages": [...]} per line; the
    config.json fields that describe the data (a chat model has no labels)."""
    parts = {"train": splits.train, "validation": splits.validation, "test": splits.test}
    for name in SPLITS:
        write_conversations(run.conversation_split_path(name), parts[name])
    return {"labels": [], "rows": {name: len(part) for name, part in parts.items()}}


def preview(path: str | Path, text_column: str | None, label_column: str | None,
            model: str, rows: int) -> Preview:
    """The Data tab's view of a chat file: its first conversations (lists of messages,
    shown as bubbles by ``views.preview_html``), the sheet's columns (JSON conversations have none to pick), and every check. Columns
    picked for another file are ignored, as the other tasks do."""
    found = read_chat_json(path)
    columns: list[str] = []
    if found is None:
        frame = read_table(path)
        columns = [str(c) for c in frame.columns]
        found = read_conversation_table(
            frame, text_column if text_column in columns else None,
            label_column if label_column in columns else None, file_name=Path(path).name)
    conversations, report = check_conversations(found)
    shown = [{"conversation": c.messages} for c in conversations[:rows]]
    extra = {role: column for role, column in found.columns.items()
             if role not in ("question", "answer")}
    return Preview(rows=pd.DataFrame(shown, columns=["conversation"]), columns=columns,
                   text_column=found.columns.get("question"),
                   label_column=found.columns.get("answer"), report=report,
                   extra_columns=extra)


def estimate(prep: Preparation) -> dict[str, float]:
    """Seconds and memory of a fine-tuning run, from a few timed steps of a batch."""
    from playground.tasks.chat.finetune import load_for_chat
    from playground.training.preflight import estimate as timed

    config = prep.config
    texts = [" ".join(m["content"] for m in c.messages)
             for c in prep.splits.train[:config.batch_size]] or ["x"]
    card = prep.choice.card
    return timed(lambda: load_for_chat(card.location, card.id),
                 lambda tokenizer: tokenizer(texts, truncation=True, padding=True,
                                             max_length=config.max_length,
                                             return_tensors="pt"),
                 lambda batch: batch["input_ids"].shape, config.to_dict(),
                 len(prep.splits.train), "CAUSAL_LM")


def example_text(run: RunFolder) -> str | None:
    """The first held-out question of a run (the "Use from code" snippet asks it)."""
    from playground.tasks.chat.classic import question_of
    from playground.tasks.chat.reading import read_split

    path = run.conversation_split_path("test")
    conversations = read_split(path) if path.exists() else []
    return question_of(conversations[0]) if conversations else None
