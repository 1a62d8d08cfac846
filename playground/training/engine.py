"""The one fine-tuning engine every task trains with: transformers' Trainer, well set.

The Trainer does the heavy lifting (mixed precision, gradient accumulation, several GPUs,
checkpoints); this module chooses its settings: dynamic padding and length-grouped
batches (on a CPU the shortest first: ``sampling.py``) instead of padding every text to a
fixed length, evaluation and a checkpoint per
epoch (or every N steps), early stopping on the validation score, the best checkpoint
loaded at the end, live events and Stop. A task says only what differs (``Recipe``):
how its model is loaded, its data encoded and collated, scored and read back.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from playground.config import best_metric, trainer_optimizer
from playground.runfolder import RunFolder
from playground.training.callbacks import RunEvents
from playground.training.methods import apply_method, count_parameters, finish_method
from playground.training.precision import resolve_precision

# Config keys different architectures use for dropout (BERT, DistilBERT, RoBERTa...).
_DROPOUT_KEYS = ("hidden_dropout_prob", "attention_probs_dropout_prob", "dropout",
                 "seq_classif_dropout")


@dataclass
class Recipe:
    """What a task tells the engine: everything about its data and model, nothing about
    training settings."""

    load: Callable[[], tuple[Any, Any]]  # () -> tokenizer, model with a fresh head
    encode: Callable[[Any, str], Any]  # (tokenizer, "train" | "validation") -> the rows
    collator: Callable[[Any], Any]  # tokenizer -> the Trainer's data collator
    compute_metrics: Callable[[Any], dict[str, float]] | None
    # (trained model, tokenizer, precision) -> outputs of the best checkpoint per part
    outputs: Callable[[Any, Any, str], dict[str, Any]]
    lora_task: str = "SEQ_CLS"  # peft's task type: which head LoRA keeps trainable
    # The trainer and its settings class when a task trains through a library built on
    # the Trainer (TRL's SFTTrainer and SFTConfig); None: transformers' own. ``settings``
    # are the task's own fields of that class.
    trainer_class: Any = None
    args_class: Any = None
    settings: dict[str, Any] = field(default_factory=dict)
    merge: bool = True  # save LoRA merged into the model; False: the adapter alone


@dataclass
class Tuned:
    """How a fine-tuning went, whatever the task: the report's details, and the outputs
    of the best checkpoint on the validation and test parts (logits, tag lists...)."""

    cancelled: bool
    precision: str
    device: str
    parameters: dict[str, int]
    speed: dict[str, float]  # examples/s of the training steps; evaluation, checkpoint s
    first_loss_s: float | None
    best_validation: float | None
    outputs: dict[str, Any] = field(default_factory=dict)

    def details(self) -> dict[str, Any]:
        """The report's details of this training."""
        return {"precision": self.precision, "device": self.device,
                "first_loss_s": self.first_loss_s, "parameters": self.parameters,
                "best_validation": self.best_validation, **self.speed}


def load_with_head(auto_class: Any, location: str, labels: list[str],
                   dropout: float | None = None):
    """A model of ``auto_class`` (AutoModelFor...) with a fresh head for ``labels``."""
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(
        location, num_labels=len(labels), id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)}, trust_remote_code=False)
    if dropout is not None:
        for key in _DROPOUT_KEYS:
            if hasattr(config, key):
                setattr(config, key, dropout)
    return auto_class.from_pretrained(location, config=config, ignore_mismatched_sizes=True,
                                      trust_remote_code=False)


