"""The bundled sheets that scripts in assets/ build: the help-desk chat recipe's."""

from __future__ import annotations

import pandas as pd
import pytest
from playground.assets.make_bank_chat import DEFAULT_SOURCE, build_sheet

from playground.recipes import assets_dir


def test_the_help_desk_sheet_pairs_short_requests_with_their_intents_answer() -> None:
    requests = pd.DataFrame({"text": [
        "where is my card", "my card has not come", "card still not here ", "where is my card",
        "my card has not arrived yet and I have been waiting for weeks, what is going on here?",
        "how do I change my PIN", "change pin please", "new pin?", "what is the rate"],
        "category": ["card_arrival"] * 5 + ["change_pin"] * 3 + ["exchange_rate"]})
    answers = {"change_pin": "Change it at any ATM.", "card_arrival": "Cards come in 5 days."}
    sheet = build_sheet(requests, answers, rows_per_intent=2, max_characters=40, seed=1)
    assert list(sheet.columns) == ["question", "answer"] and len(sheet) == 4
    assert list(sheet["answer"]) == ["Change it at any ATM."] * 2 + ["Cards come in 5 days."] * 2
    arrival = set(sheet["question"][2:])  # short, stripped, each once, of its own intent
    assert arrival <= {"where is my card", "my card has not come", "card still not here"}
    assert sheet.equals(build_sheet(requests, answers, rows_per_intent=2, max_characters=40,
                                    seed=1))  # the same seed, the same sheet


@pytest.mark.skipif(not (DEFAULT_SOURCE / "train.csv").exists(), reason="banking77 not here")
def test_the_bundled_help_desk_sheet_is_what_the_script_builds() -> None:
    built = build_sheet(pd.read_csv(DEFAULT_SOURCE / "train.csv"))
    bundled = pd.read_csv(assets_dir() / "bank_chat_en.csv")
    assert built.reset_index(drop=True).equals(bundled)
