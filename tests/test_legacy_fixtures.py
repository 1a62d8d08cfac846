"""Run folders and agent bundles made by an older playground still load and answer as
they did then.

``tests/fixtures/legacy/`` holds four finished runs (an intent agent fine-tuned and one
classic, an entity agent fine-tuned and one classic), the ``.agent.zip`` each exported,
and ``expected.json``: what each agent answered to a few texts, recorded by the same
code, at the commit its README.md names. Only public entry points are used here: the
training service's listing, ``ask`` as the chat and the HTTP API call it, bundle export
and import, and the command line. Nothing trains; the fixtures are read from copies.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from playground.cli import main as cli
from playground.service.agents import ask, finished_runs, has_agent
from playground.service.bundles import export_bundle, import_bundle
from playground.service.jobs import TrainingService

LEGACY = Path(__file__).resolve().parent / "fixtures" / "legacy"
EXPECTED = json.loads((LEGACY / "expected.json").read_text(encoding="utf-8"))
TOLERANCE = EXPECTED["tolerance"]
FIXTURES = EXPECTED["fixtures"]
KINDS = sorted(FIXTURES)  # ner-classic, ner-finetuned, text-classic, text-finetuned


def _close(got: float | None, want: float | None) -> bool:
    if got is None or want is None:
        return got is want
    return abs(got - want) <= TOLERANCE


def _same_entities(got: list[dict], want: list[dict]) -> bool:
    where = ("text", "type", "start", "end")
    return len(got) == len(want) and all(
        [g[k] for k in where] == [w[k] for k in where] and _close(g["confidence"], w["confidence"])
        for g, w in zip(got, want))


def _same_probabilities(got: dict[str, float], want: dict[str, float]) -> bool:
    return set(got) == set(want) and all(_close(got[k], want[k]) for k in want)


def _check_answers(run, kind: str) -> None:
    """``run`` answers every recorded text as the old code did."""
    for want in FIXTURES[kind]["answers"]:
        got = ask(run, want["text"]).to_dict()
        said = f"{kind}: {want['text']!r} -> {got}"
        assert (got["label"], got["text"], got["source"]) == \
            (want["label"], want["reply"], want["source"]), said
        assert _close(got["confidence"], want["confidence"]), said
        assert _same_probabilities(got["probabilities"], want["probabilities"]), said
        assert _same_entities(got["entities"], want["entities"]), said


@pytest.fixture(scope="module")
def old_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A runs folder holding copies of the old run folders, as they were left."""
    runs = tmp_path_factory.mktemp("legacy") / "runs"
    shutil.copytree(LEGACY / "runs", runs)
    return runs


@pytest.fixture(scope="module")
def service(old_runs: Path):
    service = TrainingService(old_runs, poll_s=0.1, gpu_count=0)  # as the app makes it
    yield service
    service.shutdown()


def test_the_fixtures_are_all_there() -> None:
    assert KINDS == ["ner-classic", "ner-finetuned", "text-classic", "text-finetuned"]
    runs = sorted(p.name for p in (LEGACY / "runs").iterdir())
    assert runs == sorted(f["run_id"] for f in FIXTURES.values())
    assert sorted(p.name for p in (LEGACY / "bundles").iterdir()) == \
        sorted(f["bundle"] for f in FIXTURES.values())
    assert {f["agent"] for f in FIXTURES.values()} == {"classic", "finetuned"}


def test_old_runs_are_listed_as_finished_agents(service: TrainingService) -> None:
    rows = {row["run_id"]: row for row in service.list_runs()}
    assert set(rows) == {f["run_id"] for f in FIXTURES.values()}
    for kind, fixture in FIXTURES.items():
        row = rows[fixture["run_id"]]
        assert (row["state"], row["task"], row["reason"]) == \
            ("succeeded", fixture["task"], ""), kind
        score = row["entity_f1"] if fixture["task"] == "ner" else row["accuracy"]
        assert score is not None and 0 <= score <= 1 and row["duration_s"] > 0, kind
        assert has_agent(service, fixture["run_id"]), kind
    assert sorted(finished_runs(service)) == sorted(rows)
    assert sorted(finished_runs(service, "ner")) == sorted(
        f["run_id"] for f in FIXTURES.values() if f["task"] == "ner")


@pytest.mark.parametrize("kind", KINDS)
def test_an_old_run_answers_as_it_did(service: TrainingService, kind: str) -> None:
    _check_answers(service.run(FIXTURES[kind]["run_id"]), kind)


@pytest.mark.parametrize("kind", KINDS)
def test_the_command_line_reads_an_old_run(old_runs: Path, kind: str, capsys) -> None:
    fixture = FIXTURES[kind]
    want = fixture["answers"][0]
    assert cli(["predict", str(old_runs / fixture["run_id"]), want["text"], "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    if fixture["task"] == "ner":
        assert _same_entities(got["entities"], want["entities"]), got
    else:  # the model's own prediction, before any reply rule
        assert got["label"] == next(iter(want["probabilities"])), got
        assert _same_probabilities(got["probabilities"], want["probabilities"]), got
    assert cli(["runs", "--runs-dir", str(old_runs), "--json"]) == 0
    listed = {row["run_id"]: row["state"] for row in json.loads(capsys.readouterr().out)}
    assert listed[fixture["run_id"]] == "succeeded"


@pytest.mark.parametrize("kind", KINDS)
def test_an_old_run_exports_a_bundle_that_answers_the_same(service: TrainingService, kind: str,
                                                           tmp_path: Path) -> None:
    run = service.run(FIXTURES[kind]["run_id"])
    bundle = export_bundle(run.path, tmp_path / f"{kind}.agent.zip")
    _check_answers(import_bundle(bundle, tmp_path / "runs"), kind)


@pytest.mark.parametrize("kind", KINDS)
def test_an_old_bundle_imports_and_answers_the_same(kind: str, tmp_path: Path) -> None:
    fixture = FIXTURES[kind]
    runs = tmp_path / "runs"
    run = import_bundle(LEGACY / "bundles" / fixture["bundle"], runs)
    _check_answers(run, kind)
    service = TrainingService(runs, gpu_count=0)
    try:
        row = service.list_runs()[0]
        assert (row["state"], row["task"], row["imported_from"]) == \
            ("succeeded", fixture["task"], fixture["bundle"])
        assert finished_runs(service) == [run.run_id]
    finally:
        service.shutdown()
    # Exported again from its new home, it still answers the same.
    again = import_bundle(export_bundle(run.path, tmp_path / "again.agent.zip"),
                          tmp_path / "more")
    _check_answers(again, kind)
