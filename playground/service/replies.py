"""How a trained agent answers: per-label reply templates, keyword rules, tools, and a
confidence threshold below which it asks which of two labels the user meant.

The rules live in the run folder's ``agent.json`` (see ``runfolder.py``), so a bundle
carries them and the chat uses an edit at once. Order of precedence for one message:

1. a keyword rule whose word or phrase is in the text picks its label;
2. otherwise, below the threshold the agent asks "did you mean A or B?";
3. otherwise the model's label; its rule's action (a reply template, a lookup in a table
   the host uploaded, or a web call the host allowed) makes the answer.

An agent without labels (a language model that writes its own answers) keeps its rules
in the same file, each named by its author instead of by a label. They answer first:

1. a rule whose keyword is in the text answers with its action;
2. otherwise a lookup rule without keywords answers from its table's row whose key (first
   column) is in the text;
3. otherwise no rule answers, and the model writes the answer.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from playground.errors import ConfigError
from playground.runfolder import RunFolder, read_json, write_json
from playground.service.bundle_texts import MAX_TEXT

ACTIONS = ("reply", "lookup", "http")
DEFAULT_CLARIFY = "Did you mean {option1} or {option2}?"
DEFAULT_NOT_FOUND = "Sorry, I could not find an answer to that."
# A new agent speaks its data's language to its own users (saved rules keep their words).
DEFAULTS = {"en": {"clarify": DEFAULT_CLARIFY, "not_found": DEFAULT_NOT_FOUND},
            "zh": {"clarify": "您是想问「{option1}」还是「{option2}」？",
                   "not_found": "抱歉，我没有找到这个问题的答案。"}}
_SLOT = re.compile(r"\{(\w+)\}")


MAX_RULE_NAME = 80  # characters: a rule's name is shown under each answer it gives
# What one agent's rules may hold: each answer reads every keyword, and a reply is sent
# whole (a 1 MB template with 200,000 keywords made every question take seconds).
MAX_RULES = 1_000
MAX_REPLY_CHARS = MAX_TEXT  # a reply template, the clarifying question, the not-found
# answer: what a bundle carries too (4,000 characters)
MAX_KEYWORDS = 2_000  # all rules together
MAX_KEYWORD_CHARS = 100
# A filled reply: slots such as {text} may repeat, so the answer is cut at this length.
MAX_FILLED_CHARS = 10_000


@dataclass
class LabelRule:
    """What the agent does when it settles on ``label``. For an agent without labels,
    ``label`` is the rule's name, and the rule answers when its keywords (or, for a
    lookup without keywords, a key of its table) are in the text."""

    label: str
    reply: str = ""  # a template: {text}, {label}, {confidence}, {answer}, entity slots
    keywords: list[str] = field(default_factory=list)  # any of these in the text: this label
    action: str = "reply"  # one of ACTIONS
    tool: str = ""  # lookup: a table in tools/; http: the URL to call
    key: str = "text"  # lookup by: "text" (a key found in it), "label", or an entity slot


@dataclass
class AgentRules:
    """Every label's rule, plus the settings that apply to all of them."""

    rules: list[LabelRule]
    threshold: float = 0.4  # below this confidence the agent asks instead of answering
    clarify: str = DEFAULT_CLARIFY
    not_found: str = DEFAULT_NOT_FOUND  # when a lookup or web call has no answer
    allow_http: bool = False  # web calls run only when the host turns them on
    http_timeout_s: float = 5.0
    entity_run: str = ""  # a named-entity agent whose entities fill the slots

    def rule(self, label: str) -> LabelRule:
        return next((r for r in self.rules if r.label == label), LabelRule(label))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def default(cls, labels: list[str], language: str = "en") -> AgentRules:
        """A plain rule per label, asking back in ``language`` (the data's: "zh" or other)."""
        return cls(rules=[LabelRule(label) for label in labels],
                   **DEFAULTS.get(language, DEFAULTS["en"]))

    @classmethod
    def from_dict(cls, value: Any, labels: list[str], language: str = "en") -> AgentRules:
        """Check rules from a file, a form or a bundle against the agent's ``labels``;
        sentences they leave out are the defaults in ``language``."""
        if not isinstance(value, dict) or not isinstance(value.get("rules", []), list):
            raise ConfigError("The agent's rules are not in the expected form.",
                              "Each rule needs a label, a reply and an action.",
                              zh="智能体的规则格式不对。每条规则都需要标签、回复和动作。")
        known = {f.name for f in dataclasses.fields(cls)} - {"rules"}
        settings = {**DEFAULTS.get(language, DEFAULTS["en"]),
                    **{k: v for k, v in value.items() if k in known}}
        rules = []
        for item in value.get("rules", []):
            if not isinstance(item, dict):
                raise ConfigError("A reply rule is not a table row.",
                                  "Each rule needs a label, a reply and an action.",
                                  zh="有一条回复规则不是表格中的一行。每条规则都需要标签、回复和动作。")
            fields = {f.name for f in dataclasses.fields(LabelRule)}
            rules.append(LabelRule(**{k: v for k, v in item.items() if k in fields}))
        result = cls(rules=rules, **settings)
        result.check(labels)
        return result

    def check(self, labels: list[str]) -> None:
        """Raise a ConfigError naming the first rule a user must fix. With no ``labels``
        (an agent that writes its own answers), rules are named by their author."""
        for name in ("clarify", "not_found"):
            if not isinstance(getattr(self, name), str):
                raise ConfigError(f"The setting '{name}' must be text.", "Type a sentence.",
                                  zh=f"设置“{name}”必须是文字。请输入一句话。", field=name)
        if not isinstance(self.allow_http, bool):
            raise ConfigError("'allow_http' must be true or false.", "Tick the box, or not.",
                              zh="“allow_http”只能是 true 或 false。请勾选或取消勾选该框。",
                              field="allow_http")
        if not isinstance(self.threshold, (int, float)) or not 0 <= self.threshold <= 1:
            raise ConfigError(f"The confidence threshold must be between 0 and 1 "
                              f"(got {self.threshold!r}).", "0.4 is a good start.",
                              zh=f"置信度阈值必须在 0 到 1 之间（现在是 {self.threshold!r}）。"
                                 "可以先用 0.4。", field="threshold")
        if not isinstance(self.http_timeout_s, (int, float)) or \
                not 0 < self.http_timeout_s <= 60:
            raise ConfigError("The web call timeout must be between 0 and 60 seconds.",
                              "5 seconds is a good start.",
                              zh="网络调用的超时必须在 0 到 60 秒之间。可以先用 5 秒。",
                              field="http_timeout_s")
        if not isinstance(self.entity_run, str) or \
                not re.fullmatch(r"(\w[\w\-.]*)?", self.entity_run):
            raise ConfigError(f"The entity agent '{self.entity_run}' is not a run id.",
                              "Pick a named-entity agent from the list, or none.",
                              zh=f"实体智能体“{self.entity_run}”不是训练记录的 id。"
                                 "请从列表中选择一个命名实体智能体，或不选。", field="entity_run")
        _check_sizes(self)
        seen = set()
        for rule in self.rules:
            for name in ("label", "reply", "action", "tool", "key"):
                if not isinstance(getattr(rule, name), str):
                    raise ConfigError(f"The {name} of a rule must be text (got "
                                      f"{getattr(rule, name)!r}).", "Type it as text.",
                                      zh=f"规则的 {name} 必须是文字（现在是 {getattr(rule, name)!r}）。"
                                         "请以文字形式填写。", field=name)
            if labels:
                _check_label(rule, labels, seen)
                seen.add(rule.label)
            if rule.action not in ACTIONS:
                raise ConfigError(f"The action of '{rule.label}' cannot be '{rule.action}'.",
                                  f"Choose one of: {', '.join(ACTIONS)}.",
                                  zh=f"“{rule.label}”的动作不能是“{rule.action}”。"
                                     f"请选择其中之一：{'、'.join(ACTIONS)}。", field="action")
            if not isinstance(rule.keywords, list) or \
                    not all(isinstance(k, str) for k in rule.keywords):
                raise ConfigError(f"The keywords of '{rule.label}' must be a list of words.",
                                  "Separate keywords with commas.",
                                  zh=f"“{rule.label}”的关键词必须是词语列表。请用逗号分隔关键词。",
                                  field="keywords")
            if not labels:  # an agent without labels: the rule answers what it matches
                _check_named(rule, seen)
                seen.add(rule.label.strip())
            if rule.action != "reply" and not rule.tool.strip():
                what = "a table name" if rule.action == "lookup" else "a URL"
                what_zh = "表格名" if rule.action == "lookup" else "网址"
                raise ConfigError(f"The {rule.action} action of '{rule.label}' needs {what}.",
                                  "Fill in the tool column, or set the action to reply.",
                                  zh=f"“{rule.label}”的 {rule.action} 动作需要{what_zh}。"
                                     "请填写工具列，或把动作设为 reply。", field="tool")
            if rule.action == "http" and not _web_address(rule.tool):
                raise ConfigError(f"The web address of '{rule.label}' must start with "
                                  "http:// or https://.", "Copy the full address.",
                                  zh=f"“{rule.label}”的网址必须以 http:// 或 https:// 开头。"
                                     "请复制完整的地址。", field="tool")
            if rule.action == "lookup" and not re.fullmatch(r"[\w\-. ]+\.csv", rule.tool):
                raise ConfigError(f"The table of '{rule.label}' must be the name of an "
                                  "uploaded .csv file.", "Upload the table, then use its name.",
                                  zh=f"“{rule.label}”的表格必须是已上传的 .csv 文件的名字。"
                                     "请先上传表格，再使用它的名字。", field="tool")


