"""An entity agent through the app: the Chinese sample, training, highlighted chat,
entity-level scores on a tagged file, and a file of texts with their entities."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from gradio_client import handle_file

from .conftest import form
from .test_app_api import client, value, wait_until_done

NER = "ner"


def test_chinese_entities_train_highlight_and_score(live_app, assets: Path,
                                                    tmp_path: Path) -> None:
    url, service = live_app
    c = client(url)
    preview, _, text, label, _, chart, checks = c.predict(
        "msra_ner_zh_sample.conll", "classic", "", NER, api_name="/load_sample")
    assert "Ready to train: 400 sentences, 3 entity types" in checks and "LOC" in checks
    assert value(text) is None  # a CoNLL file has no columns to pick
    assert {row[0] for row in value(chart)["data"]} == {"LOC", "ORG", "PER"}
    assert any("LOC:" in row[1] for row in value(preview)["data"])

    # f1 is a choice of entity runs alone: an API caller, which loads no page, gets every
    # choice of the form (a page narrows them to its task)
    run_id = c.predict("classic", "", NER, None, None, None,
                       *form(task=NER, early_stopping_metric="f1"), api_name="/start")
    status, _ = wait_until_done(c)
    assert "Entity F1" in status and service.status(run_id)["name"] in status

    history, _, top, marked = c.predict(run_id, "我们在北京见到了李明。", [], api_name="/chat")
    assert not value(top) and top["visible"] is False  # an entity agent ranks no labels
    assert marked["visible"] is True  # shown once an agent finds entities
    marks = {piece["token"]: piece["class_or_confidence"] for piece in value(marked)}
    assert marks["北京"].startswith("LOC ") and marks["北京"].endswith("%")
    assert marks["我们在"] is None
    answer = " ".join(part["text"] for part in history[-1]["content"])
    assert "LOC: 北京" in answer and "answered by the entity model" in answer
    assert "sure" not in answer  # its entities' confidences are not calibrated

    summary, per_type, _, mistakes = c.predict(
        run_id, handle_file(str(assets / "msra_ner_zh_sample.conll")), api_name="/test_file")
    assert "Entity F1" in summary
    assert {row[0] for row in value(per_type)["data"]} == {"LOC", "ORG", "PER"}

    texts = tmp_path / "news.csv"
    pd.DataFrame({"text": ["北京的天气很好。", "今天没有新闻。"]}).to_csv(texts, index=False)
    download, counts, _, examples, _ = c.predict(run_id, handle_file(str(texts)),
                                                 api_name="/label_file")
    labelled = pd.read_csv(download, keep_default_na=False)
    assert list(labelled["text"]) == ["北京的天气很好。", "今天没有新闻。"]
    assert "LOC: 北京" in labelled["entities"][0]
