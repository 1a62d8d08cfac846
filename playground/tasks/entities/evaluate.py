"""Entity agents for the app: the agent of a run, and its scores on a tagged file.

The UI never imports the training core; it calls these with a run folder. Agents come
from the same small cache as intent agents (``agents.agent_for``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from playground.errors import DataError, RunError
from playground.runfolder import RunFolder
from playground.service.agents import agent_for
from playground.tasks.entities.checks import check_entity_eval
from playground.tasks.entities.reading import entity_text, read_entities, shown_text


def entity_agent(run: RunFolder):
    """The run's agent, which must be an entity agent (a RunError says so otherwise)."""
    agent = agent_for(run.path)
    if getattr(agent, "task", "") != "ner":
        raise RunError(f"The run {run.run_id} labels texts; it does not find entities.",
                       "Pick a run trained with the task 'ner'.",
                       zh=f"训练记录 {run.run_id} 给文本打标签，不找实体。请选择用任务 ner 训练的记录。")
    return agent


def evaluate_file(run: RunFolder, path: str | Path,
                         max_mistakes: int = 200) -> dict[str, Any]:
    """Score a run's entity agent on a tagged file (any entity format): entity-level
    scores overall and per type, the 'no entity' baseline, and the sentences it got wrong
    (tokens, true and predicted entities)."""
    from playground.tasks.entities.metrics import entity_scores, outside_baseline

    agent = entity_agent(run)
    sentences, report = check_entity_eval(read_entities(path), agent.labels)
    if report.errors:
        raise DataError(" ".join(p.message for p in report.errors),
                        "Fix the file and test again.",
                        zh="".join(p.message_zh or p.message for p in report.errors)
                           + "请修正文件后重新测试。")
    truth = [s.tags for s in sentences]
    tagged = agent.tag([s.tokens for s in sentences])
    predicted = [tags for tags, _ in tagged]
    rows = []
    for sentence, guess in zip(sentences, predicted):
        if guess != sentence.tags:
            rows.append({"text": shown_text(sentence.tokens),
                         "entities": entity_text(sentence.tokens, sentence.tags),
                         "predicted": entity_text(sentence.tokens, guess)})
    return {"rows": len(sentences), "report": report,
            "scores": entity_scores(truth, predicted, agent.labels),
            "majority": outside_baseline(truth, agent.labels),
            "mistakes": pd.DataFrame(rows[:max_mistakes],
                                     columns=["text", "entities", "predicted"])}


