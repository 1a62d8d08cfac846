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
from playground.service.agents import agent_choices, agent_for, ask, stream_reply
from playground.service.names import rename
from playground.ui import rules_panel, share_panel
from playground.ui.charts import (
    CHART,
)
from playground.ui.context import Context
from playground.ui.texts import error_for, lang_of, say


@dataclass
class TestTab:
    run: gr.Dropdown
    chatbot: gr.Chatbot
    message: gr.Textbox
    scores: gr.Label


SOURCE_WORDS = {"lookup": ("table lookup", "查表"), "model": ("the model", "模型"),
                "retrieval": ("retrieval", "检索"),
                "http": ("web call", "网络调用"), "entities": ("entities", "实体")}


def why_line(reply: Any, lang: str) -> str:
    """Under an answer: which label, how sure (a calibrated probability) and which rule
    or tool answered. A keyword rule's answer shows no probability: the model did not
    choose it."""
    zh = lang == "zh"
    detail = reply.detail_zh if zh and reply.detail_zh else reply.detail
    if reply.source == "rule":  # an agent without labels: its rule answered, not its model
        return say(lang, "answered_rule", rule=reply.label, detail=detail)
    if reply.source == "keyword":
        return say(lang, "answered_keyword", label=reply.label, detail=detail)
    if reply.source == "clarify":
        return say(lang, "answered_clarify", detail=detail)
    if reply.source == "reply":  # its detail only repeats "reply template"
        return say(lang, "answered_reply", label=reply.label, confidence=reply.confidence)
    source = SOURCE_WORDS.get(reply.source, (reply.source, reply.source))[zh]
    if reply.confidence is None:  # a generated (or retrieved) answer: no label to be sure of
        return say(lang, "answered_generated", source=source, detail=detail)
    return say(lang, "answered_by", label=reply.label, confidence=reply.confidence,
               source=source, detail=detail)


