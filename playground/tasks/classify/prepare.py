"""``prepare`` for a label per text: read a table, check it, choose the model, split;
then write the splits into a new run and estimate a fine-tuning's cost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from playground.config import RunConfig
from playground.data import DataReport, Problem, guess_columns, read_table
from playground.errors import DataError
from playground.runfolder import SPLITS, RunFolder
from playground.service.prepare import Preparation, split_when_clean
from playground.tasks.base import Preview
from playground.tasks.classify.checks import check_dataset, check_eval_table
from playground.tasks.classify.splits import make_splits
from playground.tasks.entities.reading import is_conll_file


def _limit_rows(train: pd.DataFrame, limit: int | None, seed: int) -> pd.DataFrame:
    """A stratified sample of at most ``limit`` rows (every label keeps at least one)."""
    if limit is None or len(train) <= limit:
        return train
    share = limit / len(train)
    parts = [group.sample(n=max(1, round(len(group) * share)), random_state=seed)
             for _, group in train.groupby("label", sort=True)]
    return pd.concat(parts).sample(frac=1.0, random_state=seed).reset_index(drop=True)


def _refuse_tagged_tokens(path: str | Path) -> None:
    """A DataError for a CoNLL file (tokens and tags), which another task reads."""
    if is_conll_file(path):
        raise DataError(f"{Path(path).name} holds tagged tokens (one token and its tag "
                        "per line), which teach an agent to find entities, not to label "
                        "texts.", "Choose the task 'Named entities' (on the command line: "
                        "--task ner), or give a table with a text column and a label column.",
                        zh=f"{Path(path).name} 是逐词标注（每行一个词和它的标签），用来教智能体"
                           "找实体，而不是给文本打标签。请选择任务“命名实体”（命令行：--task ner），"
                           "或给出带文本列和标签列的表格。")


def preview(path: str | Path, text_column: str | None, label_column: str | None,
            model: str, rows: int) -> Preview:
    """The Data tab's view of a table: its first rows, its columns (the text and label
    ones guessed unless given), and every check, as a run of ``model`` would make them."""
    _refuse_tagged_tokens(path)
    frame = read_table(path)
    guess = guess_columns(frame)
    text_column = text_column if text_column in frame.columns else guess.text
    label_column = label_column if label_column in frame.columns else guess.label
    _, report = check_dataset(frame, text_column, label_column)
    check_classic_cost(report)
    return Preview(rows=frame.head(rows), columns=list(frame.columns), text_column=text_column,
                   label_column=label_column, report=report)


def check_classic_cost(report: DataReport) -> None:
    """Add to ``report`` an error when the classic model, which every run fits, cannot
    learn its labels within its memory, or a warning when it will learn from a sample of
    the rows (``training/classic_plan.py``). Counts every usable row: a little more than
    a run trains on, so what passes here passes when the run starts."""
    from playground.tasks.classify.classic_plan import MAX_ROWS, plan, refusal

    rows, labels = report.rows_used, len(report.label_counts)
    if labels < 2 or report.errors:
        return
    if plan(rows, labels) is None:
        report.problems.append(refusal(labels, rows))
    elif rows > MAX_ROWS:
        report.problems.append(Problem(
            "warning", "classic_sample",
            f"The file has {rows:,} rows; the classic model learns from at most {MAX_ROWS:,} "
            "of them (a sample with the same share of each label), so that it fits in "
            "minutes. A fine-tuned model learns from every training row.",
            f"该文件有 {rows:,} 行；经典模型最多从中抽取 {MAX_ROWS:,} 行学习（每个标签抽取相同比例），"
            "以便在几分钟内完成。微调模型会使用全部训练行。"))


def prepare(data_path: str | Path, config: RunConfig,
            eval_path: str | Path | None = None) -> Preparation:
    """Read and check the data, pick the model, and split. Raises DataError for a file
    that cannot be read at all and ModelError for a model that cannot be used; other data
    problems are listed in the result (see ``errors``)."""
    data_path = Path(data_path)
    for path in filter(None, (data_path, eval_path)):
        _refuse_tagged_tokens(path)
    frame = read_table(data_path)
    min_per_label = 2 if eval_path else 3
    clean, report = check_dataset(frame, config.text_column, config.label_column,
                                  min_per_label=min_per_label, max_length=config.max_length)
    prep = Preparation(config=config, data_name=data_path.name, report=report)
    if eval_path is not None:
        eval_path = Path(eval_path)
        prep.eval_name = eval_path.name
        clean_eval, prep.eval_report = check_eval_table(
            read_table(eval_path), report.label_counts, report.text_column,
            report.label_column, train_texts=clean["text"], max_length=config.max_length)
    check_classic_cost(report)
    def split() -> Any:
        splits = make_splits(clean, eval_df=clean_eval if eval_path else None,
                             validation_fraction=config.validation_fraction,
                             test_fraction=config.test_fraction, seed=config.seed,
                             source_name=prep.data_name, eval_name=prep.eval_name)
        splits.train = _limit_rows(splits.train, config.max_train_rows, config.seed)
        return splits

    return split_when_clean(prep, split)


def write_splits(run: RunFolder, splits: Any) -> dict[str, Any]:
    """Write data/*.csv; the config.json fields that describe the data."""
    parts = {"train": splits.train, "validation": splits.validation, "test": splits.test}
    for name in SPLITS:
        parts[name].to_csv(run.split_path(name), index=False)
    return {"labels": sorted(splits.train["label"].unique().tolist()),
            "rows": {name: len(frame) for name, frame in parts.items()}}


def estimate(prep: Preparation) -> dict[str, float]:
    """Seconds and memory of a fine-tuning run, from a few timed steps of a batch."""
    from playground.tasks.classify.finetune import load_for_classification
    from playground.training.preflight import estimate as timed

    train, config = prep.splits.train, prep.config
    labels = sorted(train["label"].unique())
    texts = train["text"].sample(n=min(len(train), config.batch_size), random_state=0).tolist()
    return timed(lambda: load_for_classification(prep.choice.card.location, labels,
                                                 config.dropout),
                 lambda tokenizer: tokenizer(texts or ["x"], truncation=True,
                                             max_length=config.max_length, padding=True,
                                             return_tensors="pt"),
                 lambda batch: batch["input_ids"].shape[:1], config.to_dict(), len(train),
                 "SEQ_CLS")


def example_text(run: RunFolder) -> str | None:
    """The first held-out text of a run (the "Use from code" snippet asks it)."""
    path = run.split_path("test")
    if not path.exists():  # an imported agent carries no data
        return None
    rows = pd.read_csv(path, dtype=str, keep_default_na=False, nrows=1)
    return rows["text"].iloc[0] if len(rows) and "text" in rows else None
