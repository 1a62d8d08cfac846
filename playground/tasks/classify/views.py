"""What the Test & chat tab shows for a text classifier: scores per label and a confusion
matrix on a labelled file, and a labelled file with counts, confidence and trends."""

from __future__ import annotations

import gradio as gr
import pandas as pd

from playground.data import read_table
from playground.data.limits import long_rows_note
from playground.data.writing import write_csv
from playground.errors import PlaygroundError
from playground.runfolder import RunFolder
from playground.service.agents import agent_for
from playground.tasks.classify.evaluate import evaluate_table
from playground.ui.charts import (
    confidence_histogram,
    confusion_figure,
    count_bars,
    shown_table,
    trend_frame,
    trend_lines,
)
from playground.ui.downloads import download_path
from playground.ui.texts import error_for, say


def test_file(run: RunFolder, path: str, lang: str):
    """Accuracy, per-label report, confusion matrix and mistakes on a labelled file."""
    try:
        found = evaluate_table(run, read_table(path))
    except PlaygroundError as exc:
        raise error_for(exc, lang) from exc
    if found["long_rows"]:
        gr.Warning(found["long_rows"][lang == "zh"])
    result = found["scores"]
    summary = say(lang, "test_score", acc=result["accuracy"], f1=result["macro_f1"],
                  rows=found["rows"], maj=found["majority_accuracy"])
    per_label = pd.DataFrame([{"label": label, **values}
                              for label, values in result["per_label"].items()])
    # The tables have a copy button: a text or label that a spreadsheet would run as a
    # formula is shown (and copied) quoted, as in the files the playground writes.
    return (summary, gr.update(value=shown_table(per_label, lang), visible=True),
            gr.update(value=confusion_figure(result["confusion_matrix"], lang), visible=True),
            gr.update(value=shown_table(found["mistakes"], lang), visible=True,
                      label=say(lang, "mistakes"), column_widths=[]))


def label_file(run: RunFolder, frame: pd.DataFrame, stem: str, lang: str):
    """The file with predictions added (to download), the count per label, the spread of
    confidence, examples and the trend per label (when the file has dates)."""
    try:
        labelled, column = agent_for(run.path).label_frame(frame)
    except PlaygroundError as exc:
        raise error_for(exc, lang) from exc
    out = write_csv(labelled, download_path(f"{stem}.predictions.csv"))
    long_rows = long_rows_note(labelled[column])
    if long_rows:  # the rows the agent read only the start of (data.limits)
        gr.Warning(long_rows[lang == "zh"])
    counts = labelled["predicted_label"].value_counts().rename_axis("label") \
        .reset_index(name="texts")
    examples = labelled.groupby("predicted_label", sort=False).head(3)[
        ["predicted_label", "confidence", column]].sort_values("predicted_label")
    spread = confidence_histogram(labelled["confidence"], lang)
    return (str(out), count_bars(counts, lang), gr.update(value=spread, visible=True),
            gr.update(value=shown_table(examples, lang),
                      visible=True),
            trend_lines(trend_frame(labelled), lang))


def preview_html(rows: pd.DataFrame, lang: str) -> None:
    """Labelled texts preview best as a table (``TaskViews.preview_html``)."""
    return None
