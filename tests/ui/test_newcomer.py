"""A newcomer's own small sheet through every tab, in a real browser, in both languages.

The sheet is written here (80 English rows with a column called ``message``, or 48 Chinese
rows saved in GBK as Excel does), trained with the app's defaults (Auto model, Advanced
settings opened on the way), and the test ends chatting with the agent: it must answer
its held-out messages at least as well as the classic model did. The Chinese page must
show no English sentence on that path, and no column name may be translated.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pandas as pd
import pytest

from .test_browser import CHROMIUM, _shot, browser  # noqa: F401  (the browser fixture)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium")

EN_INTENTS = {
    "order_status": ["where is my order", "my parcel has not arrived", "track my package",
                     "when will my delivery come", "order still not here"],
    "refund": ["i want my money back", "please refund me", "how do i get a refund",
               "return this and refund", "refund for the broken item"],
    "opening_hours": ["when do you open", "are you open on sunday", "what are your hours",
                      "what time do you close", "opening times please"],
    "password": ["i forgot my password", "reset my password", "cannot log in to my account",
                 "my login does not work", "change my password"],
}
ZH_INTENTS = {
    "口味": ["菜很好吃", "味道太咸了", "汤很鲜美", "口味偏辣", "甜点太甜"],
    "价格": ["价格太贵了", "性价比很高", "菜价便宜", "收费不合理", "套餐很划算"],
    "服务": ["服务员很热情", "上菜太慢了", "态度很差", "服务周到", "等了很久没人理"],
    "环境": ["环境很安静", "装修很漂亮", "店里太吵了", "卫生很干净", "座位很拥挤"],
}
TAILS_EN = ["", " please", " thanks", " today", " asap", " again", " now", " sir", " ok?",
            " help"]
TAILS_ZH = ["", "，真的", "，下次再来", "，一般般", "，推荐", "，失望", "！", "。", "，总体还行",
            "，朋友说的"]


def sheet(intents: dict[str, list[str]], tails: list[str], per_label: int,
          columns: tuple[str, str], seed: int = 1) -> pd.DataFrame:
    rng = random.Random(seed)
    rows = []
    for label, phrases in intents.items():
        made = {f"{p}{t}" for p in phrases for t in tails}
        rows += [(text, label) for text in rng.sample(sorted(made), per_label)]
    rng.shuffle(rows)
    return pd.DataFrame(rows, columns=list(columns))


CASES = {
    "en-US": {"intents": EN_INTENTS, "tails": TAILS_EN, "per_label": 20,
              "columns": ("message", "intent"), "encoding": "utf-8", "rows": "80",
              "done": "✅ Done", "title": "Agent Playground"},
    "zh-CN": {"intents": ZH_INTENTS, "tails": TAILS_ZH, "per_label": 12,
              "columns": ("评论", "类别"), "encoding": "gbk", "rows": "48",
              "done": "✅ 完成", "title": "智能体训练场"},
}

# Three or more English words in a row, with spaces between them: a sentence, or most of
# one (model ids such as bert-base-chinese are one word).
WORD = r"[A-Za-z][a-z]+(?:-[A-Za-z0-9][a-z0-9]*)*"
ENGLISH = re.compile(rf"\b{WORD}(?:,? {WORD}){{2,}}\b")
# Names the Chinese page may show as they are: the product's and the models'.
NAMES = ["Agent Playground", "Hugging Face", "JSON lines"]


def english_sentences(text: str) -> list[str]:
    """English runs of words in ``text``, once the names it may show are taken out."""
    from playground.catalog import catalog

    for name in sorted(NAMES + [n for c in catalog() for n in (c.name, c.id)], key=len,
                       reverse=True):
        text = text.replace(name, " ")
    return ENGLISH.findall(text)


def _tab(page, index: int) -> None:
    page.get_by_role("tab").nth(index).click()
    page.wait_for_timeout(400)


def _visible_text(page) -> str:
    return page.locator(".gradio-container").inner_text()


def _label_of(answer: str, labels: list[str]) -> str | None:
    """The label an answer line names ("label · ..."), None when the agent asked back."""
    last = answer.strip().splitlines()[-1]
    head = last.split(" · ")[0].strip()
    return head if head in labels else None


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_own_sheet_through_every_tab(browser, live_app, tmp_path: Path,  # noqa: F811
                                     locale: str) -> None:
    from playwright.sync_api import expect

    url, service = live_app
    case = CASES[locale]
    data = tmp_path / f"my_sheet_{locale}.csv"
    frame = sheet(case["intents"], case["tails"], case["per_label"], case["columns"])
    frame.to_csv(data, index=False, encoding=case["encoding"])
    labels = sorted(case["intents"])
    seen_text = []

    page = browser.new_page(locale=locale, viewport={"width": 1366, "height": 900})
    page.goto(url)
    expect(page.locator("#title")).to_contain_text(case["title"], timeout=30_000)
    _shot(page, f"newcomer-gallery-{locale}")
    _tab(page, 1)
    seen_text.append(_visible_text(page))
    _shot(page, f"newcomer-model-{locale}")

    _tab(page, 2)
    page.locator("#upload input[type=file]").set_input_files(str(data))
    expect(page.locator("#data-checks")).to_contain_text(case["rows"], timeout=30_000)
    # The column is called "message" (a word the page also translates): it shows as itself.
    expect(page.locator("#text-column input")).to_have_value(case["columns"][0])
    expect(page.locator("#preview")).to_contain_text(case["columns"][0])
    expect(page.locator("#label-chart canvas, #label-chart svg").first).to_be_visible()
    page.wait_for_timeout(1000)  # the bars are drawn a moment after the chart
    seen_text.append(_visible_text(page))
    _shot(page, f"newcomer-data-{locale}")

    _tab(page, 3)
    page.locator("#advanced").get_by_role("button").first.click()
    rows_box = page.locator("#field-max_train_rows textarea, #field-max_train_rows input").first
    expect(rows_box).to_be_visible()
    expect(rows_box).to_have_value("")  # opening the panel leaves an empty box empty
    page.locator("#estimate").click()
    expect(page.locator("#estimate-text")).not_to_contain_text("⏳", timeout=120_000)
    expect(page.locator("#estimate-text")).not_to_be_empty()
    assert "❌" not in page.locator("#estimate-text").inner_text()
    seen_text.append(_visible_text(page))
    _shot(page, f"newcomer-settings-{locale}")

    _tab(page, 4)
    page.locator("#start").click()
    status = page.locator("#run-status")
    expect(status).to_contain_text(case["done"], timeout=420_000)
    expect(page.locator("#scores-plot")).to_be_visible(timeout=30_000)
    seen_text.append(_visible_text(page))
    _shot(page, f"newcomer-train-{locale}")

    run_row = service.list_runs()[0]
    run = service.run(run_row["run_id"])
    report = run.read_report()
    assert run_row["name"] == data.stem and run_row["name"] in status.inner_text()

    _tab(page, 5)  # the run that just finished is already picked, by its name
    expect(page.locator("#agent-pick input")).to_have_value(run_row["name"], timeout=30_000)
    held_out = pd.read_csv(run.split_path("test"), dtype=str, keep_default_na=False)
    chat_input = page.locator("#chat-input textarea").first
    right = 0
    for number, (text, truth) in enumerate(zip(held_out["text"], held_out["label"]), 1):
        chat_input.fill(text)
        chat_input.press("Enter")
        answers = page.locator("#chatbot .message-row, #chatbot [data-testid=bot]")
        expect(page.locator("#chatbot")).to_contain_text(text, timeout=30_000)
        page.wait_for_function(
            "n => document.querySelectorAll('#chatbot sub').length >= n", arg=number,
            timeout=30_000)
        last = page.locator("#chatbot sub").nth(number - 1).inner_text()
        right += _label_of(last, labels) == truth
        assert answers.count() > 0
    classic_right = round(report["scores"]["classic"]["accuracy"] * len(held_out))
    assert right >= classic_right, (right, classic_right, report.get("agent"))
    seen_text.append(_visible_text(page))
    _shot(page, f"newcomer-chat-{locale}")
    page.locator("#rules-panel").get_by_role("button").first.click()
    page.locator("#share-panel").get_by_role("button").first.click()
    page.wait_for_timeout(1500)
    _shot(page, f"newcomer-rules-{locale}")

    if locale == "zh-CN":
        english = [s for text in seen_text for s in english_sentences(text)]
        assert not english, "\n".join(english)
    page.close()
