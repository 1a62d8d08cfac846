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

from playground import tasks
from playground.catalog import CLASSIC
from playground.data.writing import safe_frame
from playground.errors import PlaygroundError
from playground.service.owners import Owner, Person, owner_of
from playground.service.prepare import create_run, prepare
from playground.ui.charts import CHART, padded_lim
from playground.ui.context import Context
from playground.ui.session import Curve, Session
from playground.ui.tab_model import model_setting
from playground.ui.tab_settings import config_from_form
from playground.ui.texts import TEXTS, duration, error_for, lang_of, say
from playground.ui.visitor import owner_label, person

TICK_S = 1.5
# The runs table's columns and their headers. "score" is accuracy for labelled texts and
# entity F1 for entities (token accuracy, high because most tokens are no entity, would
# flatter an entity agent).
RUN_COLUMNS = {"name": ("name", "名称"), "state": ("state", "状态"), "owner": ("owner", "发起人"),
               "task": ("task", "任务"), "model": ("model", "模型"), "data": ("data", "数据"),
               "score": ("score", "得分"), "macro_f1": ("macro-F1", "宏平均 F1"),
               "duration_s": ("seconds", "用时（秒）"), "run_id": ("run id", "记录 id")}
# Shares of the page's width: the table fits a 1366-pixel screen and long cells wrap at
# spaces and hyphens; each column keeps room for its longest word ("classification").
RUN_WIDTHS = ("20%", "8%", "8%", "13%", "11%", "10%", "6%", "7%", "7%", "10%")
assert len(RUN_WIDTHS) == len(RUN_COLUMNS)
SERIES = {"train": ("train", "训练"), "validation": ("validation", "验证")}
COLOURS = ("#4f7cac", "#e8833a")
# Both languages' names: the plot is built before a page's language is known.
SERIES_COLOURS = {names[zh]: colour for names, colour in zip(SERIES.values(), COLOURS)
                  for zh in (False, True)}


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
    if curve.warnings is None:  # read once per run: they do not change
        curve.warnings = _warnings(run)
        curve.metric = _live_metric(tasks.of_config(run.read_config()["config"]))
    events, curve.offset = run.read_events(curve.offset)
    for event in events:
        if event["type"] == "train":
            curve.train_points.append({"step": event["step"], "loss": event["loss"],
                                         "series": "train"})
            curve.last_train = event
            curve.phase = {}
        elif event["type"] == "eval":
            # The task's headline score (accuracy, entity F1...) of the validation part.
            score = event.get(curve.metric, event.get("accuracy")) if curve.metric else None
            curve.eval_points.append({"step": event["step"], "loss": event["eval_loss"],
                                        "series": "validation", "accuracy": score})
        elif event["type"] == "phase":
            curve.phase = event
    return curve


def _live_metric(task: tasks.TaskSpec) -> str | None:
    """The score a task's validation passes report while it trains (its headline), or
    None when they report only the loss (no checkpoint is picked by any other score)."""
    return task.headline if task.checkpoint_metrics else None


def _warnings(run: Any) -> dict[str, list[str]]:
    """The warnings ``prepare`` found for a run, in both languages (a run made before they
    were kept in Chinese too has English only)."""
    data = run.read_config().get("data") or {}
    english = data.get("warnings") or []
    return {"en": english, "zh": data.get("warnings_zh") or english}


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
    eta = last.get("eta_s")  # None until enough of the run is timed to mean something
    # It counts every planned step: with early stopping on, that is the most it can take.
    said = "eta_at_most" if last.get("may_stop_early") else "eta_left"
    left = say(lang, said, time=duration(eta, lang)) if eta is not None else \
        say(lang, "eta_measuring")
    return say(lang, "running", step=done, total=total, epoch=last["epoch"], loss=last["loss"],
               eta=left), done, total


def _succeeded_text(report: dict[str, Any], lang: str) -> str:
    """The three held-out scores, which model the agent is and why, and a warning when the
    agent is no better than always giving the most common label."""
    text = _scores_text(report, lang)
    if report.get("verdict") != "no_better_than_majority":
        return say(lang, "done", text=text)
    return tasks.spec(report.get("task")).not_useful[lang == "zh"] + \
        ("" if lang == "zh" else " ") + text


def _percents(values: list[float]) -> list[str]:
    """``values`` as percentages with one decimal, or two where one would show different
    scores alike (chrF 14.53% and 14.51% are not both "14.5%")."""
    for places in (1, 2, 3):
        shown = [f"{v:.{places}%}" for v in values]
        if len(set(shown)) == len(set(values)):
            return shown
    return shown


