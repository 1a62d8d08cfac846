"""Everything that happens before a run is queued: read, check, choose a model, split.

``prepare`` never trains anything; it returns what it found (data statistics, every
problem as a sentence, the model picked and why), so the command line and the web app
can show it before the user commits to a run. ``create_run`` then writes the run folder.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from playground.catalog import Choice, choose
from playground.config import RunConfig
from playground.data import check_dataset, check_eval_table, make_splits, read_table
from playground.data.checks import DataReport, Problem
from playground.data.entities import is_conll_file
from playground.data.entity_checks import EntityReport, EntitySplits, bio_tags, entity_types
from playground.data.splits import Splits
from playground.errors import DataError
from playground.runfolder import SPLITS, RunFolder, new_run_id, write_json
from playground.service.fitting import Adjustment, fit_settings
from playground.service.names import default_name


@dataclass
class Preparation:
    """The checked data, the model choice and the splits a run would use."""

    config: RunConfig
    data_name: str
    report: DataReport
    eval_name: str = ""
    eval_report: DataReport | None = None
    choice: Choice | None = None
    splits: Splits | EntitySplits | None = None
    # warnings about the model choice, each as (English, Chinese)
    notes: list[tuple[str, str]] = field(default_factory=list)
    adjustments: list[Adjustment] = field(default_factory=list)  # settings fitted to the data

    @property
    def errors(self) -> list[str]:
        reports = [self.report] + ([self.eval_report] if self.eval_report else [])
        return [p.message for r in reports for p in r.errors]

    @property
    def warnings(self) -> list[str]:
        reports = [self.report] + ([self.eval_report] if self.eval_report else [])
        return [p.message for r in reports for p in r.warnings] + [en for en, _ in self.notes]

    @property
    def warnings_zh(self) -> list[str]:
        """The same warnings, in the same order, in Chinese."""
        reports = [self.report] + ([self.eval_report] if self.eval_report else [])
        return [p.message_zh or p.message for r in reports for p in r.warnings] + [
            zh for _, zh in self.notes]

    def raise_for_errors(self) -> None:
        if self.errors:
            reports = [self.report] + ([self.eval_report] if self.eval_report else [])
            said_zh = "".join(p.message_zh or p.message for r in reports for p in r.errors)
            raise DataError(" ".join(self.errors), "Fix the file and try again.",
                            zh=f"{said_zh}请修正文件后重试。")


def language_note(choice: Choice, language: str, lang: str = "en") -> str | None:
    """A warning when the chosen model cannot read Chinese data, in ``lang``."""
    card = choice.card
    if card.reads(language) or language != "zh":
        return None
    if "unknown" in card.languages:  # a folder or hub id the catalog does not know
        if lang == "zh":
            return (f"你的数据是中文，但不知道 {card.name_in('zh')} 能读哪些语言（请看模型页面）："
                    "如果它不读中文，大多数汉字会变成未知词元，它几乎学不到东西。"
                    "auto 或 classic 一定能读中文。")
        return (f"Your data is Chinese, and which languages {card.name} reads is unknown "
                "(see the model's page): if it reads no Chinese, most characters become "
                "unknown tokens and it will learn little. 'auto' and 'classic' read Chinese.")
    if lang == "zh":
        return (f"你的数据是中文，但 {card.name_in('zh')} 只能读{card.language_names_zh}："
                "大多数汉字会变成未知词元，它几乎学不到东西。请选择 auto 或 classic，"
                "或 hfl/rbt3、bert-base-chinese 这样的中文模型。")
    return (f"Your data is Chinese, but {card.name} reads only "
            f"{card.language_names}: most Chinese characters become unknown tokens and "
            "it will learn little. Choose 'auto' or 'classic', or a Chinese model such as "
            "hfl/rbt3 or bert-base-chinese.")


def note_language(prep: Preparation, language: str) -> None:
    """Note, in both languages, when the chosen model cannot read the data's language."""
    assert prep.choice is not None
    note = language_note(prep.choice, language)
    if note:
        prep.notes.append((note, language_note(prep.choice, language, "zh") or note))


def _limit_rows(train: pd.DataFrame, limit: int | None, seed: int) -> pd.DataFrame:
    """A stratified sample of at most ``limit`` rows (every label keeps at least one)."""
    if limit is None or len(train) <= limit:
        return train
    share = limit / len(train)
    parts = [group.sample(n=max(1, round(len(group) * share)), random_state=seed)
             for _, group in train.groupby("label", sort=True)]
    return pd.concat(parts).sample(frac=1.0, random_state=seed).reset_index(drop=True)


def check_classic_cost(report: DataReport) -> None:
    """Add to ``report`` an error when the classic model, which every run fits, cannot
    learn its labels within its memory, or a warning when it will learn from a sample of
    the rows (``training/classic_plan.py``). Counts every usable row: a little more than
    a run trains on, so what passes here passes when the run starts."""
    from playground.training.classic_plan import MAX_ROWS, plan, refusal

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


def check_classic_entity_cost(report: EntityReport) -> None:
    """Add to ``report`` an error when the classic entity model, which every entity run
    fits, cannot learn its entity types from its tokens within its memory
    (``training/classic_plan.py``)."""
    from playground.training.classic_plan import entity_plan, entity_refusal

    types = len(report.label_counts)
    if not types or report.errors:
        return
    if entity_plan(report.tokens, 2 * types + 1) is None:
        report.problems.append(entity_refusal(types, report.tokens))


