"""Reply rules of a chat agent in the running app: the rules panel shows its named rules
(no labels, no threshold), a saved edit answers the next message, the line under a
rule's answer names the rule (escaped, in the page's language), and the model streams
the rest."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import copy_run
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from playground.ui.rules_panel import NAMED_COLUMNS

from .test_app_api import client, value

HOSTILE = "<img src=x onerror=alert(1)>"


def _said(content) -> str:
    """A chat message's text (the chatbot may give it as text parts)."""
    return content if isinstance(content, str) else " ".join(p["text"] for p in content)


def _chat(c, run_id: str, text: str) -> tuple[str, list[str]]:
    """The final answer, and the answer as each frame showed it before the line under it
    (who answered) was added."""
    job = c.submit(run_id, text, [], api_name="/chat")
    history = job.result()[0]
    frames = [_said(out[0][-1]["content"]) for out in job.outputs() if len(out[0]) == 2]
    return _said(history[-1]["content"]), [f for f in frames if "<sub>" not in f]


def test_chat_rules_edit_answer_and_name_the_rule(live_app, tmp_path: Path,
                                                  tiny_chat_run: Path) -> None:
    url, service = live_app
    run_id = copy_run(tiny_chat_run, service.runs_dir).run_id
    c = client(url)
    table, threshold, clarify, not_found, allow_http, timeout, entity_run, _, \
        help_labels, help_named = c.predict(run_id, api_name="/rules")
    assert value(table)["headers"] == NAMED_COLUMNS and table["static_columns"] == []
    assert not any(row[0] for row in value(table)["data"])  # no rules yet: empty rows
    assert threshold["visible"] is False and clarify["visible"] is False
    assert entity_run["visible"] is False and help_named["visible"] is True
    assert help_labels["visible"] is False

    orders = tmp_path / "orders.csv"
    pd.DataFrame({"order": ["A-100"], "status": ["shipped"]}).to_csv(orders, index=False)
    # a rule that names a table not uploaded yet is refused: it would never answer
    rows = [[HOSTILE, "open, 开门", "We open at <i>9</i>.", "reply", ""],
            ["", "", "", "lookup", "orders.csv"]]  # no name: named after its table
    form = (value(threshold), value(clarify), not_found, allow_http, timeout,
            value(entity_run))
    with pytest.raises(AppError, match="orders.csv is not uploaded"):
        c.predict(run_id, {"headers": NAMED_COLUMNS, "data": rows}, *form,
                  api_name="/save_rules")
    # uploading it puts a lookup rule for it in the page's table, to save with the rest
    note, _, shown = c.predict(run_id, handle_file(str(orders)),
                               {"headers": NAMED_COLUMNS, "data": rows[:1]},
                               api_name="/add_table")
    assert "orders.csv" in note and "save the rules" in note
    assert value(shown)["data"] == [rows[0], ["orders.csv", "", "", "lookup", "orders.csv"]]
    c.predict(run_id, value(shown), *form, api_name="/save_rules")
    saved = value(c.predict(run_id, api_name="/rules")[0])["data"]
    assert [row[0] for row in saved if row[0]] == [HOSTILE, "orders.csv"]

    answer, frames = _chat(c, run_id, "when do you open?")
    assert answer.startswith("We open at &lt;i&gt;9&lt;/i&gt;.") and HOSTILE not in answer
    assert "answered by the rule “&lt;img src=x onerror=alert(1)&gt;” before the model: " \
           "keyword 'open'" in answer
    assert frames == ["We open at &lt;i&gt;9&lt;/i&gt;."]  # in one piece, then the line
    answer, _ = _chat(c, run_id, "where is A-100?")
    assert answer.startswith("shipped") and "rule “orders.csv”" in answer

    answer, frames = _chat(c, run_id, "hello there how are you")
    assert "written as you watched" in answer and "before the model" not in answer
    # the model's answer shows as it is written (piece by piece: test_chat_rules.py,
    # greedy; here the page samples, so how many pieces is not fixed)
    assert frames and answer.startswith(frames[-1]), frames

    zh = client(url, "zh-CN").submit(run_id, "你们几点开门", [], api_name="/chat")
    assert "由规则“&lt;img src=x onerror=alert(1)&gt;”在模型之前回答：关键词「开门」" in \
        _said(zh.result()[0][-1]["content"])