def conversation_of(history: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The chat so far as messages a language model reads: the page's escaped text back
    to what was typed, without the line under each answer that says who answered."""
    return [{"role": m["role"],
             "content": html.unescape(str(m["content"]).split("\n\n<sub>")[0])}
            for m in history if m.get("role") in ("user", "assistant")]


def highlighted(text: str, entities: list[dict[str, Any]]) -> dict[str, Any]:
    """The gr.HighlightedText value: each entity marked with its type and confidence."""
    return {"text": text, "entities": [
        {"entity": f"{e['type']} {e['confidence']:.0%}", "start": e["start"], "end": e["end"]}
        for e in entities]}


def picker(ctx: Context, value: Any = None) -> Any:
    """The agent picker's choices (names, newest first), and its value when given."""
    choices = agent_choices(ctx.service)
    return gr.update(choices=choices) if value is None else \
        gr.update(choices=choices, value=value)


def _agent(ctx: Context, run_id: str | None, lang: str):
    if not run_id:
        raise gr.Error(say(lang, "no_run"))
    try:
        return agent_for(ctx.service.run(run_id).path)
    except PlaygroundError as exc:
        raise error_for(exc, lang) from exc


def _read(path: str | None, lang: str) -> pd.DataFrame:
    if not path:
        raise gr.Error(say(lang, "no_data"))
    try:
        return read_table(path)
    except PlaygroundError as exc:
        raise error_for(exc, lang) from exc


def test_on_file(ctx: Context, run_id: str, path: str, lang: str):
    """The agent's scores, per label (or type) and its mistakes on a labelled file, as
    its task shows them."""
    agent = _agent(ctx, run_id, lang)
    if not path:
        raise gr.Error(say(lang, "no_data"))
    return tasks.part(agent.task, "views").test_file(ctx.service.run(run_id), path, lang)


def label_file(ctx: Context, run_id: str, path: str, lang: str):
    """The file with the agent's answers added (to download) and what it found in it."""
    agent = _agent(ctx, run_id, lang)
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
    with gr.Row():
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(label=t("chat_box"), height=320, elem_id="chatbot")
            with gr.Row():
                message = gr.Textbox(label=t("message"), scale=4, lines=1, elem_id="chat-input")
                send = gr.Button(t("send"), variant="primary", scale=1)
        with gr.Column(scale=2):
            scores = gr.Label(num_top_classes=3, label=t("top3"), elem_id="top3")
            entities = gr.HighlightedText(label=t("entities"), elem_id="entities",
                                          combine_adjacent=False, visible=False)
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
            trend = gr.LinePlot(x="date", y="texts", color="label", height=260, visible=False,
                                label=t("trend"), x_title=t("axis_date"),
                                y_title=t("axis_texts"), color_title=t("axis_label"),
                                elem_classes=CHART)

    def choices():
        return picker(ctx)

    def chat(run_id: str | None, text: str, history: list[dict[str, Any]],
             request: gr.Request):
        """One turn: the answer appears as it is written when the agent's task streams
        (a language model), at once otherwise (a label and its reply, entities)."""
        lang = lang_of(request)
        if not (text or "").strip():
            yield history, "", gr.update(), gr.update()
            return
        agent = _agent(ctx, run_id, lang)
        if tasks.spec(agent.task).streams:
            yield from streamed(run_id, text, history, lang)
            return
        try:
            reply = ask(ctx.service.run(run_id), text, ctx.web_calls)
        except PlaygroundError as exc:
            raise error_for(exc, lang) from exc
        said = reply.text
        if reply.source == "entities" and not reply.entities:
            said = say(lang, "no_entities_found")
        # The chatbot renders Markdown: the user's and the agent's words are shown as text.
        why = html.escape(why_line(reply, lang), quote=False)
        answer = f"{html.escape(said, quote=False)}\n\n<sub>{why}</sub>"
        history = history + [{"role": "user", "content": html.escape(text, quote=False)},
                             {"role": "assistant", "content": answer}]
        top = dict(list(reply.probabilities.items())[:3])
        marked = highlighted(text, reply.entities)
        yield history, "", top or None, gr.update(value=marked, visible=bool(reply.entities))

    def streamed(run_id: str, text: str, history: list[dict[str, Any]], lang: str):
        """The conversation so far and the new message, answered piece by piece."""
        asked = {"role": "user", "content": html.escape(text, quote=False)}
        said = ""
        try:
            answer = stream_reply(ctx.service.run(run_id), conversation_of(history) +
                                  [{"role": "user", "content": text}], web_calls=ctx.web_calls)
            for piece in answer:
                said += piece
                yield (history + [asked, {"role": "assistant",
                                          "content": html.escape(said, quote=False)}],
                       "", None, gr.update(visible=False))
        except PlaygroundError as exc:
            raise error_for(exc, lang) from exc
        why = html.escape(why_line(answer.rule, lang) if answer.rule else say(
            lang, "answered_generated", source=SOURCE_WORDS["model"][lang == "zh"],
            detail=say(lang, "streamed")), quote=False)
        yield (history + [asked, {"role": "assistant", "content":
                                  f"{html.escape(said, quote=False)}\n\n<sub>{why}</sub>"}],
               "", None, gr.update(visible=False))

    def show_name(run_id: str | None) -> Any:
        if not run_id:
            return ""
        try:
            return ctx.service.status(run_id).get("name") or ""
        except PlaygroundError:
            return ""

    def rename_run(run_id: str | None, new_name: str, request: gr.Request):
        lang = lang_of(request)
        if not run_id:
            raise gr.Error(say(lang, "no_run"))
        try:
            stored = rename(ctx.service, run_id, new_name)
        except PlaygroundError as exc:
            raise error_for(exc, lang) from exc
        gr.Info(html.escape(say(lang, "renamed", name=stored)))  # a toast renders HTML
        return picker(ctx, run_id), stored

    refresh.click(choices, None, run, api_name="agents")
    ctx.on_load.append((choices, [], [run]))
    run.change(show_name, run, name, api_name=False)
    name.submit(rename_run, [run, name], [run, name], api_name="rename_run")
    send.click(chat, [run, message, chatbot], [chatbot, message, scores, entities],
               api_name="chat")
    message.submit(chat, [run, message, chatbot], [chatbot, message, scores, entities])
    def run_test(run_id: str | None, path: str | None, request: gr.Request):
        return test_on_file(ctx, run_id, path, lang_of(request))

    def run_predict(run_id: str | None, path: str | None, request: gr.Request):
        return label_file(ctx, run_id, path, lang_of(request))

    test_button.click(run_test, [run, test_file], [test_summary, per_label, confusion, mistakes],
                      api_name="test_file")
    predict_button.click(run_predict, [run, predict_file],
                         [download, distribution, spread, examples, trend],
                         api_name="label_file")
    return TestTab(run=run, chatbot=chatbot, message=message, scores=scores)
