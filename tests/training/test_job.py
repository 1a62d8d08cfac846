"""Real runs in-process: the classic model and a tiny transformer, end to end."""

from __future__ import annotations

import time
from pathlib import Path

from conftest import tiny_settings

from playground.training.agent import load_agent
from playground.training.job import run_job


def _event_types(run) -> list[str]:
    events, _ = run.read_events(0)
    return [e["type"] for e in events]


def test_classic_run_reports_three_scores_and_answers(make_run, intent_csv: Path) -> None:
    run = make_run(intent_csv, model="classic")
    report = run_job(run, time.time())
    scores = report["scores"]
    assert set(scores) == {"majority", "classic", "model"}
    assert scores["model"]["accuracy"] == scores["classic"]["accuracy"] > 0.9
    assert scores["majority"]["accuracy"] < 0.5
    assert "held-out part of intents.csv" in report["held_out"]
    assert report["held_out_zh"].startswith("intents.csv中按标签比例留出的 20%")
    assert run.read_config()["data"]["held_out_zh"] == report["held_out_zh"]
    assert report["scores"]["model"]["confusion_matrix"]["labels"] == report["labels"]
    agent = load_agent(run.path)
    assert agent.kind == "classic"
    answer = agent.predict(["I lost my card somewhere"])[0]
    assert answer.label == "lost_card"
    assert abs(sum(answer.probabilities.values()) - 1) < 1e-3
    assert "baselines" in _event_types(run) and "result" in _event_types(run)


def test_finetune_tiny_model_end_to_end(make_run, intent_csv: Path, tiny_model_dir: Path) -> None:
    run = make_run(intent_csv, **tiny_settings(tiny_model_dir))
    report = run_job(run, time.time())
    types = _event_types(run)
    assert types.count("train") >= 5 and types.count("eval") == 15
    train_events = [e for e in run.read_events(0)[0] if e["type"] == "train"]
    assert train_events[-1]["loss"] < train_events[0]["loss"]
    assert all(e["eta_s"] >= 0 and e["examples_per_s"] > 0 for e in train_events)
    assert report["scores"]["model"]["accuracy"] > report["scores"]["majority"]["accuracy"]
    assert report["precision"] == "fp32" and report["timings"]["first_loss_s"] > 0
    assert (run.model_dir / "model.safetensors").exists()
    assert (run.model_dir / "run_config.json").exists()
    assert not run.checkpoints_dir.exists()
    agent = load_agent(run.path)
    predictions = agent.predict(["refund my order please", "hello there friend"])
    assert [p.label for p in predictions] == ["refund", "greeting"]
