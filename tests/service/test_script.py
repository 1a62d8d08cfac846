"""Exported training scripts: they hold the run's settings, stand alone, and train the
same model as the playground did (same seed, same data, same weights)."""

from __future__ import annotations

import ast
import importlib.util
import json
import pickle
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import tiny_settings
from ner_samples import write_conll

from playground import tasks
from playground.errors import RunError
from playground.runfolder import RunFolder
from playground.service.script import training_script, write_training_script
from playground.tasks.classify.classic import ClassicModel
from playground.training.job import run_job

ALLOWED_IMPORTS = {"argparse", "pickle", "shutil", "pathlib", "warnings", "numpy", "pandas",
                   "torch", "datasets", "sklearn", "transformers", "peft"}
SCORES = re.compile(r"test accuracy ([0-9.]+)  macro-F1 ([0-9.]+)")


def _constants(source: str) -> dict[str, object]:
    """The script's top-level NAME = literal constants; Path("...") gives the string."""
    constants = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            value = node.value
            if isinstance(value, ast.Call) and getattr(value.func, "id", "") == "Path":
                value = value.args[0]
            if isinstance(value, ast.BinOp):  # DATA_DIR / "train.csv": the file's name
                value = value.right
            try:
                constants[node.targets[0].id] = ast.literal_eval(value)
            except ValueError:
                pass
    return constants


def _imports(source: str) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            roots.add((node.module or "").split(".")[0])
    return roots