def prepare(data_path: str | Path, config: RunConfig,
            eval_path: str | Path | None = None) -> Preparation:
    """Read and check the data, pick the model, and split. Raises DataError for a file
    that cannot be read at all and ModelError for a model that cannot be used; other data
    problems are listed in the result (see ``errors``)."""
    config.validate()
    if config.task == "ner":
        from playground.service.prepare_entities import prepare_entities

        return prepare_entities(data_path, config, eval_path)
    data_path = Path(data_path)
    for path in filter(None, (data_path, eval_path)):
        if is_conll_file(path):
            raise DataError(f"{Path(path).name} holds tagged tokens (one token and its tag "
                            "per line), which teach an agent to find entities, not to label "
                            "texts.", "Choose the task 'ner' (--task ner), or give a table "
                            "with a text column and a label column.",
                            zh=f"{Path(path).name} 是逐词标注（每行一个词和它的标签），用来教智能体"
                               "找实体，而不是给文本打标签。请选择任务 ner（--task ner），"
                               "或给出带文本列和标签列的表格。")
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
    if report.errors:
        return prep
    prep.choice = choose(config.model, report.language)
    if prep.choice.card.is_classic:  # character n-grams read the whole text: no cut-off
        for checked in filter(None, (report, prep.eval_report)):
            checked.problems = [p for p in checked.problems if p.code != "long_texts"]
    note_language(prep, report.language)
    if prep.errors:
        return prep
    splits = make_splits(clean, eval_df=clean_eval if eval_path else None,
                         validation_fraction=config.validation_fraction,
                         test_fraction=config.test_fraction, seed=config.seed,
                         source_name=prep.data_name, eval_name=prep.eval_name)
    splits.train = _limit_rows(splits.train, config.max_train_rows, config.seed)
    prep.splits = splits
    fit_to_data(prep)
    return prep


def fit_to_data(prep: Preparation) -> None:
    """With ``fit_to_data`` on, fit the split run's settings to its row count (a
    fine-tuned model only: the classic one has no steps) and record each change."""
    assert prep.splits is not None and prep.choice is not None
    if not prep.config.fit_to_data or prep.choice.card.is_classic:
        return
    prep.config, prep.adjustments = fit_settings(prep.config, len(prep.splits.train),
                                                 len(prep.splits.validation))


def create_run(runs_dir: str | Path, prep: Preparation) -> RunFolder:
    """Write a prepared run's folder (config, data splits, queued status)."""
    prep.raise_for_errors()
    assert prep.splits is not None and prep.choice is not None
    runs_dir = Path(runs_dir)
    runs_dir.mkdir(parents=True, exist_ok=True)
    run = RunFolder(runs_dir / new_run_id())
    run.split_path("train").parent.mkdir(parents=True)
    if prep.config.task == "ner":
        from playground.service.prepare_entities import write_entity_splits

        written = write_entity_splits(run, prep.splits)
        labels, rows = written["labels"], written["rows"]
        extra: dict[str, Any] = {"entity_types": written["entity_types"]}
    else:
        parts = {"train": prep.splits.train, "validation": prep.splits.validation,
                 "test": prep.splits.test}
        for name in SPLITS:
            parts[name].to_csv(run.split_path(name), index=False)
        labels = sorted(prep.splits.train["label"].unique().tolist())
        rows, extra = {name: len(frame) for name, frame in parts.items()}, {}
    spec: dict[str, Any] = {
        "config": prep.config.to_dict(),
        "model": prep.choice.card.to_dict(),
        "model_note": prep.choice.note,
        "adjusted": [change.to_dict() for change in prep.adjustments],
        "model_note_zh": prep.choice.note_zh,
        "labels": labels,
        **extra,
        "data": {"name": prep.data_name, "eval_name": prep.eval_name,
                 "held_out": prep.splits.held_out,
                 "held_out_zh": prep.splits.held_out_zh,
                 "rows": rows,
                 "report": prep.report.to_dict(),
                 "eval_report": prep.eval_report.to_dict() if prep.eval_report else None,
                 "warnings": prep.warnings, "warnings_zh": prep.warnings_zh},
        "created_at": time.time(),
    }
    write_json(run.config_path, spec)
    taken = [RunFolder(p).read_status().get("name") for p in runs_dir.iterdir() if p.is_dir()]
    run.update_status(state="queued", created_at=spec["created_at"],
                      name=default_name(prep.data_name, prep.config.task, filter(None, taken)))
    return run


def preflight(prep: Preparation) -> dict[str, Any]:
    """Time and memory a prepared run will need on this machine (a few timed steps)."""
    assert prep.splits is not None and prep.choice is not None
    if prep.choice.card.is_classic:
        return {"classic": True}
    from playground.training.preflight import estimate

    train = prep.splits.train
    if isinstance(prep.splits, EntitySplits):
        sample = [s.tokens for s in train[:prep.config.batch_size]]
        return estimate(prep.choice.card.location, sample, bio_tags(entity_types(train)),
                        prep.config.to_dict(), len(train), task="ner")
    return estimate(prep.choice.card.location, train["text"].sample(
        n=min(len(train), prep.config.batch_size), random_state=0).tolist(),
        sorted(train["label"].unique()), prep.config.to_dict(), len(train))
