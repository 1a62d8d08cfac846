"""Tab 4: start and stop, the queue, live loss curves, and the list of every run.

The curve is fed by a gr.Timer that reads only the events appended since the last tick
(the offset lives in the window's Curve state). The run this window follows is also kept
in the browser (gr.BrowserState), so a reload reconnects to it with its full curve.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from playground.errors import PlaygroundError
from playground.service.owners import Owner, Person, owner_of
from playground.service.prepare import create_run, prepare
from playground.ui.context import Context
from playground.ui.session import Curve, Session
from playground.ui.tab_model import model_setting
from playground.ui.tab_settings import config_from_form
from playground.ui.texts import TEXTS, error_for, lang_of, say
from playground.ui.visitor import owner_label, person

TICK_S = 1.5
# "score" is accuracy for labelled texts and entity F1 for entities (token accuracy, high
# because most tokens are no entity, would flatter an entity agent).
RUN_COLUMNS = ["name", "state", "owner", "task", "model", "data", "score", "macro_f1",
               "duration_s", "run_id"]
SERIES = {"train": ("train", "训练"), "validation": ("validation", "验证")}
COLOURS = ("#4f7cac", "#e8833a")


@dataclass
class TrainTab:
    start: gr.Button
    stop: gr.Button
    status: gr.HTML
    loss_plot: gr.LinePlot
    runs: gr.Dataframe
    browser_run: gr.BrowserState
    followed: gr.State  # the run this window follows (the gallery's Train this sets it)
    finished: gr.State  # the followed run's id once it has finished with an agent


def _duration(seconds: float | None) -> str:
    if seconds is None:  # the worker gives no ETA until it means something
        return "…"
    seconds = max(0, int(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def read_new_events(ctx: Context, run_id: str | None, curve: Curve) -> Curve:
    """The curve of ``run_id`` with the events written since the last call appended."""
    if curve.run_id != run_id:
        curve = Curve(run_id=run_id)  # another run: read its events from the start
    if not run_id:
        return curve
    try:
        run = ctx.service.run(run_id)
    except PlaygroundError:  # its folder was deleted while we followed it
        return Curve()
    events, curve.offset = run.read_events(curve.offset)
    for event in events:
        if event["type"] == "train":
            curve.train_points.append({"step": event["step"], "loss": event["loss"],
                                         "series": "train"})
            curve.last_train = event
            curve.phase = {}
        elif event["type"] == "eval":
            # Entity runs are scored by entity F1; labelled texts by accuracy.
            score = event["f1"] if event.get("f1") is not None else event["accuracy"]
            curve.eval_points.append({"step": event["step"], "loss": event["eval_loss"],
                                        "series": "validation", "accuracy": score})
        elif event["type"] == "phase":
            curve.phase = event
    return curve


def _running_text(curve: Curve, lang: str) -> tuple[str, int, int]:
    """What a running run is doing now, and its progress (done, total) for the bar."""
    if curve.phase:  # loading, tokenizing, baselines, calibrating, saving...
        said = curve.phase.get("message_zh") if lang == "zh" else None
        done = curve.last_train.get("step", 0)
        return said or curve.phase.get("message") or say(lang, "starting"), done, max(
            curve.last_train.get("total_steps", 1), 1)
    if not curve.last_train:
        return say(lang, "starting"), 0, 1
    last = curve.last_train
    done, total = last["step"], max(last["total_steps"], 1)
    eta = last.get("eta_s")
    left = _duration(eta) if eta is not None else say(lang, "eta_measuring")
    return say(lang, "running", step=done, total=total, epoch=last["epoch"], loss=last["loss"],
               eta=left), done, total


def _succeeded_text(report: dict[str, Any], lang: str) -> str:
    """The three held-out scores, which model the agent is and why, and a warning when the
    agent is no better than always giving the most common label."""
    scores = report.get("scores", {})
    ner = report.get("task") == "ner"
    key = "f1" if ner else "accuracy"
    held_out = report.get("held_out_zh") if lang == "zh" else None
    text = say(lang, "succeeded_ner" if ner else "succeeded", acc=scores["model"][key],
               held_out=held_out or report.get("held_out", ""),
               maj=scores["majority"][key], classic=scores["classic"][key])
    agent = report.get("agent") or {}
    reason = agent.get("reason_zh") if lang == "zh" else agent.get("reason")
    if reason:
        text += " " + reason
    if report.get("verdict") == "no_better_than_majority":
        text = say(lang, "not_useful", text=text)
    return text


def status_html(ctx: Context, curve: Curve, lang: str, viewer: Person | None = None) -> str:
    """The run's name, state, who started it, progress bar and what it is doing, all values
    escaped: names, reasons and descriptions come from files and bundles."""
    if not curve.run_id:
        return html.escape(say(lang, "nothing_running"))
    status = ctx.service.status(curve.run_id)
    state = status.get("state", "queued")
    done, total = 0, 1
    if state == "queued":
        text = say(lang, "queued", ahead=status.get("queue_position", 0))
    elif state == "running":
        text, done, total = _running_text(curve, lang)
    elif state == "succeeded":
        report = ctx.service.run(curve.run_id).read_report() or {}
        done, text = total, _succeeded_text(report, lang)
    else:
        reason = status.get("reason_zh") if lang == "zh" else None
        key = "cancelled" if state == "cancelled" else "failed"
        text = say(lang, key, reason=reason or status.get("reason", ""))
    name = status.get("name") or curve.run_id
    shown_state = say(lang, f"state_{state}") if f"state_{state}" in TEXTS else state
    owner = owner_label(owner_of(status), viewer, lang)
    if owner:
        shown_state += " · " + say(lang, "started_by", owner=owner)
    bar = f'<progress value="{done}" max="{total}" style="width:100%"></progress>'
    return (f"<div><b>{html.escape(name)}</b> · {html.escape(shown_state)}</div>{bar}"
            f"<div>{html.escape(text)}</div>")


def curves(curve: Curve, lang: str = "en") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The loss and accuracy frames for the plots, the series named in the page's
    language. Typed even when empty: the plot keeps the axis types of the first frame it
    gets, and an empty object column is categorical."""
    zh = lang == "zh"
    loss = pd.DataFrame(curve.train_points + [
        {k: p[k] for k in ("step", "loss", "series")} for p in curve.eval_points],
        columns=["step", "loss", "series"]).astype({"step": "int64", "loss": "float64"})
    loss["series"] = loss["series"].map(lambda name: SERIES[name][zh])
    metric = pd.DataFrame([{"step": p["step"], "accuracy": p["accuracy"]}
                           for p in curve.eval_points], columns=["step", "accuracy"]
                          ).astype({"step": "int64", "accuracy": "float64"})
    return loss, metric


