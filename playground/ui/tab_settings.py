"""Tab 3: the settings form, generated from RunConfig; presets, save/load, a preflight."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from playground import tasks
from playground.config import (
    RunConfig,
    field_specs,
    label,
    load_preset,
    preset_names,
    retask,
    task_choices,
)
from playground.errors import PlaygroundError
from playground.ui.context import Context
from playground.ui.downloads import download_path
from playground.ui.texts import TEXTS, duration, error_for, lang_of, say

# Chosen on the Model and Data tabs, not in this form.
ELSEWHERE = ("model", "task", "text_column", "label_column")
BASIC = ("epochs", "learning_rate")
TOO_LONG_S = 15 * 60


@dataclass
class SettingsTab:
    preset: gr.Dropdown
    fields: dict[str, Any]  # setting name -> its form component, in RunConfig order
    estimate_button: gr.Button  # wired in app.py: the estimate needs the data and model too
    estimate_text: gr.Markdown


def form_names() -> list[str]:
    return [name for name in field_specs() if name not in ELSEWHERE]


def _component(name: str, value: Any, t: Any) -> Any:
    """The form field of one setting. Ranges are checked by RunConfig.validate, which names
    the field in the page's language; gradio's own range check would not."""
    spec = field_specs()[name]
    title, info = t(f"field_{name}"), t(f"help_{name}")
    if spec.choices:  # every one: a page narrows those that depend on its task (follow)
        return gr.Dropdown(choice_items(name, spec.choices, t), value=value, label=title,
                           info=info, elem_id=f"field-{name}")
    if isinstance(value, bool):
        return gr.Checkbox(value=value, label=title, info=info, elem_id=f"field-{name}")
    if spec.optional:  # a number box turns "empty" into 0 when it is first drawn
        return gr.Textbox(value=_shown(value), label=title, info=info, placeholder="—",
                          elem_id=f"field-{name}")
    return gr.Number(value=value, label=title, info=info, elem_id=f"field-{name}",
                     precision=0 if isinstance(value, int) else None)


def choice_items(name: str, values: Any, t: Any) -> list[tuple[Any, str]]:
    """A dropdown's (shown words, value) pairs for the choices ``values`` of setting
    ``name``: each value with what it means (``config.CHOICE_LABELS``)."""
    return [(t(f"choice_{name}_{value}"), value) for value in values]


def _shown(value: Any) -> Any:
    """A setting's value as its form field holds it (an optional one: text, empty for None)."""
    return "" if value is None else value


def values_of(config: RunConfig) -> list[Any]:
    specs = field_specs()
    return [_shown(getattr(config, name)) if specs[name].optional else getattr(config, name)
            for name in form_names()]


def config_from_form(values: dict[str, Any], lang: str) -> RunConfig:
    """A validated RunConfig from the form's values (gr.Error with the sentence if bad)."""
    try:
        return RunConfig.from_dict(values)
    except PlaygroundError as exc:
        raise error_for(exc, lang) from exc


def format_estimate(found: dict[str, Any], lang: str) -> str:
    if found.get("classic"):
        return say(lang, "estimate_classic")
    text = say(lang, "estimate", minutes=duration(found["total_s"], lang, rough=True),
               steps=found["steps"], per_step=found["per_step_s"],
               memory=f"{found['memory_mb'] / 1024:.1f} GB",
               free=f"{found['free_mb'] / 1024:.1f} GB")
    if found.get("may_stop_early"):  # the steps counted are all the planned ones
        text += " " + say(lang, "estimate_at_most")
    if found["total_s"] > TOO_LONG_S:
        text += "\n\n" + say(lang, "too_slow")
    if found["memory_mb"] > found["free_mb"] * 0.8:
        text += "\n\n" + say(lang, "too_much_memory")
    return text


def for_task(values: dict[str, Any], old: str, new: str) -> list[Any]:
    """The form's values after the task changed from ``old`` to ``new``: the settings
    still at the old task's default take the new one's (chat: LoRA)."""
    changed = retask(values, old, new)
    return [changed[name] for name in form_names()]


