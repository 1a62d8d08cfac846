"""Reply rules: templates, keywords, the threshold, lookup tables and web calls."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pandas as pd
import pytest

from playground.errors import ConfigError, DataError
from playground.runfolder import RunFolder
from playground.service.agents import ask, rules_for
from playground.service.replies import (
    MAX_FILLED_CHARS,
    AgentRules,
    LabelRule,
    fill,
    load_rules,
    save_rules,
)
from playground.service.respond import respond
from playground.service.tables import add_tool_table
from playground.training.job import run_job

LABELS = ["lost_card", "refund", "greeting"]
SURE = {"refund": 0.9, "lost_card": 0.07, "greeting": 0.03}
UNSURE = {"refund": 0.35, "lost_card": 0.33, "greeting": 0.32}


def _rules(**settings) -> AgentRules:
    return AgentRules(rules=[
        LabelRule("refund", reply="Refunds take 5 days. You said: {text}"),
        LabelRule("lost_card", reply="Card {label} blocked.", keywords=["stolen", "lost"]),
        LabelRule("greeting", reply="Hello!", keywords=["hi"]),
    ], **settings)


def test_template_answers_with_the_label_and_text() -> None:
    reply = respond(_rules(), "money back please", SURE)
    assert (reply.label, reply.source) == ("refund", "reply")
    assert reply.text == "Refunds take 5 days. You said: money back please"


def test_keywords_win_over_the_model_and_need_whole_words() -> None:
    reply = respond(_rules(), "my card was stolen, refund me", SURE)
    assert (reply.label, reply.source, reply.text) == ("lost_card", "keyword",
                                                       "Card lost_card blocked.")
    assert "'stolen'" in reply.detail
    # "hi" is inside "this", but is not the word "hi": the model decides.
    assert respond(_rules(), "this is a refund", SURE).source == "reply"


def test_chinese_keywords_match_inside_a_sentence() -> None:
    rules = AgentRules(rules=[LabelRule("refund", reply="退款", keywords=["退款"])])
    assert respond(rules, "我想要退款可以吗", UNSURE).source == "keyword"


def test_below_the_threshold_the_agent_asks() -> None:
    reply = respond(_rules(threshold=0.5), "hmm", UNSURE)
    assert reply.source == "clarify"
    assert reply.text == "Did you mean refund or lost_card?"
    assert respond(_rules(threshold=0.3), "hmm", UNSURE).source == "reply"


def test_templates_fill_only_plain_names() -> None:
    values = {"text": "x", "label": "y"}
    assert fill("{label} {missing} {text.__class__} {text}", values) == \
        "y {missing} {text.__class__} x"


def test_a_reply_whose_slots_repeat_is_cut() -> None:
    """A 24 KB template of {text} x 4,000 made a 20 MB answer from a long question."""
    filled = fill("{text}" * 4_000, {"text": "y" * 5_000})
    assert filled == "y" * MAX_FILLED_CHARS + "…"
    with pytest.raises(ConfigError, match="an agent takes at most 1,000"):
        AgentRules.from_dict({"rules": [{"label": f"r{i}", "reply": "ok", "keywords": [f"k{i}"]}
                                        for i in range(1_001)]}, [])


@pytest.mark.parametrize("change, fragment", [
    ({"label": "nope"}, "does not know"),
    ({"action": "email"}, "cannot be 'email'"),
    ({"action": "lookup", "tool": ""}, "needs a table name"),
    ({"action": "lookup", "tool": "../secrets.txt"}, "uploaded .csv"),
    ({"action": "http", "tool": "file:///etc/passwd"}, "http:// or https://"),
    ({"keywords": "lost"}, "list of words"),
    ({"reply": 123}, "reply of a rule must be text"),
    ({"action": "http", "tool": "http://exa mple.com"}, "http:// or https://"),
    ({"action": "http", "tool": "http://[::1"}, "http:// or https://"),
    ({"reply": "x" * 4_001}, "a reply takes at most 4,000"),  # every answer sends it
    ({"keywords": ["w"] * 2_001}, "take at most 2,000"),  # every answer reads them all
    ({"keywords": ["w" * 101]}, "each of at most 100 characters"),
])
def test_bad_rules_are_named(change, fragment) -> None:
    rule = {"label": "refund", "reply": "ok", **change}
    with pytest.raises(ConfigError, match=fragment):
        AgentRules.from_dict({"rules": [rule]}, LABELS)


def test_the_entity_agent_must_be_a_run_id() -> None:
    with pytest.raises(ConfigError, match="not a run id"):
        AgentRules.from_dict({"rules": [], "entity_run": "../../etc"}, LABELS)
    assert AgentRules.from_dict({"rules": [], "entity_run": "20261124-1"}, LABELS).entity_run


def test_threshold_and_duplicates_are_checked() -> None:
    with pytest.raises(ConfigError, match="between 0 and 1"):
        AgentRules.from_dict({"rules": [], "threshold": 1.5}, LABELS)
    with pytest.raises(ConfigError, match="two rules"):
        AgentRules.from_dict({"rules": [{"label": "refund"}, {"label": "refund"}]}, LABELS)


def test_lookup_by_text_and_by_slot(tmp_path: Path) -> None:
    pd.DataFrame({"order": ["A-100", "A-1001"], "status": ["shipped", "packed"],
                  "eta": ["Monday", "Friday"]}).to_csv(tmp_path / "orders.csv", index=False)
    rules = AgentRules(rules=[LabelRule("refund", reply="Order {order}: {answer}, {eta}.",
                                        action="lookup", tool="orders.csv")])
    # The longest key found in the text wins: A-1001, not A-100.
    reply = respond(rules, "where is a-1001?", SURE, tools_dir=tmp_path)
    assert (reply.source, reply.text) == ("lookup", "Order A-1001: packed, Friday.")
    missing = respond(rules, "where is B-7?", SURE, tools_dir=tmp_path)
    assert missing.text == rules.not_found and "no row" in missing.detail
    rules.rules[0].key = "order_id"
    found = respond(rules, "where is it", SURE, [{"type": "order_id", "text": "A-100"}],
                    tmp_path)
    assert found.text == "Order A-100: shipped, Monday."


class _Echo(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if body["text"] == "slow":
            time.sleep(2)
        answer = json.dumps({"reply": f"{body['label']} for '{body['text']}'"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def echo_url():
    server = HTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/answer"
    server.shutdown()


def test_web_calls_only_when_allowed_and_with_a_timeout(echo_url: str) -> None:
    rules = AgentRules(rules=[LabelRule("refund", reply="Service says: {answer}",
                                        action="http", tool=echo_url)], http_timeout_s=0.5)
    off = respond(rules, "money back", SURE)
    assert off.text == rules.not_found and "off" in off.detail
    rules.allow_http = True
    on = respond(rules, "money back", SURE)
    assert on.text == "Service says: refund for 'money back'"
    host_says_no = respond(rules, "money back", SURE, web_calls=False)
    assert host_says_no.text == rules.not_found and "off" in host_says_no.detail
    slow = respond(rules, "slow", SURE)
    assert slow.text == rules.not_found and "failed" in slow.detail


def test_rules_saved_in_the_run_answer_a_real_agent(make_run, intent_csv: Path,
                                                    tmp_path: Path) -> None:
    run = make_run(intent_csv, model="classic")
    run_job(run, time.time())
    assert rules_for(run).rules[0].reply == ""  # nothing saved yet: plain rules
    assert ask(run, "I lost my card").text == "lost_card"
    faq = tmp_path / "refund faq.csv"
    pd.DataFrame({"topic": ["order"], "answer": ["Refunds for orders take 5 days."]}) \
        .to_csv(faq, index=False)
    name = add_tool_table(run, faq)
    assert name == "refund faq.csv"
    save_rules(run, AgentRules(rules=[LabelRule("refund", action="lookup", tool=name)]),
               LABELS)
    reply = ask(RunFolder(run.path), "refund my order please")
    assert (reply.label, reply.source, reply.text) == \
        ("refund", "lookup", "Refunds for orders take 5 days.")
    assert load_rules(run, LABELS).rules[0].tool == name


def test_a_table_needs_a_key_and_an_answer(tmp_path: Path, make_run, intent_csv: Path) -> None:
    one_column = tmp_path / "keys.csv"
    one_column.write_text("key\nA\nB\n")
    run = make_run(intent_csv, model="classic")
    with pytest.raises(DataError, match="two columns"):
        add_tool_table(run, one_column)


def test_an_entity_agent_fills_the_slots_of_an_intent_agent(make_run, intent_csv: Path,
                                                            tmp_path: Path) -> None:
    from ner_samples import write_conll

    people = make_run(write_conll(tmp_path / "people.conll", count=150), task="ner",
                      model="classic")
    run_job(people, time.time())
    intents = make_run(intent_csv, model="classic")
    run_job(intents, time.time())
    save_rules(intents, AgentRules(rules=[
        LabelRule("greeting", reply="Hello {PER}, welcome to {LOC}!"),
        LabelRule("refund", reply="Refunds for {PER} take 5 days.")],
        entity_run=people.run_id), LABELS)
    reply = ask(intents, "hello there maria from madrid")
    assert reply.label == "greeting"
    assert reply.text == "Hello maria, welcome to madrid!"
    assert [(e["type"], e["text"]) for e in reply.entities] == [("PER", "maria"),
                                                                ("LOC", "madrid")]
    alone = ask(people, "yesterday maria flew to madrid")
    assert (alone.source, alone.text) == ("entities", "PER: maria; LOC: madrid")


def test_a_new_agent_asks_back_in_its_data_language(make_run, tmp_path: Path) -> None:
    from playground.service.replies import DEFAULT_CLARIFY

    rows = [(f"{word}怎么样 {i}", label) for i in range(12)
            for word, label in (("口味", "口味"), ("价格", "价格"), ("服务", "服务"))]
    data = tmp_path / "reviews.csv"
    pd.DataFrame(rows, columns=["text", "label"]).to_csv(data, index=False)
    run = make_run(data, model="classic")
    labels = ["价格", "口味", "服务"]
    rules = load_rules(run, labels)
    assert fill(rules.clarify, {"option1": "口味", "option2": "价格"}) == "您是想问「口味」还是「价格」？"
    assert rules.not_found.startswith("抱歉")
    reply = respond(rules, "嗯", {"口味": 0.35, "价格": 0.34, "服务": 0.31})
    assert reply.source == "clarify" and reply.text == "您是想问「口味」还是「价格」？"
    # Saved rules keep what they say, even the English default.
    save_rules(run, AgentRules.default(labels), labels)
    assert load_rules(run, labels).clarify == DEFAULT_CLARIFY


def test_an_english_agent_keeps_the_english_defaults(make_run, intent_csv: Path) -> None:
    from playground.service.replies import DEFAULT_CLARIFY, DEFAULT_NOT_FOUND

    rules = load_rules(make_run(intent_csv, model="classic"), LABELS)
    assert (rules.clarify, rules.not_found) == (DEFAULT_CLARIFY, DEFAULT_NOT_FOUND)
