"""The settings form follows the task picked on the Model tab (tab_settings.for_task)."""

from __future__ import annotations

from playground.config import RunConfig, field_specs, task_choices
from playground.ui.tab_settings import (
    choice_items,
    for_loaded,
    for_task,
    form_names,
    values_of,
)
from playground.ui.texts import field_texts


def test_picking_chat_switches_the_form_to_lora_and_back() -> None:
    shown = dict(zip(form_names(), values_of(RunConfig())))
    chat = dict(zip(form_names(), for_task(shown, "text-classification", "chat")))
    assert chat["method"] == "lora" and chat["epochs"] == shown["epochs"]
    back = dict(zip(form_names(), for_task(chat, "chat", "text-classification")))
    assert back["method"] == "full"
    chosen = {**shown, "method": "bitfit"}  # the user's own choice survives the switch
    assert dict(zip(form_names(), for_task(chosen, "text-classification", "chat")))[
        "method"] == "bitfit"


def test_a_choice_the_new_task_cannot_use_takes_its_default() -> None:
    shown = dict(zip(form_names(), values_of(RunConfig(method="head",
                                                       early_stopping_metric="accuracy"))))
    chat = dict(zip(form_names(), for_task(shown, "text-classification", "chat")))
    assert chat["method"] == "lora" and chat["early_stopping_metric"] == "auto"
    entities = dict(zip(form_names(), for_task({**shown, "early_stopping_metric": "f1"},
                                               "entities", "text-classification")))
    assert entities["method"] == "head" and entities["early_stopping_metric"] == "auto"
    assert "head" not in task_choices("chat")["method"]
    assert "f1" not in task_choices("text-classification")["early_stopping_metric"]


def test_a_loaded_settings_file_says_what_the_picked_task_changed() -> None:
    entity_file = RunConfig(task="ner", early_stopping_metric="f1", epochs=7)
    shown, notice = for_loaded(entity_file, "text-classification", "zh")
    values = dict(zip(form_names(), shown))
    assert values["early_stopping_metric"] == "auto" and values["epochs"] == 7
    assert "f1 → auto" in notice and "1 · 模型" in notice
    assert for_loaded(entity_file, "ner", "en") == (values_of(entity_file), None)


def test_every_choice_in_the_form_says_what_it_means_in_both_languages() -> None:
    words = field_texts()
    for name in form_names():
        for value in field_specs()[name].choices or ():
            key = f"choice_{name}_{value}"
            assert words["en"][key].startswith(f"{value}: "), key
            assert words["zh"][key].startswith(f"{value}："), key
    chat_methods = task_choices("chat")["method"]
    assert choice_items("method", chat_methods, words["zh"].get) == [
        (words["zh"][f"choice_method_{m}"], m) for m in chat_methods]
    assert words["zh"]["choice_method_lora"] == "lora：只训练一个小附加部分"
