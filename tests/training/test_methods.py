from __future__ import annotations

from pathlib import Path

import pytest

from playground.errors import ConfigError
from playground.tasks.classify.finetune import load_for_classification
from playground.training.methods import apply_method, count_parameters, finish_method

LABELS = ["a", "b", "c"]


def _trainable(model_dir: Path, method: str, **kw) -> tuple[int, int]:
    _, model = load_for_classification(str(model_dir), LABELS)
    model = apply_method(model, method, **kw)
    counts = count_parameters(model)
    return counts["trainable"], counts["total"]


def test_methods_train_fewer_weights_than_full(tiny_model_dir: Path) -> None:
    full, total = _trainable(tiny_model_dir, "full")
    assert full == total
    head, _ = _trainable(tiny_model_dir, "head")
    bitfit, _ = _trainable(tiny_model_dir, "bitfit")
    freeze1, _ = _trainable(tiny_model_dir, "freeze", freeze_layers=1)
    freeze2, _ = _trainable(tiny_model_dir, "freeze", freeze_layers=2)
    assert head == 32 * 3 + 3  # only the new classifier: weights and biases
    assert head < bitfit < freeze2 < freeze1 < full


def test_freeze_more_layers_than_exist_is_a_clear_error(tiny_model_dir: Path) -> None:
    with pytest.raises(ConfigError, match="has 2 layers"):
        _trainable(tiny_model_dir, "freeze", freeze_layers=5)


def test_lora_adds_adapters_and_merges_to_a_plain_model(tiny_model_dir: Path) -> None:
    _, base = load_for_classification(str(tiny_model_dir), LABELS)
    base_keys = set(base.state_dict())
    lora = apply_method(base, "lora", lora_rank=4, lora_alpha=8)
    counts = count_parameters(lora)
    assert 0 < counts["trainable"] < counts["total"] / 2
    merged = finish_method(lora, "lora")
    assert set(merged.state_dict()) == base_keys