def _scores_text(report: dict[str, Any], lang: str) -> str:
    """The held-out scores of a run's report (the floor, classic, the agent) and which
    model the agent is and why."""
    scores = report.get("scores", {})
    task = tasks.spec(report.get("task"))
    key, zh = task.headline, lang == "zh"
    gap = "" if zh else " "  # Chinese sentences follow each other with no space
    held_out = report.get("held_out_zh") if zh else None
    shown = _percents([scores["model"][key], scores["majority"][key],
                       *([scores["classic"][key]] if scores.get("classic") else [])])
    text = say(lang, "succeeded", metric=_first_up(task.metric_title(key, lang)),
               acc=shown[0], held_out=held_out or report.get("held_out", ""),
               floor=_first_up(task.floor_words(scores["majority"], zh)), maj=shown[1])
    if scores.get("classic"):
        text += gap + say(lang, "succeeded_classic", name=_first_up(task.classic_name[zh]),
                          classic=shown[2])
    agent = report.get("agent") or {}
    reason = agent.get("reason_zh") if lang == "zh" else agent.get("reason")
    if reason:
        text += gap + reason
    return text


def status_html(ctx: Context, curve: Curve, lang: str, viewer: Person | None = None) -> str:
    """The run's name, state, who started it, progress bar, what it is doing and its data's
    warnings, all values escaped: names, reasons and descriptions come from files and
    bundles."""
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
        report = ctx.service.run(curve.run_id).read_report() if state == "cancelled" else None
        if report and report.get("scores"):  # stopped early, with its best checkpoint
            done = total
            text += ("" if lang == "zh" else " ") + _scores_text(report, lang)
    name = status.get("name") or curve.run_id
    shown_state = say(lang, f"state_{state}") if f"state_{state}" in TEXTS else state
    owner = owner_label(owner_of(status), viewer, lang)
    if owner:
        shown_state += " · " + say(lang, "started_by", owner=owner)
    bar = f'<progress value="{done}" max="{total}" style="width:100%"></progress>'
    warnings = "".join(f"<div>⚠️ {html.escape(w)}</div>"
                       for w in (curve.warnings or {}).get(lang, []))
    return (f"<div><b>{html.escape(name)}</b> · {html.escape(shown_state)}</div>{bar}"
            f"<div>{html.escape(text)}</div>{warnings}")