def _check_sizes(rules: AgentRules) -> None:
    """A ConfigError when the rules hold more than an answer should read (``MAX_*``)."""
    if len(rules.rules) > MAX_RULES:
        raise ConfigError(f"There are {len(rules.rules):,} rules; an agent takes at most "
                          f"{MAX_RULES:,}.", "Remove the rules you do not need.",
                          zh=f"共有 {len(rules.rules):,} 条规则；一个智能体最多 {MAX_RULES:,} 条。"
                             "请删除不需要的规则。", field="rules")
    texts = [(name, getattr(rules, name)) for name in ("clarify", "not_found")]
    texts += [(rule.label, rule.reply) for rule in rules.rules]
    for name, text in texts:
        if isinstance(text, str) and len(text) > MAX_REPLY_CHARS:
            raise ConfigError(f"The reply of '{name[:MAX_RULE_NAME]}' is {len(text):,} "
                              f"characters long; a reply takes at most {MAX_REPLY_CHARS:,}.",
                              "Shorten it, or link to a longer text.",
                              zh=f"“{name[:MAX_RULE_NAME]}”的回复有 {len(text):,} 个字符；"
                                 f"回复最多 {MAX_REPLY_CHARS:,} 个字符。请缩短，或改为链接到长文。",
                              field="reply")
    words = [w for rule in rules.rules if isinstance(rule.keywords, list)
             for w in rule.keywords]
    if len(words) > MAX_KEYWORDS or any(len(str(w)) > MAX_KEYWORD_CHARS for w in words):
        raise ConfigError(f"The rules have {len(words):,} keywords; they take at most "
                          f"{MAX_KEYWORDS:,}, each of at most {MAX_KEYWORD_CHARS} characters.",
                          "Keep the words that pick each label best.",
                          zh=f"规则共有 {len(words):,} 个关键词；最多 {MAX_KEYWORDS:,} 个，"
                             f"每个最多 {MAX_KEYWORD_CHARS} 个字符。请只保留最能区分标签的词。",
                          field="keywords")


