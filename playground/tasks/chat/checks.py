"""Check conversations before training and split them.

``check_conversations`` never raises for bad data: like the other tasks' checks, every
problem goes into the report as an error (training cannot start) or a warning, naming the
rows or lines. Conversations with an empty question or answer, turns out of order, or an
exact twin earlier in the file are left out of training (and said so); the rest are kept
as the trainer's contract wants them: at most one system message first, then user and
assistant turns alternating, ending with an answer.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from playground.data.report import (
    WHAT_ZH,
    DataReport,
    Problem,
    count_noun,
    detect_language,
    estimate_tokens,
    length_stats,
)
from playground.errors import ConfigError, DataError
from playground.tasks.chat.reading import Conversation, ConversationFile, where, where_zh

MIN_CONVERSATIONS = 10  # as for labelled texts: fewer cannot be trained and tested
# More than this share of conversations out of order means roles are mixed up in the
# whole file (a column or speaker read wrongly), not an occasional slip.
MAX_DISORDERED_SHARE = 0.1
# Tokens a chat template adds around each message (role markers, end of turn), for the
# estimate when the model's tokenizer is not at hand.
TEMPLATE_TOKENS = 4

CountTokens = Callable[[list[list[dict[str, str]]]], list[int]]


@dataclass
class ChatReport(DataReport):
    """``DataReport`` for chat data: rows are conversations. Adds the file's form, the
    columns used (sheets), turn counts, question and answer lengths in characters."""

    format: str = ""
    unit: str = "row"
    columns: dict[str, str] = field(default_factory=dict)
    column_reason_zh: str = ""
    answers: int = 0  # assistant turns, all conversations together
    multi_turn: int = 0  # conversations with more than one question
    with_system: int = 0  # conversations that start with a system message
    question_lengths: dict[str, float] = field(default_factory=dict)
    answer_lengths: dict[str, float] = field(default_factory=dict)
    dropped_disordered: int = 0
    too_long: int = 0  # conversations over the model's window (would be cut)

    def summary_lines(self) -> list[str]:
        """Plain-English lines: conversations, columns, turns, lengths, language."""
        forms = {"sheet": "a question/answer sheet", "alpaca": "alpaca (instruction, input, "
                 "output)", "messages": "messages JSON lines", "sharegpt": "ShareGPT JSON lines"}
        lines = [f"Using {self.rows_used:,} of {self.rows_in:,} conversations "
                 f"(read as {forms.get(self.format, self.format)})."]
        if self.columns:
            named = "; ".join(f"{role} column: '{column}'" for role, column in self.columns.items())
            why = f" ({self.column_reason.rstrip('.')})" if self.column_reason else ""
            lines.append(f"{named[0].upper()}{named[1:]}{why}.")
        lines.append(f"{self.answers:,} answers in all; {self.multi_turn:,} conversations have "
                     f"several turns; {self.with_system:,} have a system message.")
        for what, stats in (("Question", self.question_lengths), ("Answer", self.answer_lengths)):
            if stats:
                lines.append(f"{what} length in characters: {stats['mean']:,.0f} on average, "
                             f"{stats['p95']:,.0f} for the longest 5%, {stats['max']:,.0f} at most.")
        if self.token_lengths:
            t = self.token_lengths
            lines.append(f"Conversation length in tokens: {t['mean']:,.0f} on average, "
                         f"{t['p95']:,.0f} for the longest 5%, {t['max']:,.0f} at most.")
        names = {"en": "English", "zh": "Chinese"}
        lines.append(f"Language: {names.get(self.language, 'other / mixed')}.")
        return lines

    def summary_lines_zh(self) -> list[str]:
        """The lines of ``summary_lines``, in Chinese."""
        forms = {"sheet": "问答表格", "alpaca": "alpaca（instruction、input、output）",
                 "messages": "messages JSON lines", "sharegpt": "ShareGPT JSON lines"}
        roles = {"question": "问题列", "answer": "回答列", "system": "系统提示列"}
        lines = [f"使用 {self.rows_in:,} 个对话中的 {self.rows_used:,} 个"
                 f"（按{forms.get(self.format, self.format)}读取）。"]
        if self.columns:
            named = "；".join(f"{roles[role]}：“{column}”" for role, column in self.columns.items())
            why = f"（{self.column_reason_zh.rstrip('。')}）" if self.column_reason_zh else ""
            lines.append(f"{named}{why}。")
        lines.append(f"共 {self.answers:,} 个回答；{self.multi_turn:,} 个对话有多轮；"
                     f"{self.with_system:,} 个有系统提示。")
        for what, stats in (("问题", self.question_lengths), ("回答", self.answer_lengths)):
            if stats:
                lines.append(f"{what}长度（字符）：平均 {stats['mean']:,.0f}，"
                             f"最长的 5% 为 {stats['p95']:,.0f}，最长 {stats['max']:,.0f}。")
        if self.token_lengths:
            t = self.token_lengths
            lines.append(f"对话长度（词元）：平均 {t['mean']:,.0f}，最长的 5% 为 {t['p95']:,.0f}，"
                         f"最长 {t['max']:,.0f}。")
        names = {"en": "英文", "zh": "中文"}
        lines.append(f"语言：{names.get(self.language, '其他/混合')}。")
        return lines


def check_conversations(file: ConversationFile, max_length: int | None = None,
                        count_tokens: CountTokens | None = None, *,
                        what: str = "training data", drop_duplicates: bool = True,
                        min_conversations: int = MIN_CONVERSATIONS,
                        ) -> tuple[list[Conversation], ChatReport]:
    """The usable conversations of ``file`` and a report of every problem (never raises).

    ``count_tokens`` gives each conversation's length in the model's tokens (its chat
    template applied); without it the length is estimated. Exact duplicates are left out
    of training data but kept in an evaluation file (``drop_duplicates=False``), which is
    scored as given.
    """
    report = ChatReport(rows_in=len(file.conversations), format=file.format, unit=file.unit,
                        columns=dict(file.columns), column_reason=file.column_reason,
                        column_reason_zh=file.column_reason_zh, problems=list(file.problems),
                        text_column=file.columns.get("question"),
                        label_column=file.columns.get("answer"))
    kept = _drop_empty(file.conversations, report, what)
    kept = _drop_disordered(kept, report, what)
    if drop_duplicates:
        kept = _drop_duplicates(kept, report, what)
    report.rows_used = len(kept)
    if not kept:
        report.problems.append(Problem(
            "error", "no_rows",
            f"No conversations are left in the {what} after leaving out those above. "
            "Check that the questions and answers are where the file says they are.",
            f"去掉上述对话后，{WHAT_ZH[what]}中没有剩下任何对话。请确认问题和回答在文件中的位置正确。"))
        return kept, report
    if len(kept) < min_conversations:
        report.problems.append(Problem(
            "error", "too_few_rows",
            f"The {what} has only {count_noun(len(kept), 'usable conversation')}; at least "
            f"{min_conversations} are needed to train and test. Add more examples.",
            f"{WHAT_ZH[what]}只有 {len(kept):,} 个可用的对话；训练和测试至少需要 "
            f"{min_conversations} 个。请补充样本。"))
    _measure(kept, report)
    _check_lengths(kept, report, max_length, count_tokens, what)
    return kept, report


def check_chat_eval(file: ConversationFile, train: list[Conversation] | None = None,
                    max_length: int | None = None, count_tokens: CountTokens | None = None,
                    ) -> tuple[list[Conversation], ChatReport]:
    """Check a separate evaluation file: as ``check_conversations`` (one conversation is
    enough, duplicates stay), plus a warning for questions the training data has too."""
    kept, report = check_conversations(file, max_length, count_tokens, what="evaluation file",
                                       drop_duplicates=False, min_conversations=1)
    if train is not None and kept:
        seen = {prompt_key(c) for c in train}
        overlap = [c.source for c in kept if prompt_key(c) in seen]
        if overlap:
            report.problems.append(Problem(
                "warning", "overlap",
                f"{len(overlap):,} questions of the evaluation file ({where(file.unit, overlap)}) "
                "are in the training data too, so the test score will look better than it is. "
                "Remove them from one of the two files.",
                f"评估文件中有 {len(overlap):,} 个问题（{where_zh(file.unit, overlap)}）也出现在"
                "训练数据中，测试分数会偏高。请从两个文件之一中删除它们。"))
    return kept, report


def prompt_key(conversation: Conversation) -> tuple[tuple[str, str], ...]:
    """What the model is asked: every message but the last answer."""
    return tuple((m["role"], m["content"]) for m in conversation.messages[:-1])


def order_fault(messages: list[dict[str, str]]) -> tuple[str, str] | None:
    """Why the messages break the chat order, in English and Chinese; None when they keep
    it (one system message at most, first; then user and assistant alternating, from a
    user's question to an answer)."""
    turns = list(messages)
    if turns and turns[0]["role"] == "system":
        turns = turns[1:]
    for i, message in enumerate(turns, start=len(messages) - len(turns) + 1):
        if message["role"] == "system":
            return (f"a system message that is not the first (message {i})",
                    f"系统消息不在第一条（第 {i} 条消息）")
    if not turns:
        return "no question and answer", "没有问题和回答"
    if turns[0]["role"] == "assistant":
        return "an answer before any question", "回答出现在问题之前"
    for i, (before, message) in enumerate(zip(turns, turns[1:]),
                                          start=len(messages) - len(turns) + 2):
        if before["role"] == message["role"]:
            said = "questions" if message["role"] == "user" else "answers"
            said_zh = "问题" if message["role"] == "user" else "回答"
            return (f"two {said} in a row (messages {i - 1} and {i})",
                    f"连续两个{said_zh}（第 {i - 1} 和第 {i} 条消息）")
    if turns[-1]["role"] != "assistant":
        return "a last question with no answer", "最后一个问题没有回答"
    return None


def _drop_empty(conversations: list[Conversation], report: ChatReport,
                what: str) -> list[Conversation]:
    """Leave out conversations with an empty question or answer; drop empty system
    messages (no instructions is a conversation without them)."""
    kept, empty_q, empty_a = [], [], []
    for conversation in conversations:
        messages = [m for m in conversation.messages
                    if m["content"].strip() or m["role"] != "system"]
        if any(not m["content"].strip() and m["role"] == "assistant" for m in messages):
            empty_a.append(conversation.source)
        elif any(not m["content"].strip() for m in messages):
            empty_q.append(conversation.source)
        else:
            kept.append(Conversation(messages, conversation.source))
    report.dropped_empty = len(empty_q) + len(empty_a)
    unit = report.unit
    for numbers, en, zh in ((empty_a, "an empty answer", "回答为空"),
                            (empty_q, "an empty question", "问题为空")):
        if numbers:
            report.problems.append(Problem(
                "warning", "empty_rows",
                f"Left out {len(numbers):,} conversation{'' if len(numbers) == 1 else 's'} of "
                f"the {what} with {en} ({where(unit, numbers)}). Fill "
                f"{'them' if len(numbers) > 1 else 'it'} in to train on "
                f"{'them' if len(numbers) > 1 else 'it'}.",
                f"已跳过{WHAT_ZH[what]}中{zh}的 {len(numbers):,} 个对话（{where_zh(unit, numbers)}）。"
                "补全后即可用于训练。"))
    return kept


def _drop_disordered(conversations: list[Conversation], report: ChatReport,
                     what: str) -> list[Conversation]:
    kept, faults = [], []
    for conversation in conversations:
        fault = order_fault(conversation.messages)
        if fault is None:
            kept.append(conversation)
        else:
            faults.append((conversation.source, *fault))
    report.dropped_disordered = len(faults)
    if not faults:
        return kept
    too_many = len(faults) > MAX_DISORDERED_SHARE * max(len(conversations), 1)
    unit = report.unit
    shown = "; ".join(f"{unit} {n}: {en}" for n, en, _ in faults[:5])
    shown_zh = "；".join(f"{where_zh(unit, [n])}：{zh}" for n, _, zh in faults[:5])
    more = " ..." if len(faults) > 5 else ""
    report.problems.append(Problem(
        "error" if too_many else "warning", "turn_order",
        f"{len(faults):,} conversation{'' if len(faults) == 1 else 's'} of the {what} "
        f"{'has' if len(faults) == 1 else 'have'} turns out of order ({shown}{more}). A "
        "conversation is an optional system message first, then a question and an answer "
        "in turn, ending with an answer. " + (
            "So many suggest the roles are mixed up: check the file's roles or columns."
            if too_many else "They were left out; fix them to train on them."),
        f"{WHAT_ZH[what]}中有 {len(faults):,} 个对话的轮次顺序不对（{shown_zh}{more}）。"
        "对话应以可选的一条系统消息开头，然后问题和回答交替出现，并以回答结束。" + (
            "这么多说明角色弄乱了：请检查文件中的角色或列。"
            if too_many else "它们已被跳过；修正后即可用于训练。")))
    return kept


def _drop_duplicates(conversations: list[Conversation], report: ChatReport,
                     what: str) -> list[Conversation]:
    seen: dict[tuple, int] = {}
    kept, twins = [], []
    for conversation in conversations:
        key = tuple((m["role"], m["content"]) for m in conversation.messages)
        if key in seen:
            twins.append(conversation.source)
            continue
        seen[key] = conversation.source
        kept.append(conversation)
    report.dropped_duplicates = len(twins)
    if twins:
        report.problems.append(Problem(
            "warning", "duplicate_rows",
            f"Left out {len(twins):,} exact duplicate conversation{'' if len(twins) == 1 else 's'} "
            f"of the {what} ({where(report.unit, twins)}), so that no example counts twice.",
            f"已跳过{WHAT_ZH[what]}中完全重复的 {len(twins):,} 个对话（{where_zh(report.unit, twins)}），"
            "避免同一样本被计算两次。"))
    return kept


def _measure(conversations: list[Conversation], report: ChatReport) -> None:
    questions = [m["content"] for c in conversations for m in c.messages if m["role"] == "user"]
    answers = [m["content"] for c in conversations for m in c.messages
               if m["role"] == "assistant"]
    report.answers = len(answers)
    report.multi_turn = sum(1 for c in conversations
                            if sum(m["role"] == "user" for m in c.messages) > 1)
    report.with_system = sum(1 for c in conversations if c.messages[0]["role"] == "system")
    report.question_lengths = length_stats([len(q) for q in questions])
    report.answer_lengths = length_stats([len(a) for a in answers])
    report.char_lengths = length_stats([sum(len(m["content"]) for m in c.messages)
                                        for c in conversations])
    report.language = detect_language(questions + answers)


def estimate_conversation_tokens(conversations: list[list[dict[str, str]]]) -> list[int]:
    """Rough token counts of conversations: their texts, plus a few tokens per message for
    the chat template's role markers."""
    return [sum(estimate_tokens(m["content"] for m in messages)) + TEMPLATE_TOKENS * len(messages)
            for messages in conversations]


def _check_lengths(conversations: list[Conversation], report: ChatReport,
                   max_length: int | None, count_tokens: CountTokens | None, what: str) -> None:
    messages = [c.messages for c in conversations]
    lengths = (count_tokens or estimate_conversation_tokens)(messages)
    report.token_lengths = length_stats(lengths)
    if max_length is None:
        return
    over = [c.source for c, n in zip(conversations, lengths) if n > max_length]
    report.too_long = len(over)
    if over:
        about, about_zh = ("", "有") if count_tokens else ("About ", "约")
        report.problems.append(Problem(
            "warning", "long_texts",
            f"{about}{len(over):,} of {len(lengths):,} conversations of the {what} "
            f"({where(report.unit, over)}) are longer than the model's window of {max_length} "
            "tokens and would be cut: the agent would not learn the ends of their answers. "
            "Raise the max length, or shorten or split those conversations.",
            f"{WHAT_ZH[what]}的 {len(lengths):,} 个对话中{about_zh} {len(over):,} 个"
            f"（{where_zh(report.unit, over)}）超过模型的窗口 {max_length} 个词元，会被截断："
            "智能体学不到这些回答的结尾。请调大最大长度，或缩短、拆分这些对话。"))


@dataclass
class ChatSplits:
    """Train, validation and test conversations, and a sentence saying what was held out
    (``held_out_zh``: the same in Chinese)."""

    train: list[Conversation]
    validation: list[Conversation]
    test: list[Conversation]
    held_out: str
    held_out_zh: str = ""


def make_chat_splits(conversations: list[Conversation], *,
                     eval_conversations: list[Conversation] | None = None,
                     validation_fraction: float = 0.1, test_fraction: float = 0.2,
                     seed: int = 42, source_name: str = "", eval_name: str = "",
                     max_train: int | None = None) -> ChatSplits:
    """Shuffle with ``seed`` and cut validation (and, without an evaluation file, test) off
    the conversations. Conversations that ask the same thing (with different answers) stay
    in one part, so a held-out question is one training never saw."""
    if not 0 < validation_fraction < 1 or not 0 < test_fraction < 1:
        raise ConfigError("The validation and test shares must be between 0% and 100%.",
                          "Pick shares such as 10% and 20%.",
                          zh="验证集和测试集比例必须在 0% 到 100% 之间。请选择 10% 和 20% 这样的比例。",
                          field="validation_fraction")
    groups: dict[tuple, list[Conversation]] = {}
    for conversation in conversations:
        groups.setdefault(prompt_key(conversation), []).append(conversation)
    order = list(groups.values())
    random.Random(seed).shuffle(order)
    total = len(conversations)
    n_val = max(1, round(validation_fraction * total))
    n_test = 0 if eval_conversations is not None else max(1, round(test_fraction * total))
    validation, test, train = _take(order, n_val), [], []
    if n_test:
        test = _take(order, n_test)
    train = [c for group in order for c in group]
    if not train or total < 3:
        raise DataError(f"The file has too few conversations ({total:,}) to hold some out "
                        "for checking and still train.",
                        "Add more conversations, or give a separate evaluation file.",
                        zh=f"文件的对话太少（{total:,} 个），留出一部分用于检查后就无法训练。"
                           "请补充对话，或另给一个评估文件。")
    if max_train is not None:
        train = train[:max_train]
    if eval_conversations is not None:
        test = list(eval_conversations)
        where_en = f"the evaluation file {eval_name}" if eval_name else "the evaluation file"
        held_out = f"{where_en} ({len(test):,} conversations), which training never saw"
        held_out_zh = (f"评估文件{' ' + eval_name if eval_name else ''}共 {len(test):,} 个对话，"
                       "训练时从未见过")
    else:
        share = round(100 * len(test) / total)
        held_out = (f"a {share}% held-out part of {source_name or 'the training file'} "
                    f"({len(test):,} conversations), which training never saw")
        held_out_zh = (f"{source_name or '训练文件'}中留出的 {share}% 共 {len(test):,} 个对话，"
                       "训练时从未见过")
    return ChatSplits(train, validation, test, held_out, held_out_zh)


def _take(groups: list[list[Conversation]], n: int) -> list[Conversation]:
    """At least ``n`` conversations, whole groups from the front of ``groups`` (removed)."""
    taken: list[Conversation] = []
    while groups and len(taken) < n:
        taken.extend(groups.pop(0))
    return taken
