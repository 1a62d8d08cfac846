"""One chat turn: the model's prediction and the agent's rules make a reply.

The tools an answer may use are deliberately small: a lookup in a CSV table the host
uploaded into the run's ``tools/`` folder, and a JSON POST to a URL the host typed, made
only when the host allowed web calls, with a timeout.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from playground import json_text
from playground.service.replies import AgentRules, LabelRule, contains, fill, keyword_label

MAX_HTTP_ANSWER = 1000  # characters of a web answer shown in the chat


@dataclass
class Reply:
    """What the agent says, and why: the rule or tool that answered.

    ``confidence`` is the model's calibrated probability of ``label``; None when a keyword
    rule picked the label, since the model's probability would not say why it was chosen.
    """

    text: str
    label: str
    confidence: float | None
    source: str  # keyword, clarify, reply, lookup, http, entities, or rule (an agent
    # without labels: ``label`` is then the name of the rule that answered)
    detail: str  # which keyword, which options, which table row or web address
    probabilities: dict[str, float]
    entities: list[dict[str, Any]] = field(default_factory=list)
    detail_zh: str = ""  # ``detail`` in Chinese, for a Chinese page

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def slots_of(entities: list[dict[str, Any]]) -> dict[str, str]:
    """Entity type -> the first text of that type, to fill ``{type}`` in templates."""
    slots: dict[str, str] = {}
    for entity in entities:
        slots.setdefault(str(entity["type"]), str(entity["text"]))
    return slots


def respond(rules: AgentRules, text: str, probabilities: dict[str, float],
            entities: list[dict[str, Any]] | None = None,
            tools_dir: Path | None = None, web_calls: bool = True) -> Reply:
    """Apply ``rules`` to the model's ``probabilities`` (label -> p, most likely first).

    Web calls run only when both the agent's rules and the host (``web_calls``) allow them.
    """
    if not web_calls:
        rules = dataclasses.replace(rules, allow_http=False)
    entities = entities or []
    ranked = list(probabilities.items())
    label, confidence = ranked[0]
    base = {"label": label, "confidence": round(confidence, 4),
            "probabilities": probabilities, "entities": entities}
    found = keyword_label(rules, text)
    if found:
        label, word = found
        rule = rules.rule(label)
        answer, (detail, detail_zh) = _act(rule, rules, text, label, entities, tools_dir)
        return Reply(**{**base, "label": label, "confidence": None}, source="keyword",
                     text=answer, detail=f"'{word}' → {label}; {detail}",
                     detail_zh=f"「{word}」→ {label}；{detail_zh}")
    if confidence < rules.threshold and len(ranked) > 1:
        options = {"option1": ranked[0][0], "option2": ranked[1][0]}
        return Reply(**base, source="clarify", text=fill(rules.clarify, {"text": text, **options}),
                     detail=f"confidence {confidence:.0%} is below the threshold "
                            f"{rules.threshold:.0%}",
                     detail_zh=f"把握 {confidence:.0%} 低于阈值 {rules.threshold:.0%}")
    rule = rules.rule(label)
    answer, (detail, detail_zh) = _act(rule, rules, text, label, entities, tools_dir)
    return Reply(**base, source=rule.action, text=answer, detail=detail, detail_zh=detail_zh)


Said = tuple[str, str]  # a detail in English and in Chinese


def respond_first(rules: AgentRules, text: str, tools_dir: Path | None = None,
                  web_calls: bool = True) -> Reply | None:
    """The answer of the rule that matches ``text``, for an agent without labels whose
    rules answer before its model writes; None when no rule matches (the model answers).

    A keyword found in the text picks its rule (the longest keyword, as for labels), whose
    action answers; otherwise a lookup rule without keywords answers when a key of its
    table is in the text. Web calls run only when the rules and ``web_calls`` allow them.
    """
    if not web_calls:
        rules = dataclasses.replace(rules, allow_http=False)
    found = keyword_label(rules, text)
    if found:
        name, word = found
        answer, (detail, detail_zh) = _act(rules.rule(name), rules, text, name, [], tools_dir)
        return _by_rule(name, answer, (f"keyword '{word}'; {detail}",
                                       f"关键词「{word}」；{detail_zh}"))
    for rule in rules.rules:
        if rule.action == "lookup" and not any(k.strip() for k in rule.keywords):
            values: dict[str, Any] = {"text": text, "label": rule.label}
            row, said = lookup(tools_dir, rule, text, values)
            if row is not None:  # no row: the next rule, then the model, may answer
                return _by_rule(rule.label, fill(rule.reply or "{answer}", {**values, **row}),
                                said)
    return None


def _by_rule(name: str, text: str, said: Said) -> Reply:
    return Reply(text=text, label=name, confidence=None, source="rule", detail=said[0],
                 detail_zh=said[1], probabilities={})


def _act(rule: LabelRule, rules: AgentRules, text: str, label: str,
         entities: list[dict[str, Any]], tools_dir: Path | None) -> tuple[str, Said]:
    values: dict[str, Any] = {"text": text, "label": label, **slots_of(entities)}
    if rule.action == "lookup":
        row, detail = lookup(tools_dir, rule, text, values)
        if row is None:
            return fill(rules.not_found, values), detail
        values.update(row)
    elif rule.action == "http":
        if not rules.allow_http:
            return fill(rules.not_found, values), (
                "web calls are off (see 'Allow web calls')", "网络调用已关闭（见“允许网络调用”）")
        answer, detail = call_url(rule.tool, text, label, entities, rules.http_timeout_s)
        if answer is None:
            return fill(rules.not_found, values), detail
        values["answer"] = answer
    else:
        return fill(rule.reply or "{label}", values), ("reply template", "回复模板")
    return fill(rule.reply or "{answer}", values), detail


def lookup(tools_dir: Path | None, rule: LabelRule, text: str,
           values: dict[str, Any]) -> tuple[dict[str, str] | None, Said]:
    """The table row whose first column matches: a key found in the text (the longest),
    or equal to the label or to an entity slot. Its columns become slots; ``answer`` is the second one."""
    from playground.service.tables import read_tool_table

    if tools_dir is None or not (tools_dir / rule.tool).exists():
        return None, (f"table {rule.tool} is missing: upload it", f"缺少查询表 {rule.tool}：请上传")
    table = read_tool_table(tools_dir / rule.tool)
    key_column, answer_column = table.columns[0], table.columns[1]
    keys = table[key_column].str.strip().tolist()  # plain strings: fast to walk
    if rule.key == "text":
        # A plain substring test first: a table may hold 100,000 keys, and the whole-word
        # test (a regular expression per key) only needs to run on the few found.
        folded = text.casefold()
        hits = [(len(key), i) for i, key in enumerate(keys)
                if key and key.casefold() in folded and contains(text, key)]
        index = max(hits)[1] if hits else None
    else:  # the label itself (an FAQ sheet by intent), or an entity slot
        wanted = str(values.get(rule.key, "")).strip().casefold()
        matches = [i for i, key in enumerate(keys) if wanted and key.casefold() == wanted]
        index = matches[0] if matches else None
    if index is None:
        return None, (f"no row of {rule.tool} matches", f"{rule.tool} 中没有匹配的行")
    row = {str(c): str(v) for c, v in table.iloc[index].items()}
    found = f"{rule.tool}: {row[key_column]}"
    return {**row, "answer": row[answer_column]}, (found, found)


def call_url(url: str, text: str, label: str, entities: list[dict[str, Any]],
             timeout_s: float) -> tuple[str | None, Said]:
    """POST {text, label, entities} as JSON; the answer is the reply's ``reply``,
    ``answer`` or ``text`` field, or the body itself when it is not JSON."""
    if not url.startswith(("http://", "https://")):
        return None, ("the web address must start with http:// or https://",
                      "网址必须以 http:// 或 https:// 开头")
    body = json.dumps({"text": text, "label": label, "entities": entities}).encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            raw = response.read(MAX_HTTP_ANSWER * 4).decode("utf-8", errors="replace")
    except (urllib.error.URLError, TimeoutError, OSError, ValueError,
            http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        return None, (f"web call to {url} failed: {reason}", f"调用 {url} 失败：{reason}")
    try:
        parsed = json_text.loads(raw)
    except json.JSONDecodeError:
        parsed = raw
    if isinstance(parsed, dict):
        parsed = next((parsed[k] for k in ("reply", "answer", "text") if k in parsed), raw)
    return str(parsed)[:MAX_HTTP_ANSWER], (f"web call to {url}", f"网络调用 {url}")
