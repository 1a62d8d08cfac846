from __future__ import annotations

import time
from pathlib import Path

import pytest

from playground.catalog import CLASSIC, EMBEDDED, catalog, choose, embedded_model_dir
from playground.errors import ModelError


def test_embedded_model_is_found_and_listed_first() -> None:
    folder = embedded_model_dir()
    assert folder is not None and (folder / "model.safetensors").exists()
    cards = catalog()
    assert cards[0].id == EMBEDDED and cards[0].installed and cards[0].languages == ("en",)
    assert cards[1].id == CLASSIC
    assert {"hfl/rbt3", "bert-base-chinese"} <= {c.id for c in cards}
    for card in cards:
        assert card.license and card.description


def test_auto_picks_by_language() -> None:
    english = choose("auto", "en")
    assert english.card.id == EMBEDDED and "English" in english.note
    chinese = choose("auto", "zh")
    assert chinese.card.id == CLASSIC and "Chinese" in chinese.note
    assert not choose(EMBEDDED, "en").card.reads("zh")


def test_local_folder_must_hold_a_model(tmp_path: Path, tiny_model_dir: Path) -> None:
    assert choose(str(tiny_model_dir), "en").card.source == "local"
    with pytest.raises(ModelError, match="not a model folder"):
        choose(str(tmp_path), "en")


def test_offline_hub_id_fails_fast_with_a_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError, match="not on this machine") as err:
        choose("someone/some-model-not-cached", "en")
    assert "embedded model" in err.value.hint


def test_unreachable_hub_fails_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    # Port 9 on loopback refuses connections: the same path as a machine with no network.
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")
    start = time.monotonic()
    with pytest.raises(ModelError, match="cannot be reached"):
        choose("someone/some-model-not-cached", "en")
    assert time.monotonic() - start < 10


def test_every_card_says_which_languages_it_reads() -> None:
    for card in catalog():
        assert card.languages and card.language_names, card.id
        assert card.to_dict()["language_names"] == card.language_names
    cards = {c.id: c for c in catalog()}
    assert cards[EMBEDDED].language_names == "English"
    assert cards[CLASSIC].language_names == "any language"
    assert cards["hfl/rbt3"].language_names == "Chinese"


def test_every_card_and_note_has_chinese(tmp_path: Path, tiny_model_dir: Path) -> None:
    import re

    from playground.service.prepare import language_note

    english_run = re.compile(r"[A-Za-z]+(?:[ ,;:']+[A-Za-z]+){3,}")
    cards = catalog() + [choose(str(tiny_model_dir), "en").card]
    for card in cards:
        description, license_ = card.text("zh")
        for said in (description, license_, card.language_names_zh):
            assert not english_run.search(said), (card.id, said)
        assert re.search(r"[\u4e00-\u9fff]", description), card.id
        assert card.to_dict()["language_names_zh"] == card.language_names_zh
    assert {c.id: c for c in catalog()}["hfl/rbt3"].language_names_zh == "中文"
    for model, language in (("auto", "en"), ("auto", "zh"), (CLASSIC, "zh"), (EMBEDDED, "en")):
        assert re.search(r"[\u4e00-\u9fff]", choose(model, language).note_zh), model
    note = language_note(choose(EMBEDDED, "en"), "zh", "zh")
    assert "MiniLM-L6" in note and "英文" in note and not english_run.search(note)
    assert "reads only English" in language_note(choose(EMBEDDED, "en"), "zh")
