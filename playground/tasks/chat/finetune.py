"""What fine-tuning a chat model means for the shared engine (``training/engine.py``):
TRL's SFTTrainer on prompt/completion conversations, so the loss counts the assistant's
answer only, in the model's own chat template; the outputs read back are the greedy
answers to the validation and test prompts and the loss on their answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playground.tasks.chat.generation import answer_loss, answering_in, answers
from playground.training.engine import Recipe

Messages = list[dict[str, str]]


def model_location(model_id: str, location: str) -> str:
    """Where a chat model's folder is: the embedded model is converted from its package
    into the user's cache the first time (a minute), and found there afterwards; a hub
    id (as an imported agent names its base) is its snapshot in the Hugging Face cache
    when it is there, so loading it asks nothing of the network."""
    from playground.catalog import EMBEDDED_CHAT

    if model_id == EMBEDDED_CHAT:
        from playground.tasks.chat.model import embedded_chat_model_dir

        return str(embedded_chat_model_dir())
    if location and not Path(location).is_dir():
        from huggingface_hub import try_to_load_from_cache

        try:
            found = try_to_load_from_cache(location, "config.json")
        except ValueError:  # not a hub id at all: transformers will say what it is
            found = None
        if isinstance(found, str):
            return str(Path(found).parent)
    return location


def load_for_chat(location: str, model_id: str = "") -> tuple[Any, Any]:
    """Tokenizer (with a padding token) and the causal language model at ``location``,
    in fp32 (the embedded model's folder holds bf16 weights, which a CPU trains badly)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    location = model_location(model_id, location)
    tokenizer = AutoTokenizer.from_pretrained(location, trust_remote_code=False)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(location, trust_remote_code=False,
                                                 dtype=torch.float32)
    return tokenizer, model


def examples(conversations: list[Messages]) -> list[dict[str, Messages]]:
    """One prompt/completion example per assistant turn of each conversation (a
    several-turn conversation teaches every answer in it, each given what came before)."""
    rows = []
    for conversation in conversations:
        for i, message in enumerate(conversation):
            if message["role"] == "assistant" and i > 0:
                rows.append({"prompt": conversation[:i], "completion": [message]})
    return rows


def answer_precision() -> str:
    """The precision a chat agent answers in, and so its answers are scored in: the
    fastest for generation where agents answer, on the CPU (``service/agents.py`` loads
    them there, whatever device trained them)."""
    from playground.training.precision import generation_precision

    return generation_precision("cpu")


def outputs_of(model: Any, tokenizer: Any, conversations: list[Messages],
               max_length: int, precision: str = "fp32") -> dict[str, Any]:
    """What the scores compare for a part: greedy answers written in ``precision`` (the
    one the agent answers in), and the loss on the answers in the model's own (fp32)."""
    loss = answer_loss(model, tokenizer, conversations, max_length)
    with answering_in(model, precision):
        said = answers(model, tokenizer, conversations)
    return {"answers": said, "loss": loss, "precision": precision}


def recipe(config: dict[str, Any], location: str, splits: dict[str, list[Messages]],
           model_id: str = "") -> Recipe:
    """The engine's recipe: SFT of a causal language model on ``splits``."""
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    def outputs(model: Any, tokenizer: Any, precision: str) -> dict[str, Any]:
        # ``precision`` is the training's; the answers are written as the agent will
        answering = answer_precision()
        return {part: outputs_of(model, tokenizer, splits[part], config["max_length"],
                                 answering) for part in ("validation", "test")}

    return Recipe(
        load=lambda: load_for_chat(location, model_id),
        encode=lambda tokenizer, part: Dataset.from_list(examples(splits[part])),
        collator=lambda tokenizer: None,  # TRL pads and masks the prompt itself
        compute_metrics=None, outputs=outputs, lora_task="CAUSAL_LM",
        trainer_class=SFTTrainer, args_class=SFTConfig,
        # the loss on the answer alone; the run's max length cuts long conversations.
        # Gradient checkpointing is the run's setting (TRL's default would switch it on:
        # a third slower, and a 135M model's activations fit anyway).
        settings={"max_length": config["max_length"], "completion_only_loss": True,
                  "packing": False},
        merge=False)  # an agent keeps its LoRA adapter (a few MB) and names its base

