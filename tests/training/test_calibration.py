"""Temperature scaling and calibration error, and the agent's use of its temperature."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from playground.training.agents import load_agent
from playground.training.calibration import (
    expected_calibration_error,
    fit_temperature,
    nll,
    softmax,
)
from playground.training.job import run_job


def _overconfident(rows: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Logits of a model right 70% of the time that always says it is ~99% sure."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, rows)
    guess = np.where(rng.random(rows) < 0.7, truth, (truth + 1) % 3)
    logits = rng.normal(0, 0.1, (rows, 3))
    logits[np.arange(rows), guess] += 6.0
    return logits, truth


def test_temperature_of_an_overconfident_model_is_above_one_and_lowers_nll() -> None:
    logits, truth = _overconfident()
    t = fit_temperature(logits, truth)
    assert t > 1.5
    assert nll(logits, truth, t) < nll(logits, truth) - 0.5
    before = expected_calibration_error(softmax(logits), truth)
    after = expected_calibration_error(softmax(logits, t), truth)
    assert before > 0.25 and after < 0.05  # about 0.29: 99% sure, 70% right


def test_temperature_stays_finite_when_every_validation_row_is_right() -> None:
    logits = np.array([[3.0, 0.0], [0.0, 3.0], [2.5, 0.0]])
    t = fit_temperature(logits, np.array([0, 1, 0]))
    assert 0.05 < t < 1.0  # sharper, but not infinitely sure from three rows


def test_expected_calibration_error_of_known_bins() -> None:
    # Two rows at 0.9 confidence, one right: |0.5 - 0.9| for the whole set.
    probabilities = np.array([[0.9, 0.1], [0.9, 0.1]])
    assert expected_calibration_error(probabilities, np.array([0, 1])) == 0.4
    assert expected_calibration_error(probabilities, np.array([0, 0])) == 0.1


def test_the_agent_applies_its_temperature_and_loads_without_one(
        make_run, intent_csv: Path) -> None:
    run = make_run(intent_csv, model="classic")
    run_job(run, time.time())
    labels_path = run.model_dir / "labels.json"
    saved = json.loads(labels_path.read_text())
    texts = ["I lost my card somewhere", "good morning"]
    saved.pop("temperature")  # an agent made before calibration
    labels_path.write_text(json.dumps(saved))
    old = load_agent(run.path)
    assert old.temperature == 1.0
    raw = old._classic.predict_proba(texts)[:, [old._classic.labels.index(label)
                                                 for label in old.labels]]
    assert np.allclose(old.probabilities(texts), raw)
    labels_path.write_text(json.dumps({**saved, "temperature": 2.0}))
    warm = load_agent(run.path)
    assert np.allclose(warm.probabilities(texts), softmax(np.log(raw), 2.0))
    assert warm.predict(texts)[0].confidence < old.predict(texts)[0].confidence
    assert warm.predict(texts)[0].label == old.predict(texts)[0].label == "lost_card"


def test_a_classic_agent_is_calibrated_on_held_out_rows_and_answers_with_it(
        make_run, tmp_path: Path) -> None:
    """The classic model serves with the temperature fitted on the validation rows (saved
    beside it, reported in report.json); on the held-out rows it is no worse calibrated."""
    import pandas as pd

    from playground.tasks.classify.classic import ClassicModel
    from playground.training.calibration import is_fitted_temperature

    assets = Path(__file__).resolve().parents[2] / "assets"
    run = make_run(assets / "banking_intents_en.csv", model="classic")
    report = run_job(run, time.time())
    calibration = report["calibration"]
    assert report["agent"]["kind"] == "classic"
    assert calibration["ece_after"] <= calibration["ece_before"]
    saved = json.loads((run.model_dir / "labels.json").read_text())
    assert saved["temperature"] == calibration["temperature"] != 1.0
    assert is_fitted_temperature(saved["temperature"])

    texts = pd.read_csv(run.split_path("test"), dtype=str, keep_default_na=False)["text"]
    agent, classic = load_agent(run.path), ClassicModel.load(run.model_dir)
    order = [classic.labels.index(label) for label in agent.labels]
    expected = softmax(classic.logits(texts)[:, order], saved["temperature"])
    assert np.allclose(agent.probabilities(texts), expected)
    assert not np.allclose(agent.probabilities(texts), softmax(classic.logits(texts)[:, order]))
