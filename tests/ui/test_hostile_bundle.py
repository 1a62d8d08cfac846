"""A bundle whose every string a bundle or a file name can set is markup that runs script,
imported through the gallery in headless Chromium and opened in every tab where it shows:
no script runs, and the markup shows as the characters it is.

The agent is the classic model, trained in-process from a CSV whose file name, column
names and labels are hostile; its reply rules are too, and the manifest's other texts
(the reasons, the model's name, the held-out descriptions) are made so before the upload.
"""

from __future__ import annotations

import json
import random
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from conftest import INTENTS

from playground.config import RunConfig
from playground.service.bundles import MANIFEST, export_bundle
from playground.service.prepare import create_run, prepare
from playground.service.replies import AgentRules, LabelRule, save_rules
from playground.training.job import run_job

from .test_browser import CHROMIUM, _shot, browser  # noqa: F401  (the browser fixture)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium")


def hostile(n: int) -> str:
    """Markup that sets window.__xss to ``n`` if a page ever runs it (n says where)."""
    return f"<img src=x onerror=window.__xss={n}>" if n % 2 else \
        f"<svg onload=window.__xss={n}></svg>"


LABELS = {label: f"{hostile(10 + i)} {label}" for i, label in enumerate(INTENTS)}
TEXT, LABEL = hostile(3), hostile(4)  # the column names


@pytest.fixture(scope="module")
def hostile_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    data = root / f"{hostile(1)}.csv"  # the file name: the run's name, data and held-out
    rng = random.Random(0)
    rows = [(f"{rng.choice(phrases)} {i}", LABELS[label])
            for label, phrases in INTENTS.items() for i in range(30)]
    pd.DataFrame(rows, columns=[TEXT, LABEL]).to_csv(data, index=False)
    prep = prepare(data, RunConfig(model="classic", text_column=TEXT, label_column=LABEL))
    prep.raise_for_errors()
    run = create_run(root / "runs", prep)
    run_job(run, time.time())
    run.update_status(state="succeeded")
    labels = run.read_report()["labels"]
    save_rules(run, AgentRules(rules=[LabelRule(label, reply=f"{hostile(20)} {{label}}",
                                                keywords=[hostile(21)]) for label in labels],
                               clarify=hostile(22), not_found=hostile(23)), labels)
    exported = export_bundle(run.path, root / "exported.agent.zip")
    with zipfile.ZipFile(exported) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(members.pop(MANIFEST))
    manifest["metrics"]["agent"].update(reason=hostile(30), reason_zh=hostile(31))
    manifest["metrics"].update(model=hostile(32), held_out=hostile(33),
                               held_out_zh=hostile(34))
    manifest["data"].update(held_out=hostile(35), held_out_zh=hostile(36),
                            eval_name=f"{hostile(37)}.csv")
    manifest["base_model"]["name"] = hostile(38)
    bundle = root / f"{hostile(5)}.agent.zip"  # the bundle's own name: "imported from"
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest))
        for name, content in members.items():
            archive.writestr(name, content)
    return bundle


def _tab(page, index: int) -> None:
    page.get_by_role("tab").nth(index).click()
    page.wait_for_timeout(400)


def test_a_hostile_bundle_runs_no_script(browser, live_app, hostile_bundle: Path,  # noqa: F811
                                         tmp_path: Path) -> None:
    from playwright.sync_api import expect

    url, service = live_app
    dialogs: list[str] = []
    page = browser.new_page(locale="en-US", viewport={"width": 1366, "height": 900})
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(url)
    expect(page.locator("#title")).to_contain_text("Agent Playground", timeout=30_000)

    # Gallery: the upload, the toast and the card.
    page.locator("#import-bundle input[type=file]").set_input_files(str(hostile_bundle))
    card = page.locator(".agent-card").first
    expect(card).to_contain_text(hostile(1), timeout=60_000)
    row = next(r for r in service.list_runs() if r["imported_from"])
    assert hostile(1) in row["name"], row

    # Data: the same file's name, columns and labels in the preview, chart and checks.
    _tab(page, 2)
    data = _data_copy(tmp_path)
    page.locator("#upload input[type=file]").set_input_files(str(data))
    expect(page.locator("#preview")).to_contain_text(TEXT, timeout=30_000)

    # Train: the run opened from the list; its status, scores and the table of runs.
    _tab(page, 4)
    page.locator("#runs-panel").get_by_role("button").first.click()
    page.locator("#runs-refresh").click()
    page.locator("#open-run input").click()
    page.get_by_role("option", name=row["name"]).click()
    status = page.locator("#run-status")
    expect(status).to_contain_text(hostile(33), timeout=30_000)  # metrics.held_out, as text
    expect(status).to_contain_text(hostile(30))  # the reason the agent was chosen
    expect(page.locator("#runs-table")).to_contain_text(hostile(1))

    # Test & chat: picked from the card, a keyword answer, the rules, sharing, a test file.
    _tab(page, 0)
    page.locator(f"#chat-agent-{row['run_id']}").click()
    chat_input = page.locator("#chat-input textarea").first
    expect(chat_input).to_be_visible(timeout=30_000)
    for text in (hostile(21), "lost my card"):
        chat_input.fill(text)
        chat_input.press("Enter")
    expect(page.locator("#chatbot")).to_contain_text(hostile(20), timeout=30_000)
    page.locator("#rules-panel").get_by_role("button").first.click()
    expect(page.locator("#rules-table")).to_contain_text(hostile(20), timeout=30_000)
    page.locator("#share-panel").get_by_role("button").first.click()
    page.locator("#test-file input[type=file]").set_input_files(
        str(_data_copy(tmp_path, ("text", "label"))))  # columns the test reads by name
    page.locator("#run-test").click()
    expect(page.locator("#per-label")).to_contain_text(LABELS["refund"], timeout=30_000)
    _shot(page, "hostile-chat")
    assert page.evaluate("window.__xss") is None
    page.close()

    # The Chinese page shows the Chinese reason and held-out description.
    page = browser.new_page(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(url)
    _tab(page, 4)
    page.locator("#runs-panel").get_by_role("button").first.click()
    page.locator("#runs-refresh").click()
    page.locator("#open-run input").click()
    page.get_by_role("option", name=row["name"]).click()
    expect(page.locator("#run-status")).to_contain_text(hostile(34), timeout=30_000)
    expect(page.locator("#run-status")).to_contain_text(hostile(31))
    assert page.evaluate("window.__xss") is None
    assert dialogs == []
    page.close()


def _data_copy(tmp_path: Path, columns: tuple[str, str] = (TEXT, LABEL)) -> Path:
    """More rows like the hostile training file's (the bundle carries no data)."""
    number = 7 if columns == (TEXT, LABEL) else 9  # odd: markup without a "/"
    rng = random.Random(number)
    path = tmp_path / f"{hostile(number)}.csv"
    rows = [(f"{rng.choice(phrases)} {i}", LABELS[label])
            for label, phrases in INTENTS.items() for i in range(10)]
    pd.DataFrame(rows, columns=list(columns)).to_csv(path, index=False)
    return path
