"""Agent recipes: each one loads and fits its data; the instant one trains and answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from playground.data import read_table
from playground.errors import ConfigError
from playground.recipes import load_recipe, recipes
from playground.service.agents import ask
from playground.service.gallery import cards, start_recipe
from playground.service.jobs import TrainingService
from playground.service.replies import AgentRules
from playground.tasks.chat.checks import check_conversations
from playground.tasks.chat.reading import read_conversations
from playground.tasks.classify.checks import check_dataset
from playground.tasks.entities.checks import check_entities
from playground.tasks.entities.reading import read_entities


def test_each_recipe_is_complete_and_its_rules_fit_its_labels() -> None:
    found = recipes()
    assert {"bank-help-desk", "hotel-reviews-zh", "bank-faq-instant",
            "people-places-zh", "persona-pebble", "bank-chat"} <= {r.id for r in found}
    for recipe in found:
        assert recipe.name["en"] and recipe.name["zh"] and recipe.description["zh"]
        if recipe.config().task == "chat":  # question/answer pairs, no reply rules
            _, report = check_conversations(read_conversations(recipe.data_path))
            assert report.ok and not recipe.agent and recipe.config().method == "lora"
            continue
        if recipe.config().task == "ner":
            _, report = check_entities(read_entities(recipe.data_path))
            assert report.ok and not recipe.agent
            continue
        clean, report = check_dataset(read_table(recipe.data_path))
        assert not report.errors
        labels = sorted(clean["label"].unique())
        rules = AgentRules.from_dict(recipe.agent, labels)
        assert {r.label for r in rules.rules} <= set(labels)


def test_recipes_come_quickest_first() -> None:
    """A workshop starts with a recipe that trains in seconds, not minutes."""
    found = recipes()
    assert [r.seconds for r in found] == sorted(r.seconds for r in found)
    assert found[0].seconds < 60 < found[-1].seconds


def test_an_unknown_recipe_is_named() -> None:
    with pytest.raises(ConfigError, match="no agent recipe called 'nope'"):
        load_recipe("nope")


def test_the_instant_recipe_trains_and_answers_from_its_faq(runs_dir: Path) -> None:
    service = TrainingService(runs_dir, poll_s=0.1, gpu_count=0)
    try:
        run = start_recipe(service, load_recipe("bank-faq-instant"))
        assert service.wait(run.run_id, timeout_s=120)["state"] == "succeeded"
        reply = ask(run, "I think someone stole my card yesterday")
        assert reply.label == "lost_or_stolen_card" and reply.source == "lookup"
        assert reply.text.startswith("Freeze your card in the app")
        shown = cards(service)
        card = next(c for c in shown["recipes"] if c["recipe"].id == "bank-faq-instant")
        assert card["run"]["run_id"] == run.run_id and card["run"]["accuracy"] > 0.9
        assert [a["run_id"] for a in shown["agents"]] == [run.run_id]
    finally:
        service.shutdown()


def test_the_chinese_entity_recipe_trains_and_highlights(runs_dir: Path) -> None:
    service = TrainingService(runs_dir, poll_s=0.1, gpu_count=0)
    try:
        run = start_recipe(service, load_recipe("people-places-zh"))
        assert service.wait(run.run_id, timeout_s=120)["state"] == "succeeded"
        reply = ask(run, "李明昨天去了北京。")
        assert ("LOC", "北京") in [(e["type"], e["text"]) for e in reply.entities]
        card = next(c for c in cards(service)["recipes"] if c["recipe"].id == "people-places-zh")
        assert card["run"]["entity_f1"] > 0.3
    finally:
        service.shutdown()