def curves(curve: Curve, lang: str = "en") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The loss and accuracy frames for the plots, the series named in the page's
    language. Typed even when empty: the plot keeps the axis types of the first frame it
    gets, and an empty object column is categorical.

    The loss frame names both series from its first row: the plot takes its colours and
    legend from the series of the first frame it draws, so a series with no point yet
    gets one row with no loss (drawn as nothing)."""
    zh = lang == "zh"
    train = curve.train_points or [{"step": 0, "loss": None, "series": "train"}]
    validation = [{k: p[k] for k in ("step", "loss", "series")} for p in curve.eval_points] \
        or [{"step": 0, "loss": None, "series": "validation"}]
    loss = pd.DataFrame(train + validation, columns=["step", "loss", "series"]).astype(
        {"step": "int64", "loss": "float64"})
    loss["series"] = loss["series"].map(lambda name: SERIES[name][zh])
    metric = pd.DataFrame([{"step": p["step"], "accuracy": p["accuracy"]}
                           for p in curve.eval_points if p["accuracy"] is not None],
                          columns=["step", "accuracy"]
                          ).astype({"step": "int64", "accuracy": "float64"})
    return loss, metric


def step_span(curve: Curve) -> list[int]:
    """Both curves' x-axis: the planned steps while the run trains (the line grows from
    left to right), the steps it took once it has ended (early stopping ends it sooner)."""
    last = curve.train_points[-1]["step"] if curve.train_points else 0
    planned = curve.last_train.get("total_steps", last)
    return [0, max(1, last if curve.announced else max(last, planned))]


def _first_up(words: str) -> str:
    """A score's name starting a sentence: "Accuracy", "Entity F1"; a name with its own
    capitals ("chrF", "macro-F1") stays as it is written."""
    first = words.split(" ", 1)[0]
    return words if first != first.lower() else words[:1].upper() + words[1:]


def scores_frame(report: dict[str, Any], lang: str) -> pd.DataFrame:
    """The held-out scores a finished run compares: the majority label, the classic model,
    the fine-tuned model (when one was trained), and which one is the agent."""
    scores = report.get("scores", {})
    task = tasks.spec(report.get("task"))
    key = task.headline
    zh = lang == "zh"
    names = {"majority": task.floor_words(scores.get("majority") or {}, zh),
             "classic": task.classic_name[zh], "finetuned": say(lang, "bar_finetuned")}
    rows = [{"model": names[name], "score": scores[name][key]}
            for name in ("majority", "classic", "finetuned")
            if scores.get(name) and scores[name].get(key) is not None]
    if "finetuned" not in scores and report.get("method") != "classic":  # before agent choice
        rows.append({"model": names["finetuned"], "score": scores["model"][key]})
    return pd.DataFrame(rows, columns=["model", "score"])


def runs_table(ctx: Context, viewer: Person | None = None, lang: str = "en"
               ) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Every run as the table shows it in ``lang``, and the (name, id) choices to open one."""
    zh = lang == "zh"
    rows = [{**row, "model": row["model_zh"] if zh else row["model"],
             "task": tasks.spec(row["task"]).short_title[zh],
             "owner": owner_label(row["owner"], viewer, lang),
             "state": say(lang, f"state_{row['state']}") if f"state_{row['state']}" in TEXTS
             else row["state"]} for row in ctx.service.list_runs()]
    table = pd.DataFrame(rows, columns=list(RUN_COLUMNS))
    choices = list(zip(table["name"], table["run_id"]))
    # Names are anyone's to edit, and the table has a copy button: no cell runs as a formula.
    shown = safe_frame(table.rename(columns={key: names[zh]
                                             for key, names in RUN_COLUMNS.items()}))
    return shown, choices


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
        run = create_run(ctx.service.runs_dir, prep, lang)
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
        # Axes from 0, ending a little above the highest point (a line on the edge is
        # half hidden); the tick sets the ends, see step_span. Both plots line up, and a
        # loss that barely moves does not look like a cliff.
        loss_plot = gr.LinePlot(x="step", y="loss", color="series", label=t("loss_plot"),
                                color_map=SERIES_COLOURS, color_title=t("curve"),
                                x_title=t("axis_step"), y_title=t("axis_loss"), x_lim=[0, None],
                                y_lim=[0, None], height=340, scale=3, elem_id="loss-plot",
                                elem_classes=CHART)
        metric_plot = gr.LinePlot(x="step", y="accuracy", label=t("metric_plot"), height=340,
                                  x_title=t("axis_step"), y_title=t("axis_score"),
                                  x_lim=[0, None], y_lim=[0, 1.05], scale=2, elem_id="metric-plot",
                                  elem_classes=CHART)
    scores_plot = gr.BarPlot(x="model", y="score", label=t("scores_plot"), y_lim=[0, 1],
                             height=260, visible=False, elem_id="scores-plot",
                             elem_classes=CHART)
    with gr.Accordion(t("runs"), open=False, elem_id="runs-panel"):
        with gr.Row():
            pick = gr.Dropdown([], label=t("open_run"), scale=3, allow_custom_value=True,
                               elem_id="open-run")
            refresh = gr.Button(t("refresh"), size="sm", scale=1, elem_id="runs-refresh")
        gr.Markdown(t("runs_help"))
        runs = gr.Dataframe(runs_table(ctx)[0], interactive=False, wrap=True,
                            column_widths=list(RUN_WIDTHS), elem_id="runs-table")
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
            loss["visible"] = not _is_classic(ctx, points.run_id)
            metric["visible"] = loss["visible"] and points.metric is not None
            if points.metric:  # named for the run's task: accuracy, entity F1...
                metric["label"] = say(lang, "metric_plot_of", metric=_metric_title(
                    ctx, points.run_id, lang))
            scores = gr.update(visible=False)
        end = _finished_view(ctx, points, lang) if points.run_id and not points.announced \
            else None
        if end is not None:
            scores, done = end["scores"], end["run_id"]
            if end["curves"] is not None:
                loss["visible"] = end["curves"]
                metric["visible"] = end["curves"] and points.metric is not None
        if (points.run_id, points.offset) != before or not points.shown or end is not None:
            loss_frame, metric_frame = curves(points, lang)
            # No frame is sent before its first point: a plot that first gets an empty one
            # draws no lines later.
            points.shown = bool(points.train_points) and (not metric_frame.empty
                                                          or points.metric is None)
            if points.train_points:
                loss.update(value=loss_frame, x_lim=step_span(points),
                            y_lim=padded_lim(loss_frame["loss"].max()))
            if not metric_frame.empty:
                metric.update(value=metric_frame, x_lim=step_span(points))
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
        table, choices = runs_table(ctx, person(ctx, request, key), lang_of(request))
        return table, gr.update(choices=choices)

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


def _metric_title(ctx: Context, run_id: str, lang: str) -> str:
    task = tasks.of_config(ctx.service.run(run_id).read_config()["config"])
    return task.metric_title(task.headline, lang)


def _is_classic(ctx: Context, run_id: str | None) -> bool:
    """Whether the run trains the classic model, which has no steps and so no curves."""
    if not run_id:
        return False
    return ctx.service.run(run_id).read_config()["model"]["id"] == CLASSIC


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
    classic = report.get("method") == "classic"  # nothing was fine-tuned
    return {"scores": gr.update(value=frame, visible=True, sort=frame["model"].tolist(),
                                label=say(lang, "scores_plot_classic" if classic else "scores_plot"),
                                x_title=say(lang, "axis_model"), y_title=say(lang, "axis_score")),
            "curves": not classic, "run_id": curve.run_id}
