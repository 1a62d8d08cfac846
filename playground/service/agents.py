"""Trained agents by run, loaded once and shared (they are read-only)."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playground import tasks
from playground.data.limits import MAX_TEXT_CHARS, check_question, recent
from playground.errors import DataError, PlaygroundError, RunError
from playground.runfolder import LABELS, RunFolder
from playground.service.batching import Batcher
from playground.service.jobs import TrainingService
from playground.service.replies import AgentRules, load_rules
from playground.service.respond import Reply, respond, respond_first
from playground.training.agents import load_agent

_loading = threading.RLock()
log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=4)
def _cached(run_dir: str, model_mtime: float) -> Any:
    return load_agent(run_dir)


@functools.lru_cache(maxsize=4)
def _batcher(agent: Any) -> Batcher:
    return Batcher(agent.predict)


def agent_for(run_dir: Path) -> Any:
    """The agent of a run, from a small cache keyed by folder and model time; a RunError
    with a sentence when its model files are missing or damaged."""
    labels = RunFolder(run_dir).model_dir / LABELS
    try:
        with _loading:  # two first questions at once load one model, not two
            return _cached(str(run_dir), labels.stat().st_mtime if labels.exists() else 0.0)
    except PlaygroundError:
        raise
    except Exception as exc:  # whatever the loaders raise (json, safetensors, transformers)
        raise _damaged(Path(run_dir).name, "model", "模型", exc) from exc


def rules_for(run: RunFolder) -> AgentRules:
    """The run's reply rules (a plain rule per label when none were saved)."""
    return _rules(run, agent_for(run.path).labels)


def _rules(run: RunFolder, labels: list[str]) -> AgentRules:
    """``load_rules``, with a sentence for an agent.json that is not JSON or not rules."""
    try:
        return load_rules(run, labels)
    except (ValueError, TypeError, AttributeError) as exc:  # JSONDecodeError is a ValueError
        raise _damaged(run.run_id, "reply rules (agent.json)", "回复规则（agent.json）",
                       exc) from exc


def _damaged(run_id: str, what: str, what_zh: str, exc: Exception) -> RunError:
    kind = type(exc).__name__
    return RunError(f"The agent of run {run_id} cannot answer: its {what} files are missing "
                    f"or damaged ({kind}).",
                    "Train it again, or import its bundle again.",
                    zh=f"训练记录 {run_id} 的智能体无法回答：它的{what_zh}文件缺失或已损坏（{kind}）。"
                       "请重新训练，或重新导入它的包。")


def failed_answer(run_id: str, exc: Exception) -> RunError:
    """What to tell a user whose agent failed while answering (a library's error); the
    server's log keeps the details."""
    log.error("the agent of run %s failed to answer", run_id, exc_info=exc)
    kind = type(exc).__name__
    return RunError(f"The agent {run_id} could not answer ({kind}).",
                    "Try again; if it keeps failing, train it again or import its bundle "
                    "again.",
                    zh=f"智能体 {run_id} 无法回答（{kind}）。请重试；如果一直失败，"
                       "请重新训练它，或重新导入它的包。")


def ask(run: RunFolder, text: str, web_calls: bool = True) -> Reply:
    """One chat turn with a run's agent.

    An agent whose task has reply rules (intents) predicts a label, then its rules and
    tools answer; when its rules name an entity agent (``entity_run``), that agent's
    entities fill the reply's slots. An agent whose rules answer first (a language model)
    answers with the rule that matches the text, or else on its own; other agents reply
    on their own (an entity agent lists the entities it found). ``web_calls`` False stops
    every http action, whatever the rules say (the app's host decides). A question over
    the length limit is refused (``data.limits``).
    """
    check_question(text)
    agent = agent_for(run.path)
    if tasks.spec(agent.task).rules_first:
        return rule_reply(run, text, web_calls) or Reply(**agent.reply(text))
    if not tasks.spec(agent.task).has_rules:
        return Reply(**agent.reply(text))
    rules = _rules(run, agent.labels)
    entities = []
    if rules.entity_run:
        entity_agent = agent_for(run.path.parent / rules.entity_run)
        if not tasks.spec(entity_agent.task).gives_entities:
            raise RunError(f"The run {rules.entity_run} does not find entities.",
                           "Pick a named-entity agent for the slots, or none.",
                           zh=f"训练记录 {rules.entity_run} 不找实体。请为填空选择一个命名实体智能体，或不选。")
        entities = entity_agent.answer(text)["entities"]
    # Questions asked at the same time share one forward pass (batching.py).
    prediction = _batcher(agent).ask(text)
    return respond(rules, text, prediction.probabilities, entities, run.tools_dir, web_calls)


def rule_reply(run: RunFolder, text: str, web_calls: bool = True) -> Reply | None:
    """The answer of the reply rule that matches ``text``, for an agent whose rules answer
    before its model (``TaskSpec.rules_first``); None when no rule matches."""
    return respond_first(_rules(run, agent_for(run.path).labels), text, run.tools_dir,
                         web_calls)


MAX_NEW_TOKENS = 1024  # about a page: each token costs the server a forward pass


