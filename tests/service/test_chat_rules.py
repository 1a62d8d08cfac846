"""Reply rules of an agent without labels (a chat agent): named rules of keywords and a
reply, lookups and web calls answer the messages they match, before the language model;
the model writes (and streams) the rest."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import copy_run

from playground.errors import ConfigError
from playground.runfolder import RunFolder
from playground.service.agents import Sampling, agent_for, ask, rules_for, stream_reply
from playground.service.replies import AgentRules, LabelRule, save_rules
from playground.service.respond import respond_first
from playground.service.tables import add_tool_table

UNMATCHED = "hello there how are you"
GREEDY = Sampling(temperature=0.0, max_new_tokens=16)


def _rules(**settings) -> AgentRules:
    return AgentRules(rules=[
        LabelRule("hours", reply="We open at 9. You asked: {text}", keywords=["open", "开门"]),
        LabelRule("orders", reply="Order {order}: {answer}.", action="lookup",
                  tool="orders.csv"),
        LabelRule("status", keywords=["status page"], action="http",
                  tool="http://127.0.0.1:9/status"),
    ], **settings)


def _orders(folder: Path) -> Path:
    path = folder / "orders.csv"
    pd.DataFrame({"order": ["A-100", "A-1001"], "status": ["shipped", "packed"]}) \
        .to_csv(path, index=False)
    return path


def _user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


@pytest.fixture
def chat_run(tiny_chat_run: Path, tmp_path: Path) -> RunFolder:
    """The tiny chat agent with the rules above and its orders table."""
    run = copy_run(tiny_chat_run, tmp_path / "runs")
    add_tool_table(run, _orders(tmp_path))
    save_rules(run, _rules(), [])
    return run


def test_a_keyword_rule_answers_without_the_model(chat_run: RunFolder) -> None:
    reply = ask(chat_run, "When do you OPEN on Sundays?")
    assert (reply.source, reply.label, reply.confidence) == ("rule", "hours", None)
    assert reply.text == "We open at 9. You asked: When do you OPEN on Sundays?"
    assert "'open'" in reply.detail and "「open」" in reply.detail_zh
    assert ask(chat_run, "你们几点开门").label == "hours"  # Chinese: inside the sentence
    streamed = stream_reply(chat_run, _user("when do you open"), GREEDY)
    assert streamed.rule is not None and streamed.rule.label == "hours"
    assert list(streamed) == ["We open at 9. You asked: when do you open"]  # one piece


def test_a_lookup_answers_from_the_row_whose_key_is_in_the_message(chat_run: RunFolder) -> None:
    reply = ask(chat_run, "where is a-1001 now?")  # the longest key: A-1001, not A-100
    assert (reply.source, reply.label, reply.text) == ("rule", "orders",
                                                       "Order A-1001: packed.")
    assert reply.detail == "orders.csv: A-1001"
    streamed = stream_reply(chat_run, _user("and A-100?"), GREEDY)
    assert streamed.rule.label == "orders" and list(streamed) == ["Order A-100: shipped."]


def test_an_unmatched_message_is_written_by_the_model_as_it_streams(
        chat_run: RunFolder) -> None:
    streamed = stream_reply(chat_run, _user(UNMATCHED), GREEDY)
    assert streamed.rule is None
    pieces = list(streamed)
    assert len(pieces) >= 2, pieces  # piece by piece, as the model writes
    written = agent_for(chat_run.path).generate(UNMATCHED, max_new_tokens=16)
    assert "".join(pieces).strip() == written
    reply = ask(chat_run, UNMATCHED)
    assert (reply.source, reply.text) == ("model", agent_for(chat_run.path).answer(
        UNMATCHED)["text"])


def test_edits_take_effect_at_once_and_no_rules_leave_the_model(chat_run: RunFolder) -> None:
    assert ask(chat_run, "when do you open").source == "rule"
    save_rules(chat_run, AgentRules(rules=[]), [])
    assert rules_for(chat_run).rules == []
    assert ask(chat_run, "when do you open").source == "model"


def test_web_calls_stay_behind_both_switches(chat_run: RunFolder) -> None:
    off = ask(chat_run, "is the status page up")
    assert off.label == "status" and off.text == _rules().not_found and "off" in off.detail
    save_rules(chat_run, _rules(allow_http=True, http_timeout_s=0.5), [])
    host_says_no = stream_reply(chat_run, _user("is the status page up"), GREEDY,
                                web_calls=False)
    assert list(host_says_no) == [_rules().not_found] and "off" in host_says_no.rule.detail
    # allowed by both: the call is made (nothing listens on port 9: it fails, and says so)
    failed = ask(chat_run, "is the status page up")
    assert failed.text == _rules().not_found and "failed" in failed.detail


def test_a_lookup_that_finds_no_row_leaves_the_next_rule_or_the_model(tmp_path: Path) -> None:
    _orders(tmp_path)
    rules = AgentRules(rules=[
        LabelRule("orders", action="lookup", tool="orders.csv"),
        LabelRule("faq", action="lookup", tool="faq.csv")])  # not uploaded: never answers
    assert respond_first(rules, "where is B-7?", tmp_path) is None
    found = respond_first(rules, "where is A-100?", tmp_path)
    assert (found.label, found.text) == ("orders", "shipped")  # reply empty: the answer
    # a keyword picks a lookup rule: no row then says so, rather than the model guessing
    rules.rules[0].keywords = ["order"]
    missing = respond_first(rules, "my order B-7", tmp_path)
    assert missing.text == rules.not_found and "no row" in missing.detail


@pytest.mark.parametrize("rule, fragment", [
    ({"label": "", "reply": "hi", "keywords": []}, "needs a name"),
    ({"label": "x" * 81, "reply": "hi", "keywords": ["hi"]}, "needs a name"),
    ({"label": "hello", "reply": "hi"}, "never answers"),
    ({"label": "hello", "keywords": ["hi"]}, "has no reply"),
    ({"label": "hello", "action": "http", "tool": "http://example.com"}, "never answers"),
    ({"label": "order", "action": "lookup", "tool": "o.csv", "key": "label"}, "key to text"),
    ({"label": "order", "action": "lookup", "tool": "../secrets.txt"}, "uploaded .csv"),
    ({"label": "hello", "reply": "hi", "keywords": "hi"}, "list of words"),
])
def test_bad_named_rules_are_named(rule: dict, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment) as caught:
        AgentRules.from_dict({"rules": [rule]}, [])
    assert caught.value.zh


def test_two_rules_may_not_share_a_name() -> None:
    rule = {"label": "hello", "reply": "hi", "keywords": ["hi"]}
    with pytest.raises(ConfigError, match="Two rules are named 'hello'"):
        AgentRules.from_dict({"rules": [rule, {**rule, "label": " hello "}]}, [])
    assert AgentRules.from_dict({"rules": [rule]}, []).rules[0].label == "hello"
