"""The app in headless Chromium, as a person clicks it, in English and in Chinese.

Uploads a CSV, loads settings from a file, starts a quick run, sees loss points appear,
reloads the page mid-run and finds the same run, waits for it to finish, then chats.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import intent_rows

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run "
                                                         "installs it)")
SCREENSHOTS = Path(os.environ.get("PLAYGROUND_SCREENSHOTS", "")) if os.environ.get(
    "PLAYGROUND_SCREENSHOTS") else None

WORDS = {
    "en-US": {"title": "Agent Playground", "loss": "loss", "done": "✅ Done", "answer": "sure",
              "recipe": "Instant bank FAQ"},
    "zh-CN": {"title": "智能体训练场", "loss": "损失", "done": "✅ 完成", "answer": "把握",
              "recipe": "秒训银行 FAQ"},
}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


def _shot(page, name: str) -> None:
    if SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_upload_train_reload_and_chat(browser, live_app, tiny_model_dir: Path,
                                      tmp_path: Path, locale: str) -> None:
    import pandas as pd
    from playwright.sync_api import expect

    url, _ = live_app
    words = WORDS[locale]
    data = tmp_path / "intents.csv"
    pd.DataFrame(intent_rows(per_label=30), columns=["text", "intent"]).to_csv(data, index=False)
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"epochs": 30, "learning_rate": 5e-3, "batch_size": 8,
                                    "max_length": 32, "precision": "fp32",
                                    "early_stopping_patience": 0}))
    page = browser.new_page(locale=locale, viewport={"width": 1366, "height": 900})
    page.goto(url)
    expect(page.locator("#title")).to_contain_text(words["title"], timeout=30_000)
    page.get_by_role("tab").nth(1).click()
    page.locator("#custom-model textarea, #custom-model input").first.fill(str(tiny_model_dir))

    page.get_by_role("tab").nth(2).click()
    page.locator("#upload input[type=file]").set_input_files(str(data))
    expect(page.locator("#data-checks")).to_contain_text("90", timeout=30_000)
    _shot(page, f"data-{locale}")

    page.get_by_role("tab").nth(3).click()
    page.locator("#settings-file input[type=file]").set_input_files(str(settings))
    page.wait_for_timeout(1500)

    page.get_by_role("tab").nth(4).click()
    page.locator("#start").click()
    status = page.locator("#run-status")
    expect(status).to_contain_text(words["loss"], timeout=60_000)
    name = status.locator("b").first.inner_text()  # the run's name: its file's
    expect(page.locator("#loss-plot canvas, #loss-plot svg").first).to_be_visible()
    _shot(page, f"train-{locale}")

    page.reload()  # a reload mid-run reconnects to the same run, curve and all
    page.get_by_role("tab").nth(4).click()
    expect(page.locator("#run-status b").first).to_have_text(name, timeout=30_000)
    expect(page.locator("#run-status")).to_contain_text(words["done"], timeout=120_000)

    page.get_by_role("tab").nth(5).click()
    page.locator("#agents-refresh").click()
    page.locator("#agent-pick input").click()
    page.get_by_role("option", name=name).click()
    chat_input = page.locator("#chat-input textarea").first
    chat_input.fill("I want a refund for my order")
    chat_input.press("Enter")
    expect(page.locator("#chatbot")).to_contain_text(words["answer"], timeout=30_000)
    _shot(page, f"chat-{locale}")
    page.close()


@pytest.mark.parametrize("locale", ["zh-CN"])
def test_gallery_recipe_trains_and_chats(browser, live_app, locale: str) -> None:
    from playwright.sync_api import expect

    url, _ = live_app
    words = WORDS[locale]
    page = browser.new_page(locale=locale, viewport={"width": 1366, "height": 900})
    page.goto(url)
    expect(page.locator(".recipe-card").first).to_contain_text(words["recipe"], timeout=30_000)
    _shot(page, f"gallery-{locale}")
    page.locator("#train-bank-faq-instant").click()
    expect(page.locator("#run-status")).to_contain_text(words["done"], timeout=120_000)
    page.get_by_role("tab").nth(0).click()
    page.locator("#chat-bank-faq-instant").click()
    chat_input = page.locator("#chat-input textarea").first
    expect(chat_input).to_be_visible(timeout=30_000)
    chat_input.fill("someone stole my card")
    chat_input.press("Enter")
    expect(page.locator("#chatbot")).to_contain_text("Freeze your card", timeout=30_000)
    expect(page.locator("#chatbot")).to_contain_text("bank_faq.csv")
    page.locator("#rules-panel").click()
    expect(page.locator("#rules-table")).to_contain_text("bank_faq.csv", timeout=30_000)
    _shot(page, f"agent-{locale}")
    page.close()


def _delete_in_test_tab(page, name: str) -> None:
    """Pick the agent called ``name`` in Test & chat and press Delete, saying yes."""
    page.get_by_role("tab").nth(5).click()
    page.locator("#agents-refresh").click()
    page.locator("#agent-pick input").click()
    page.get_by_role("option", name=name).click()
    page.locator("#share-panel").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#delete-run").click()


def test_only_the_browser_that_started_a_run_deletes_it(browser, live_app) -> None:
    from playwright.sync_api import expect

    url, service = live_app
    before = {row["run_id"] for row in service.list_runs()}
    mine = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 900})
    page = mine.new_page()
    page.goto(url)
    page.locator("#train-bank-faq-instant").click()
    status = page.locator("#run-status")
    expect(status).to_contain_text("started by you", timeout=60_000)
    expect(status).to_contain_text("Done", timeout=120_000)
    run_id = next(r["run_id"] for r in service.list_runs() if r["run_id"] not in before)
    name = service.status(run_id)["name"]

    theirs = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 900})
    other = theirs.new_page()  # another browser: its own local storage
    other.goto(url)
    expect(other.locator("#title")).to_contain_text("Agent Playground", timeout=30_000)
    _delete_in_test_tab(other, name)
    expect(other.get_by_text("was started in another browser").first).to_be_visible(
        timeout=30_000)
    assert (service.runs_dir / run_id).exists()

    page.reload()  # the same browser: its key survives the reload
    page.get_by_role("tab").nth(4).click()
    expect(page.locator("#run-status")).to_contain_text("started by you", timeout=30_000)
    _delete_in_test_tab(page, name)
    expect(page.get_by_text(f"Deleted {run_id}").first).to_be_visible(timeout=30_000)
    assert not (service.runs_dir / run_id).exists()
    mine.close()
    theirs.close()
