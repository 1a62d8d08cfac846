"""Real named-entity runs: the tiny transformer in-process and through the worker, the
classic model on the bundled Chinese sample, and the agents they leave behind."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from conftest import tiny_settings
from ner_samples import write_conll

from playground.recipes import assets_dir
from playground.service.jobs import TrainingService
from playground.tasks.entities.agent import EntityAgent
from playground.training.agents import load_agent
from playground.training.job import run_job


def _events(run) -> list[dict]:
    return run.read_events(0)[0]


def test_tiny_transformer_learns_entities_and_finds_them_in_text(
        make_run, tmp_path: Path, tiny_model_dir: Path) -> None:
    data = write_conll(tmp_path / "people.conll", count=120)
    run = make_run(data, task="ner", **tiny_settings(tiny_model_dir, epochs=10))
    spec = run.read_config()
    assert spec["entity_types"] == ["LOC", "PER"]
    assert spec["labels"] == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    assert run.entity_split_path("train").exists() and not run.split_path("train").exists()
    report = run_job(run, time.time())
    assert report["task"] == "ner" and report["labels"] == ["LOC", "PER"]
    scores = report["scores"]
    assert set(scores) == {"majority", "classic", "model", "finetuned"}
    assert scores["majority"]["f1"] == 0.0
    assert scores["model"]["f1"] > 0.8, scores["model"]
    assert report["agent"]["metric"] == "f1" and report["verdict"] == "ok"
    assert set(report["agent"]["validation"]) == {"finetuned", "classic"}
    phases = [e["phase"] for e in _events(run) if e["type"] == "phase"]
    assert phases == ["loading", "tokenizing", "training", "baselines", "calibrating", "saving"]
    assert set(scores["model"]["per_type"]) == {"LOC", "PER"}
    evals = [e for e in _events(run) if e["type"] == "eval"]
    assert len(evals) == 10 and all("f1" in e and "precision" in e for e in evals)
    train = [e for e in _events(run) if e["type"] == "train"]
    assert train[-1]["loss"] < train[0]["loss"]
    result = next(e for e in _events(run) if e["type"] == "result")
    assert result["f1"] == scores["model"]["f1"]

    agent = load_agent(run.path)
    assert isinstance(agent, EntityAgent) and agent.task == "ner"
    assert agent.kind == "transformer" and agent.labels == ["LOC", "PER"]
    text = "Yesterday  Sophie flew to Vienna"
    found = agent.find([text, ""])
    assert [(e.text, e.type) for e in found[0]] == [("Sophie", "PER"), ("Vienna", "LOC")]
    assert all(text[e.start:e.end] == e.text and 0 < e.confidence <= 1 for e in found[0])
    assert found[1] == []


def test_the_classic_entity_model_serves_when_it_beats_the_finetuned_one(
        make_run, tmp_path: Path, tiny_model_dir: Path) -> None:
    data = write_conll(tmp_path / "people.conll", count=60)
    run = make_run(data, task="ner", **tiny_settings(tiny_model_dir, epochs=1,
                                                     learning_rate=1e-7))
    report = run_job(run, time.time())
    agent = report["agent"]
    assert agent["kind"] == "classic"
    assert agent["validation"]["classic"] > agent["validation"]["finetuned"]
    assert report["scores"]["model"]["f1"] > report["scores"]["finetuned"]["f1"]
    assert load_agent(run.path).kind == "classic"
    assert EntityAgent(run.finetuned_dir).kind == "transformer"


def test_lora_and_head_methods_train_a_token_classifier(
        make_run, tmp_path: Path, tiny_model_dir: Path) -> None:
    data = write_conll(tmp_path / "people.conll", count=40)
    for method in ("lora", "head"):
        run = make_run(data, task="ner", method=method,
                       **tiny_settings(tiny_model_dir, epochs=1))
        report = run_job(run, time.time())
        assert report["method"] == method
        assert report["parameters"]["trainable"] < report["parameters"]["total"]
        agent = load_agent(run.path)  # LoRA is merged: a plain token classifier is saved
        assert isinstance(agent, EntityAgent)
        found = agent.find(["anna in paris"])[0]
        assert all(e.type in ("PER", "LOC") and 0 < e.confidence <= 1 for e in found)


def test_chinese_sample_trains_with_auto_and_highlights_entities(make_run) -> None:
    run = make_run(assets_dir() / "msra_ner_zh_sample.conll", task="ner")  # model "auto"
    spec = run.read_config()
    assert spec["model"]["id"] == "classic" and spec["data"]["report"]["language"] == "zh"
    report = run_job(run, time.time())
    assert report["scores"]["model"]["f1"] > report["scores"]["majority"]["f1"] == 0.0
    agent = load_agent(run.path)
    assert agent.kind == "classic"
    text = "国务院总理李鹏今天在北京会见了美国客人。"
    found = {(e.text, e.type) for e in agent.find([text])[0]}
    assert {("国务院", "ORG"), ("美国", "LOC")} <= found, found
    assert all(text[e.start:e.end] == e.text for e in agent.find([text])[0])


def test_entity_run_through_the_service_and_worker(runs_dir: Path, make_run, tmp_path: Path,
                                                   tiny_model_dir: Path) -> None:
    data = write_conll(tmp_path / "people.conll", count=60)
    test = write_conll(tmp_path / "test.conll", count=20, seed=7)
    run = make_run(data, test, task="ner", **tiny_settings(tiny_model_dir, epochs=2))
    service = TrainingService(runs_dir, poll_s=0.1, gpu_count=0)
    try:
        service.submit(run)
        status = service.wait(run.run_id, timeout_s=240)
    finally:
        service.shutdown()
    assert status["state"] == "succeeded", run.log_path.read_text()[-2000:]
    report = json.loads(run.report_path.read_text())
    assert report["task"] == "ner" and "test.conll" in report["held_out"]
    assert report["test_rows"] == 20
    assert "entity F1" in run.log_path.read_text()
    row = next(r for r in service.list_runs() if r["run_id"] == run.run_id)
    assert row["accuracy"] is not None  # token accuracy: lists show the run as finished


@pytest.mark.parametrize("bad", ["Anna PERSON\nsmiles O\n", "just O\nwords O\n"])
def test_bad_entity_data_stops_before_a_run(tmp_path: Path, bad: str) -> None:
    from playground.config import RunConfig
    from playground.errors import DataError
    from playground.service.prepare import prepare

    path = tmp_path / "bad.conll"
    path.write_text(bad, encoding="utf-8")
    prep = prepare(path, RunConfig(task="ner", model="classic"))
    assert prep.errors and prep.splits is None
    with pytest.raises(DataError):
        prep.raise_for_errors()
