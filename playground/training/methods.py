"""Fine-tuning methods: which of a model's weights learn.

full    every weight
head    only the new classifier on top (the encoder is a fixed feature extractor)
freeze  the embeddings and the bottom N layers fixed, the rest learns
lora    small low-rank adapters (peft) plus the classifier; merged back after training
bitfit  only the bias terms plus the classifier (Ben Zaken et al., 2022)
"""

from __future__ import annotations

from typing import Any

from playground.errors import ConfigError


def _head_names(model: Any) -> list[str]:
    """Top-level modules that are not the pretrained encoder (the new classifier)."""
    base = getattr(model, "base_model_prefix", "")
    return [name for name, _ in model.named_children() if name != base]


def _encoder_layers(model: Any) -> list[Any]:
    """The stack of transformer blocks: the longest ModuleList of num_hidden_layers items."""
    import torch

    wanted = getattr(model.config, "num_hidden_layers", None)
    lists = [m for m in model.modules() if isinstance(m, torch.nn.ModuleList)]
    matching = [m for m in lists if len(m) == wanted] or lists
    if not matching:
        raise ConfigError("This model has no layer stack that can be frozen.",
                          "Choose another method, such as 'full' or 'lora'.",
                          zh="该模型没有可以冻结的层。请选择其他微调方式，例如 full 或 lora。",
                          field="method")
    return list(max(matching, key=len))


def apply_method(model: Any, method: str, *, freeze_layers: int = 0, lora_rank: int = 8,
                 lora_alpha: int = 16, lora_task: str = "SEQ_CLS") -> Any:
    """Return the model with only the method's weights trainable (LoRA wraps it with peft).

    ``lora_task`` (peft's task type) tells LoRA which head to keep trainable: a classifier
    per text ("SEQ_CLS"), or per token ("TOKEN_CLS").
    """
    if method == "full":
        return model
    if method == "lora":
        from peft import LoraConfig, TaskType, get_peft_model

        if lora_task == "CAUSAL_LM":  # a language model: adapters on every linear layer
            config = LoraConfig(task_type=TaskType.CAUSAL_LM, r=lora_rank,
                                lora_alpha=lora_alpha, lora_dropout=0.05,
                                target_modules="all-linear")
        elif lora_task == "TOKEN_CLS":
            # The token classifier is trained whole (modules_to_save), so no adapter on it.
            config = LoraConfig(task_type=TaskType.TOKEN_CLS, r=lora_rank,
                                lora_alpha=lora_alpha, lora_dropout=0.1,
                                target_modules="all-linear", exclude_modules=_head_names(model))
        else:
            config = LoraConfig(task_type=TaskType.SEQ_CLS, r=lora_rank, lora_alpha=lora_alpha,
                                lora_dropout=0.1, target_modules="all-linear")
        return get_peft_model(model, config)
    heads = tuple(f"{name}." for name in _head_names(model))
    for name, param in model.named_parameters():
        in_head = name.startswith(heads)
        if method == "head":
            param.requires_grad = in_head
        elif method == "bitfit":
            param.requires_grad = in_head or name.endswith(".bias")
    if method == "freeze":
        layers = _encoder_layers(model)
        if freeze_layers > len(layers):
            raise ConfigError(f"The model has {len(layers)} layers; it cannot freeze "
                              f"{freeze_layers}.", f"Set freeze_layers to {len(layers)} or less.",
                              zh=f"该模型只有 {len(layers)} 层，无法冻结 {freeze_layers} 层。"
                                 f"请把“冻结层数”设为 {len(layers)} 或更少。", field="freeze_layers")
        embeddings = getattr(model.base_model, "embeddings", None)
        frozen = ([embeddings] if embeddings is not None else []) + layers[:freeze_layers]
        for module in frozen:
            for param in module.parameters():
                param.requires_grad = False
    return model


def finish_method(model: Any, method: str) -> Any:
    """A plain transformers model to save: LoRA adapters are merged into the weights."""
    if method == "lora":
        return model.merge_and_unload()
    return model


def count_parameters(model: Any) -> dict[str, int]:
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"total": total, "trainable": trainable}
