"""Real runs in-process: the classic model and a tiny transformer, end to end."""

from __future__ import annotations

import json
import time
from pathlib import Path

from conftest import tiny_settings

from playground.tasks.classify.agent import Agent
from playground.training.agents import load_agent
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
    assert "part of intents.csv held out" in report["held_out"]
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
    assert all(e["examples_per_s"] > 0 for e in train_events)
    # No ETA from the first steps' timing; one once enough of the run is timed.
    assert train_events[0]["eta_s"] is None
    assert all(e["eta_s"] >= 0 for e in train_events if e["step"] >= 12)
    assert report["scores"]["model"]["accuracy"] > report["scores"]["majority"]["accuracy"]
    assert report["precision"] == "fp32" and report["timings"]["first_loss_s"] > 0
    # Validation passes and checkpoint writes are timed apart from the training steps.
    assert report["timings"]["eval_s"] > 0 and report["timings"]["checkpoint_s"] > 0
    assert (run.model_dir / "model.safetensors").exists()
    assert (run.model_dir / "run_config.json").exists()
    assert not run.checkpoints_dir.exists()
    agent = load_agent(run.path)
    predictions = agent.predict(["refund my order please", "hello there friend"])
    assert [p.label for p in predictions] == ["refund", "greeting"]


def test_phases_are_announced_and_the_baselines_follow_training(
        make_run, intent_csv: Path, tiny_model_dir: Path) -> None:
    run = make_run(intent_csv, **tiny_settings(tiny_model_dir, epochs=2))
    report = run_job(run, time.time())
    events = run.read_events(0)[0]
    phases = [e for e in events if e["type"] == "phase"]
    named = [e["phase"] for e in phases]  # a phase repeats with the classic model's progress
    assert [p for i, p in enumerate(named) if named[i - 1:i] != [p]] == [
        "loading", "tokenizing", "training", "baselines", "calibrating", "saving"]
    assert all(e["message"] and e["message_zh"] != e["message"] for e in phases)
    types = [e["type"] for e in events]
    assert types.index("train") < types.index("baselines")  # the first loss comes first
    assert report["scores"]["majority"]["accuracy"] < report["scores"]["classic"]["accuracy"]


def test_the_classic_model_serves_when_it_beats_the_finetuned_one_on_validation(
        make_run, intent_csv: Path, tiny_model_dir: Path) -> None:
    # A few steps at a tiny learning rate: the fine-tuned model stays a random guess.
    run = make_run(intent_csv, **tiny_settings(tiny_model_dir, epochs=1, learning_rate=1e-7))
    report = run_job(run, time.time())
    agent = report["agent"]
    assert agent["kind"] == "classic" and agent["metric"] == "accuracy"
    assert agent["validation"]["classic"] > agent["validation"]["finetuned"]
    assert "classic model scored higher" in agent["reason"] and "经典模型" in agent["reason_zh"]
    scores = report["scores"]
    assert scores["model"]["accuracy"] == scores["classic"]["accuracy"]
    assert scores["finetuned"]["accuracy"] < scores["model"]["accuracy"]
    assert report["verdict"] == "ok"
    served = load_agent(run.path)
    assert served.kind == "classic" and served.predict(["refund my order"])[0].label == "refund"
    assert not (run.model_dir / "model.safetensors").exists()
    kept = Agent(run.finetuned_dir)  # the fine-tuned model, kept for comparison
    assert kept.kind == "transformer" and len(kept.predict(["hello there"])[0].probabilities) == 3


def test_the_finetuned_model_serves_when_it_is_as_good_and_is_calibrated(
        make_run, intent_csv: Path, tiny_model_dir: Path) -> None:
    run = make_run(intent_csv, **tiny_settings(tiny_model_dir))
    report = run_job(run, time.time())
    agent = report["agent"]
    assert agent["kind"] == "finetuned"
    assert agent["validation"]["finetuned"] >= agent["validation"]["classic"]
    assert report["scores"]["model"] == report["scores"]["finetuned"]
    calibration = report["calibration"]
    assert calibration["bins"] == 10 and calibration["temperature"] > 0
    assert 0 <= calibration["ece_after"] <= 1 and 0 <= calibration["ece_before"] <= 1
    saved = json.loads((run.model_dir / "labels.json").read_text())
    assert saved["temperature"] == calibration["temperature"]
    assert load_agent(run.path).temperature == calibration["temperature"]
    assert not run.finetuned_dir.exists()


def test_a_classic_run_reports_its_agent_and_verdict(make_run, intent_csv: Path) -> None:
    run = make_run(intent_csv, model="classic")
    report = run_job(run, time.time())
    assert report["agent"]["kind"] == "classic" and "finetuned" not in report["scores"]
    assert report["verdict"] == "ok" and report["calibration"]["temperature"] > 0
    events = [e for e in run.read_events(0)[0] if e["type"] == "phase"]
    phases = [e["phase"] for e in events]
    # Within a phase, the classic model's progress: its n-grams read, then its steps.
    assert [p for i, p in enumerate(phases) if phases[i - 1:i] != [p]] == \
        ["loading", "training", "calibrating", "saving"]
    said = [e["message"].split()[0] for e in events if e["phase"] == "training"]
    assert said[:2] == ["Fitting", "Reading"] and set(said[2:]) == {"Fitting"}


def test_events_say_when_early_stopping_may_end_the_run_sooner(
        make_run, intent_csv: Path, tiny_model_dir: Path) -> None:
    for patience, said in ((2, True), (0, False)):
        run = make_run(intent_csv, **tiny_settings(tiny_model_dir, epochs=2,
                                                   early_stopping_patience=patience))
        run_job(run, time.time())
        events = [e for e in run.read_events(0)[0] if e["type"] in ("train_begin", "train")]
        assert events and all(e["may_stop_early"] is said for e in events)
