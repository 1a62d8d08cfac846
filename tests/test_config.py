from __future__ import annotations

import json

import pytest

from playground.config import RunConfig, field_specs, load_preset, preset_names
from playground.errors import ConfigError


def test_defaults_are_valid_and_every_field_has_help() -> None:
    RunConfig().validate()
    for name, spec in field_specs().items():
        assert spec.help and spec.help_zh, name
        assert spec.choices or spec.minimum is not None or name in (
            "model", "text_column", "label_column", "fit_to_data", "gradient_checkpointing"), name


@pytest.mark.parametrize("values, words", [
    ({"learning_rate": 5.0}, ["'Learning rate'", "between", "got 5"]),
    ({"epochs": 0}, ["'Epochs'", "between"]),
    ({"batch_size": 2.5}, ["'Batch size'", "whole number"]),
    ({"method": "magic"}, ["'Fine-tuning method'", "magic", "lora"]),
    ({"optimizer": "adam"}, ["adamw", "sgd"]),
    ({"freeze_layers": 2}, ["'Layers to freeze'", "'freeze'"]),
    ({"warmup": 0.1}, ["Unknown setting", "warmup"]),
    ({"precision": None}, ["'Precision'", "empty"]),
    ({"fit_to_data": "maybe"}, ["'Fit the settings to the data'", "true or false"]),
    ({"fit_to_data": 2}, ["'Fit the settings to the data'", "true or false"]),
])
def test_bad_values_are_rejected_with_a_sentence(values: dict, words: list[str]) -> None:
    with pytest.raises(ConfigError) as err:
        RunConfig.from_dict(values)
    text = str(err.value)
    for word in words:
        assert word in text
    assert err.value.field == next(iter(values))  # the form can point at the field


def test_form_strings_are_coerced() -> None:
    config = RunConfig.from_dict({"batch_size": "16", "epochs": "3", "learning_rate": "2e-5",
                                  "max_train_rows": ""})
    assert config.batch_size == 16 and config.epochs == 3.0 and config.learning_rate == 2e-5
    assert config.max_train_rows is None


def test_the_boolean_setting_takes_form_and_json_values() -> None:
    assert RunConfig().fit_to_data is True
    for value, expected in ((False, False), ("false", False), ("No", False), (0, False),
                            (1, True), ("true", True), (True, True)):
        assert RunConfig.from_dict({"fit_to_data": value}).fit_to_data is expected, value
    assert RunConfig().with_overrides(fit_to_data=False).fit_to_data is False


def test_json_round_trip(tmp_path) -> None:
    config = RunConfig(method="freeze", freeze_layers=3, text_column="review", seed=7)
    path = tmp_path / "settings.json"
    config.to_json(path)
    assert RunConfig.from_json(path) == config
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        RunConfig.from_json(path)


def test_presets_load_and_differ_from_defaults() -> None:
    assert {"quick-demo", "balanced", "best-quality"} <= set(preset_names())
    assert load_preset("balanced") == RunConfig()
    quick = load_preset("quick-demo")
    assert quick.epochs < RunConfig().epochs and quick.max_train_rows
    with pytest.raises(ConfigError, match="no preset"):
        load_preset("nope")


def test_overrides_ignore_none_and_validate() -> None:
    config = RunConfig().with_overrides(epochs=None, learning_rate=3e-4)
    assert config.epochs == 5.0 and config.learning_rate == 3e-4
    with pytest.raises(ConfigError):
        RunConfig().with_overrides(dropout=2)
    json.dumps(config.to_dict())


def test_best_checkpoint_metric_auto_follows_the_task() -> None:
    assert RunConfig().best_metric == "accuracy"
    assert RunConfig(task="ner").best_metric == "f1"
    assert RunConfig(task="ner", early_stopping_metric="loss").best_metric == "loss"
    with pytest.raises(ConfigError, match="not a score of the task"):
        RunConfig(early_stopping_metric="f1").validate()


def test_gradient_checkpointing_is_a_setting_off_by_default() -> None:
    assert RunConfig().gradient_checkpointing is False  # a third slower: only on request
    assert RunConfig.from_dict({"gradient_checkpointing": "true"}).gradient_checkpointing is True
    with pytest.raises(ConfigError, match="Gradient checkpointing") as err:
        RunConfig.from_dict({"gradient_checkpointing": "sometimes"})
    assert err.value.field == "gradient_checkpointing" and "梯度检查点" in err.value.zh


def test_chat_starts_from_lora_and_a_chosen_method_stays() -> None:
    assert RunConfig().method == "full"
    assert RunConfig.from_dict({"task": "chat"}).method == "lora"
    assert RunConfig().with_overrides(task="chat").method == "lora"
    assert load_preset("quick-demo", "chat").method == "lora"
    # back to labels: the chat default goes with the chat task
    assert RunConfig.from_dict({"task": "chat"}).with_overrides(
        task="text-classification").method == "full"
    # a method the user picked is theirs, whichever task comes next
    assert RunConfig().with_overrides(task="chat", method="full").method == "full"
    assert RunConfig(method="bitfit").with_overrides(task="chat").method == "bitfit"
    assert RunConfig.from_dict({"task": "chat", "method": "full"}).method == "full"