def _logging_steps(total_steps: int) -> int:
    """About 20+ loss points per run, and at most every 10 steps for a live curve."""
    return max(1, min(10, total_steps // 20))


def training_arguments(config: dict[str, Any], run: RunFolder, precision: str, device: str,
                       train_rows: int, args_class: Any = None,
                       **settings: Any) -> Any:
    """The Trainer's settings for a run config (kept apart so tests can read them), as
    ``args_class`` (TrainingArguments unless a task trains with a subclass) with the
    task's own ``settings`` added."""
    from transformers import TrainingArguments

    args_class = args_class or TrainingArguments
    per_step = config["batch_size"] * config["gradient_accumulation"]
    total_steps = max(1, int(np.ceil(train_rows / per_step) * config["epochs"]))
    by_steps = config["eval_every_steps"] > 0
    metric = best_metric(config)
    return args_class(
        output_dir=str(run.checkpoints_dir),
        per_device_train_batch_size=config["batch_size"],
        per_device_eval_batch_size=config["batch_size"] * 2,
        gradient_accumulation_steps=config["gradient_accumulation"],
        num_train_epochs=config["epochs"],
        learning_rate=config["learning_rate"],
        weight_decay=config["weight_decay"],
        max_grad_norm=config["max_grad_norm"],
        warmup_steps=config["warmup_ratio"],  # a float below 1 is a ratio in transformers 5
        lr_scheduler_type=config["scheduler"],
        optim=trainer_optimizer(config["optimizer"]),
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        use_cpu=device == "cpu",
        seed=config["seed"],
        train_sampling_strategy="group_by_length",
        eval_strategy="steps" if by_steps else "epoch",
        save_strategy="steps" if by_steps else "epoch",
        eval_steps=config["eval_every_steps"] if by_steps else None,
        save_steps=config["eval_every_steps"] if by_steps else None,
        save_total_limit=1,
        save_only_model=True,
        load_best_model_at_end=True,
        metric_for_best_model="eval_loss" if metric == "loss" else metric,
        greater_is_better=metric != "loss",
        logging_strategy="steps",
        logging_steps=_logging_steps(total_steps),
        logging_first_step=True,
        report_to="none",
        disable_tqdm=True,
        dataloader_num_workers=0,
        # Recompute activations in the backward pass: far less memory, a third slower
        # (the run's setting, which transformers 5 calls activation checkpointing).
        activation_checkpointing=bool(config.get("gradient_checkpointing", False)),
        **settings,
    )


def finetune(run: RunFolder, config: dict[str, Any], started_at: float, recipe: Recipe,
             announce: Callable[[str], None] = lambda phase: None) -> Tuned:
    """Train on the recipe's "train" rows, pick the best checkpoint on its "validation"
    rows, read the outputs back, and save the agent in the run's model folder.
    ``announce(phase)`` is called as tokenizing and training start."""
    import torch
    from transformers import Trainer, set_seed

    from playground.training.sampling import with_shortest_batch_first

    device = "cuda" if config["device"] != "cpu" and torch.cuda.is_available() else "cpu"
    precision = resolve_precision(config["precision"], device)
    set_seed(config["seed"])  # before the new head is initialised: same seed, same run
    tokenizer, model = recipe.load()
    announce("tokenizing")
    model = apply_method(model, config["method"], freeze_layers=config["freeze_layers"],
                         lora_rank=config["lora_rank"], lora_alpha=config["lora_alpha"],
                         lora_task=recipe.lora_task)
    if config.get("gradient_checkpointing") and hasattr(model, "enable_input_require_grads"):
        # With frozen embeddings (LoRA, freeze, bitfit) no input of a checkpointed layer
        # needs a gradient, so the layers' own gradients would be lost: peft's fix.
        model.enable_input_require_grads()
    train, validation = recipe.encode(tokenizer, "train"), recipe.encode(tokenizer, "validation")
    events, callbacks = run_callbacks(run, config, started_at)
    args = training_arguments(config, run, precision, device, len(train), recipe.args_class,
                              **recipe.settings)
    trainer_class = recipe.trainer_class or Trainer
    if device == "cpu":  # no slowest step before the first loss point (sampling.py)
        trainer_class = with_shortest_batch_first(trainer_class)
    trainer = trainer_class(
        model=model, args=args, train_dataset=train, eval_dataset=validation,
        processing_class=tokenizer, data_collator=recipe.collator(tokenizer),
        compute_metrics=recipe.compute_metrics, callbacks=callbacks)
    announce("training")
    output = trainer.train()
    outputs = recipe.outputs(trainer.model, tokenizer, precision)
    parameters = count_parameters(model)
    save_trained(trainer, tokenizer, run, config["method"], recipe.merge)
    return Tuned(cancelled=events.cancelled, precision=precision, device=device,
                 parameters=parameters, speed=events.speed(output.metrics),
                 first_loss_s=events.first_loss_s, best_validation=trainer.state.best_metric,
                 outputs=outputs)


def run_callbacks(run: RunFolder, config: dict[str, Any], started_at: float):
    """The run's live events (and Stop), plus early stopping when the config asks for it."""
    from transformers import EarlyStoppingCallback

    events = RunEvents(run, started_at, may_stop_early=config["early_stopping_patience"] > 0)
    callbacks: list[Any] = [events]
    if config["early_stopping_patience"] > 0:
        callbacks.append(EarlyStoppingCallback(config["early_stopping_patience"]))
    return events, callbacks


def save_trained(trainer: Any, tokenizer: Any, run: RunFolder, method: str,
                 merge: bool = True) -> None:
    """Save the best model (adapters merged, unless ``merge`` is False: then a LoRA run
    saves its adapter alone) and tokenizer as the agent; drop checkpoints."""
    if trainer.is_world_process_zero():
        model = finish_method(trainer.model, method) if merge else trainer.model
        model.save_pretrained(run.model_dir)
        tokenizer.save_pretrained(run.model_dir)
        shutil.rmtree(run.checkpoints_dir, ignore_errors=True)
