"""A chat run of retrieval alone (the model "classic"): no base model to load, so its
floor is answering nothing, and the retrieval agent answers from the sheet."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from playground.config import RunConfig
from playground.service.agents import ask
from playground.service.prepare import create_run, prepare
from playground.training.job import run_job


def test_a_retrieval_chat_run_needs_no_model(tmp_path: Path) -> None:
    rows = [(f"how do I {verb} my card {i}", f"To {verb} your card, open the app.")
            for verb in ("block", "renew", "activate") for i in range(10)]
    data = tmp_path / "qa.csv"
    pd.DataFrame(rows, columns=["question", "answer"]).to_csv(data, index=False)
    prep = prepare(data, RunConfig(task="chat", model="classic"))
    prep.raise_for_errors()
    run = create_run(tmp_path / "runs", prep)
    report = run_job(run, time.time())
    assert report["agent"]["kind"] == "classic" and report["verdict"] == "ok"
    assert report["scores"]["majority"]["chrf"] == 0.0
    assert report["headline"]["value"] > 0.8
    run.update_status(state="succeeded")
    assert ask(run, "how do I renew my card?").text == "To renew your card, open the app."


def test_gradient_checkpointing_trains_a_lora_chat_model(tmp_path: Path,
                                                         tiny_chat_model_dir: Path) -> None:
    """Checkpointed layers whose inputs need no gradient (LoRA freezes the embeddings)
    would train nothing; the adapter's second matrices start at zero, so weights that
    moved prove gradients reached them."""
    from chat_samples import ANSWER, QUESTIONS, train_chat
    from safetensors.torch import load_file

    from playground.training.engine import training_arguments

    run = train_chat(tmp_path, tiny_chat_model_dir, gradient_checkpointing=True)
    config = run.read_config()["config"]
    assert training_arguments(config, run, "fp32", "cpu", 10).activation_checkpointing
    weights = load_file(run.model_dir / "adapter_model.safetensors")
    moved = [name for name, w in weights.items() if "lora_B" in name and w.abs().sum() > 0]
    assert moved and len(moved) == sum("lora_B" in name for name in weights)
    assert ask(run, QUESTIONS[0]).text == ANSWER
