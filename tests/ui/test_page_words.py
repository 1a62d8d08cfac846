"""The page's smaller items of issue 11: the export's own label, compact upload boxes, no
empty "1 2 3" tables, a plain line of help beside jargon, data warnings in Chinese too,
and the models' names in the page's language."""

from __future__ import annotations

import os
from pathlib import Path

import gradio as gr
import pandas as pd
import psutil
import pytest

from playground.config import RunConfig
from playground.ui.texts import KEY_PREFIX, TEXTS, field_texts

ZH_ROWS = {"口味": ["菜很好吃", "味道太咸了", "汤很鲜美"], "价格": ["价格太贵了", "性价比很高", "菜价便宜"]}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> gr.Blocks:
    from playground.service.jobs import TrainingService
    from playground.ui.app import build_app

    return build_app(TrainingService(tmp_path_factory.mktemp("runs"), gpu_count=0))


def _key(component) -> str:
    return component.label.key.removeprefix(KEY_PREFIX)


def _all(app: gr.Blocks, kind: type) -> list:
    return [block for block in app.blocks.values() if isinstance(block, kind)]


def test_the_bundle_download_has_its_own_label(app: gr.Blocks) -> None:
    files = {component.elem_id: _key(component) for component in _all(app, gr.File)}
    assert files["share-download"] == "download_export"
    assert TEXTS["download_export"][0] != TEXTS["download"][0] == "Download the labeled file"


def test_upload_boxes_are_compact_and_only_downloads_keep_gradios_height(app) -> None:
    files = _all(app, gr.File)
    # A box people drop files in is 150 px high; gradio's default is a 240 px prompt.
    assert {_key(f) for f in files if f.height is None} == {
        "download", "download_export", "settings_file"}
    assert {f.height for f in files if f.height is not None} == {150}


def test_no_table_shows_numbered_headers_while_it_is_empty(app: gr.Blocks) -> None:
    for table in _all(app, gr.Dataframe):
        headers = [str(h) for h in table.value["headers"]]
        numbered = headers == [str(n) for n in range(1, len(headers) + 1)]
        assert not table.visible or (headers and not numbered), (table.label, headers)


def test_jargon_on_the_main_path_comes_with_a_plain_line_of_help() -> None:
    from playground.tasks.classify.splits import make_splits
    from playground.ui.tab_settings import _component

    words = field_texts()
    plain = {"lora_rank": ("larger can learn more", "越大能学得越多"),
             "early_stopping_metric": ("copy that scored best becomes the agent",
                                       "得分最高的那一份成为智能体"),
             "max_train_rows": ("each label keeps its share", "每个标签保持原有比例")}
    for name, (english, chinese) in plain.items():
        assert english in words["en"][f"help_{name}"] and chinese in words["zh"][f"help_{name}"]
        with gr.Blocks():  # the help shows under the field, in the page's language
            assert _component(name, None, lambda key: key).info == f"help_{name}"
    for key in ("test_score", "runs_help"):  # wherever macro-F1 is shown, it is explained
        assert "rare label counts as much" in TEXTS[key][0] and "少见标签" in TEXTS[key][1]
    frame = pd.DataFrame({"text": [f"text {i}" for i in range(40)], "label": ["a", "b"] * 20})
    held_out = make_splits(frame, source_name="sheet.csv").held_out
    assert "stratified" not in held_out and "each label in its usual share" in held_out
    shown = [text for pair in TEXTS.values() for text in pair] + list(words["en"].values())
    assert not [text for text in shown if "stratified" in text or "adapter matrices" in text]


def test_data_warnings_are_kept_and_shown_in_chinese_too(live_app, tmp_path: Path) -> None:
    from playground.service.prepare import create_run, prepare
    from playground.ui.context import Context
    from playground.ui.session import Curve
    from playground.ui.tab_train import read_new_events, status_html

    _, service = live_app
    rows = [(f"{text}{tail}", label) for label, texts in ZH_ROWS.items() for text in texts
            for tail in ("", "！", "。", "，真的")]
    data = tmp_path / "reviews.csv"
    pd.DataFrame(rows + rows[:2], columns=["text", "label"]).to_csv(data, index=False)
    # An English-only model on Chinese texts, and two duplicate rows: two warnings.
    prep = prepare(data, RunConfig(model="minilm"))
    assert len(prep.warnings) == len(prep.warnings_zh) == 2
    run = create_run(tmp_path / "aside", prep)  # aside: the service starts no worker on it
    stored = run.read_config()["data"]
    assert stored["warnings"] == prep.warnings and stored["warnings_zh"] == prep.warnings_zh
    assert all("中文" in w or "重复" in w for w in stored["warnings_zh"])
    run.update_status(state="running", pid=os.getpid(),
                      pid_started_at=psutil.Process().create_time())
    moved = run.path.rename(service.runs_dir / run.run_id)
    assert moved.exists()
    ctx = Context(service=service, t=None, session=None, browser_run=None)
    curve = read_new_events(ctx, run.run_id, Curve())
    zh, en = status_html(ctx, curve, "zh"), status_html(ctx, curve, "en")
    assert all(w in zh for w in stored["warnings_zh"]) and "Your data is Chinese" not in zh
    assert "Your data is Chinese" in en


def test_the_curves_span_the_planned_steps_then_the_steps_taken() -> None:
    from playground.ui.session import Curve
    from playground.ui.tab_train import curves, step_span

    curve = Curve(run_id="r", train_points=[{"step": 1, "loss": 1.4, "series": "train"}],
                  last_train={"step": 1, "total_steps": 120})
    assert step_span(curve) == [0, 120]  # one point alone: the axis is the whole run
    loss, _ = curves(curve, "zh")
    assert loss["series"].tolist() == ["训练", "验证"]  # both named from the first point
    curve.train_points.append({"step": 36, "loss": 0.1, "series": "train"})
    curve.announced = True  # stopped early at step 36
    assert step_span(curve) == [0, 36]
