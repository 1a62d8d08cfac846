"""What Test & chat does with a big file for a chat agent. A language model writes each
answer, so a file of questions to answer is bounded (refused with a sentence in the
page's language) and a file to score is scored on its first questions, saying so;
retrieval picks its answers at once and takes the whole file."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import pandas as pd
import pytest
from conftest import CARD_VERBS, copy_run

from playground.runfolder import RunFolder
from playground.tasks.chat import views
from playground.tasks.chat.evaluate import MAX_ROWS


def test_a_file_of_too_many_questions_to_answer_is_refused_with_a_sentence(
        tiny_chat_run: Path, retrieval_chat_run: RunFolder, tmp_path: Path) -> None:
    writer = copy_run(tiny_chat_run, tmp_path / "runs")
    many = pd.DataFrame({"question": [f"how do I block my card {i}"
                                      for i in range(MAX_ROWS + 1)]})
    with pytest.raises(gr.Error) as refused:
        views.label_file(writer, many, "many", "zh")
    assert f"{MAX_ROWS + 1:,} 个问题" in refused.value.message
    assert f"不超过 {MAX_ROWS} 行" in refused.value.message
    path, *_ = views.label_file(retrieval_chat_run, many, "many", "en")  # retrieval: all of it
    answered = pd.read_csv(path)
    assert len(answered) == MAX_ROWS + 1
    assert set(answered["answer"]) == {"To block your card, open the app."}


def _sheet(path: Path, rows: int) -> Path:
    pd.DataFrame({"question": [f"please {CARD_VERBS[i % 3]} my card" for i in range(rows)],
                  "answer": [f"To {CARD_VERBS[i % 3]} your card, open the app."
                             for i in range(rows)]}).to_csv(path, index=False)
    return path


def test_a_big_file_is_scored_on_its_first_questions_and_says_so(
        tiny_chat_run: Path, retrieval_chat_run: RunFolder, tmp_path: Path, monkeypatch) -> None:
    from playground.tasks.chat import evaluate

    monkeypatch.setattr(evaluate, "MAX_ROWS", 6)  # the tiny model writes 6, not 200
    writer = copy_run(tiny_chat_run, tmp_path / "runs")
    sheet = _sheet(tmp_path / "held_out.csv", 1003)
    summary, *_, table = views.test_file(writer, str(sheet), "en")
    assert "on 6 questions" in summary
    assert "The file has 1,003 questions" in summary and "the first 6 were scored" in summary
    assert len(table["value"]) == 6
    small = _sheet(tmp_path / "small.csv", 5)
    assert "The file has" not in views.test_file(writer, str(small), "en")[0]
    # retrieval picks its answers at once: the whole file is scored
    summary = views.test_file(retrieval_chat_run, str(sheet), "en")[0]
    assert "on 1003 questions" in summary and "The file has" not in summary
    assert "exact match 100.0%" in summary
