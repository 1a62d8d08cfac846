"""Tab 2: upload a table or pick a sample; preview, columns, label chart, every check."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from playground import tasks
from playground.catalog import choose
from playground.errors import PlaygroundError
from playground.service.prepare import language_note
from playground.ui.charts import CHART, count_bars
from playground.ui.context import Context
from playground.ui.safe import inline_text
from playground.ui.session import Session
from playground.ui.tab_model import model_setting
from playground.ui.texts import error_for, lang_of, sample_key, say

# No file_types on the uploads: gradio would refuse other files with an English sentence;
# the readers look at what a file holds and say in the page's language what is wrong.
PREVIEW_ROWS = 8


@dataclass
class DataTab:
    text_column: gr.Dropdown
    label_column: gr.Dropdown
    eval_file: gr.File


PREVIEW_CHARS = 300  # of one cell in the preview table


def samples() -> dict[str, Path]:
    """Bundled sample files (assets/), name -> path."""
    folder = Path(str(files("playground.assets")))
    return {p.name: p for p in sorted([*folder.glob("*.csv"), *folder.glob("*.conll")])}


def sample_items(task: str | None, t: Any) -> list[tuple[Any, str]]:
    """The sample picker's (words, file name) pairs: the samples of ``task``, or of every
    task when None (what an API caller may name)."""
    specs = tasks.specs() if task is None else [tasks.spec(task)]
    return [(t(sample_key(name)), name) for spec in specs for name in spec.samples]


def _model_line(model: str, language: str, lang: str, task: str) -> str:
    """Which model will read this data, and a warning when it cannot read the language."""
    spec = tasks.spec(task)
    try:
        choice = choose(model, language, spec.model_family, spec.has_classic)
    except PlaygroundError as exc:  # it quotes the model typed on the Model tab
        return f"❌ {inline_text(exc.text(lang))}"
    note = language_note(choice, language, lang)
    said = choice.note_zh if lang == "zh" and choice.note_zh else choice.note
    # A model typed on the Model tab is named in them: text, not Markdown.
    return f"🧠 {inline_text(said)}" + (f"\n\n⚠️ {inline_text(note)}" if note else "")


def _problem_line(problem, lang: str) -> str:
    """A problem's sentence, which quotes the file's column names and labels: escaped, so
    they show as text in the Markdown (a label "**x**" is not bold, "[a](b)" no link)."""
    mark = "❌ " if problem.level == "error" else "⚠️ "
    said = problem.message_zh if lang == "zh" and problem.message_zh else problem.message
    return mark + inline_text(said)


def _checks_markdown(report, lang: str, model: str, task: str) -> str:
    lines = [_problem_line(p, lang) for p in report.problems]
    if report.ok:
        ready = tasks.spec(task).ready[lang == "zh"]
        lines.insert(0, ready.format(rows=f"{report.rows_used:,}",
                                     labels=len(report.label_counts)))
        lines.append(_model_line(model, report.language, lang, task))
    summary = report.summary_lines_zh() if lang == "zh" else report.summary_lines()
    lines += [f"- {inline_text(line)}" for line in summary]
    return "\n\n".join(lines)


def analyse(path: str, text_column: str | None, label_column: str | None, lang: str,
            max_mb: int, model: str, task: str = tasks.DEFAULT):
    """Everything the tab shows for a file, as its task reads it (``OUTPUTS`` in order):
    the preview (a table, or the task's own HTML), the column pickers named for the task,
    the chart of examples per label (or entity type; hidden when the task has none), the
    checks."""
    size_mb = Path(path).stat().st_size / 2**20
    if size_mb > max_mb:
        raise gr.Error(say(lang, "too_big", size=f"{size_mb:.0f}", limit=max_mb))
    try:
        found = tasks.part(task, "prepare").preview(path, text_column or None,
                                                    label_column or None, model, PREVIEW_ROWS)
    except PlaygroundError as exc:
        raise error_for(exc, lang) from exc
    bubbles = tasks.part(task, "views").preview_html(found.rows, lang)
    text, label, extra = column_pickers(task, lang, found.columns, found.extra_columns)
    rows = found.rows.rename(columns={c: pair[lang == "zh"] for c, pair in found.titles.items()})
    # A cell of millions of characters would be sent to the browser whole: its start is
    # what a preview needs.
    rows = rows.map(lambda v: v[:PREVIEW_CHARS] + "…" if isinstance(v, str) and
                    len(v) > PREVIEW_CHARS else v)
    # the task's own columns share the width (each wraps in view); a file's by content
    widths = [f"{100 / len(rows.columns):.0f}%"] * len(rows.columns) if found.titles else []
    return (gr.update(value=rows, visible=bubbles is None, column_widths=widths),
            gr.update(value=bubbles or "", visible=bubbles is not None),
            {**text, "value": found.text_column}, {**label, "value": found.label_column},
            extra, label_chart(found.report.label_counts, lang, task),
            _checks_markdown(found.report, lang, model, task))


# What analyse() returns, in order (the tab's outputs).
OUTPUTS = ("preview", "bubbles", "text_column", "label_column", "extra_column", "chart",
           "checks")


def column_pickers(task: str, lang: str, columns: list[str] | None = None,
                   extra: dict[str, str] | None = None) -> tuple[Any, Any, Any]:
    """The text and label pickers named as the task calls them (a question and an answer
    column for chat), and the column read for any other role (a system column), shown
    only when the file has one. ``columns``: the file's (None keeps the choices)."""
    words = tasks.spec(task).column_words
    zh = lang == "zh"
    chosen = {} if columns is None else {"choices": columns}
    role, column = next(iter((extra or {}).items()), (None, None))
    shown = gr.update(visible=False, value=None) if role is None else gr.update(
        visible=True, label=words.get(role, (role, role))[zh], choices=[column], value=column)
    return (gr.update(label=words["text"][zh], **chosen),
            gr.update(label=words["label"][zh], **chosen), shown)


def label_chart(label_counts: dict[str, int], lang: str, task: str = tasks.DEFAULT) -> Any:
    """The examples-per-label bars (entities per type), titled as the task counts, the
    axis from 0 (equal counts would collapse it); hidden for a task whose rows have no
    labels to count (chat)."""
    if not label_counts:
        return gr.update(value=None, visible=False)
    counts = pd.DataFrame({"label": [str(k) for k in label_counts],
                           "examples": [int(v) for v in label_counts.values()]})
    words = {key: pair[lang == "zh"] for key, pair in tasks.spec(task).count_words.items()}
    return {**count_bars(counts, lang, "examples"), "label": words["title"],
            "x_title": words["x"], "y_title": words["y"]}


def refused(message: str) -> tuple[Any, ...]:
    """What the tab shows for a file it cannot use: nothing of any earlier file, and why."""
    return (gr.update(value=None, visible=False), gr.update(value="", visible=False),
            gr.update(choices=[], value=None), gr.update(choices=[], value=None),
            gr.update(value=None, visible=False), gr.update(value=None, visible=False),
            f"❌ {message}")


def build(ctx: Context, model_tab: Any) -> DataTab:
    t = ctx.t
    gr.Markdown(t("data_next"))
    with gr.Row():
        with gr.Column(scale=2):
            upload = gr.File(label=t("data_file"), height=150,
                             elem_id="upload")
        with gr.Column(scale=1):
            # Every task's samples, as an API caller may name any; a page shows its task's.
            sample = gr.Dropdown(sample_items(None, t), label=t("data_sample"), value=None,
                                 elem_id="sample")
    with gr.Row():
        text_column = gr.Dropdown([], label=t("text_column"), interactive=True,
                                  elem_id="text-column")
        label_column = gr.Dropdown([], label=t("label_column"), interactive=True,
                                   elem_id="label-column")
        # Read by its name, not picked: shown when a file has such a column.
        extra_column = gr.Dropdown([], interactive=False, visible=False,
                                   elem_id="extra-column")
    # A task's own preview (chat bubbles) takes the width: such a task has no chart.
    bubbles = gr.HTML(label=t("preview"), show_label=True, container=True, visible=False,
                      max_height=420, elem_id="preview-bubbles")
    with gr.Row():
        with gr.Column(scale=3):
            preview = gr.Dataframe(label=t("preview"), interactive=False, wrap=True,
                                   max_height=300, visible=False, elem_id="preview")
        with gr.Column(scale=2):
            chart = gr.BarPlot(x="label", y="examples", label=t("label_chart"), height=260,
                               x_label_angle=-30, visible=False, elem_id="label-chart",
                               elem_classes=CHART)
    checks = gr.Markdown(label=t("data_checks"), elem_id="data-checks")
    with gr.Accordion(t("data_eval_file"), open=False):
        eval_file = gr.File(label=t("data_eval_file"), height=150)
    outputs = [preview, bubbles, text_column, label_column, extra_column, chart, checks]
    assert len(outputs) == len(OUTPUTS)

    model = [model_tab.choice, model_tab.custom, model_tab.task]

    def load_file(session: Session, path: str | None, choice: str, custom: str, task: str,
                  request: gr.Request):
        if not path:
            return session, *([gr.update()] * len(outputs))
        session.data_path = None  # a refused file must not leave the earlier one in use
        try:
            shown = analyse(path, None, None, lang_of(request), ctx.max_upload_mb,
                            model_setting(choice, custom), task)
        except gr.Error as exc:
            return session, *refused(exc.message)
        session.data_path = path
        return session, *shown

    def load_sample(session: Session, name: str | None, choice: str, custom: str, task: str,
                    request: gr.Request):
        if not name:
            raise gr.Error(say(lang_of(request), "no_data"))
        return load_file(session, str(samples()[name]), choice, custom, task, request)

    def recheck(session: Session, text: str, label: str, choice: str, custom: str, task: str,
                request: gr.Request):
        pickers = column_pickers(task, lang_of(request))  # named for the task, file or not
        keep = {"preview": gr.update(), "bubbles": gr.update(), "chart": gr.update(),
                "text_column": pickers[0], "label_column": pickers[1],
                "extra_column": pickers[2]}
        if not session.data_path:
            return [keep.get(name, gr.update()) for name in OUTPUTS]
        try:
            return analyse(session.data_path, text, label, lang_of(request), ctx.max_upload_mb,
                           model_setting(choice, custom), task)
        except gr.Error as exc:  # the file stays chosen: another column or task may fit
            # no preview or chart of how the last task read it beside the sentence why
            # this one cannot: the columns stay to pick from
            hidden = gr.update(value=None, visible=False)
            return [{**keep, "preview": hidden, "bubbles": gr.update(value="", visible=False),
                     "chart": hidden}.get(name, f"❌ {exc.message}") for name in OUTPUTS]

    upload.upload(load_file, [ctx.session, upload, *model], [ctx.session, *outputs],
                  api_name="load_file")
    sample.input(load_sample, [ctx.session, sample, *model], [ctx.session, *outputs],
                 api_name="load_sample")
    columns = [ctx.session, text_column, label_column, *model]
    text_column.input(recheck, columns, outputs, api_name="set_text_column")
    label_column.input(recheck, columns, outputs, api_name="set_label_column")
    # Another task reads the same file differently (a table of labels, or tagged tokens).
    def retask(session: Session, choice: str, custom: str, task: str, request: gr.Request):
        return recheck(session, None, None, choice, custom, task, request)

    model_tab.task.input(retask, [ctx.session, *model], outputs, api_name="set_task")

    def task_samples(task: str):
        return gr.update(choices=sample_items(task, t), value=None)

    model_tab.task.change(task_samples, model_tab.task, sample, api_name=False)
    ctx.on_load.append((task_samples, [model_tab.task], [sample]))
    return DataTab(text_column=text_column, label_column=label_column, eval_file=eval_file)
