"""The settings form follows the task picked on the Model tab (tab_settings.for_task)."""

from __future__ import annotations

from playground.config import RunConfig
from playground.ui.tab_settings import for_task, form_names, values_of


def test_picking_chat_switches_the_form_to_lora_and_back() -> None:
    shown = dict(zip(form_names(), values_of(RunConfig())))
    chat = dict(zip(form_names(), for_task(shown, "text-classification", "chat")))
    assert chat["method"] == "lora" and chat["epochs"] == shown["epochs"]
    back = dict(zip(form_names(), for_task(chat, "chat", "text-classification")))
    assert back["method"] == "full"
    chosen = {**shown, "method": "bitfit"}  # the user's own choice survives the switch
    assert dict(zip(form_names(), for_task(chosen, "text-classification", "chat")))[
        "method"] == "bitfit"
