"""What the classic model may cost: refused before a run for too many labels, fewer
n-grams for many, a sample of a large file, and progress while it fits."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pandas as pd
import pytest

from playground.config import RunConfig
from playground.errors import DataError
from playground.service.prepare import create_run, prepare
from playground.tasks.classify import classic_plan
from playground.tasks.classify.classic import MIN_FEATURES, VECTORIZER, ClassicModel
from playground.tasks.classify.classic_plan import max_steps, plan, sample_rows
from playground.tasks.entities.classic import token_features
from playground.training.job import run_job

WORDS = ["card", "refund", "loan", "rate", "fee", "atm", "pin", "limit", "app", "cash"]


def _many_labels(path: Path, labels: int, per_label: int, seed: int = 0) -> Path:
    """A file of ``labels`` distinct labels, each with ``per_label`` short texts."""
    rng = random.Random(seed)
    rows = [(f"{rng.choice(WORDS)} {rng.choice(WORDS)} question {label} number {i}",
             f"label {label}") for label in range(labels) for i in range(per_label)]
    pd.DataFrame(rows, columns=["text", "label"]).to_csv(path, index=False)
    return path


def test_the_plan_keeps_fewer_ngrams_for_more_labels_and_refuses_too_many() -> None:
    few, many = plan(10_000, 77), plan(6_000, 2_000)
    assert few.max_features > many.max_features >= MIN_FEATURES
    assert many.need_bytes() <= classic_plan.MEMORY < many.need_bytes(VECTORIZER["max_features"])
    assert plan(15_000, 5_000) is None  # asked L-BFGS for 17 GiB before
    assert plan(10**6, 10).rows == classic_plan.MAX_ROWS


def test_the_solver_steps_shrink_with_the_work_of_a_step() -> None:
    assert max_steps(2_000_000, 77, 2_000) == 2_000  # banking77: as many as it needs
    few = max_steps(12_000 * 100, 4_000, 2_000)  # 4,000 labels: each step is heavy
    assert 100 <= few < 2_000 and few * 2 * 12_000 * 100 * 4_000 <= classic_plan.WORK
    assert max_steps(10**9, 10**4, 2_000) == 100


def test_a_sample_keeps_the_share_of_every_label() -> None:
    labels = ["a"] * 900 + ["b"] * 90 + ["c"] * 10 + ["d"]
    kept = sample_rows(labels, 100, seed=0)
    picked = [labels[i] for i in kept]
    assert {x: picked.count(x) for x in "abcd"} == {"a": 90, "b": 9, "c": 1, "d": 1}
    assert list(kept) == sorted(set(kept))
    assert list(sample_rows(labels[:50], 100, seed=0)) == list(range(50))


def test_a_file_of_5000_labels_is_refused_before_a_run_with_a_sentence(tmp_path: Path) -> None:
    prep = prepare(_many_labels(tmp_path / "many.csv", 5_000, 3), RunConfig(model="classic"))
    refused = [p for p in prep.report.errors if p.code == "too_many_labels"]
    assert refused and prep.splits is None
    assert "5,000 labels" in refused[0].message and "merge related labels" in refused[0].message
    assert "5,000 个标签" in refused[0].message_zh
    assert "batch size" not in refused[0].message
    with pytest.raises(DataError, match="too many for the classic model"):
        prep.raise_for_errors()
    with pytest.raises(DataError, match="5,000 labels"):  # and if a run got this far
        ClassicModel.fit([f"text {i}" for i in range(15_000)],
                         [f"label {i % 5_000}" for i in range(15_000)])


def test_the_data_tab_does_not_say_ready_for_5000_labels(tmp_path: Path) -> None:
    from playground.ui.tab_data import analyse

    data = _many_labels(tmp_path / "many.csv", 5_000, 3)
    checks = analyse(str(data), None, None, "zh", 50, "auto")[-1]
    assert "❌ 该文件有 5,000 个标签" in checks and "✅" not in checks


def test_many_labels_train_with_the_ngrams_the_plan_allows(tmp_path: Path) -> None:
    data = _many_labels(tmp_path / "many.csv", 300, 4)
    prep = prepare(data, RunConfig(model="classic"))
    prep.raise_for_errors()
    run = create_run(tmp_path / "runs", prep)
    report = run_job(run, time.time())
    seen = len(prep.splits.train) + len(prep.splits.validation)
    allowed = plan(seen, 300).max_features
    assert allowed < VECTORIZER["max_features"]
    saved = ClassicModel.load(run.model_dir).vectorizer
    assert saved.max_features == allowed and len(saved.vocabulary) <= allowed
    assert len(report["labels"]) == 300


def test_a_large_file_is_sampled_and_its_fit_reports_progress(tmp_path: Path,
                                                              monkeypatch) -> None:
    monkeypatch.setattr(classic_plan, "MAX_ROWS", 300)  # a small "large file", for speed
    data = _many_labels(tmp_path / "large.csv", 20, 60)
    prep = prepare(data, RunConfig(model="classic"))
    prep.raise_for_errors()
    assert any("1,200 rows; the classic model learns from at most 300" in w
               for w in prep.warnings)
    run = create_run(tmp_path / "runs", prep)
    run_job(run, time.time())
    events = [e for e in run.read_events(0)[0] if e["type"] == "phase"]
    reading = [e for e in events if "character n-grams" in e["message"]]
    fitting = [e for e in events if e["message"].startswith("Fitting the classic model on")]
    # Twice each: on training and validation rows, then on training rows to calibrate.
    assert [e["phase"] for e in reading] == ["training", "calibrating"]
    assert reading[0]["message"].startswith("Reading the character n-grams of 30")
    assert "的字符 n-gram" in reading[0]["message_zh"]
    assert {e["phase"] for e in fitting} == {"training", "calibrating"}
    assert "0 of at most 2,000 steps done" in fitting[0]["message"]
    assert all(int(e["message"].split(" on ")[1].split(" texts")[0].replace(",", "")) <= 300
               + 20 for e in fitting)  # the sample, give or take one row per label


def _many_types(path: Path, types: int, per_type: int) -> Path:
    """A CoNLL file of ``types`` entity types, each tagged in ``per_type`` two-token
    sentences (a name, then a plain word)."""
    lines = []
    for kind in range(types):
        for i in range(per_type):
            lines += [f"name{kind}x{i}\tB-T{kind}", f"said{i % 7}\tO", ""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_entity_plan_keeps_fewer_columns_for_more_types_and_refuses_too_many() -> None:
    from playground.tasks.entities import classic_plan as entity_costs
    from playground.tasks.entities.classic import N_FEATURES
    from playground.tasks.entities.classic_plan import entity_plan, most_entity_types

    wnut = entity_plan(61_000, 13)  # WNUT-17: 6 types, every hashed column
    assert wnut.max_features == N_FEATURES
    many = entity_plan(20_000, 601)  # 300 types asked L-BFGS for 30 GB with every column
    assert MIN_FEATURES <= many.max_features < N_FEATURES
    assert many.need_bytes() <= entity_costs.MEMORY < many.need_bytes(N_FEATURES)
    assert entity_plan(10_000, 2 * 2_500 + 1) is None
    assert 300 < most_entity_types(10_000) < 2_500 and most_entity_types(10**8) == 0


def test_a_file_of_2500_entity_types_is_refused_before_a_run_with_a_sentence(
        tmp_path: Path) -> None:
    from playground.tasks.entities.classic import ClassicEntityModel
    from playground.ui.tab_data import analyse

    data = _many_types(tmp_path / "many.conll", 2_500, 2)
    prep = prepare(data, RunConfig(task="ner", model="classic"))
    refused = [p for p in prep.report.errors if p.code == "too_many_types"]
    assert refused and prep.splits is None
    assert "2,500 entity types" in refused[0].message and "10,000 tokens" in refused[0].message
    assert "Merge related types into at most" in refused[0].message
    assert "2,500 种实体类型" in refused[0].message_zh and "合并" in refused[0].message_zh
    with pytest.raises(DataError, match="too many for the classic entity model"):
        prep.raise_for_errors()
    checks = analyse(str(data), None, None, "zh", 50, "auto", "ner")[-1]
    assert "❌ 该文件有 2,500 种实体类型" in checks and "✅" not in checks
    tags = ["O"] + [f"{p}-T{k}" for k in range(2_500) for p in "BI"]
    with pytest.raises(DataError, match="2,500 entity types"):  # and if a run got this far
        ClassicEntityModel.fit([["name", "said"]] * 5_000, [["B-T0", "O"]] * 5_000, tags)


def test_many_entity_types_train_with_the_columns_the_plan_allows(tmp_path: Path,
                                                                  monkeypatch) -> None:
    from playground.tasks.entities import classic_plan as entity_costs
    from playground.tasks.entities.checks import bio_tags, check_entities, entity_types
    from playground.tasks.entities.classic import ClassicEntityModel
    from playground.tasks.entities.reading import read_entities

    monkeypatch.setattr(entity_costs, "MEMORY", 40 << 20)  # a small machine, for speed
    sentences, _ = check_entities(read_entities(_many_types(tmp_path / "t.conll", 30, 20)))
    tags = bio_tags(entity_types(sentences))
    tokens = sum(len(s.tokens) for s in sentences)
    allowed = entity_costs.entity_plan(tokens, len(tags)).max_features
    model = ClassicEntityModel.fit([s.tokens for s in sentences], [s.tags for s in sentences],
                                   tags)
    used = len(set(model._hasher().transform(
        [row for s in sentences for row in token_features(s.tokens)]).indices))
    assert len(model.columns) == allowed < used  # the most frequent columns, no more
    assert model.predict([["name3x4", "said4"]]) == [["B-T3", "O"]]
