"""Everything that happens before a run is queued: read, check, choose a model, split.

``prepare`` never trains anything; it returns what it found (data statistics, every
problem as a sentence, the model picked and why), so the command line and the web app
can show it before the user commits to a run. ``create_run`` then writes the run folder.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground import tasks
from playground.catalog import CAUSAL_LM, Choice, choose
from playground.config import RunConfig
from playground.data.report import DataReport
from playground.errors import DataError
from playground.runfolder import RunFolder, new_run_id, write_json
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
    splits: Any = None  # the task's own splits (train, validation, test, held_out)
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
    if card.family == CAUSAL_LM:  # a chat model that writes no Chinese
        if lang == "zh":
            return (f"你的数据是中文，但 {card.name_in('zh')} 只会写{card.language_names_zh}："
                    "它学不会用中文回答。请选择 auto，或 Qwen/Qwen2.5-0.5B-Instruct "
                    "这样会写中文的对话模型。")
        return (f"Your data is Chinese, but {card.name} writes only {card.language_names}: "
                "it will not learn to answer in Chinese. Choose 'auto', or a chat model "
                "that writes Chinese such as Qwen/Qwen2.5-0.5B-Instruct.")
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


def choose_model(prep: Preparation, language: str) -> None:
    """Pick the config's model for data in ``language``, for every task alike: a classic
    model reads every text whole (no cut-off at the max length, so no warning that the
    ends are cut), and a model that cannot read the language gets a note."""
    spec = tasks.spec(prep.config.task)
    prep.choice = choose(prep.config.model, language, spec.model_family, spec.has_classic)
    if prep.choice.card.is_classic:
        for checked in filter(None, (prep.report, prep.eval_report)):
            checked.problems = [p for p in checked.problems if p.code != "long_texts"]
    note = language_note(prep.choice, language)
    if note:
        prep.notes.append((note, language_note(prep.choice, language, "zh") or note))


def prepare(data_path: str | Path, config: RunConfig,
            eval_path: str | Path | None = None) -> Preparation:
    """Read and check the data, pick the model, and split, as the config's task does it.
    Raises DataError for a file that cannot be read at all and ModelError for a model
    that cannot be used; other data problems are listed in the result (see ``errors``)."""
    config.validate()
    return tasks.part(config.task, "prepare").prepare(data_path, config, eval_path)


def split_when_clean(prep: Preparation, split: Callable[[], Any]) -> Preparation:
    """The end every task's ``prepare`` shares: unless the checks found errors, choose the
    model (which may add its own), split with ``split()``, fit the settings to the split."""
    if any(r.errors for r in filter(None, (prep.report, prep.eval_report))):
        return prep
    choose_model(prep, prep.report.language)
    if prep.errors:
        return prep
    prep.splits = split()
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


def create_run(runs_dir: str | Path, prep: Preparation, lang: str = "en") -> RunFolder:
    """Write a prepared run's folder (config, data splits, queued status); its default
    name is in ``lang``, the language of the page that started it."""
    prep.raise_for_errors()
    assert prep.splits is not None and prep.choice is not None
    runs_dir = Path(runs_dir)
    runs_dir.mkdir(parents=True, exist_ok=True)
    run = RunFolder(runs_dir / new_run_id())
    run.split_path("train").parent.mkdir(parents=True)
    written = tasks.part(prep.config.task, "prepare").write_splits(run, prep.splits)
    extra = {key: value for key, value in written.items() if key not in ("labels", "rows")}
    spec: dict[str, Any] = {
        "config": prep.config.to_dict(),
        "model": prep.choice.card.to_dict(),
        "model_note": prep.choice.note,
        "adjusted": [change.to_dict() for change in prep.adjustments],
        "model_note_zh": prep.choice.note_zh,
        "labels": written["labels"],
        **extra,
        "data": {"name": prep.data_name, "eval_name": prep.eval_name,
                 "held_out": prep.splits.held_out,
                 "held_out_zh": prep.splits.held_out_zh,
                 "rows": written["rows"],
                 "report": prep.report.to_dict(),
                 "eval_report": prep.eval_report.to_dict() if prep.eval_report else None,
                 "warnings": prep.warnings, "warnings_zh": prep.warnings_zh},
        "created_at": time.time(),
    }
    write_json(run.config_path, spec)
    taken = [RunFolder(p).read_status().get("name") for p in runs_dir.iterdir() if p.is_dir()]
    run.update_status(state="queued", created_at=spec["created_at"],
                      name=default_name(prep.data_name, tasks.spec(prep.config.task),
                                        filter(None, taken), lang))
    return run


def preflight(prep: Preparation) -> dict[str, Any]:
    """Time and memory a prepared run will need on this machine (a few timed steps)."""
    assert prep.splits is not None and prep.choice is not None
    if prep.choice.card.is_classic:
        return {"classic": True}
    return tasks.part(prep.config.task, "prepare").estimate(prep)
