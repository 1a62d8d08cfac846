"""A chat run of retrieval alone (the model "classic"): no base model to load, so its
floor is answering nothing, and the retrieval agent answers from the sheet."""

from __future__ import annotations

from pathlib import Path

from playground.runfolder import RunFolder, read_json
from playground.service.agents import ask


def test_a_retrieval_chat_run_needs_no_model(retrieval_chat_run: RunFolder) -> None:
    report = read_json(retrieval_chat_run.report_path)
    assert report["agent"]["kind"] == "classic" and report["verdict"] == "ok"
    assert report["scores"]["majority"]["chrf"] == 0.0
    assert report["headline"]["value"] > 0.8
    assert ask(retrieval_chat_run, "how do I renew my card?").text == \
        "To renew your card, open the app."


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
