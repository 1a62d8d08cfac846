"""The app's event handlers through gradio_client, against a live server."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from .conftest import tiny_form

CLS = "text-classification"  # the task picked on the Model tab


def client(url: str, lang: str = "en-US") -> Client:
    return Client(url, verbose=False, headers={"Accept-Language": lang})


def value(output):
    """A component's value, whether the handler returned it plainly or as gr.update()."""
    return output["value"] if isinstance(output, dict) and "__type__" in output else output


def wait_until_done(c: Client, timeout_s: float = 180) -> tuple[str, dict]:
    deadline = time.monotonic() + timeout_s
    loss: dict = {}
    while time.monotonic() < deadline:
        status, new_loss, _, _ = c.predict(api_name="/tick")
        shown = new_loss.get("value", new_loss) if isinstance(new_loss, dict) else None
        if isinstance(shown, dict) and "data" in shown:
            loss = new_loss  # a tick with no new events leaves the plot as it was
        if any(word in status for word in ("✅ Done", "failed", "Stopped", "✅ 完成", "失败")):
            return status, loss
        time.sleep(0.5)
    raise AssertionError(f"run did not finish: {status}")


def test_sample_loads_with_guessed_columns_and_checks(live_app) -> None:
    url, _ = live_app
    c = client(url)
    preview, _, text, label, _, chart, checks = c.predict("banking_intents_en.csv", "auto", "",
                                                           CLS, api_name="/load_sample")
    assert value(text) == "text" and value(label) == "category"
    assert "Ready to train: 400 rows, 8 labels" in checks
    assert "embedded MiniLM" in checks
    assert len(value(preview)["data"]) == 8
    # another task cannot read it: its sentence, and no preview or chart of the old reading
    preview, _, text, _, _, chart, checks = c.predict("auto", "", "ner", api_name="/set_task")
    assert checks.startswith("❌") and preview["visible"] is False and chart["visible"] is False
    assert text["label"] == "Words or text column"  # named for the task now


def test_start_without_data_says_what_to_do(live_app, tiny_model_dir: Path) -> None:
    url, _ = live_app
    with pytest.raises(AppError, match="Add training data first"):
        client(url).predict("auto", str(tiny_model_dir), CLS, None, None, None, *tiny_form(),
                            api_name="/start")
    with pytest.raises(AppError, match="请先添加训练数据"):
        client(url, "zh-CN").predict("auto", "", CLS, None, None, None, *tiny_form(),
                                     api_name="/start")


def test_stop_with_nothing_running_is_harmless(live_app) -> None:
    url, _ = live_app
    assert "Nothing is running" in client(url).predict(api_name="/stop")
    assert "没有正在进行的训练" in client(url, "zh-CN").predict(api_name="/stop")


def test_bad_uploads_get_a_sentence(live_app, tmp_path: Path) -> None:
    url, _ = live_app
    png = tmp_path / "photo.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    *_, checks = client(url).predict(handle_file(str(png)), "auto", "", CLS,
                                     api_name="/load_file")
    assert checks.startswith("❌") and "PNG image" in checks
    renamed = tmp_path / "photo.csv"  # a picture saved under a table's name
    renamed.write_bytes(png.read_bytes())
    *_, checks = client(url).predict(handle_file(str(renamed)), "auto", "", CLS,
                                     api_name="/load_file")
    assert checks.startswith("❌") and "not a table" in checks  # it stays on the page
    *_, checks = client(url, "zh-CN").predict(handle_file(str(renamed)), "auto", "", CLS,
                                              api_name="/load_file")
    assert checks.startswith("❌") and "该文件不是表格：photo.csv 是PNG 图片" in checks
    assert "not a table" not in checks  # the whole message is Chinese
    gbk = tmp_path / "reviews.csv"
    rows = [(f"房间很干净服务很好第{i}次", "好评") for i in range(10)] + \
        [(f"太吵了再也不来第{i}次", "差评") for i in range(10)]
    pd.DataFrame(rows, columns=["评论", "标签"]).to_csv(gbk, index=False, encoding="gbk")
    _, _, text, label, _, _, checks = client(url).predict(handle_file(str(gbk)), "auto", "",
                                                          CLS, api_name="/load_file")
    assert (value(text), value(label)) == ("评论", "标签") and "Chinese" in checks
    assert "Instant (classic)" in checks  # auto picks the model that reads Chinese
    *_, checks_zh = client(url, "zh-CN").predict(handle_file(str(gbk)), "auto", "", CLS,
                                              api_name="/load_file")
    assert "语言：中文" in checks_zh and "秒训经典模型" in checks_zh


