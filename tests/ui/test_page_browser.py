"""What the page draws, in headless Chromium at 1366x768: the loss chart's lines and
legend, upload boxes whose prompt is not hidden, and model buttons in the page's language."""

from __future__ import annotations

import os
from pathlib import Path

import psutil
import pytest

from playground.config import RunConfig

from .test_browser import CHROMIUM, browser  # noqa: F401  (the browser fixture)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium")

VALIDATION_COLOUR = "#e8833a"  # tab_train.COLOURS: the validation curve's


def _page(browser, url: str, locale: str):  # noqa: F811
    from playwright.sync_api import expect

    page = browser.new_page(locale=locale, viewport={"width": 1366, "height": 768})
    page.goto(url)
    expect(page.get_by_role("tab").nth(5)).to_be_visible(timeout=30_000)
    return page


def _inside(inner: dict, outer: dict) -> bool:
    return (inner["y"] >= outer["y"] - 0.5 and inner["x"] >= outer["x"] - 0.5
            and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5)


def test_the_loss_chart_names_both_curves_from_the_first_point_and_draws_them(
        browser, live_app, intent_csv: Path, tmp_path: Path) -> None:  # noqa: F811
    from playwright.sync_api import expect

    from playground.runfolder import RunFolder
    from playground.service.prepare import create_run, prepare

    url, service = live_app
    # Made aside and moved in as running, so the service starts no worker on it. This
    # process stands in for the worker: alive, so no reader settles the run as gone.
    made = create_run(tmp_path, prepare(intent_csv, RunConfig(model="minilm")))
    made.update_status(state="running", pid=os.getpid(),
                       pid_started_at=psutil.Process().create_time())
    run = RunFolder(made.path.rename(service.runs_dir / made.run_id))
    for step in (1, 2, 3):
        run.append_event({"type": "train", "step": step, "epoch": step / 4, "loss": 1.4 - step / 10,
                          "eta_s": None, "total_steps": 20})

    page = _page(browser, url, "zh-CN")
    page.get_by_role("tab").nth(4).click()
    page.get_by_text("全部训练记录").click()
    page.locator("#open-run input").fill(run.run_id)
    page.locator("#open-run input").press("Enter")
    legend = page.locator("#loss-plot .role-legend-label text")
    expect(legend).to_have_text(["训练", "验证"], timeout=30_000)  # before any evaluation
    plot = page.locator("#loss-plot").bounding_box()
    for label in legend.all():  # the legend sits inside the chart's box, not cut off below
        assert _inside(label.bounding_box(), plot)

    for step, loss in ((4, 1.2), (8, 1.0)):
        run.append_event({"type": "train", "step": step, "epoch": step / 4, "loss": loss,
                          "eta_s": 30, "total_steps": 20})
        run.append_event({"type": "eval", "step": step, "epoch": step / 4, "eval_loss": loss + .1,
                          "accuracy": 0.5, "macro_f1": 0.4})
    validation = page.locator(f'#loss-plot path[stroke="{VALIDATION_COLOUR}"]')
    expect(validation.first).to_be_visible(timeout=30_000)  # a line from step 4 to step 8
    assert validation.first.bounding_box()["width"] > 10
    page.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_upload_boxes_show_their_prompt_below_their_label(browser, live_app,  # noqa: F811
                                                          locale: str) -> None:
    url, _ = live_app
    page = _page(browser, url, locale)
    prompt = "点击上传" if locale == "zh-CN" else "Click to Upload"
    seen = 0
    for tab in (0, 2, 3):  # the gallery's bundle, the data file, a settings file
        page.get_by_role("tab").nth(tab).click()
        page.wait_for_timeout(500)  # the tab's boxes are drawn
        assert page.locator(".gradio-container").bounding_box()["width"] >= 1100  # full width
        for box in page.locator(".block:has(.upload-container)").all():
            if not box.is_visible():
                continue
            seen += 1
            frame, label = box.bounding_box(), box.locator("label").first.bounding_box()
            icon = box.locator(".upload-container svg").first.bounding_box()
            words = box.get_by_text(prompt).bounding_box()
            assert icon["y"] >= label["y"] + label["height"], (tab, icon, label)
            assert _inside(words, frame), (tab, words, frame)
    assert seen >= 3
    page.close()


def test_the_model_buttons_speak_the_pages_language(browser, live_app) -> None:  # noqa: F811
    from playwright.sync_api import expect

    url, _ = live_app
    page = _page(browser, url, "zh-CN")
    page.get_by_role("tab").nth(1).click()
    buttons = page.get_by_role("radio")
    expect(page.get_by_role("radio", name="自动")).to_be_visible()
    expect(page.get_by_role("radio", name="秒训（经典模型）")).to_be_visible()
    names = " ".join(label.inner_text() for label in page.locator("label:has(input[type=radio])").all())
    assert buttons.count() >= 3 and "Instant" not in names and "Auto" not in names
    # Another task lists its own models, with its own Auto hint, in the same language.
    page.locator("#task input").click()
    page.get_by_role("option").nth(2).click()  # the third task: chat
    expect(page.get_by_role("radio", name="SmolLM2-135M 对话（内置，英文）")).to_be_visible()
    expect(page.get_by_role("radio", name="MiniLM-L6（内置，英文）")).to_have_count(0)
    expect(page.locator("#model-choice")).to_contain_text("检索")
    page.close()


def test_a_chat_agents_answer_arrives_token_by_token(browser, live_app,  # noqa: F811
                                                      tiny_chat_run: Path) -> None:
    from conftest import copy_run
    from playwright.sync_api import expect

    url, service = live_app
    run_id = copy_run(tiny_chat_run, service.runs_dir).run_id
    page = _page(browser, url, "en-US")
    page.get_by_role("tab").nth(5).click()
    page.locator("#agents-refresh").click()
    page.locator("#agent-pick input").click()
    page.get_by_role("option", name=service.status(run_id)["name"]).click()
    # a language model: its settings and the base model's chat show, no labels box
    expect(page.locator("#chat-settings")).to_be_visible(timeout=30_000)
    expect(page.locator("#base-chatbot")).to_be_visible()
    expect(page.locator("#top3")).to_be_hidden()
    page.get_by_text("Chat settings").click()
    temperature = page.locator("#temperature input[type=number]")
    temperature.fill("0")  # greedy: it says what it learned
    temperature.press("Enter")
    page.evaluate("""() => {
        const chat = document.querySelector('#chatbot');
        window.seen = [];
        new MutationObserver(() => {
            const text = chat.innerText;
            if (window.seen[window.seen.length - 1] !== text) window.seen.push(text);
        }).observe(chat, {subtree: true, childList: true, characterData: true});
    }""")
    # The tiny model writes its whole answer within one frame of the page: a slow line
    # lets the pieces the server sent arrive one after another, as a real model's do
    # (had the server sent the answer whole, it would arrive whole all the same).
    page.context.new_cdp_session(page).send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": 8_000,
        "uploadThroughput": -1})
    chat_input = page.locator("#chat-input textarea").first
    chat_input.fill("what is your name")
    chat_input.press("Enter")
    expect(page.locator("#chatbot")).to_contain_text("written as you watched", timeout=90_000)
    expect(page.locator("#base-chatbot")).to_contain_text("before fine-tuning", timeout=60_000)
    # the answer was drawn growing, before the line saying who wrote it came under it
    partial = {text for text in page.evaluate("window.seen")
               if "ada" in text and "written as you watched" not in text}
    assert len(partial) >= 2, partial
    page.close()
