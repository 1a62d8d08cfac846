"""The embedded model and the Chinese path on slices of real public data (shared/datasets)."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import SHARED_DATASETS

from playground.tasks.classify.agent import Agent
from playground.training.agents import load_agent
from playground.training.job import run_job

BANKING = SHARED_DATASETS / "banking77"
HOTELS = SHARED_DATASETS / "chnsenticorp_htl" / "ChnSentiCorp_htl_all.csv"


@pytest.mark.slow
def test_embedded_model_learns_banking_intents(make_run, tmp_path: Path) -> None:
    if not BANKING.exists():
        pytest.skip("shared/datasets/banking77 is not beside this checkout")
    train = pd.read_csv(BANKING / "train.csv")
    test = pd.read_csv(BANKING / "test.csv")
    labels = sorted(train["category"].unique())[:8]
    train = train[train["category"].isin(labels)].groupby("category").head(60)
    test = test[test["category"].isin(labels)]
    train.to_csv(tmp_path / "train.csv", index=False)
    test.to_csv(tmp_path / "test.csv", index=False)
    # The epochs as given (not fitted to the data, which would triple them on 480 rows):
    # the same model learns the same intents in a third of the time.
    run = make_run(tmp_path / "train.csv", tmp_path / "test.csv", epochs=3,
                   learning_rate=3e-4, max_length=64, early_stopping_patience=0,
                   fit_to_data=False)
    report = run_job(run, time.time())
    scores = report["scores"]
    assert report["model"].startswith("MiniLM")
    assert scores["majority"]["accuracy"] < 0.2
    assert scores["model"]["accuracy"] > 0.7, scores
    assert "test.csv" in report["held_out"]
    agent = load_agent(run.path)
    assert agent.predict([test["text"].iloc[0]])[0].label in labels
    # The fast paths label a real file as the plain fp32 one does.
    labelled, _ = agent.label_frame(test[["text"]])
    assert labelled["predicted_label"].tolist() == [p.label for p in agent.predict(test["text"])]
    fp32, bf16 = (Agent(run.model_dir, precision).probabilities(test["text"])
                  for precision in ("fp32", "bf16"))
    assert (fp32.argmax(axis=1) == bf16.argmax(axis=1)).all()


def test_chinese_reviews_take_the_classic_path(make_run, tmp_path: Path) -> None:
    if not HOTELS.exists():
        pytest.skip("shared/datasets/chnsenticorp_htl is not beside this checkout")
    sample = pd.read_csv(HOTELS).sample(n=2000, random_state=0)
    sample.to_csv(tmp_path / "hotels.csv", index=False)
    run = make_run(tmp_path / "hotels.csv")  # model "auto"
    spec = run.read_config()
    assert spec["model"]["id"] == "classic" and "Chinese" in spec["model_note"]
    assert spec["data"]["report"]["language"] == "zh"
    report = run_job(run, time.time())
    scores = report["scores"]
    assert scores["model"]["accuracy"] >= 0.85 > scores["majority"]["accuracy"]
    answer = load_agent(run.path).predict(["房间很干净，服务热情，下次还来"])[0]
    assert answer.label == "1"
