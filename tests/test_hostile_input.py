"""What a hostile file or question gets back: every file written for a user opens in a
spreadsheet without running a formula, and a question over the length limit gets a
sentence (en and zh) in the chat, the API and the command line, while a long text in a
file is read up to the limit, with the rows named.

Real agents: a classic intent run and a classic entity run, trained in-process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest
from conftest import intent_rows
from ner_samples import write_conll

from playground.config import RunConfig
from playground.data.limits import MAX_TEXT_CHARS
from playground.errors import DataError
from playground.runfolder import RunFolder
from playground.service.agents import ask
from playground.service.jobs import TrainingService
from playground.service.prepare import create_run, prepare
from playground.training.job import run_job

# A carriage return at the start does not survive reading a CSV; data/test_writing.py
# checks it is quoted all the same.
FORMULAS = ['=HYPERLINK("http://evil.example","click")', "+1+2", "-2+3", "@SUM(A1:A9)",
            "\tcmd"]
HEADER = "=cmd|' /C calc'!A0"  # a column name is a cell too
LONG_ROW = f"row {len(FORMULAS) + 4}"  # after the header, the formulas, "-5" and "hello"


def _trained(root: Path, data: Path, **settings) -> RunFolder:
    prep = prepare(data, RunConfig(model="classic", **settings))
    prep.raise_for_errors()
    run = create_run(root / "runs", prep)
    run_job(run, time.time())
    run.update_status(state="succeeded")
    return run


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, RunFolder]:
    root = tmp_path_factory.mktemp("hostile")
    intents = root / "intents.csv"
    pd.DataFrame(intent_rows(), columns=["text", "intent"]).to_csv(intents, index=False)
    return {"intents": _trained(root, intents),
            "entities": _trained(root, write_conll(root / "people.conll", count=60),
                                 task="ner")}


@pytest.fixture
def hostile_csv(tmp_path: Path) -> Path:
    """Texts that are formulas, a plain negative number, and one text over the limit."""
    long_text = "I lost my card " * (MAX_TEXT_CHARS // 10)
    frame = pd.DataFrame({"text": [*FORMULAS, "-5", "hello there", long_text],
                          HEADER: ["=1+1"] * (len(FORMULAS) + 3)})
    path = tmp_path / "texts.csv"
    frame.to_csv(path, index=False)
    return path


def _assert_no_formula(path: Path) -> pd.DataFrame:
    """Every cell and column name of the written file, as a spreadsheet reads it."""
    written = pd.read_csv(path, dtype=str, keep_default_na=False)
    cells = [*written.columns, *written.to_numpy().ravel().tolist()]
    running = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r") and c != "-5"]
    assert not running, running
    assert f"'{HEADER}" in written.columns
    assert set(written[f"'{HEADER}"]) == {"'=1+1"}
    texts = written["text"].tolist()
    assert texts[:len(FORMULAS)] == ["'" + f for f in FORMULAS]
    assert texts[len(FORMULAS)] == "-5"  # a number runs nothing: left as it is
    return written


def _context(run: RunFolder):
    from playground.ui.context import Context

    return Context(service=TrainingService(run.path.parent, serve=False), t=None,
                   session=None, browser_run=None)


def test_the_labelled_file_from_the_page_runs_no_formula(runs, hostile_csv: Path) -> None:
    from playground.ui.tab_test import label_file

    run = runs["intents"]
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        out = label_file(_context(run), run.run_id, str(hostile_csv), "en")[0]
    written = _assert_no_formula(Path(out))
    assert {"predicted_label", "confidence", "top3"} <= set(written.columns)
    assert any(f"({LONG_ROW}, counting the header as row 1)" in str(w.message) for w in said)


def test_testing_on_a_file_names_the_long_rows(runs, tmp_path: Path) -> None:
    from playground.ui.tab_test import test_on_file

    run, rows = runs["intents"], intent_rows(per_label=4)
    rows[2] = ("I lost my card " * (MAX_TEXT_CHARS // 10), "lost_card")
    data = tmp_path / "labelled.csv"
    pd.DataFrame(rows, columns=["text", "intent"]).to_csv(data, index=False)
    with pytest.warns(UserWarning, match=r"1 text is longer than 5,000 characters \(row 4,"):
        summary = test_on_file(_context(run), run.run_id, str(data), "en")[0]
    assert "12 rows" in summary


def test_the_entities_file_from_the_page_runs_no_formula(runs, hostile_csv: Path) -> None:
    from playground.tasks.entities.views import label_file

    frame = pd.read_csv(hostile_csv, dtype=str, keep_default_na=False)
    with pytest.warns(UserWarning, match=f"第 {LONG_ROW[4:]} 行，表头算第 1 行"):
        out = label_file(runs["entities"], frame, "texts", "zh")[0]
    assert "entities_json" in _assert_no_formula(Path(out)).columns


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "playground", *args], capture_output=True,
                          text=True, timeout=300)


def test_predict_csv_runs_no_formula_and_names_the_long_rows(runs, hostile_csv: Path) -> None:
    for kind, run in runs.items():
        result = _cli("predict", str(run.path), "--csv", str(hostile_csv), "--text-col", "text")
        assert result.returncode == 0, result.stderr
        name = "predictions" if kind == "intents" else "entities"
        _assert_no_formula(hostile_csv.with_name(f"texts.{name}.csv"))
        assert f"1 text is longer than 5,000 characters ({LONG_ROW}," in result.stderr


def test_a_long_text_in_a_file_is_read_up_to_the_limit(runs) -> None:
    from playground.training.agents import load_agent

    agent = load_agent(runs["intents"].path)
    start = "I lost my card " * (MAX_TEXT_CHARS // 15)
    long_text = start[:MAX_TEXT_CHARS] + "hello there good morning " * 10_000
    assert agent.predict([long_text]) == agent.predict([long_text[:MAX_TEXT_CHARS]])


def test_a_question_over_the_limit_gets_a_sentence_in_chat_and_cli(runs) -> None:
    run = runs["intents"]
    question = "x" * (MAX_TEXT_CHARS + 1)
    with pytest.raises(DataError, match="5,001 characters long; an agent reads at most "
                                        "5,000") as caught:
        ask(run, question)
    assert "5,001" in caught.value.zh and caught.value.hint
    assert ask(run, "x" * MAX_TEXT_CHARS).label  # at the limit: answered
    result = _cli("predict", str(run.path), question)
    assert result.returncode != 0 and "an agent reads at most 5,000" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_question_over_the_limit_gets_a_sentence_from_the_api(runs) -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from playground.ui.http_api import API_PREFIX, add_api_routes

    run = runs["intents"]
    app = FastAPI()
    add_api_routes(app, TrainingService(run.path.parent, serve=False), api_key=None)
    url = f"{API_PREFIX}/agents/{run.run_id}/ask"
    with TestClient(app) as client:
        refused = client.post(url, json={"text": "my card " * 150_000})  # 1.2 MB: not read
        long = client.post(url, json={"text": "my card " * 700})  # 5,600 characters
        answered = client.post(url, json={"text": "I lost my card"})
    assert refused.status_code == 413
    detail = refused.json()["detail"]
    assert "a question is at most 5,000 characters" in detail["error"] and "5,000" in detail["zh"]
    assert long.status_code == 400 and "an agent reads at most 5,000" in long.json()["detail"][
        "error"]
    assert answered.status_code == 200 and answered.json()["label"] == "lost_card"
    assert json.dumps(answered.json())


def test_an_ask_without_text_gets_the_api_sentence_shape(runs) -> None:
    """No body, a body that is not a JSON object, without "text", or a text that is not a
    string: a 400 with the error, hint and zh of every other refusal (not FastAPI's raw
    422 or a 500)."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from playground.ui.http_api import API_PREFIX, add_api_routes

    run = runs["intents"]
    app = FastAPI()
    add_api_routes(app, TrainingService(run.path.parent, serve=False), api_key=None)
    url = f"{API_PREFIX}/agents/{run.run_id}/ask"
    with TestClient(app) as client:
        answers = [client.post(url), client.post(url, json={"question": "hi"}),
                   client.post(url, json={"text": 5}), client.post(url, json={"text": None}),
                   client.post(url, content=b"not json"), client.post(url, json=[1, 2]),
                   client.post(url, content=b"[" * 20_000)]  # nested past Python's recursion
    for answer in answers:
        assert answer.status_code == 400, answer.text
        detail = answer.json()["detail"]
        assert '"text"' in detail["error"] and "your question" in detail["hint"]
        assert "text" in detail["zh"] and "你的问题" in detail["zh"]


