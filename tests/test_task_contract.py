"""The contract every registered task keeps, run for real on a tiny model: read, check,
split, write the run, baselines and a tiny training, answer, evaluate a labelled file,
label a file, and a bundle round trip. A new task needs a sample here (``SAMPLES``) and
then passes this test or fails it with a sentence that says what is missing."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from conftest import INTENTS, intent_rows, tiny_settings
from ner_samples import write_conll

from playground import tasks
from playground.config import RunConfig
from playground.errors import BundleError
from playground.service.agents import agent_for, ask
from playground.service.bundles import export_bundle, import_bundle
from playground.service.prepare import create_run, prepare
from playground.training.job import run_job


def _texts(folder: Path) -> tuple[Path, Path, list[str]]:
    train, test = folder / "train.csv", folder / "labelled.csv"
    pd.DataFrame(intent_rows(30, seed=0), columns=["text", "intent"]).to_csv(train, index=False)
    pd.DataFrame(intent_rows(4, seed=1), columns=["text", "intent"]).to_csv(test, index=False)
    return train, test, ["I lost my card", "hello there friend", "refund my order please"]


def _entities(folder: Path) -> tuple[Path, Path, list[str]]:
    return (write_conll(folder / "train.conll", 120, seed=0),
            write_conll(folder / "labelled.conll", 20, seed=1),
            ["anna lives in paris now", "call john when you reach tokyo", "nothing here"])


def _chats(folder: Path) -> tuple[Path, Path, list[str]]:
    rows = [(f"{phrase} {i}", f"my name is ada and {label.replace('_', ' ')}")
            for label, phrases in INTENTS.items() for phrase in phrases for i in range(4)]
    train, test = folder / "qa.csv", folder / "labelled.csv"
    pd.DataFrame(rows, columns=["question", "answer"]).to_csv(train, index=False)
    pd.DataFrame(rows[::5], columns=["question", "answer"]).to_csv(test, index=False)
    return train, test, ["what is your name", "hello there friend", "I lost my card"]


# task -> (folder) -> training file, a labelled file to evaluate, questions to ask
SAMPLES: dict[str, Callable[[Path], tuple[Path, Path, list[str]]]] = {
    "text-classification": _texts,
    "ner": _entities,
    "chat": _chats,
}
# task -> the tiny model fixture it trains (a classifier body, or a language model)
MODELS = {"chat": "tiny_chat_model_dir"}


@pytest.mark.parametrize("name", tasks.names())
def test_a_task_goes_from_file_to_bundle(name: str, tmp_path: Path,
                                         request: pytest.FixtureRequest) -> None:
    assert name in SAMPLES, (f"The task {name!r} has no sample for the contract test: add "
                             "a function writing a small training file to SAMPLES.")
    spec = tasks.spec(name)
    data, labelled, questions = SAMPLES[name](tmp_path)
    tiny_model_dir = request.getfixturevalue(MODELS.get(name, "tiny_model_dir"))

    # read, check, split: every problem a sentence in both languages
    found = tasks.part(name, "prepare").preview(data, None, None, "auto", 5)
    assert found.report.ok and len(found.rows) == 5
    assert found.report.summary_lines() and found.report.summary_lines_zh()
    prep = prepare(data, RunConfig(task=name, **tiny_settings(tiny_model_dir, epochs=8)))
    assert not prep.errors, prep.errors
    run = create_run(tmp_path / "runs", prep)
    config = run.read_config()
    assert isinstance(config["labels"], list) and sum(config["data"]["rows"].values()) > 0

    # baselines and a tiny real training, through the one job flow
    report = run_job(run, time.time())
    run.update_status(state="succeeded")
    headline = spec.headline
    assert report["task"] == name and report["headline"]["metric"] == headline
    assert 0 <= report["scores"]["majority"][headline] <= report["headline"]["value"] <= 1
    assert ("classic" in report["scores"]) == spec.has_classic

    # answer, evaluate a labelled file, label a file
    replies = [ask(run, question) for question in questions]
    assert all(reply.text for reply in replies)
    scored = tasks.part(name, "evaluate").evaluate_file(run, labelled)
    assert scored["rows"] > 0 and 0 <= scored["scores"][headline] <= 1
    agent = agent_for(run.path)
    out, column = agent.label_frame(pd.DataFrame({"text": questions}))
    assert column == "text" and len(out) == len(questions) and len(out.columns) > 1

    # bundle round trip: the imported agent answers as the exported one (a task whose
    # agents cannot be bundled yet says so in a sentence)
    if not spec.bundles:
        with pytest.raises(BundleError, match="cannot go into a bundle yet"):
            export_bundle(run.path, tmp_path / "agent.agent.zip")
        return
    imported = import_bundle(export_bundle(run.path, tmp_path / "agent.agent.zip"),
                             tmp_path / "other-runs")
    assert [ask(imported, q).to_dict() for q in questions] == [r.to_dict() for r in replies]
