"""A chat agent on a user's file of questions and answers: its scores, and a table of
the questions with the reference, the agent's answer and the base model's answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from playground.errors import DataError
from playground.runfolder import RunFolder
from playground.service.agents import agent_for
from playground.tasks.chat.checks import check_chat_eval
from playground.tasks.chat.classic import question_of
from playground.tasks.chat.reading import read_conversations

MAX_ROWS = 200  # answers a language model writes for a file, a second or more each


def evaluate_file(run: RunFolder, path: str | Path, max_mistakes: int = 200) -> dict[str, Any]:
    """chrF and exact match of the agent's greedy answers on a chat file (any chat form),
    and of its base model's before fine-tuning when it has one (``base``, else None); the
    table of questions, references and both answers (the first ``max_mistakes``); the
    precision the models answered in (the agent's, as its report was scored). ``rows``
    counts the questions scored, ``file_rows`` the file's."""
    from playground.tasks.chat.training import score

    agent = agent_for(run.path)
    conversations, report = check_chat_eval(read_conversations(path))
    if report.errors:
        raise DataError(" ".join(p.message for p in report.errors),
                        "Fix the file and test again.",
                        zh="".join(p.message_zh or p.message for p in report.errors)
                           + "请修正文件后重新测试。")
    # a language model writes each answer: it is scored on the file's start
    messages = [c.messages for c in (conversations if agent.kind == "classic"
                                     else conversations[:MAX_ROWS])]
    said = agent.scored_answers(messages)
    scores = score(messages, {"answers": said, "loss": None}, {})
    rows = [{"question": question_of(m), "reference": m[-1]["content"], "answer": a}
            for m, a in zip(messages, said)]
    base = None
    if agent.has_base:  # each question answered once by each model
        base_said = agent.scored_answers(messages, base=True)
        base = score(messages, {"answers": base_said, "loss": None}, {})
        for row, answer in zip(rows, base_said):
            row["base_answer"] = answer
    table = pd.DataFrame(rows, columns=["question", "reference", "answer"] +
                         (["base_answer"] if base else []))
    return {"rows": len(messages), "file_rows": len(conversations), "scores": scores,
            "base": base, "answers": table.head(max_mistakes),
            # None for retrieval: it writes no answer, it picks one
            "precision": agent.precision if agent.kind != "classic" else None}
