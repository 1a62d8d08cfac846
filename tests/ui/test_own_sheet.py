"""What a newcomer's own sheet meets in the page, one item of issue 11 at a time: the
form, the translations, the names, the answers' wording, the charts and the status."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from playground.config import RunConfig
from playground.service.replies import AgentRules, LabelRule
from playground.service.respond import respond
from playground.ui.session import Curve

from .conftest import form
from .test_app_api import CLS, client, value


def test_an_empty_optional_number_stays_empty_and_errors_name_the_field() -> None:
    import gradio as gr

    from playground.ui.tab_settings import _component, config_from_form, form_names, values_of

    with gr.Blocks():
        box = _component("max_train_rows", None, lambda key: key)
    assert isinstance(box, gr.Textbox) and box.value == ""  # a Number turns it into 0
    shown = dict(zip(form_names(), values_of(RunConfig())))
    assert shown["max_train_rows"] == "" and config_from_form(shown, "en").max_train_rows is None
    with pytest.raises(gr.Error) as err:
        config_from_form({**shown, "max_train_rows": "0"}, "zh")
    assert "「最多训练行数」" in err.value.message and "Value" not in err.value.message


def test_no_translation_key_is_a_word_data_may_hold() -> None:
    from playground.ui.texts import KEY_PREFIX, i18n

    words = i18n()
    for table in words.translations.values():
        assert all(key.startswith(KEY_PREFIX) for key in table)
        assert "message" not in table and "label" not in table  # column names people use
    assert words("message").key == KEY_PREFIX + "message"


def test_a_keyword_answer_shows_no_probability_and_every_source_speaks_chinese() -> None:
    from playground.ui.chat_panel import why_line

    rules = AgentRules(rules=[LabelRule("口味", keywords=["咸"]), LabelRule("价格")],
                       threshold=0.6)
    picked = respond(rules, "太咸了", {"价格": 0.9, "口味": 0.1})
    assert picked.label == "口味" and picked.confidence is None  # not the model's 10%
    assert "关键词规则" in why_line(picked, "zh") and "%" not in why_line(picked, "zh")
    asked = respond(rules, "一般", {"价格": 0.55, "口味": 0.45})
    replied = respond(rules, "很贵", {"价格": 0.9, "口味": 0.1})
    for reply in (picked, asked, replied):
        line = why_line(reply, "zh")
        assert not any(word in line for word in ("reply", "clarify", "confidence", "template"))
    assert "55%" in why_line(asked, "zh") and "60%" in why_line(asked, "zh")


def test_charts_start_at_zero_for_equal_counts_and_are_titled() -> None:
    from playground.ui.charts import confidence_histogram, count_bars

    equal = count_bars(pd.DataFrame({"label": ["a", "b"], "examples": [20, 20]}), "zh",
                       "examples")
    assert equal["y_lim"][0] == 0 and equal["y_lim"][1] > 20
    assert equal["y_title"] == "样本数" and equal["x_title"] == "标签"
    figure = confidence_histogram(pd.Series([0.2, 0.9, 1.0]), "zh")
    axis = figure.axes[0]
    assert axis.get_xlim() == (0.0, 1.0) and axis.get_xlabel() == "把握"


def test_labels_per_day_go_to_zero_on_days_without_them_and_are_titled() -> None:
    from playground.ui.charts import trend_frame, trend_lines

    labelled = pd.DataFrame({"date": ["2026-12-01", "2026-12-01", "2026-12-02", "2026-12-03"],
                             "text": ["a", "b", "c", "d"],
                             "predicted_label": ["wifi", "menu", "menu", "menu"]})
    trend = trend_frame(labelled)
    wifi = trend[trend["label"] == "wifi"].set_index("date")["texts"]
    assert wifi.tolist() == [1, 0, 0] and trend["texts"].sum() == 4
    lines = trend_lines(trend, "zh")
    assert (lines["x_title"], lines["y_title"], lines["color_title"]) == ("日期", "条数", "标签")
    assert trend_lines(None, "zh")["visible"] is False


def test_the_test_tabs_tables_name_their_columns_in_the_pages_language() -> None:
    from playground.ui.charts import shown_table

    found = pd.DataFrame({"text": ["=1+1"], "label": ["a"], "predicted": ["b"],
                          "confidence": [0.5]})
    shown = shown_table(found, "zh")
    assert list(shown.columns) == ["文本", "标签", "预测", "把握"]
    assert shown.iloc[0, 0] != "=1+1"  # a formula is quoted: the table has a copy button
    assert list(shown_table(found, "en").columns) == ["text", "label", "predicted", "confidence"]


def test_the_status_says_the_phase_in_chinese_and_escapes_names(live_app, tmp_path: Path,
                                                                 intent_csv: Path) -> None:
    from playground.service.prepare import create_run, prepare
    from playground.ui.context import Context
    from playground.ui.tab_train import status_html

    _, service = live_app
    run = create_run(service.runs_dir, prepare(intent_csv, RunConfig(model="classic")))
    import os

    import psutil

    # A live worker (this process stands in for it), so no reader settles the run as gone.
    run.update_status(state="running", name="<img src=x onerror=alert(1)>", pid=os.getpid(),
                      pid_started_at=psutil.Process().create_time())
    run.append_event({"type": "phase", "phase": "baselines", "message": "Scoring.",
                      "message_zh": "正在计算基线。"})
    ctx = Context(service=service, t=None, session=None, browser_run=None)
    curve = Curve(run_id=run.run_id)
    curve.phase, curve.offset = run.read_events(0)[0][-1], 0
    shown = status_html(ctx, curve, "zh")
    assert "正在计算基线。" in shown and "训练中" in shown
    assert "<img" not in shown and "&lt;img" in shown


def test_a_refused_upload_clears_the_data_it_replaced(live_app, intent_csv: Path,
                                                      tmp_path: Path) -> None:
    url, _ = live_app
    c = client(url)
    *_, checks = c.predict(handle_file(str(intent_csv)), "auto", "", CLS, api_name="/load_file")
    assert "Ready to train" in checks
    picture = tmp_path / "photo.csv"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    preview, bubbles, text, _, _, chart, checks = c.predict(
        handle_file(str(picture)), "auto", "", CLS, api_name="/load_file")
    assert checks.startswith("❌") and preview["visible"] is False and value(text) is None
    assert chart["visible"] is False and bubbles["visible"] is False
    with pytest.raises(AppError, match="Add training data first"):
        c.predict("auto", "", CLS, None, None, None, *form(), api_name="/start")


def test_runs_get_readable_names_that_can_be_changed(live_app, intent_csv: Path) -> None:
    from playground.service.prepare import create_run, prepare

    url, service = live_app
    made = [create_run(service.runs_dir, prepare(intent_csv, RunConfig(model="classic")))
            for _ in range(2)]
    names = {row["run_id"]: row["name"] for row in service.list_runs()}
    first, second = names[made[0].run_id], names[made[1].run_id]
    assert first.startswith("intents") and second.startswith("intents #") and first != second
    _, stored = client(url).predict(made[1].run_id, "  Hotel\nreviews  ",
                                    api_name="/rename_run")
    assert stored == "Hotel reviews" and service.status(made[1].run_id)["name"] == stored
    with pytest.raises(AppError, match="名字不能为空"):
        client(url, "zh-CN").predict(made[1].run_id, "   ", api_name="/rename_run")


def test_a_useless_agent_shows_as_a_warning_in_the_gallery(tmp_path: Path) -> None:
    import random

    import gradio as gr

    from playground.recipes import recipes
    from playground.service.gallery import cards
    from playground.service.jobs import TrainingService
    from playground.service.prepare import create_run, prepare
    from playground.ui.tab_gallery import agent_card, recipe_status
    from playground.ui.texts import say

    rng = random.Random(0)  # texts that say nothing of their labels: no model beats majority
    data = tmp_path / "noise.csv"
    pd.DataFrame([(f"note {rng.randrange(10**6)}", "common" if i % 3 else "rare")
                  for i in range(60)], columns=["text", "label"]).to_csv(data, index=False)
    service = TrainingService(tmp_path / "runs", poll_s=0.1, gpu_count=0)
    try:
        run = create_run(service.runs_dir, prepare(data, RunConfig(model="classic")))
        service.submit(run)
        assert service.wait(run.run_id, timeout_s=120)["state"] == "succeeded"
        row = cards(service)["agents"][0]
    finally:
        service.shutdown()
    assert row["verdict"] == "no_better_than_majority"
    for lang in ("en", "zh"):
        with gr.Blocks() as page:
            agent_card(lambda key, lang=lang: say(lang, key), row)
        shown = " ".join(str(block.value) for block in page.blocks.values()
                         if isinstance(block, gr.Markdown))
        assert say(lang, "card_not_useful_text-classification") in shown
        status = recipe_status(recipes()[0], row, lang)
        assert status.endswith(say(lang, "card_not_useful_text-classification"))
    assert "还不能使用" in say("zh", "card_not_useful_text-classification")
    useful = {**row, "verdict": "ok"}
    with gr.Blocks() as page:
        agent_card(lambda key: say("en", key), useful)
    assert "Not ready" not in " ".join(str(block.value) for block in page.blocks.values()
                                       if isinstance(block, gr.Markdown))
    assert "Not ready" not in recipe_status(recipes()[0], useful, "en")


def test_a_chat_recipe_card_shows_its_measured_chrf_beside_the_base_and_retrieval() -> None:
    from playground.recipes import recipes
    from playground.ui.tab_gallery import recipe_status

    chat = [r for r in recipes() if r.measured]
    assert chat, "no chat recipe has measured scores"
    for recipe in chat:
        m = recipe.measured
        for lang, word in (("en", "base model"), ("zh", "基础模型")):
            status = recipe_status(recipe, None, lang)
            assert word in status, status
            for score in (m["chrf"], m["base_chrf"], m["retrieval_chrf"]):
                assert f"{score:.2f}" in status, (score, status)
        assert m["chrf"] > max(m["base_chrf"], m["retrieval_chrf"])  # tuning earned it


def test_times_left_speak_the_pages_language_and_say_at_most_with_early_stopping() -> None:
    from playground.ui.tab_settings import format_estimate
    from playground.ui.tab_train import _running_text
    from playground.ui.texts import duration

    assert duration(68, "zh") == "1 分 08 秒" and duration(68, "en") == "1 min 08 s"
    assert duration(45, "zh") == "45 秒" and duration(7500, "zh") == "2 小时 05 分"
    assert duration(230, "zh", rough=True) == "4 分钟" and duration(230, "en", rough=True) == "4 min"
    step = {"step": 40, "total_steps": 200, "epoch": 1.0, "loss": 0.5, "eta_s": 68.0}
    for stops_early, zh, en in ((True, "最多约剩 1 分 08 秒", "at most about 1 min 08 s left"),
                                (False, "约剩 1 分 08 秒", "about 1 min 08 s left")):
        curve = Curve(run_id="r", last_train={**step, "may_stop_early": stops_early})
        shown_zh, shown_en = _running_text(curve, "zh")[0], _running_text(curve, "en")[0]
        assert zh in shown_zh and "min" not in shown_zh and " s" not in shown_zh
        assert en in shown_en and ("at most" in shown_en) is stops_early
    found = {"total_s": 1380.0, "steps": 600, "per_step_s": 2.1, "memory_mb": 2048.0,
             "free_mb": 8192.0, "may_stop_early": True}
    said = format_estimate(found, "zh")
    assert "约 23 分钟" in said and "min" not in said and "提前停止" in said
    assert "early stopping may end the run sooner" in format_estimate(found, "en")
    assert "early stopping" not in format_estimate({**found, "may_stop_early": False}, "en")


def test_each_task_names_its_data_columns_in_both_languages() -> None:
    from playground import tasks
    from playground.ui.tab_data import column_pickers

    seen = set()
    for task in tasks.names():
        for lang in ("en", "zh"):
            text, label, _ = column_pickers(task, lang)
            seen.add((text["label"], label["label"]))
    # three tasks x two languages, no two alike: an entity file is not asked for labels
    assert len(seen) == 2 * len(tasks.names())