def series_colours(lang: str) -> dict[str, str]:
    return {SERIES[name][lang == "zh"]: colour for name, colour in zip(SERIES, COLOURS)}


def scores_frame(report: dict[str, Any], lang: str) -> pd.DataFrame:
    """The held-out scores a finished run compares: the majority label, the classic model,
    the fine-tuned model (when one was trained), and which one is the agent."""
    scores = report.get("scores", {})
    key = "f1" if report.get("task") == "ner" else "accuracy"
    names = {"majority": say(lang, "bar_majority" if key == "accuracy" else "bar_nothing"),
             "classic": say(lang, "bar_classic"), "finetuned": say(lang, "bar_finetuned")}
    rows = [{"model": names[name], "score": scores[name][key]}
            for name in ("majority", "classic", "finetuned")
            if scores.get(name) and scores[name].get(key) is not None]
    if "finetuned" not in scores and report.get("method") != "classic":  # before agent choice
        rows.append({"model": names["finetuned"], "score": scores["model"][key]})
    return pd.DataFrame(rows, columns=["model", "score"])


def runs_table(ctx: Context, viewer: Person | None = None, lang: str = "en") -> pd.DataFrame:
    rows = [{**row, "score": score_of(row), "owner": owner_label(row["owner"], viewer, lang)}
            for row in ctx.service.list_runs()]
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