def test_train_watch_chat_test_and_label(live_app, tiny_model_dir: Path, assets: Path,
                                         tmp_path: Path) -> None:
    url, service = live_app
    c = client(url)
    c.predict("banking_intents_en.csv", "auto", "", CLS, api_name="/load_sample")
    run_id = c.predict("auto", str(tiny_model_dir), CLS, "text", "category", None, *tiny_form(),
                       api_name="/start")
    assert service.status(run_id)["state"] in ("queued", "running", "succeeded")
    status, loss = wait_until_done(c)
    assert "Done" in status and "Most common label" in status
    columns = loss["value"]["columns"] if "value" in loss else loss["columns"]
    rows = loss["value"]["data"] if "value" in loss else loss["data"]
    assert {row[columns.index("series")] for row in rows} == {"train", "validation"}

    assert service.status(run_id)["name"] in status  # the run's readable name, not its id
    history, _, top, _ = c.predict(run_id, "my card has not arrived yet", [], api_name="/chat")
    assert history[-1]["role"] == "assistant" and "sure" in str(history[-1]["content"])
    assert top["visible"] is True and len(value(top)["confidences"]) == 3

    summary, per_label, _, _ = c.predict(run_id, handle_file(str(assets / "banking_intents_en.csv")),
                                         api_name="/test_file")
    assert "Accuracy" in summary and "Always answering the most common label" in summary
    assert len(value(per_label)["data"]) == 8
    for endpoint in ("/test_file", "/label_file"):  # no file picked: where to pick one
        with pytest.raises(AppError, match="Pick a file in the box next to this button"):
            c.predict(run_id, None, api_name=endpoint)

    tickets = tmp_path / "tickets.csv"
    pd.DataFrame({"date": ["2026-01-01", "2026-01-01", "2026-01-02"],
                  "message": ["lost my card", "what is the exchange rate", "pin is blocked"]}
                 ).to_csv(tickets, index=False)
    download, counts, _, examples, trend = c.predict(run_id, handle_file(str(tickets)),
                                                     api_name="/label_file")
    labelled = pd.read_csv(download)
    assert {"predicted_label", "confidence"} <= set(labelled.columns) and len(labelled) == 3
    counted = counts["value"]["data"] if "value" in counts else counts["data"]
    assert sum(row[-1] for row in counted) == 3
    trend_rows = value(trend)["data"] if "data" in value(trend) else value(trend)["value"]["data"]
    assert len(trend_rows) >= 2  # the file has two days of messages


def test_two_sessions_keep_their_own_runs(live_app, tiny_model_dir: Path) -> None:
    url, service = live_app
    first, second = client(url), client(url)
    for c in (first, second):
        c.predict("banking_intents_en.csv", "auto", "", CLS, api_name="/load_sample")
        c.predict("auto", str(tiny_model_dir), CLS, "text", "category", None,
                  *tiny_form(epochs=50), api_name="/start")
    time.sleep(1.0)
    one, two = first.predict(api_name="/tick")[0], second.predict(api_name="/tick")[0]
    names = {row["name"]: row["run_id"] for row in service.list_runs()}
    first_name, second_name = (text.split("</b>")[0].split("<b>")[1] for text in (one, two))
    assert first_name != second_name
    second_id = names[second_name]
    assert "Waiting in the queue" in two
    first.predict(api_name="/stop")  # stops only the first window's run
    assert service.status(second_id)["state"] in ("queued", "running")
    assert wait_until_done(first)[0].startswith("<div><b>" + first_name)
    second.predict(api_name="/stop")
    assert "Stopped" in wait_until_done(second)[0]


def test_presets_fill_the_generated_form(live_app) -> None:
    from playground.config import load_preset
    from playground.ui.tab_settings import form_names

    url, _ = live_app
    values = [value(v) for v in client(url).predict("quick-demo", "text-classification",
                                                    api_name="/apply_preset")]
    shown = dict(zip(form_names(), values))
    quick = load_preset("quick-demo")
    assert shown["epochs"] == quick.epochs and shown["max_train_rows"] == str(quick.max_train_rows)
    assert shown["learning_rate"] == quick.learning_rate and shown["method"] == "full"
    values = client(url).predict("quick-demo", "chat", api_name="/apply_preset")
    assert dict(zip(form_names(), values))["method"] == "lora"  # a preset for the task picked
