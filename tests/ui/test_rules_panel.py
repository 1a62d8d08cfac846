"""The rules table of an agent without labels, read and written as agent.json holds it."""

from __future__ import annotations

import pandas as pd

from playground.service.replies import AgentRules
from playground.ui.rules_panel import (
    BLANK_ROWS,
    NAMED_HEADERS_ZH,
    rules_frame,
    rules_from_frame,
    with_lookup_row,
)

FORM = (0.4, "clarify?", "not found", False, 5.0, "")


def test_named_rows_round_trip_and_take_a_name_when_left_without() -> None:
    rows = [["", "营业时间，开门、open", "We open at 9.", "", ""],  # no name: its keyword
            ["", "", "", "lookup", "orders.csv"],  # no name, no keyword: its table
            ["", "", "", "", ""]]  # empty: skipped
    frame = pd.DataFrame(rows, columns=NAMED_HEADERS_ZH)  # the Chinese page's headers
    rules = AgentRules.from_dict(rules_from_frame(frame, *FORM, named=True), [])
    assert [(r.label, r.keywords, r.action) for r in rules.rules] == [
        ("营业时间", ["营业时间", "开门", "open"], "reply"), ("orders.csv", [], "lookup")]
    shown = rules_frame(rules, [], "zh")
    assert len(shown) == 2 + BLANK_ROWS and list(shown.columns) == NAMED_HEADERS_ZH
    again = AgentRules.from_dict(rules_from_frame(shown, *FORM, named=True), [])
    assert again == rules


def test_an_uploaded_table_gets_one_lookup_row() -> None:
    frame = rules_frame(AgentRules(rules=[]), [])
    added = with_lookup_row(frame, "faq.csv")
    assert added.iloc[0].tolist() == ["faq.csv", "", "", "lookup", "faq.csv"]
    assert len(added) == len(frame)  # typed into the first empty row
    assert with_lookup_row(added, "faq.csv").equals(added)  # already used: unchanged
