"""The data tab's checks in a Chinese page: the problems and the summary, with no English."""

from __future__ import annotations

import re

import pandas as pd

from playground.recipes import assets_dir
from playground.tasks.classify.checks import check_dataset
from playground.tasks.entities.checks import check_entities
from playground.tasks.entities.reading import read_entities
from playground.ui.tab_data import _checks_markdown, analyse

ENGLISH_RUN = re.compile(r"[A-Za-z]+(?:[ ,;:']+[A-Za-z]+){3,}")


def test_an_entity_file_is_summed_up_in_chinese() -> None:
    """Drift bug of the twin data views: the entity file's Chinese summary was the
    table's (rows, labels), without the token count and the BMES note."""
    path = assets_dir() / "msra_ner_zh_sample.conll"
    _, report = check_entities(read_entities(path))
    found = analyse(str(path), None, None, "zh", 50, "classic", "ner")
    shown = found[-1]
    assert f"{report.tokens:,} 个词" in shown and "BMES，已转换为 BIO" in shown
    # the preview's columns are the page's own (a CoNLL file names none): in Chinese
    assert list(found[0]["value"].columns) == ["文本", "实体"]
    english = analyse(str(path), None, None, "en", 50, "classic", "ner")[0]["value"]
    assert list(english.columns) == ["text", "entities"]
    chart = found[5]  # it counts entities per type, not examples per label
    assert (chart["label"], chart["x_title"], chart["y_title"]) == ("每种实体的数量", "实体类型",
                                                                 "实体数")
    assert chart["value"]["examples"].sum() == sum(report.label_counts.values())
    assert "标签：" not in shown  # not the table summary
    assert not ENGLISH_RUN.search(shown), shown


def test_problems_show_only_their_chinese_sentence() -> None:
    rows = [(f"text number {i}", "a" if i % 2 else "b") for i in range(20)]
    rows += [("rare one", "rare"), ("rare two", "rare"), ("", "a")]
    _, report = check_dataset(pd.DataFrame(rows, columns=["text", "label"]))
    shown = _checks_markdown(report, "zh", "classic", "text-classification")
    assert "❌ 有的标签样本少于 3 个：“rare”（2）" in shown
    assert "Some labels" not in shown and "Left out" not in shown
    assert not ENGLISH_RUN.search(shown.replace("text number", "")), shown
    assert "Some labels have fewer than 3 examples" in _checks_markdown(report, "en", "classic", "text-classification")
