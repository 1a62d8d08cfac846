"""The Model, Data, Train and Gallery tabs for a chat task: the models it can train and
what Auto and classic mean for it, its sheet as chat bubbles with its own column names,
no empty label chart or score plot, and a run stopped early that shows its scores, gets
a gallery card and is named and listed in the page's language."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import INTENTS, tiny_settings

from playground import tasks
from playground.catalog import AUTO, CLASSIC, EMBEDDED, EMBEDDED_CHAT, catalog
from playground.config import RunConfig
from playground.service.gallery import cards
from playground.service.jobs import TrainingService
from playground.service.prepare import create_run, prepare
from playground.training import worker
from playground.ui.context import Context
from playground.ui.session import Curve
from playground.ui.tab_data import analyse
from playground.ui.tab_model import cards_markdown, model_choices
from playground.ui.tab_train import curves, read_new_events, runs_table, status_html

CHAT = tasks.names()[2]  # no task name is written outside tasks/ (test_tasks.py)
assert tasks.spec(CHAT).streams


def _qa_sheet(path: Path, system: bool = False) -> Path:
    rows = [(f"{phrase} {i}", f"my name is ada and {label.replace('_', ' ')}")
            for label, phrases in INTENTS.items() for phrase in phrases for i in range(3)]
    frame = pd.DataFrame(rows, columns=["question", "answer"])
    if system:
        frame["persona"] = "You are Ada, a <b>kind</b> helper."
    frame.loc[0, "question"] = "is <script>alert(1)</script> & co safe?"
    frame.to_csv(path, index=False)
    return path


def test_the_model_tab_lists_the_tasks_models_and_says_what_auto_and_classic_are() -> None:
    chat = model_choices(CHAT, "en", EMBEDDED)  # MiniLM was picked for another task
    ids = [value for _, value in chat["choices"]]
    assert chat["value"] == AUTO and ids[:3] == [AUTO, CLASSIC, EMBEDDED_CHAT]
    assert set(ids[1:]) == {c.id for c in catalog() if c.family in ("causal-lm", "classic")}
    assert "SmolLM2" in chat["info"] and "retrieval" in chat["info"]
    assert "MiniLM" not in chat["info"]
    zh = model_choices(CHAT, "zh", EMBEDDED_CHAT)
    assert zh["value"] == EMBEDDED_CHAT and zh["choices"][0][0] == "自动"
    assert "检索" in zh["info"] and "SmolLM2" in zh["info"]
    labels = model_choices(tasks.DEFAULT, "en", EMBEDDED_CHAT)
    assert labels["value"] == AUTO and "MiniLM" in labels["info"]
    assert EMBEDDED_CHAT not in [value for _, value in labels["choices"]]
    classic_row = next(line for line in cards_markdown("en", CHAT).splitlines()
                       if f"`{CLASSIC}`" in line)
    assert "Retrieval" in classic_row and "logistic regression" not in classic_row
    assert "检索" in cards_markdown("zh", CHAT)
    assert "logistic regression" in cards_markdown("en", tasks.DEFAULT)


def test_the_data_tab_shows_a_chat_sheet_as_bubbles_in_the_pages_language(
        tmp_path: Path) -> None:
    sheet = _qa_sheet(tmp_path / "qa.csv", system=True)
    table, bubbles, text, label, extra, chart, checks = analyse(
        str(sheet), None, None, "zh", 50, "classic", CHAT)
    assert table["visible"] is False and bubbles["visible"] is True
    shown = bubbles["value"]
    assert all(word in shown for word in ("用户", "助手", "系统提示"))
    assert "user:" not in shown and "assistant" not in shown
    assert "<script>" not in shown and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in shown
    assert "&lt;b&gt;kind&lt;/b&gt;" in shown  # the system text is the file's too
    assert (text["label"], text["value"]) == ("问题列", "question")
    assert (label["label"], label["value"]) == ("回答列", "answer")
    assert extra["visible"] is True and extra["value"] == "persona"
    assert extra["label"] == "系统提示列（按列名找到）"
    assert chart["visible"] is False  # a chat sheet has no labels to count
    assert "✅" in checks
    english = analyse(str(_qa_sheet(tmp_path / "plain.csv")), None, None, "en", 50,
                      "classic", CHAT)
    assert "User" in english[1]["value"] and "Assistant" in english[1]["value"]
    assert english[2]["label"] == "Question column" and english[4]["visible"] is False
    labelled = tmp_path / "labels.csv"
    pd.DataFrame([(p, label) for label, phrases in INTENTS.items() for p in phrases * 3],
                 columns=["text", "label"]).to_csv(labelled, index=False)
    table, bubbles, text, _, extra, chart, _ = analyse(str(labelled), None, None, "en", 50,
                                                       "classic")
    assert table["visible"] is True and bubbles["visible"] is False
    assert text["label"] == "Text column" and chart["visible"] is True
    assert extra["visible"] is False


@pytest.fixture(scope="module")
def stopped_chat_run(tmp_path_factory: pytest.TempPathFactory, tiny_chat_model_dir: Path):
    """A chat run started from the Chinese page and stopped at its first step, as the
    worker runs it: it keeps what it has as its agent."""
    folder = tmp_path_factory.mktemp("stopped-chat")
    prep = prepare(_qa_sheet(folder / "faq.csv"),
                   RunConfig(task=CHAT, **tiny_settings(tiny_chat_model_dir, epochs=3)))
    run = create_run(folder / "runs", prep, "zh")
    run.cancel_path.touch()  # Stop pressed before the first step ended
    assert worker.main([str(run.path)]) == 0
    assert run.read_status()["state"] == "cancelled"
    return TrainingService(folder / "runs", serve=False), run


def test_a_stopped_chat_run_shows_its_scores_and_its_loss_only(stopped_chat_run) -> None:
    service, run = stopped_chat_run
    ctx = Context(service=service, t=None, session=None, browser_run=None)
    curve = read_new_events(ctx, run.run_id, Curve())
    assert curve.metric is None and curve.eval_points  # chat scores only its loss live
    loss, metric = curves(curve, "en")
    assert metric.empty and "validation" in set(loss["series"])
    en, zh = status_html(ctx, curve, "en"), status_html(ctx, curve, "zh")
    assert "⏹ Stopped." in en and "chrF" in en and "Base model" in en
    assert "⏹ 已停止。" in zh and "chrF" in zh and "微调前的基础模型" in zh


def test_a_stopped_chat_run_is_named_listed_and_carded_in_the_pages_language(
        stopped_chat_run) -> None:
    service, run = stopped_chat_run
    assert run.read_status()["name"] == "faq · 对话"  # started from the Chinese page
    ctx = Context(service=service, t=None, session=None, browser_run=None)
    zh, _ = runs_table(ctx, lang="zh")
    assert zh["任务"].tolist() == ["对话"]
    en, _ = runs_table(ctx, lang="en")
    assert en["task"].tolist() == ["Chat"]
    agents = cards(service)["agents"]
    assert [a["run_id"] for a in agents] == [run.run_id] and agents[0]["stopped_early"]


def test_the_chinese_checkpoint_help_names_tasks_by_their_titles() -> None:
    from playground.config import field_specs

    spec = field_specs()["early_stopping_metric"]
    for task in tasks.specs():
        assert task.name not in spec.help_zh and task.short_title[1] in spec.help_zh
    assert "对话用损失" in spec.help_zh and "for chat, the loss" in spec.help


def test_a_chat_report_speaks_of_answers_retrieval_and_the_floor_it_scored() -> None:
    """A chat run has no labels: its warning speaks of the base model's answers, its
    classic model is retrieval, scores that one decimal would show alike get two, and a
    run of retrieval alone says it scored answering nothing, not a base model."""
    from playground.ui.tab_train import _succeeded_text, scores_frame

    report = {"task": "chat", "verdict": "no_better_than_majority", "held_out": "4 rows",
              "scores": {"majority": {"label": "base model", "chrf": 0.1453},
                         "model": {"chrf": 0.1451}, "classic": {"chrf": 0.1451},
                         "finetuned": {"chrf": 0.17}}}
    shown = _succeeded_text(report, "en")
    assert shown.startswith(tasks.spec("chat").not_useful[0]) and "label" not in shown
    assert "14.51% on 4 rows. Base model: 14.53%. Retrieval: 14.51%." in shown
    assert list(scores_frame(report, "zh")["model"]) == ["微调前的基础模型", "检索", "微调模型"]
    alone = {"task": "chat", "verdict": "ok", "held_out": "4 rows",
             "scores": {"majority": {"label": "no answer", "chrf": 0.0},
                        "model": {"chrf": 0.0276}, "classic": {"chrf": 0.0276}}}
    said = _succeeded_text(alone, "zh")
    assert "不作回答（未评测基础模型）：0.0%" in said and "微调前的基础模型" not in said
    intents = {"task": "text-classification", "verdict": "ok", "held_out": "9 rows",
               "scores": {"majority": {"label": "a", "accuracy": 0.5},
                          "model": {"accuracy": 0.9}, "classic": {"accuracy": 0.8}}}
    assert "Accuracy 90.0% on 9 rows. Most common label: 50.0%. Classic model: 80.0%." in \
        _succeeded_text(intents, "en")