def _check_label(rule: LabelRule, labels: list[str], seen: set[str]) -> None:
    """A rule of an agent with labels: one per label it knows."""
    if rule.label not in labels:
        raise ConfigError(f"There is a rule for '{rule.label}', which the agent does "
                          "not know.", f"Use one of: {', '.join(labels)}.",
                          zh=f"有一条规则是给“{rule.label}”的，但智能体不认识这个标签。"
                             f"请使用其中之一：{'、'.join(labels)}。", field="label")
    if rule.label in seen:
        raise ConfigError(f"The label '{rule.label}' has two rules.",
                          "Keep one row per label.",
                          zh=f"标签“{rule.label}”有两条规则。每个标签只保留一行。",
                          field="label")


def _check_named(rule: LabelRule, seen: set[str]) -> None:
    """A rule of an agent without labels: a name of its own, and a way to match."""
    name = rule.label.strip()
    if not name or len(name) > MAX_RULE_NAME:
        raise ConfigError(f"Each rule needs a name of 1 to {MAX_RULE_NAME} characters.",
                          "Give the rule a short name: the chat shows it under its answers.",
                          zh=f"每条规则都需要一个 1 到 {MAX_RULE_NAME} 个字符的名字。"
                             "请给规则起一个简短的名字：对话会在它的回答下方显示这个名字。",
                          field="label")
    if name in seen:
        raise ConfigError(f"Two rules are named '{name}'.", "Give each rule its own name.",
                          zh=f"有两条规则都叫“{name}”。请给每条规则起不同的名字。", field="label")
    if not any(k.strip() for k in rule.keywords) and rule.action != "lookup":
        raise ConfigError(f"The rule '{name}' has no keywords, so it never answers.",
                          "Add keywords (comma-separated), or make it a lookup: it answers "
                          "when a key from its table's first column is in the message.",
                          zh=f"规则“{name}”没有关键词，所以永远不会回答。请添加关键词（用逗号分隔），"
                             "或把它设为 lookup：消息中出现表格第一列的某个键时，它就会回答。",
                          field="keywords")
    if rule.action == "reply" and not rule.reply.strip():
        raise ConfigError(f"The rule '{name}' has no reply.", "Type the answer it gives.",
                          zh=f"规则“{name}”没有回复。请填写它给出的回答。", field="reply")
    if rule.key != "text":
        raise ConfigError(f"The lookup of '{name}' can only find its key in the message.",
                          "Set its key to text.",
                          zh=f"“{name}”的查表只能在消息中找键。请把它的键设为 text。", field="key")