def test_json_nested_too_deeply_gets_a_sentence_not_a_traceback(tmp_path: Path) -> None:
    """Python reads JSON by recursion: 100,000 "[" overflowed it (RecursionError) in a
    data file, a chat file, a settings file, and on the command line."""
    from playground import tasks
    from playground.data import read_table
    from playground.errors import ConfigError

    deep = "[" * 100_000 + "]" * 100_000
    lines = tmp_path / "nested.jsonl"
    lines.write_text('{"text": "hi", "label": "a"}\n' + deep + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="not valid JSON") as found:
        read_table(lines)
    assert "nested too deeply" in found.value.text("en") and "JSON" in found.value.text("zh")
    with pytest.raises(DataError, match="not valid JSON"):
        tasks.part("chat", "prepare").preview(lines, None, None, "classic", 5)
    settings = tmp_path / "nested.json"
    settings.write_text(deep, encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid JSON"):
        RunConfig.from_json(settings)
    settings.write_bytes(b"\xff\xfe{}")
    with pytest.raises(ConfigError, match=r"not text \(UTF-8\)") as found:
        RunConfig.from_json(settings)
    assert "codec" not in found.value.text("zh")
    done = subprocess.run([sys.executable, "-m", "playground", "train", "--data", str(lines),
                           "--model", "classic"], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "Traceback" not in done.stderr + done.stdout
    assert "not valid JSON" in done.stderr + done.stdout


def test_the_command_line_names_a_folder_and_refuses_an_empty_question(runs, tmp_path) -> None:
    for command, said in (
            (["train", "--data", str(tmp_path), "--model", "classic"], "is a folder, not a file"),
            (["predict", str(runs["intents"].path), "  "], "The text is empty")):
        done = subprocess.run([sys.executable, "-m", "playground", *command],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode != 0 and said in done.stderr + done.stdout, done.stderr
        assert "Traceback" not in done.stderr
