"""Tab 5: talk to a finished agent, test it on a labeled file, label a whole file."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from playground import tasks
from playground.data import read_table
from playground.errors import PlaygroundError
from playground.service.agents import agent_choices
from playground.service.names import rename
from playground.ui import chat_panel, rules_panel, share_panel
from playground.ui.charts import (
    CHART,
)
from playground.ui.context import Context
from playground.ui.texts import error_for, lang_of, say
from playground.ui.visitor import person


@dataclass
class TestTab:
    run: gr.Dropdown
    chat: chat_panel.ChatPanel


def picker(ctx: Context, value: Any = None) -> Any:
    """The agent picker's choices (names, newest first), and its value when given."""
    choices = agent_choices(ctx.service)
    return gr.update(choices=choices) if value is None else \
        gr.update(choices=choices, value=value)


def _read(path: str | None, lang: str) -> pd.DataFrame:
    if not path:
        raise gr.Error(say(lang, "no_file_here"))
    try:
        return read_table(path)
    except PlaygroundError as exc:
        raise error_for(exc, lang) from exc


def test_on_file(ctx: Context, run_id: str, path: str, lang: str):
    """The agent's scores, per label (or type) and its mistakes on a labelled file, as
    its task shows them."""
    agent = chat_panel.agent_of(ctx, run_id, lang)
    if not path:
        raise gr.Error(say(lang, "no_file_here"))
    return tasks.part(agent.task, "views").test_file(ctx.service.run(run_id), path, lang)


def label_file(ctx: Context, run_id: str, path: str, lang: str):
    """The file with the agent's answers added (to download) and what it found in it."""
    agent = chat_panel.agent_of(ctx, run_id, lang)
    return tasks.part(agent.task, "views").label_file(ctx.service.run(run_id),
                                                      _read(path, lang), Path(path).stem, lang)


def build(ctx: Context) -> TestTab:
    t = ctx.t
    gr.Markdown(t("test_next"))
    with gr.Row():
        run = gr.Dropdown([], label=t("pick_run"), scale=4, elem_id="agent-pick",
                          allow_custom_value=True)  # runs appear while the page is open
        name = gr.Textbox(label=t("run_name"), info=t("run_name_help"), scale=3,
                          elem_id="run-name", max_length=60)
        refresh = gr.Button(t("refresh"), size="sm", scale=1, elem_id="agents-refresh")
    chat = chat_panel.build(ctx, run)
    rules_panel.build(ctx, run)
    share_panel.build(ctx, run)
    with gr.Tab(t("run_test")):
        with gr.Row():
            test_file = gr.File(label=t("test_file"), height=150, elem_id="test-file")
            test_button = gr.Button(t("run_test"), elem_id="run-test")
        test_summary = gr.Markdown()
        with gr.Row():
            per_label = gr.Dataframe(label=t("per_label"), interactive=False, visible=False,
                                     elem_id="per-label")
            # Pictures stay hidden until there is one: an empty plot is a blank box.
            confusion = gr.Plot(label=t("confusion"), visible=False)
        mistakes = gr.Dataframe(label=t("mistakes"), interactive=False, wrap=True,
                                visible=False)
    with gr.Tab(t("run_predict")):
        with gr.Row():
            predict_file = gr.File(label=t("predict_file"), height=150)
            predict_button = gr.Button(t("run_predict"))
        download = gr.File(label=t("download"))
        gr.Markdown(t("insights"))
        with gr.Row():
            distribution = gr.BarPlot(x="label", y="texts", height=260, x_label_angle=-30,
                                      label=t("per_label_count"), visible=False,
                                      elem_classes=CHART)
            spread = gr.Plot(label=t("confidence_spread"), visible=False)
        with gr.Row():
            examples = gr.Dataframe(label=t("examples"), interactive=False, wrap=True,
                                    visible=False)
            # its axis titles come with each file (trend_lines): a plot shows a
            # translation key given here as raw text
            trend = gr.LinePlot(x="date", y="texts", color="label", height=260, visible=False,
                                label=t("trend"), elem_classes=CHART)

    def choices():
        return picker(ctx)

    def show_name(run_id: str | None) -> Any:
        if not run_id:
            return ""
        try:
            return ctx.service.status(run_id).get("name") or ""
        except PlaygroundError:
            return ""

    def rename_run(run_id: str | None, new_name: str, key: str | None, request: gr.Request):
        lang = lang_of(request)
        if not run_id:
            raise gr.Error(say(lang, "no_run"))
        try:
            stored = rename(ctx.service, run_id, new_name, by=person(ctx, request, key))
        except PlaygroundError as exc:
            raise error_for(exc, lang) from exc
        gr.Info(html.escape(say(lang, "renamed", name=stored)))  # a toast renders HTML
        return picker(ctx, run_id), stored

    refresh.click(choices, None, run, api_name="agents")
    ctx.on_load.append((choices, [], [run]))
    run.change(show_name, run, name, api_name=False)
    name.submit(rename_run, [run, name, ctx.visitor], [run, name], api_name="rename_run")

    def run_test(run_id: str | None, path: str | None, request: gr.Request):
        return test_on_file(ctx, run_id, path, lang_of(request))

    def run_predict(run_id: str | None, path: str | None, request: gr.Request):
        return label_file(ctx, run_id, path, lang_of(request))

    test_button.click(run_test, [run, test_file], [test_summary, per_label, confusion, mistakes],
                      api_name="test_file")
    predict_button.click(run_predict, [run, predict_file],
                         [download, distribution, spread, examples, trend],
                         api_name="label_file")
    return TestTab(run=run, chat=chat)
