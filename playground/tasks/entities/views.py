"""What the Test & chat tab shows for an entity agent: highlighted entities, entity-level
scores on a tagged file, and a file of texts with the entities found in each."""

from __future__ import annotations

import json

import gradio as gr
import pandas as pd

from playground.data.limits import long_rows_note
from playground.data.writing import write_csv
from playground.errors import PlaygroundError
from playground.tasks.entities.evaluate import entity_agent, evaluate_file
from playground.ui.charts import confidence_histogram, count_bars, shown_table
from playground.ui.downloads import download_path
from playground.ui.texts import error_for, say


def test_file(run, path: str, lang: str):
    """Entity-level scores overall and per type, and the sentences the agent got wrong."""
    try:
        found = evaluate_file(run, path)
    except PlaygroundError as exc:
        raise error_for(exc, lang) from exc
    scores = found["scores"]
    summary = say(lang, "test_score_ner", f1=scores["f1"], p=scores["precision"],
                  r=scores["recall"], rows=found["rows"], entities=scores["entities"])
    per_type = pd.DataFrame([{"type": kind, **values}
                             for kind, values in scores["per_type"].items()])
    # Copyable tables: formula-like cells quoted, as in the files written (data.writing).
    return (summary, gr.update(value=shown_table(per_type, lang), visible=True),
            gr.update(visible=False), gr.update(value=shown_table(found["mistakes"], lang), visible=True,
                      label=say(lang, "mistakes"), column_widths=[]))


def label_file(run, frame: pd.DataFrame, stem: str, lang: str):
    """The file with an entities column (to download), entities per type, the spread of
    their confidence, and examples."""
    try:
        labelled, column = entity_agent(run).label_frame(frame)
    except PlaygroundError as exc:
        raise error_for(exc, lang) from exc
    out = write_csv(labelled, download_path(f"{stem}.entities.csv"))
    long_rows = long_rows_note(labelled[column])
    if long_rows:
        gr.Warning(long_rows[lang == "zh"])
    found = pd.DataFrame([e for row in labelled["entities_json"] for e in json.loads(row)],
                         columns=["type", "text", "confidence"])
    counts = found["type"].value_counts().rename_axis("label").reset_index(name="texts")
    examples = labelled[labelled["entities"] != ""].head(9)[[column, "entities"]]
    spread = confidence_histogram(found["confidence"], lang) if len(found) else None
    return (str(out), count_bars(counts, lang), gr.update(value=spread, visible=spread is not None),
            gr.update(value=shown_table(examples, lang), visible=True),
            gr.update(visible=False))


def preview_html(rows: pd.DataFrame, lang: str) -> None:
    """Sentences and their entities preview best as a table (``TaskViews.preview_html``)."""
    return None
