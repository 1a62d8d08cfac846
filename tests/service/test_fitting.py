"""Settings fitted to the data: what changes for a small sheet, and nothing for a big one."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from conftest import intent_rows
from ner_samples import write_conll

from playground.config import RunConfig
from playground.runfolder import read_json
from playground.service.fitting import fit_settings
from playground.service.prepare import create_run, prepare


def test_a_small_sheet_gets_smaller_batches_more_epochs_and_patience() -> None:
    config, changes = fit_settings(RunConfig(), train_rows=56, validation_rows=8)
    assert (config.batch_size, config.epochs, config.early_stopping_patience) == (8, 18.0, 5)
    assert [(c.field, c.old, c.new) for c in changes] == [
        ("batch_size", 32, 8), ("epochs", 5.0, 18.0), ("early_stopping_patience", 2, 5)]
    assert all(c.why and c.why_zh and c.why != c.why_zh for c in changes)
    assert "56 training rows" in changes[0].why and "2 steps per epoch" in changes[0].why


def test_data_the_defaults_fit_changes_nothing() -> None:
    for rows in (1000, 10_000, 1_000_000):
        config, changes = fit_settings(RunConfig(), train_rows=rows, validation_rows=rows // 8)
        assert changes == [] and config == RunConfig()


def test_limits_of_the_fit() -> None:
    tiny, _ = fit_settings(RunConfig(), train_rows=8, validation_rows=3)
    assert tiny.batch_size == 8 and tiny.epochs == 40  # never below 8, never above 40
    patient, changes = fit_settings(RunConfig(early_stopping_patience=0, batch_size=8,
                                              epochs=30), train_rows=64, validation_rows=8)
    assert changes == [] and patient.early_stopping_patience == 0  # 0: never stop early
    accumulated, _ = fit_settings(RunConfig(gradient_accumulation=4), 200, 25)
    assert accumulated.batch_size == 8  # 8 x 4 per step: 7 steps per epoch is the most


def test_prepare_records_and_stores_the_fitted_settings(tmp_path: Path,
                                                        tiny_model_dir: Path) -> None:
    data = tmp_path / "small.csv"
    pd.DataFrame(intent_rows(per_label=27), columns=["text", "intent"]).to_csv(data, index=False)
    prep = prepare(data, RunConfig(model=str(tiny_model_dir)))
    assert prep.config.batch_size == 8 and prep.config.epochs > 5
    assert {c.field for c in prep.adjustments} == {"batch_size", "epochs",
                                                   "early_stopping_patience"}
    spec = read_json(create_run(tmp_path / "runs", prep).config_path)
    assert spec["config"]["batch_size"] == 8
    assert spec["adjusted"][0] == prep.adjustments[0].to_dict()
    assert set(spec["adjusted"][0]) == {"field", "old", "new", "why", "why_zh"}

    kept = prepare(data, RunConfig(model=str(tiny_model_dir), fit_to_data=False))
    assert kept.adjustments == [] and kept.config.batch_size == 32
    classic = prepare(data, RunConfig(model="classic"))
    assert classic.adjustments == [] and classic.config == RunConfig(model="classic")


def test_named_entity_runs_fit_by_sentences(tmp_path: Path, tiny_model_dir: Path) -> None:
    data = write_conll(tmp_path / "small.conll", count=60)
    prep = prepare(data, RunConfig(model=str(tiny_model_dir), task="ner"))
    assert prep.config.batch_size == 8
    assert f"{len(prep.splits.train)} training rows" in prep.adjustments[0].why
