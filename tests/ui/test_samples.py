"""The Data tab's samples: each bundled file is offered for the task that reads it, in
the page's language."""

from __future__ import annotations

from playground import tasks
from playground.ui.tab_data import sample_items, samples
from playground.ui.texts import TEXTS, sample_key


def test_every_bundled_sample_is_offered_for_the_one_task_that_reads_it() -> None:
    offered = [name for _, name in sample_items(None, str)]
    assert sorted(offered) == sorted(samples())  # each file once, none left out
    for spec in tasks.specs():
        for name in spec.samples:
            found = tasks.part(spec.name, "prepare").preview(samples()[name], None, None,
                                                             "classic", 5)
            assert found.report.ok, (spec.name, name)
            english, chinese = TEXTS[sample_key(name)]
            assert english and chinese and english != chinese


def test_a_page_offers_only_its_tasks_samples_by_their_words() -> None:
    words = {k: v[1] for k, v in TEXTS.items()}.get
    entity_samples = sample_items("ner", words)
    assert entity_samples == [("人名、地名、机构名，中文：400 个句子", "msra_ner_zh_sample.conll")]
    classify = {name for _, name in sample_items(tasks.DEFAULT, str)}
    assert "hotel_reviews_zh.csv" in classify and "bank_chat_en.csv" not in classify