def _web_address(url: str) -> bool:
    """An http(s) address with a host and no spaces."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and \
            not any(c.isspace() for c in url)
    except ValueError:  # "http://[::1" and the like
        return False


def load_rules(run: RunFolder, labels: list[str]) -> AgentRules:
    """The run's rules, or a plain rule per label when none were saved."""
    if not run.agent_path.exists():
        return AgentRules.default(labels, data_language(run))
    return AgentRules.from_dict(read_json(run.agent_path), labels)


def data_language(run: RunFolder) -> str:
    """The language the run's training data is in ("zh", "en" or "other")."""
    try:
        report = run.read_config().get("data", {}).get("report") or {}
    except (FileNotFoundError, ValueError):
        return "other"
    return report.get("language", "other") if isinstance(report, dict) else "other"


def save_rules(run: RunFolder, rules: AgentRules, labels: list[str]) -> None:
    rules.check(labels)
    write_json(run.agent_path, rules.to_dict())


def fill(template: str, values: dict[str, Any]) -> str:
    """``{name}`` replaced by ``values[name]``; unknown names stay as written.

    Only plain names are filled (no ``{a.b}`` or ``{a[0]}``), so a template cannot reach
    into Python objects. The answer is cut at ``MAX_FILLED_CHARS``: a slot may repeat.
    """
    size, cut = 0, False

    def value(match: re.Match) -> str:
        nonlocal size, cut
        said = str(values[match.group(1)]) if match.group(1) in values else match.group(0)
        room = max(0, MAX_FILLED_CHARS - size)  # nothing more is built once it is reached
        cut = cut or len(said) > room
        size += min(len(said), room)
        return said[:room]

    filled = _SLOT.sub(value, template)
    return filled[:MAX_FILLED_CHARS] + "…" if cut or len(filled) > MAX_FILLED_CHARS else filled


def keyword_label(rules: AgentRules, text: str) -> tuple[str, str] | None:
    """(label, keyword) of the longest keyword found in ``text``, ignoring case."""
    found = [(len(word.strip()), rule.label, word.strip()) for rule in rules.rules
             for word in rule.keywords if word.strip() and contains(text, word.strip())]
    if not found:
        return None
    _, label, word = max(found)
    return label, word


def contains(text: str, phrase: str) -> bool:
    """Whether ``phrase`` is in ``text``, ignoring case; a Latin phrase must be whole words
    ("hi" is not in "this"), while Chinese, written without spaces, matches anywhere."""
    if phrase.isascii():
        return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text, re.IGNORECASE) is not None
    return phrase.casefold() in text.casefold()
