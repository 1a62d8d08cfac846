"""``playground export`` and ``playground import`` as a user runs them: separate
processes, a real trained agent, real bundle files."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pandas as pd
from conftest import intent_rows

from playground.cli import main
from playground.config import RunConfig
from playground.service.prepare import create_run, prepare
from playground.training.job import run_job


def playground(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "playground", *args], capture_output=True,
                          text=True, timeout=300)


def _classic_run(tmp_path: Path) -> Path:
    data = tmp_path / "intents.csv"
    pd.DataFrame(intent_rows(), columns=["text", "intent"]).to_csv(data, index=False)
    prep = prepare(data, RunConfig(model="classic"))
    prep.raise_for_errors()
    run = create_run(tmp_path / "runs", prep)
    run_job(run, time.time())
    run.update_status(state="succeeded")  # what the worker writes when run_job returns
    return run.path


def test_export_then_import_prints_paths_and_the_agent_answers_the_same(tmp_path: Path,
                                                                        capsys) -> None:
    run_dir = _classic_run(tmp_path)
    bundle = tmp_path / "support.agent.zip"
    exported = playground("export", str(run_dir), "-o", str(bundle))
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.strip() == str(bundle) and zipfile.is_zipfile(bundle)

    elsewhere = tmp_path / "elsewhere"
    imported = playground("import", str(bundle), "--runs-dir", str(elsewhere))
    assert imported.returncode == 0, imported.stderr
    new_run = Path(imported.stdout.strip())
    assert new_run.parent == elsewhere.resolve() and new_run.name.startswith("imported-")

    # one answer each as a user asks it (a process of its own), the rest in this process
    before = playground("predict", str(run_dir), "I lost my card", "--json")
    after = playground("predict", str(new_run), "I lost my card", "--json")
    assert json.loads(after.stdout) == json.loads(before.stdout)
    for text in ["money back please", "good morning"]:
        assert main(["predict", str(run_dir), text, "--json"]) == 0
        said_before = capsys.readouterr().out
        assert main(["predict", str(new_run), text, "--json"]) == 0
        assert json.loads(capsys.readouterr().out) == json.loads(said_before)
    runs = json.loads(playground("runs", "--runs-dir", str(elsewhere), "--json").stdout)
    assert [(r["run_id"], r["state"], r["imported_from"]) for r in runs] == \
        [(new_run.name, "succeeded", bundle.name)]


def test_bad_bundles_and_runs_exit_2_with_a_sentence(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    not_zip = tmp_path / "notes.agent.zip"
    not_zip.write_text("hello")
    escape = tmp_path / "escape.agent.zip"
    with zipfile.ZipFile(escape, "w") as archive:
        archive.writestr("../../outside.csv", "a,b")
    cases = [(("import", str(not_zip), "--runs-dir", str(runs)), "not a zip file"),
             (("import", str(escape), "--runs-dir", str(runs)), "leads outside"),
             (("import", str(tmp_path / "missing.agent.zip"), "--runs-dir", str(runs)),
              "no file"),
             (("export", str(tmp_path / "no-run")), "no run folder"),
             (("export", str(tmp_path / "no-run"), "-o", f"{tmp_path / 'new'}/"),
              "does not exist")]
    for args, words in cases:
        result = playground(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr and "error:" in result.stderr
        assert words in result.stderr, result.stderr
    assert list(runs.iterdir()) == [] and not (tmp_path / "outside.csv").exists()
    assert not (tmp_path / "new").exists()  # "new/" names a folder, never a file
