"""``playground train --task ner`` as a user runs it: entity-level metrics in --json."""

from __future__ import annotations

import json
from pathlib import Path

from ner_samples import write_conll
from test_cli import playground


def test_train_ner_json_reports_entity_metrics(tmp_path: Path, tiny_model_dir: Path) -> None:
    data = write_conll(tmp_path / "people.conll", count=60)
    result = playground("train", "--task", "ner", "--data", str(data), "--json",
                        "--runs-dir", str(tmp_path / "runs"), "--model", str(tiny_model_dir),
                        "--epochs", "2", "--lr", "1e-3", "--batch-size", "8",
                        "--max-length", "32", "--precision", "fp32",
                        "--no-fit-to-data")  # the two epochs as given, not fitted to 60 rows
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["status"] == "succeeded" and summary["task"] == "ner"
    assert set(summary["metrics"]) == {"precision", "recall", "f1", "baseline_f1",
                                       "classic_f1"}
    assert summary["metrics"]["baseline_f1"] == 0.0
    assert 0.0 <= summary["metrics"]["f1"] <= 1.0
    report = json.loads((Path(summary["run_dir"]) / "report.json").read_text())
    assert summary["metrics"]["f1"] == report["scores"]["model"]["f1"]
    assert "entity-level, strict spans" in result.stderr and "PER" in result.stderr


def test_ner_file_with_unknown_tags_exits_2_with_a_sentence(tmp_path: Path) -> None:
    data = tmp_path / "bad.conll"
    data.write_text("Anna PERSON\nsmiles O\n\nBo PERSON\nhi O\n", encoding="utf-8")
    result = playground("train", "--task", "ner", "--data", str(data), "--model", "classic",
                        "--runs-dir", str(tmp_path / "runs"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "no scheme we know" in result.stderr and "'PERSON' (2)" in result.stderr


def test_predict_and_runs_on_an_entity_agent(tmp_path: Path) -> None:
    data = write_conll(tmp_path / "people.conll", count=150)
    runs = tmp_path / "runs"
    trained = playground("train", "--task", "ner", "--data", str(data), "--model", "classic",
                         "--runs-dir", str(runs), "--json")
    assert trained.returncode == 0, trained.stderr
    assert "finding nothing f1 0.0000" in trained.stderr
    run_dir = json.loads(trained.stdout.strip().splitlines()[-1])["run_dir"]
    said = playground("predict", run_dir, "yesterday maria flew to madrid", "--json")
    assert said.returncode == 0, said.stderr
    found = json.loads(said.stdout)["entities"]
    assert [(e["type"], e["text"]) for e in found] == [("PER", "maria"), ("LOC", "madrid")]
    plain = playground("predict", run_dir, "yesterday maria flew to madrid")
    assert "PER" in plain.stdout and "madrid" in plain.stdout
    texts = tmp_path / "texts.csv"
    texts.write_text("text\nanna lives in paris now\nno one here\n", encoding="utf-8")
    labelled = playground("predict", run_dir, "--csv", str(texts))
    assert labelled.returncode == 0 and "entities of 2 texts" in labelled.stdout
    listed = playground("runs", "--runs-dir", str(runs))
    score = json.loads(trained.stdout.strip().splitlines()[-1])["metrics"]["f1"]
    assert f"{score:.4f}" in listed.stdout


def test_a_conll_file_without_task_ner_says_what_to_do(tmp_path: Path) -> None:
    data = write_conll(tmp_path / "people.conll", count=20)
    result = playground("train", "--data", str(data), "--model", "classic",
                        "--runs-dir", str(tmp_path / "runs"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "tagged tokens" in result.stderr and "--task ner" in result.stderr
    listed = playground("runs", "--runs-dir", str(tmp_path / "typo"))
    assert "No runs yet" in listed.stdout and not (tmp_path / "typo").exists()
