"""The service's entity calls on a real classic entity run: find, highlight, score a file."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import tiny_settings
from ner_samples import write_conll

from playground.config import RunConfig
from playground.errors import RunError
from playground.service.agents import ask
from playground.service.prepare import preflight, prepare
from playground.tasks.entities.evaluate import entity_agent, evaluate_file
from playground.training.job import run_job


@pytest.fixture
def entity_run(make_run, tmp_path: Path):
    run = make_run(write_conll(tmp_path / "people.conll", count=150), task="ner",
                   model="classic")
    run_job(run, time.time())
    return run


def test_the_agent_finds_entities_at_their_offsets(entity_run) -> None:
    text = "yesterday maria flew to madrid"
    found = ask(entity_run, text).entities
    assert [(e["text"], e["type"]) for e in found] == [("maria", "PER"), ("madrid", "LOC")]
    assert all(text[e["start"]:e["end"]] == e["text"] for e in found)


def test_evaluate_a_tagged_file(entity_run, tmp_path: Path) -> None:
    test = write_conll(tmp_path / "test.conll", count=30, seed=9)
    result = evaluate_file(entity_run, test)
    assert result["rows"] == 30
    assert result["scores"]["f1"] > 0.9 and result["majority"]["f1"] == 0.0
    assert set(result["scores"]["per_type"]) == {"LOC", "PER"}
    assert list(result["mistakes"].columns) == ["text", "entities", "predicted"]


def test_an_intent_run_is_not_an_entity_agent(make_run, intent_csv: Path) -> None:
    run = make_run(intent_csv, model="classic")
    run_job(run, time.time())
    with pytest.raises(RunError, match="does not find entities"):
        entity_agent(run)


def test_preflight_times_a_token_classifier(tmp_path: Path, tiny_model_dir: Path) -> None:
    prep = prepare(write_conll(tmp_path / "p.conll", count=40),
                   RunConfig(task="ner", **tiny_settings(tiny_model_dir)))
    estimate = preflight(prep)
    assert estimate["per_step_s"] > 0 and estimate["steps"] > 0 and estimate["memory_mb"] > 0
