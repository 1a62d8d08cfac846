"""What fine-tuning a chat model means for the shared engine (``training/engine.py``):
TRL's SFTTrainer on prompt/completion conversations, so the loss counts the assistant's
answer only, in the model's own chat template; the outputs read back are the greedy
answers to the validation and test prompts and the loss on their answers."""

from __future__ import annotations

from typing import Any

from playground.tasks.chat.generation import answer_loss, answers, prompt_of
from playground.training.engine import Recipe

Messages = list[dict[str, str]]


def load_for_chat(location: str) -> tuple[Any, Any]:
    """Tokenizer (with a padding token) and the causal language model at ``location``."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(location, trust_remote_code=False)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(location, trust_remote_code=False)
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


def outputs_of(model: Any, tokenizer: Any, conversations: list[Messages],
               max_length: int) -> dict[str, Any]:
    """What the scores compare for a part: greedy answers and the loss on the answers."""
    return {"answers": answers(model, tokenizer, conversations),
            "loss": answer_loss(model, tokenizer, conversations, max_length)}


def recipe(config: dict[str, Any], location: str,
           splits: dict[str, list[Messages]]) -> Recipe:
    """The engine's recipe: SFT of a causal language model on ``splits``."""
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    def outputs(model: Any, tokenizer: Any, precision: str) -> dict[str, Any]:
        return {part: outputs_of(model, tokenizer, splits[part], config["max_length"])
                for part in ("validation", "test")}

    return Recipe(
        load=lambda: load_for_chat(location),
        encode=lambda tokenizer, part: Dataset.from_list(examples(splits[part])),
        collator=lambda tokenizer: None,  # TRL pads and masks the prompt itself
        compute_metrics=None, outputs=outputs, lora_task="CAUSAL_LM",
        trainer_class=SFTTrainer, args_class=SFTConfig,
        # the loss on the answer alone; the run's max length cuts long conversations
        # TRL checkpoints activations by default: a third slower, and a 135M model's
        # activations fit anyway
        settings={"max_length": config["max_length"], "completion_only_loss": True,
                  "packing": False, "gradient_checkpointing": False},
        merge=False)  # an agent keeps its LoRA adapter (a few MB) and names its base


__all__ = ["examples", "load_for_chat", "prompt_of", "recipe"]