def _run_script(script: Path, cwd: Path, *args: str) -> str:
    """Run the script as a user would (its own Python process); return its stdout."""
    done = subprocess.run([sys.executable, str(script), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _printed_scores(stdout: str) -> tuple[float, float]:
    match = SCORES.search(stdout)
    assert match, stdout[-2000:]
    return float(match.group(1)), float(match.group(2))


def test_script_holds_every_training_setting_of_the_run(
        make_run, intent_csv: Path, tiny_model_dir: Path) -> None:
    run = make_run(intent_csv, model=str(tiny_model_dir), epochs=2.5, learning_rate=3e-4,
                   batch_size=4, max_length=24, weight_decay=0.05, warmup_ratio=0.1,
                   optimizer="sgd", scheduler="cosine", dropout=0.2, max_grad_norm=0.5,
                   gradient_accumulation=2, precision="bf16", device="cpu", seed=7,
                   early_stopping_patience=3, early_stopping_metric="macro_f1",
                   eval_every_steps=5, method="freeze", freeze_layers=1, max_train_rows=40,
                   fit_to_data=False)
    source = training_script(run.path)
    constants = _constants(source)
    expected = {"EPOCHS": 2.5, "LEARNING_RATE": 3e-4, "BATCH_SIZE": 4, "MAX_LENGTH": 24,
                "WEIGHT_DECAY": 0.05, "WARMUP_RATIO": 0.1, "OPTIMIZER": "sgd",
                "SCHEDULER": "cosine", "DROPOUT": 0.2, "MAX_GRAD_NORM": 0.5,
                "GRADIENT_ACCUMULATION": 2, "PRECISION": "bf16", "DEVICE": "cpu", "SEED": 7,
                "EARLY_STOPPING_PATIENCE": 3, "BEST_METRIC": "macro_f1",
                "EVAL_EVERY_STEPS": 5, "FREEZE_LAYERS": 1, "MAX_TRAIN_ROWS": 40,
                "MODEL": tiny_model_dir.name, "LABELS": run.read_config()["labels"],
                "TRAIN_CSV": "train.csv", "VALIDATION_CSV": "validation.csv",
                "TEST_CSV": "test.csv"}
    assert {name: constants.get(name) for name in expected} == expected
    # No path of the machine that trained it: data beside the script, the model by name.
    assert str(run.path.parent) not in source and str(tiny_model_dir) not in source
    assert 'DATA_DIR = Path(__file__).resolve().parent / "data"' in source
    assert "LORA_RANK" not in constants and "peft" not in _imports(source)
    assert run.run_id in source.split('"""')[1]  # the header names the run it came from
    assert 'train_sampling_strategy="group_by_length"' in source
    assert "trust_remote_code=True" not in source


def test_scripts_stand_alone_and_pass_the_linter(
        make_run, intent_csv: Path, tiny_model_dir: Path, tmp_path: Path) -> None:
    settings = {method: tiny_settings(tiny_model_dir, method=method)
                for method in ("full", "head", "freeze", "lora", "bitfit")}
    settings["freeze"]["freeze_layers"] = 1
    settings["classic"] = {"model": "classic"}
    for name, values in settings.items():
        source = training_script(make_run(intent_csv, **values).path)
        script = tmp_path / f"train_{name}.py"
        script.write_text(source, encoding="utf-8")
        compile(source, str(script), "exec")
        imports = _imports(source)
        assert imports <= ALLOWED_IMPORTS, (name, imports - ALLOWED_IMPORTS)
        assert ("peft" in imports) == (name == "lora")
        assert ("apply_method" in source) == (name not in ("full", "classic"))
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is not installed")
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--select",
                           "E,F,I,UP,B", "--ignore", "E501", str(tmp_path)],
                          capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout


@pytest.mark.parametrize("method", ["head", "freeze", "lora", "bitfit"])
def test_script_trains_the_same_weights_as_the_method(
        make_run, intent_csv: Path, tiny_model_dir: Path, method: str) -> None:
    from playground.tasks.classify.finetune import load_for_classification
    from playground.training.methods import apply_method

    run = make_run(intent_csv, **tiny_settings(tiny_model_dir, method=method,
                                               freeze_layers=1 if method == "freeze" else 0))
    spec = run.read_config()
    script: dict = {"__name__": "exported", "__file__": str(run.path / "exported.py")}  # no main()
    exec(compile(training_script(run.path), "exported.py", "exec"), script)
    _, model = script["load_model"](str(tiny_model_dir))
    exported = script["apply_method"](model)
    _, model = load_for_classification(str(tiny_model_dir), spec["labels"], 0.1)
    ours = apply_method(model, method, freeze_layers=spec["config"]["freeze_layers"])

    def trainable(m) -> list[str]:
        return [name for name, p in m.named_parameters() if p.requires_grad]

    assert trainable(exported) == trainable(ours)
    assert 0 < len(trainable(ours)) < len(list(ours.named_parameters()))


@pytest.mark.parametrize(("method", "learning_rate"), [("full", 5e-3), ("lora", 2e-2)])
def test_script_trains_the_same_model_as_the_run(
        make_run, intent_csv: Path, tiny_model_dir: Path, tmp_path: Path,
        method: str, learning_rate: float) -> None:
    run = make_run(intent_csv, **tiny_settings(tiny_model_dir, method=method, epochs=2,
                                               learning_rate=learning_rate))
    script = write_training_script(run.path)
    assert script == run.path / f"train_{run.run_id}.py"
    report = run_job(run, time.time())
    out = tmp_path / "exported"
    stdout = _run_script(script, tmp_path, "--output-dir", str(out), "--model",
                         str(tiny_model_dir))  # the data: beside the script, in the run

    # The script fine-tunes; the run may serve its classic model instead (it scored higher).
    model_scores = report["scores"]["finetuned"]
    assert _printed_scores(stdout) == (model_scores["accuracy"], model_scores["macro_f1"])
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    eval_losses = [entry["eval_loss"] for entry in history if "eval_loss" in entry]
    assert len(eval_losses) == 2 and eval_losses[-1] < eval_losses[0]  # it learns

    import torch
    from safetensors.torch import load_file
    from transformers import AutoModelForSequenceClassification

    served = run.model_dir if report["agent"]["kind"] == "finetuned" else run.finetuned_dir
    ours, theirs = load_file(out / "model.safetensors"), load_file(served / "model.safetensors")
    assert ours.keys() == theirs.keys()
    assert all(torch.allclose(ours[key], theirs[key], atol=1e-5) for key in ours)
    assert not (out / "checkpoints").exists() and not (out / "adapter_config.json").exists()
    model = AutoModelForSequenceClassification.from_pretrained(out)  # merged: plain transformers
    assert list(model.config.id2label.values()) == report["labels"]


def test_classic_script_matches_the_classic_run(make_run, intent_csv: Path,
                                                tmp_path: Path) -> None:
    run = make_run(intent_csv, model="classic")
    report = run_job(run, time.time())
    data = tmp_path / "elsewhere"  # the data options: the same files, somewhere else
    data.mkdir()
    for split in ("train", "validation", "test"):
        shutil.copy(run.split_path(split), data / f"{split}.csv")
    script = write_training_script(run.path, tmp_path / "classic.py")
    stdout = _run_script(script, tmp_path, "--train", str(data / "train.csv"), "--validation",
                         str(data / "validation.csv"), "--test", str(data / "test.csv"),
                         "--output-dir", "out")

    model_scores = report["scores"]["model"]
    assert _printed_scores(stdout) == (model_scores["accuracy"], model_scores["macro_f1"])
    with (tmp_path / "out" / "model.pkl").open("rb") as fh:  # written by this test's script
        saved = pickle.load(fh)
    texts = pd.read_csv(run.split_path("test"), dtype=str, keep_default_na=False)["text"].tolist()
    predicted = saved["classifier"].predict(saved["vectorizer"].transform(texts)).tolist()
    assert predicted == ClassicModel.load(run.model_dir).predict(texts)


def test_classic_script_samples_and_keeps_the_ngrams_the_run_did(
        monkeypatch, tmp_path: Path) -> None:
    """A large file with many n-grams: the run learned from a sample per label with a
    capped vocabulary (``classic_plan``), and so does its script."""
    import random

    from playground.config import RunConfig
    from playground.service.prepare import create_run, prepare
    from playground.tasks.classify import classic_plan

    # A small "large file" and a small machine, for speed: 1,200 rows, 300 of them sampled,
    # with room for about 2,000 of its 3,000 n-grams. Two labels share each topic word, so
    # the answers depend on which n-grams each model kept.
    monkeypatch.setattr(classic_plan, "MAX_ROWS", 300)
    monkeypatch.setattr(classic_plan, "MEMORY", 8 << 20)
    rng = random.Random(0)
    rows = [(f"topic{label // 2} " + " ".join("".join(rng.choice("abcdefghijkl") for _ in range(6))
                                        for _ in range(4)), f"label {label}")
            for label in range(20) for _ in range(60)]
    data = tmp_path / "large.csv"
    pd.DataFrame(rows, columns=["text", "label"]).to_csv(data, index=False)
    prep = prepare(data, RunConfig(model="classic"))
    prep.raise_for_errors()
    run = create_run(tmp_path / "runs", prep)
    report = run_job(run, time.time())
    served = ClassicModel.load(run.model_dir).vectorizer
    seen = len(prep.splits.train) + len(prep.splits.validation)
    assert served.max_features == classic_plan.plan(seen, 20).max_features == \
        len(served.vocabulary) < 3_000  # the cap took n-grams away

    script = write_training_script(run.path)  # in the run folder, beside its data
    stdout = _run_script(script, tmp_path, "--output-dir", str(tmp_path / "out"))
    assert f"learning from 300 of {seen:,} rows" in stdout
    model_scores = report["scores"]["model"]
    assert _printed_scores(stdout) == (model_scores["accuracy"], model_scores["macro_f1"])
    with (tmp_path / "out" / "model.pkl").open("rb") as fh:  # written by this test's script
        saved = pickle.load(fh)
    assert saved["vectorizer"].vocabulary_ == served.vocabulary
    texts = pd.read_csv(run.split_path("test"), dtype=str, keep_default_na=False)["text"].tolist()
    predicted = saved["classifier"].predict(saved["vectorizer"].transform(texts)).tolist()
    assert predicted == ClassicModel.load(run.model_dir).predict(texts)


def test_refuses_a_missing_run_and_a_named_entity_run(
        make_run, tmp_path: Path, tiny_model_dir: Path) -> None:
    with pytest.raises(RunError, match="no run folder"):
        training_script(tmp_path / "nowhere")
    data = write_conll(tmp_path / "people.conll", count=40)
    run = make_run(data, task="ner", model=str(tiny_model_dir))
    assert RunFolder(run.path).exists()
    with pytest.raises(RunError, match="cannot be exported as a script yet") as caught:
        training_script(run.path)
    able = [tasks.spec(name) for name in tasks.names() if tasks.spec(name).exports_script]
    assert able and all(spec.short_title[0] in caught.value.hint for spec in able)
    assert all(spec.short_title[1] in caught.value.zh for spec in able)
