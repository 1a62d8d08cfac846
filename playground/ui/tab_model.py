"""Tab 1: the model catalog as cards, a box for any hub id or folder, and the task."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import psutil

from playground import tasks
from playground.catalog import AUTO, CLASSIC_FAMILY, ModelCard, catalog, choose
from playground.errors import PlaygroundError
from playground.ui.context import Context
from playground.ui.safe import md_text
from playground.ui.texts import error_for, lang_of, say

# Fine-tuning needs weights, gradients and two optimizer moments in fp32 (16 bytes per
# parameter) plus activations; twice that is a safe bound for a laptop.
BYTES_PER_PARAMETER = 32

LANGUAGE_NAMES = {"en": ("English", "英文"), "zh": ("Chinese", "中文"), "any": ("any", "任意"),
                  "multi": ("100+ languages", "100+ 种语言"), "unknown": ("?", "?")}


@dataclass
class ModelTab:
    choice: gr.Radio
    custom: gr.Textbox
    task: gr.Dropdown


def fits_here(card: ModelCard) -> bool:
    if card.params_millions is None:
        return True
    need = card.params_millions * 1e6 * BYTES_PER_PARAMETER
    return need < psutil.virtual_memory().available / 2


def task_cards(task: str | None) -> list[ModelCard]:
    """The catalog cards a task can train: its model family, and classic when it has one."""
    spec = tasks.spec(task)
    return [card for card in catalog() if card.family == spec.model_family
            or card.family == CLASSIC_FAMILY and spec.has_classic]


def cards_markdown(lang: str, task: str | None = None) -> str:
    zh, spec = lang == "zh", tasks.spec(task)
    head = ("| 模型 | 大小 | 语言 | 许可 | 本机 | 说明 |" if zh else
            "| Model | Size | Languages | License | This machine | About |")
    rows = [head, "|---|---|---|---|---|---|"]
    for card in task_cards(task):
        size = f"{card.params_millions:.0f}M" if card.params_millions else ("秒级" if zh else "tiny")
        langs = ", ".join(LANGUAGE_NAMES.get(code, (code, code))[zh] for code in card.languages)
        where = ("✅ " + say(lang, "fits_here")) if fits_here(card) else "⚠️"
        if not card.installed:
            where += " · " + say(lang, "needs_hub")
        description, license_ = card.text(lang)
        if card.family == CLASSIC_FAMILY and spec.classic_about[zh]:  # retrieval, for chat
            description = spec.classic_about[zh]
        rows.append(f"| **{card.name_in(lang)}** `{card.id}` | {size} | {langs} | {license_} | "
                    f"{where} | {description} |")
    return "\n".join(rows)


def _choices(t: Any, task: str | None) -> list[tuple[Any, str]]:
    """The model buttons of a task (its family, and classic when it has one), named in
    the page's language (see ``model_texts``)."""
    return [(t("model_auto_choice"), AUTO)] + [(t(f"model_name_{card.id}"), card.id)
                                               for card in task_cards(task)]


def model_choices(task: str | None, lang: str, picked: str | None) -> Any:
    """The model buttons and the Auto hint for ``task`` in ``lang``; the model picked
    stays when the task can train it, else Auto."""
    choices = [(say(lang, "model_auto_choice"), AUTO)] + [
        (card.name_in(lang), card.id) for card in task_cards(task)]
    kept = picked if picked in {value for _, value in choices} else AUTO
    return gr.update(choices=choices, value=kept,
                     info=tasks.spec(task).auto_hint[lang == "zh"])


def model_texts() -> dict[str, dict[str, str]]:
    """i18n entries model_name_<id>: each catalog model's name in English and Chinese."""
    cards = catalog()
    return {lang: {f"model_name_{card.id}": card.name_in(lang) for card in cards}
            for lang in ("en", "zh")}


def build(ctx: Context) -> ModelTab:
    t = ctx.t
    gr.Markdown(t("model_next"))
    # The task first, across the page: it decides which models are listed, and its names
    # are long sentences.
    task = gr.Dropdown([(t(f"task_{name}"), name) for name in tasks.names()],
                       value=tasks.DEFAULT, label=t("model_task"), elem_id="task")
    with gr.Row():
        choice = gr.Radio(_choices(t, tasks.DEFAULT), value=AUTO, label=t("model_choice"),
                          info=t("model_auto"), scale=2, elem_id="model-choice")
        with gr.Column(scale=1):
            custom = gr.Textbox(label=t("model_custom"), placeholder="hfl/rbt3  ·  /path/to/model",
                                elem_id="custom-model")
            check = gr.Button(t("model_check"), size="sm")
            verdict = gr.Markdown()
    with gr.Accordion(t("model_cards"), open=True):
        cards = gr.Markdown(elem_id="model-cards")

    def check_model(name: str, picked: str, task_name: str, request: gr.Request) -> str:
        lang = lang_of(request)
        wanted = (name or "").strip() or picked
        spec = tasks.spec(task_name)
        try:
            found = choose(wanted, "en", spec.model_family, spec.has_classic)
        except PlaygroundError as exc:
            raise error_for(exc, lang) from exc
        return say(lang, "model_ok", name=md_text(found.card.name_in(lang)))  # typed here

    def show_task(task_name: str, picked: str, request: gr.Request) -> tuple[Any, str]:
        lang = lang_of(request)
        return model_choices(task_name, lang, picked), cards_markdown(lang, task_name)

    check.click(check_model, [custom, choice, task], verdict, api_name="check_model")
    task.change(show_task, [task, choice], [choice, cards])
    ctx.on_load.append((show_task, [task, choice], [choice, cards]))
    return ModelTab(choice=choice, custom=custom, task=task)


def model_setting(choice: str, custom: str) -> str:
    """The model value for the run config: the custom box wins when filled."""
    return (custom or "").strip() or choice or AUTO
