"""The training script of a language model's run: a standalone TRL SFTTrainer script
with the run's settings (model, LoRA, max length, epochs, learning rate, batch, the loss
on answers only) that trains without the playground; here for two steps on the tiny
chat model in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from chat_samples import chat_sheet
from conftest import tiny_settings

from playground.config import RunConfig
from playground.errors import RunError
from playground.runfolder import RunFolder
from playground.service.prepare import create_run, prepare
from playground.service.script import training_script, write_training_script


def _run(tmp_path: Path, model: str | Path, **settings) -> RunFolder:
    values = {**tiny_settings(Path(model)), "method": "lora", **settings}
    tmp_path.mkdir(exist_ok=True)
    prep = prepare(chat_sheet(tmp_path / "qa.csv"), RunConfig(task="chat", **values))
    prep.raise_for_errors()
    return create_run(tmp_path / "runs", prep)


def test_the_script_carries_the_runs_settings(tmp_path: Path, tiny_chat_model_dir: Path) -> None:
    run = _run(tmp_path, tiny_chat_model_dir, lora_rank=4, max_length=48, epochs=3,
               learning_rate=5e-3, batch_size=2, gradient_checkpointing=True)
    source = training_script(run.path)
    compile(source, "train.py", "exec")
    for line in (f'MODEL = "{tiny_chat_model_dir.name}"', "LORA_RANK = 4", "MAX_LENGTH = 48",
                 "EPOCHS = 3", "LEARNING_RATE = 0.005", "BATCH_SIZE = 2",
                 "GRADIENT_CHECKPOINTING = True", "completion_only_loss=True",
                 "from trl import SFTConfig, SFTTrainer", "get_peft_model"):
        assert line in source, line
    assert "import playground" not in source and "from playground" not in source
    assert str(tmp_path) not in source  # no path of this machine
    full = training_script(_run(tmp_path / "full", tiny_chat_model_dir, method="full").path)
    compile(full, "train.py", "exec")
    assert "from peft" not in full and "LORA_RANK" not in full


def test_the_script_trains_without_the_playground(tmp_path: Path,
                                                  tiny_chat_model_dir: Path) -> None:
    run = _run(tmp_path, tiny_chat_model_dir)
    script = write_training_script(run.path)
    out = tmp_path / "trained"
    done = subprocess.run([sys.executable, str(script), "--max-steps", "2", "--model",
                           str(tiny_chat_model_dir), "--output-dir", str(out)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600,
                          env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1",
                               "HOME": str(tmp_path)})  # no PYTHONPATH: no playground
    assert done.returncode == 0, done.stderr[-2000:]
    assert "validation loss:" in done.stdout
    assert {"adapter_config.json", "adapter_model.safetensors", "chat_template.jinja"} <= \
        {p.name for p in out.iterdir()}
    assert not (out / "checkpoints").exists()


def test_a_retrieval_run_has_no_script(tmp_path: Path) -> None:
    prep = prepare(chat_sheet(tmp_path / "qa.csv"), RunConfig(task="chat", model="classic"))
    run = create_run(tmp_path / "runs", prep)
    with pytest.raises(RunError, match="trains no model") as caught:
        training_script(run.path)
    assert caught.value.zh