@dataclass(frozen=True)
class Sampling:
    """How a language model writes a chat answer: the instructions it is given and how
    freely it picks words. Every field is bounded, since each costs server time."""

    system: str = ""
    temperature: float = 0.7
    top_p: float = 0.9
    max_new_tokens: int = 256

    def checked(self) -> Sampling:
        """These settings, or a DataError naming the field that is out of range."""
        if len(self.system) > MAX_TEXT_CHARS:
            raise DataError(f"The system prompt is {len(self.system):,} characters long; a "
                            f"model reads at most {MAX_TEXT_CHARS:,}.",
                            "Shorten the system prompt and ask again.",
                            zh=f"系统提示有 {len(self.system):,} 个字符，模型最多读 "
                               f"{MAX_TEXT_CHARS:,} 个。请缩短系统提示后再问。")
        for field, low, high in (("temperature", 0.0, 2.0), ("top_p", 0.0, 1.0),
                                 ("max_new_tokens", 1, MAX_NEW_TOKENS)):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int | float) or \
                    not low <= value <= high:
                raise DataError(f"{field} is {value!r}; it must be between {low} and {high}.",
                                f"Set {field} within that range and ask again.",
                                zh=f"{field} 的值是 {value!r}，必须在 {low} 到 {high} 之间。"
                                   f"请在这个范围内设置 {field} 后再问。")
        return self


class StreamedReply:
    """A streaming agent's answer: iterate it for the pieces. ``rule`` is the reply rule's
    answer when a rule answered (its text is then the one piece), None when the model
    writes."""

    def __init__(self, pieces: Iterator[str], rule: Reply | None = None) -> None:
        self.rule = rule
        self._pieces = iter(pieces)

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        return next(self._pieces)

    def close(self) -> None:
        """Stop writing (the reader left): the model stops at its next token."""
        getattr(self._pieces, "close", lambda: None)()


def stream_reply(run: RunFolder, messages: list[dict[str, str]],
                 sampling: Sampling = Sampling(), web_calls: bool = True,
                 base: bool = False) -> StreamedReply:
    """A streaming agent's answer to a conversation (its last message the user's), piece
    by piece, written as ``sampling`` says; a reply rule that matches the last message
    answers instead, in one piece (``rule_reply``; ``web_calls`` as for ``ask``). With
    ``base``, the answer of the model it was fine-tuned from, rules aside (see
    ``compares_with_base``). A message over the length limit, or a setting out of range,
    is refused with a sentence (at the call, before any piece). A long conversation is
    read from its newest turns, within the limits of ``data.limits.recent``."""
    check_question(messages[-1]["content"])
    sampling.checked()
    messages = recent(messages)
    agent = agent_for(run.path)
    spec = tasks.spec(agent.task)
    if not spec.streams:
        raise RunError(f"The agent of run {run.run_id} does not write its answers piece by "
                       "piece.", "Ask it in one go instead.",
                       zh=f"训练记录 {run.run_id} 的智能体不逐字写出回答。请改为一次性提问。")
    rule = rule_reply(run, messages[-1]["content"], web_calls) \
        if spec.rules_first and not base else None
    if rule is not None:
        return StreamedReply([rule.text], rule)
    return StreamedReply(agent.stream(messages, system=sampling.system,
                                      temperature=sampling.temperature, top_p=sampling.top_p,
                                      max_new_tokens=sampling.max_new_tokens, base=base))


def compares_with_base(run: RunFolder) -> bool:
    """Whether a run's agent streams and names a base model that can answer beside it
    (a run of retrieval alone has none)."""
    agent = agent_for(run.path)
    return tasks.spec(agent.task).streams and bool(getattr(agent, "has_base", False))


def finished_runs(service: TrainingService, task: str | None = None) -> list[str]:
    """Run ids that have an agent to talk to (succeeded, or cancelled with a checkpoint),
    of one ``task`` when given."""
    return [run_id for _, run_id in agent_choices(service, task)]


def agent_choices(service: TrainingService, task: str | None = None) -> list[tuple[str, str]]:
    """(name, run id) of every run with an agent to talk to, newest first, for a picker."""
    rows = [row for row in service.list_runs() if task in (None, row["task"])]
    return _answering(service, rows)


def entity_agent_choices(service: TrainingService) -> list[tuple[str, str]]:
    """(name, run id) of the agents that can fill another agent's reply slots."""
    rows = [row for row in service.list_runs() if tasks.spec(row["task"]).gives_entities]
    return _answering(service, rows)


def _answering(service: TrainingService, rows: list[dict]) -> list[tuple[str, str]]:
    return [(row["name"], row["run_id"]) for row in rows
            if _can_answer(RunFolder(service.runs_dir / row["run_id"]), row["state"])]


def has_agent(service: TrainingService, run_id: str) -> bool:
    """Whether the run ``run_id`` has an agent to talk to (one run read, not the list)."""
    try:
        run = service.run(run_id)
    except PlaygroundError:
        return False
    return _can_answer(run, run.read_status().get("state", "queued"))


def _can_answer(run: RunFolder, state: str) -> bool:
    """Succeeded, or cancelled with a checkpoint: the run left an agent in model/."""
    return state in ("succeeded", "cancelled") and (run.model_dir / LABELS).exists()
