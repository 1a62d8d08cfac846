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


# Model families: chat tasks get chat models, encoder tasks keep what they had.

QWEN = "Qwen/Qwen2.5-0.5B-Instruct"


def _cached_only(monkeypatch: pytest.MonkeyPatch, *repo_ids: str) -> None:
    """Pretend the local Hugging Face cache holds exactly ``repo_ids``."""
    import playground.catalog as catalog_module

    monkeypatch.setattr(catalog_module, "_cached_hub_folder",
                        lambda repo_id: f"/cache/{repo_id}" if repo_id in repo_ids else None)


def test_every_card_names_its_family() -> None:
    from playground.catalog import CAUSAL_LM, CLASSIC_FAMILY, EMBEDDED_CHAT, ENCODER

    cards = {c.id: c for c in catalog()}
    assert cards[EMBEDDED].family == ENCODER and cards["hfl/rbt3"].family == ENCODER
    assert cards[CLASSIC].family == CLASSIC_FAMILY
    chat = cards[EMBEDDED_CHAT]
    assert chat.family == CAUSAL_LM and chat.source == "embedded" and chat.installed
    assert chat.languages == ("en",) and chat.license == "Apache-2.0"
    assert "cannot write Chinese" in chat.description and "不会写中文" in chat.description_zh
    assert cards[QWEN].family == CAUSAL_LM and cards[QWEN].reads("zh")
    assert {c.id for c in catalog(CAUSAL_LM)} >= {EMBEDDED_CHAT, QWEN}
    assert all(c.family == ENCODER for c in catalog(ENCODER))
    assert len(catalog()) == sum(len(catalog(f)) for f in (ENCODER, CAUSAL_LM, CLASSIC_FAMILY))


def test_chat_auto_picks_by_language(monkeypatch: pytest.MonkeyPatch) -> None:
    from playground.catalog import CAUSAL_LM, EMBEDDED_CHAT

    _cached_only(monkeypatch)
    english = choose("auto", "en", CAUSAL_LM)
    assert english.card.id == EMBEDDED_CHAT and "SmolLM2" in english.note and english.note_zh
    with pytest.raises(ModelError, match="cannot write Chinese") as caught:
        choose("auto", "zh", CAUSAL_LM)
    assert QWEN in caught.value.message and QWEN in caught.value.zh
    assert "不会写中文" in caught.value.zh and "本机上没有" in caught.value.zh
    _cached_only(monkeypatch, QWEN)
    chinese = choose("auto", "zh", CAUSAL_LM)
    assert chinese.card.id == QWEN and chinese.card.location == f"/cache/{QWEN}"
    assert "writes Chinese" in chinese.note and "中文" in chinese.note_zh


def test_encoder_auto_never_picks_a_chat_model(monkeypatch: pytest.MonkeyPatch) -> None:
    _cached_only(monkeypatch, QWEN)  # a Chinese chat model, but no Chinese encoder
    assert choose("auto", "zh").card.id == CLASSIC
    _cached_only(monkeypatch, QWEN, "hfl/rbt3")
    assert choose("auto", "zh").card.id == "hfl/rbt3"


def test_a_model_of_the_wrong_family_is_refused() -> None:
    from playground.catalog import CAUSAL_LM, EMBEDDED_CHAT

    with pytest.raises(ModelError, match="needs a chat model") as caught:
        choose(EMBEDDED, "en", CAUSAL_LM)
    assert "对话模型" in caught.value.zh
    with pytest.raises(ModelError, match="needs an encoder") as caught:
        choose(EMBEDDED_CHAT, "en")
    assert "编码器" in caught.value.zh
    with pytest.raises(ModelError, match="no classic model") as caught:
        choose(CLASSIC, "en", CAUSAL_LM, classic=False)
    assert "经典模型" in caught.value.zh
    assert choose(CLASSIC, "zh", CAUSAL_LM, classic=True).card.id == CLASSIC
    assert choose(EMBEDDED_CHAT, "en", CAUSAL_LM).card.id == EMBEDDED_CHAT


def test_a_chat_model_that_writes_no_chinese_gets_a_chat_note() -> None:
    from playground.catalog import CAUSAL_LM, EMBEDDED_CHAT
    from playground.service.prepare import language_note

    choice = choose(EMBEDDED_CHAT, "zh", CAUSAL_LM)
    assert "will not learn to answer in Chinese" in language_note(choice, "zh")
    assert "学不会用中文回答" in language_note(choice, "zh", "zh")


def test_label_and_entity_tasks_train_encoders() -> None:
    from playground import tasks

    assert tasks.spec("text-classification").model_family == "encoder"
    assert tasks.spec("ner").model_family == "encoder"


def _cache_hub_model(cache: Path, repo_id: str, config: dict) -> None:
    """A model in a Hugging Face cache laid out as the hub's client writes it."""
    import json

    repo = cache / f"models--{repo_id.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("abc123")
    (repo / "snapshots" / "abc123").mkdir(parents=True)
    (repo / "snapshots" / "abc123" / "config.json").write_text(json.dumps(config))


def test_a_folder_or_cached_hub_model_of_the_wrong_family_is_refused_up_front(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_model_dir: Path,
        tiny_chat_model_dir: Path) -> None:
    """Its config.json says what it is (read as text: no weights, no code), so a BERT
    folder for chat, or a chat model for labels, gets a sentence naming the setting."""
    from huggingface_hub import constants

    from playground.catalog import CAUSAL_LM

    with pytest.raises(ModelError, match="BertForSequenceClassification") as caught:
        choose(str(tiny_model_dir), "en", CAUSAL_LM)
    assert "needs a chat model" in str(caught.value) and "--model" in str(caught.value)
    assert "config.json" in caught.value.zh and "--model" in caught.value.zh
    with pytest.raises(ModelError, match="LlamaForCausalLM.*needs an encoder"):
        choose(str(tiny_chat_model_dir), "en")
    assert choose(str(tiny_chat_model_dir), "en", CAUSAL_LM).card.location == \
        str(tiny_chat_model_dir)
    odd = tmp_path / "odd"  # a config that names no head: loading it will tell
    odd.mkdir()
    (odd / "config.json").write_text('{"model_type": "something-new"}')
    assert choose(str(odd), "en", CAUSAL_LM).card.family == ""

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    _cache_hub_model(tmp_path / "hub", "someone/tiny-bert", {"model_type": "bert"})
    with pytest.raises(ModelError, match="'someone/tiny-bert' is an encoder.*names bert"):
        choose("someone/tiny-bert", "en", CAUSAL_LM)
    _cache_hub_model(tmp_path / "hub", "someone/tiny-llm",
                     {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2"})
    assert choose("someone/tiny-llm", "en", CAUSAL_LM).card.family == CAUSAL_LM