def for_loaded(config: RunConfig, task: str, lang: str) -> tuple[list[Any], str | None]:
    """The form's values for a loaded settings file's ``config`` under the task picked on
    the Model tab (a choice that task cannot use takes its default), and a sentence
    naming what changed (None when nothing did)."""
    saved = dict(zip(form_names(), values_of(config)))
    shown = for_task(saved, config.task, task)
    changed = [f"{label(name, lang)}: {saved[name]} → {value}"
               for name, value in zip(form_names(), shown)
               if name in task_choices(task) and value != saved[name]]
    return shown, (say(lang, "settings_fit_task", changed="; ".join(changed)) if changed
                   else None)


def build(ctx: Context, task: gr.Dropdown) -> SettingsTab:
    """The form; ``task`` is the Model tab's task picker, whose defaults it follows."""
    t = ctx.t
    defaults = RunConfig()
    gr.Markdown(t("settings_next"))
    fields: dict[str, Any] = {}
    with gr.Row():
        preset = gr.Dropdown([(t(f"preset_{name}") if f"preset_{name}" in TEXTS else name, name)
                              for name in preset_names()], value="balanced",
                             label=t("preset"))
        for name in BASIC:
            fields[name] = _component(name, getattr(defaults, name), t)
    with gr.Accordion(t("advanced"), open=False, elem_id="advanced"):
        rest = [n for n in form_names() if n not in BASIC]
        for start in range(0, len(rest), 3):
            with gr.Row():
                for name in rest[start:start + 3]:
                    fields[name] = _component(name, getattr(defaults, name), t)
    fields = {name: fields[name] for name in form_names()}
    with gr.Row():
        estimate_button = gr.Button(t("preflight"), variant="secondary", elem_id="estimate")
        save_button = gr.Button(t("save_settings"))
        load_file = gr.File(label=t("load_settings"), height=150,
                            elem_id="settings-file")
    estimate_text = gr.Markdown(elem_id="estimate-text")
    saved = gr.File(label=t("settings_file"), visible=False)
    components = list(fields.values())

    def apply_preset(name: str, task_name: str):
        return values_of(load_preset(name, task_name))

    def follow(old: str, new: str, *values: Any):
        choices = task_choices(new)
        return [new, *[gr.update(choices=choice_items(name, choices[name], t), value=value)
                       if name in choices else value
                       for name, value in zip(fields, for_task(dict(zip(fields, values)),
                                                               old, new))]]

    # A page starts with its task's choices; an API caller, which loads no page, keeps
    # every one (validation refuses a choice its task cannot use, with a sentence).
    narrowed = list(task_choices(tasks.DEFAULT))

    def narrow(task_name: str):
        choices = task_choices(task_name)
        return [gr.update(choices=choice_items(name, choices[name], t)) for name in narrowed]

    def save(request: gr.Request, *values: Any):
        config = config_from_form(dict(zip(fields, values)), lang_of(request))
        path = download_path("playground-settings.json")
        config.to_json(path)
        return gr.update(value=str(path), visible=True)

    def load(path: str | None, task_name: str, request: gr.Request):
        if not path:
            return [gr.update()] * len(components)
        lang = lang_of(request)
        try:
            config = RunConfig.from_json(path)
        except PlaygroundError as exc:
            raise error_for(exc, lang) from exc
        shown, notice = for_loaded(config, task_name, lang)
        if notice:
            gr.Warning(notice)
        return shown

    shown_task = gr.State(tasks.DEFAULT)  # the task the form's values are for
    preset.change(apply_preset, [preset, task], components)
    task.change(follow, [shown_task, task, *components], [shown_task, *components])
    ctx.on_load.append((narrow, [task], [fields[name] for name in narrowed]))
    save_button.click(save, components, saved, api_name="save_settings")
    load_file.upload(load, [load_file, task], components)
    return SettingsTab(preset=preset, fields=fields, estimate_button=estimate_button,
                       estimate_text=estimate_text)