def score_of(row: dict[str, Any]) -> float | None:
    """A run's headline score: entity F1 for entity runs, accuracy for the others."""
    return row["entity_f1"] if row["task"] == "ner" else row["accuracy"]


def start_run(ctx: Context, session: Session, model: str, task: str, text_column: str | None,
              label_column: str | None, eval_path: str | None, settings: dict[str, Any],
              lang: str, owner: Owner | None = None) -> str:
    """Check everything, then queue a run for ``owner``; returns its id (this window
    follows it)."""
    if not session.data_path:
        raise gr.Error(say(lang, "no_data"))
    config = config_from_form({**settings, "model": model, "task": task,
                               "text_column": text_column, "label_column": label_column}, lang)
    try:
        prep = prepare(session.data_path, config, eval_path)
        prep.raise_for_errors()
        run = create_run(ctx.service.runs_dir, prep)
    except PlaygroundError as exc:
        raise error_for(exc, lang) from exc
    ctx.service.submit(run, owner)
    return run.run_id


def build(ctx: Context, model_tab: Any, data_tab: Any, settings_tab: Any) -> TrainTab:
    t = ctx.t
    gr.Markdown(t("train_next"))
    with gr.Row():
        start = gr.Button(t("start"), variant="primary", scale=2, elem_id="start")
        stop = gr.Button(t("stop"), variant="stop", scale=1, elem_id="stop")
    status = gr.HTML(elem_id="run-status")
    with gr.Row():
        # Fixed colours: the plot takes its series from the first frame it gets, which
        # may hold train points only.
        loss_plot = gr.LinePlot(x="step", y="loss", color="series", label=t("loss_plot"),
                                color_map=series_colours("en"), color_title=t("curve"),
                                x_title=t("axis_step"), y_title=t("axis_loss"),
                                height=340, scale=3, elem_id="loss-plot")
        metric_plot = gr.LinePlot(x="step", y="accuracy", label=t("metric_plot"), height=300,
                                  x_title=t("axis_step"), y_title=t("axis_score"),
                                  y_lim=[0, 1], scale=2, elem_id="metric-plot")
    scores_plot = gr.BarPlot(x="model", y="score", label=t("scores_plot"), y_lim=[0, 1],
                             height=260, visible=False, elem_id="scores-plot")
    with gr.Accordion(t("runs"), open=False, elem_id="runs-panel"):
        with gr.Row():
            pick = gr.Dropdown([], label=t("open_run"), scale=3, allow_custom_value=True,
                               elem_id="open-run")
            refresh = gr.Button(t("refresh"), size="sm", scale=1, elem_id="runs-refresh")
        runs = gr.Dataframe(runs_table(ctx), interactive=False, wrap=True,
                            elem_id="runs-table")
    timer = gr.Timer(TICK_S)
    followed = gr.State(None)  # the run id this window follows; set by clicks only
    curve = gr.State(Curve())  # what has been read of it; written by the timer only
    finished = gr.State(None)  # set by the timer when the followed run has its agent
    browser_run = ctx.browser_run

    def tick(run_id: str | None, points: Curve, key: str | None, request: gr.Request):
        lang = lang_of(request)
        before = (points.run_id, points.offset)
        points = read_new_events(ctx, run_id, points)
        status = status_html(ctx, points, lang, person(ctx, request, key))
        loss, metric, scores, done = {}, {}, gr.skip(), gr.skip()
        if points.run_id != before[0]:  # another run: its curves show, its scores later
            loss["visible"] = metric["visible"] = True
            scores = gr.update(visible=False)
        end = _finished_view(ctx, points, lang) if points.run_id and not points.announced \
            else None
        if end is not None:
            scores, done = end["scores"], end["run_id"]
            if end["curves"] is not None:
                loss["visible"] = metric["visible"] = end["curves"]
        if (points.run_id, points.offset) != before or not points.shown:
            loss_frame, metric_frame = curves(points, lang)
            # An empty frame is never sent: a plot that first gets one draws no lines later.
            points.shown = not loss_frame.empty and not metric_frame.empty
            if not loss_frame.empty:
                loss.update(value=loss_frame, color_map=series_colours(lang))
            if not metric_frame.empty:
                metric["value"] = metric_frame
        return (points, status, gr.update(**loss) if loss else gr.skip(),
                gr.update(**metric) if metric else gr.skip(), scores, done)

    def stop_run(run_id: str | None, key: str | None, request: gr.Request) -> str:
        lang = lang_of(request)
        if not run_id:
            gr.Warning(say(lang, "nothing_running"))
            return say(lang, "nothing_running")
        try:
            outcome = ctx.service.cancel(run_id, by=person(ctx, request, key))
        except PlaygroundError as exc:  # someone else's run, or deleted meanwhile
            raise error_for(exc, lang) from exc
        message = say(lang, {"removed": "removed_from_queue", "stopping": "stopping"}.get(
            outcome, "nothing_running"))
        gr.Info(message)
        return message

    def open_run(run_id: str | None, request: gr.Request):
        if not run_id:
            raise gr.Error(say(lang_of(request), "no_run"))
        try:
            ctx.service.run(run_id)
        except PlaygroundError as exc:
            raise error_for(exc, lang_of(request)) from exc
        return run_id, run_id

    def refresh_runs(key: str | None, request: gr.Request):
        table = runs_table(ctx, person(ctx, request, key), lang_of(request))
        return table, gr.update(choices=list(zip(table["name"], table["run_id"])))

    def reconnect(remembered: str | None, key: str | None, request: gr.Request):
        try:
            run_id = ctx.service.run(remembered).run_id if remembered else None
        except PlaygroundError:
            run_id = None  # the run folder was deleted: nothing to reconnect to
        return (run_id, *refresh_runs(key, request))

    names = list(settings_tab.fields)

    # gr.Request comes first: gradio injects it by position, before the *settings.
    def start_clicked(request: gr.Request, session: Session, key: str | None, choice: str,
                      custom: str, task: str, text_column: str | None,
                      label_column: str | None, eval_path: str | None, *settings: Any):
        run_id = start_run(ctx, session, model_setting(choice, custom), task, text_column,
                           label_column, eval_path, dict(zip(names, settings)),
                           lang_of(request), person(ctx, request, key).as_owner())
        return run_id, run_id

    start.click(start_clicked,
                [ctx.session, ctx.visitor, model_tab.choice, model_tab.custom, model_tab.task,
                 data_tab.text_column,
                 data_tab.label_column, data_tab.eval_file, *settings_tab.fields.values()],
                [followed, browser_run], api_name="start")
    timer.tick(tick, [followed, curve, ctx.visitor],
               [curve, status, loss_plot, metric_plot, scores_plot, finished],
               show_progress="hidden", api_name="tick")
    stop.click(stop_run, [followed, ctx.visitor], status, api_name="stop")
    refresh.click(refresh_runs, ctx.visitor, [runs, pick], api_name="runs")
    pick.input(open_run, pick, [followed, browser_run], api_name="open_run")
    ctx.on_load.append((reconnect, [browser_run, ctx.browser_key], [followed, runs, pick]))
    return TrainTab(start=start, stop=stop, status=status, loss_plot=loss_plot, runs=runs,
                    browser_run=browser_run, followed=followed, finished=finished)


def _finished_view(ctx: Context, curve: Curve, lang: str) -> dict[str, Any] | None:
    """Once the followed run has finished: its held-out scores as bars, whether the curves
    stay (a classic model has none), and its id for the tabs that list agents. None while
    it has not finished."""
    try:
        run = ctx.service.run(curve.run_id)
    except PlaygroundError:
        return None
    if run.read_status().get("state") not in ("succeeded", "cancelled", "failed"):
        return None
    curve.announced = True
    report = run.read_report() or {}
    if not report.get("scores"):
        return {"scores": gr.skip(), "curves": None, "run_id": curve.run_id}
    frame = scores_frame(report, lang)
    return {"scores": gr.update(value=frame, visible=True, sort=frame["model"].tolist(),
                                x_title=say(lang, "axis_model"), y_title=say(lang, "axis_score")),
            "curves": report.get("method") != "classic", "run_id": curve.run_id}
