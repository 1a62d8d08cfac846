"""What the Data and Test & chat tabs show for a chat agent: a file's first conversations
as chat bubbles, its scores on a question/answer file with each question's reference and
answer, and a file of questions with answers added."""

from __future__ import annotations

import html

import gradio as gr
import pandas as pd

from playground.data.writing import safe_frame, write_csv
from playground.errors import PlaygroundError
from playground.runfolder import RunFolder
from playground.service.agents import agent_for
from playground.tasks.chat.evaluate import MAX_ROWS, evaluate_file
from playground.tasks.chat.generation import ANSWER_MARGIN
from playground.ui.charts import shown_table
from playground.ui.downloads import download_path
from playground.ui.texts import error_for, say


def test_file(run: RunFolder, path: str, lang: str):
    """chrF and exact match on a chat file (the agent's, and its base model's before
    fine-tuning), and the questions with the reference and each model's answer."""
    try:
        found = evaluate_file(run, path)
    except PlaygroundError as exc:
        raise error_for(exc, lang) from exc
    scores = found["scores"]
    summary = say(lang, "test_score_chat", chrf=scores["chrf"],
                  exact=scores["exact_match"], rows=found["rows"])
    if found["file_rows"] > found["rows"]:
        summary += say(lang, "test_score_chat_first", rows=found["rows"],
                       total=found["file_rows"])
    if found["base"]:
        summary += say(lang, "test_score_chat_base", chrf=found["base"]["chrf"],
                       exact=found["base"]["exact_match"])
    if found["precision"]:  # a language model wrote the answers (retrieval picks one)
        summary += say(lang, "test_score_chat_precision", precision=found["precision"])
        summary += say(lang, "test_score_chat_cut", margin=ANSWER_MARGIN)
    table = found["answers"].rename(columns={
        column: say(lang, f"answers_{column}") for column in found["answers"].columns})
    # Long answers: the full-width table below, under a label of its own, its columns
    # sharing the width so that each answer wraps in view (by content, the first long
    # answer would push the base model's off the page)
    widths = ["22%", "26%", "26%", "26%"] if found["base"] else ["24%", "38%", "38%"]
    return (summary, gr.update(visible=False), gr.update(visible=False),
            gr.update(value=safe_frame(table), visible=True, label=say(lang, "answers_table"),
                      column_widths=widths))


def label_file(run: RunFolder, frame: pd.DataFrame, stem: str, lang: str):
    """The file with an answer to each question (to download), and its first rows. A
    language model writes each answer: a file of more than ``MAX_ROWS`` questions is
    refused for it (retrieval picks its answers at once)."""
    try:
        agent = agent_for(run.path)
        if agent.kind != "classic" and len(frame) > MAX_ROWS:
            raise gr.Error(say(lang, "chat_label_rows", rows=len(frame), most=MAX_ROWS))
        answered, column = agent.label_frame(frame)
    except PlaygroundError as exc:
        raise error_for(exc, lang) from exc
    out = write_csv(answered, download_path(f"{stem}.answers.csv"))
    return (str(out), gr.update(visible=False), gr.update(visible=False),
            gr.update(value=shown_table(answered[[column, "answer"]].head(20), lang), visible=True),
            gr.update(visible=False))


PREVIEW_CHARS = 600  # of one message: the preview shows the start of a long answer
# Bubbles: questions on the right, answers on the left, the system message across.
BUBBLE = ("max-width:80%;padding:6px 10px;border-radius:12px;white-space:pre-wrap;"
          "overflow-wrap:anywhere;background:{background};")
BACKGROUNDS = {"user": "var(--color-accent-soft)",
               "assistant": "var(--background-fill-primary);border:1px solid "
                            "var(--border-color-primary)",
               "system": "transparent;border:1px dashed var(--border-color-primary)"}
SIDES = {"user": "flex-end", "assistant": "flex-start", "system": "center"}


def preview_html(rows: pd.DataFrame, lang: str) -> str:
    """The first conversations as chat bubbles, each message headed by its role in
    ``lang``; every text is the file's, so escaped, and cut to ``PREVIEW_CHARS``."""
    conversations = []
    for messages in rows["conversation"]:
        bubbles = []
        for message in messages:
            role = message["role"]
            text = message["content"]
            if len(text) > PREVIEW_CHARS:
                text = text[:PREVIEW_CHARS] + "…"
            bubbles.append(
                f'<div style="display:flex;justify-content:{SIDES[role]};margin:3px 0">'
                f'<div style="{BUBBLE.format(background=BACKGROUNDS[role])}">'
                f'<div style="font-size:0.8em;opacity:0.7">{say(lang, f"chat_role_{role}")}'
                f"</div>{html.escape(text)}</div></div>")
        conversations.append('<div class="chat-preview-conversation" style="padding:6px 0;'
                             'border-bottom:1px solid var(--border-color-primary)">'
                             + "".join(bubbles) + "</div>")
    return '<div id="chat-preview">' + "".join(conversations) + "</div>"
