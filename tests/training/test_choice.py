"""The served agent's choice, its reason, the verdict, and when an ETA is shown."""

from __future__ import annotations

from playground.training.callbacks import eta_seconds
from playground.training.choice import agent_choice, comparison_metric, verdict


def test_the_classic_model_is_chosen_only_when_strictly_better() -> None:
    chosen = agent_choice("accuracy", 0.625, 0.75)
    assert chosen["kind"] == "classic"
    assert chosen["validation"] == {"finetuned": 0.625, "classic": 0.75}
    assert "(accuracy 75% against 62%)" in chosen["reason"]
    assert "75%" in chosen["reason_zh"] and "经典模型" in chosen["reason_zh"]
    assert agent_choice("macro_f1", 0.75, 0.75)["kind"] == "finetuned"
    assert agent_choice("accuracy", None, 0.8)["kind"] == "classic"


def test_a_loss_metric_compares_accuracy_and_the_verdict_needs_more_than_majority() -> None:
    assert comparison_metric("loss") == "accuracy"
    assert comparison_metric("macro_f1") == "macro_f1"
    assert verdict(0.5, 0.5) == "no_better_than_majority"
    assert verdict(0.4, 0.5) == "no_better_than_majority"
    assert verdict(0.51, 0.5) == "ok"


def test_no_eta_until_enough_of_the_run_is_timed() -> None:
    assert eta_seconds(1, 400, 2.0) is None  # one step
    assert eta_seconds(20, 400, 10.0) is None  # 5% of the steps in 10 s
    assert eta_seconds(40, 400, 10.0) == 90.0  # 10%: 0.25 s a step, 360 to go
    assert eta_seconds(20, 400, 25.0) == 475.0  # 20 s timed
    assert eta_seconds(5, 10, 1.0) == 1.0
