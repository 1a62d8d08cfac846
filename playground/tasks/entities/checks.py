"""Check named-entity sentences, turn every tag scheme into BIO, and split them.

``check_entities`` never raises for bad data: like ``check_dataset`` for labelled
texts, it puts every problem in the report as an error (training cannot start) or a
warning, and returns the usable sentences with BIO tags (B-TYPE starts an entity, I-TYPE
continues it, O is outside). BIOES/BMES/BILOU tags are converted (S and U become B; E,
M and L become I); an I-TYPE that does not continue an entity of its type starts one,
which is also how IOB1 files (entities start with I-) are read.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from playground.data.report import (
    MAX_NAMED,
    WHAT_ZH,
    DataReport,
    Problem,
    count_noun,
    detect_language,
    estimate_tokens,
    length_stats,
    name_counts,
    name_counts_zh,
)
from playground.errors import ConfigError, DataError
from playground.tasks.entities.reading import (
    EntityFile,
    Sentence,
    is_cjk,
    parse_tag,
    spans_from_tags,
    split_tokens,
)

_TO_BIO = {"B": "B", "I": "I", "M": "I", "E": "I", "L": "I", "S": "B", "U": "B"}
# More entities than this share starting with a stray I- means the tags are mixed up,
# not an occasional slip (or IOB1, which has no B- at all and is read as it is meant).
MAX_REPAIRED_SHARE = 0.1
MIN_PER_TYPE = 5


@dataclass
class EntityReport(DataReport):
    """``DataReport`` for entities: rows are sentences; ``label_counts`` counts entities by
    type. Adds the file's form and tag scheme, token and tag counts."""

    format: str = ""
    scheme: str = ""
    tokens: int = 0
    tag_counts: dict[str, int] = field(default_factory=dict)
    sentences_with_entities: int = 0
    repaired_tags: int = 0
    columns: dict[str, str] = field(default_factory=dict)

    def summary_lines(self) -> list[str]:
        """Plain-English lines: sentences, tokens, entities by type, scheme, language."""
        forms = {"conll": "one token and tag per line", "tokens-table": "tokens and tags columns",
                 "spans-table": "a text column with entity spans"}
        lines = [f"Using {self.rows_used:,} of {self.rows_in:,} sentences "
                 f"({self.tokens:,} tokens; read as {forms.get(self.format, self.format)})."]
        if self.label_counts:
            total = sum(self.label_counts.values())
            shown = ", ".join(f"{kind} ({n:,})" for kind, n in
                              list(self.label_counts.items())[:MAX_NAMED])
            lines.append(f"{total:,} entities of {len(self.label_counts):,} types: {shown}; "
                         f"{self.sentences_with_entities:,} sentences have at least one.")
        if self.scheme:
            lines.append(f"Tag scheme: {self.scheme}" + (", converted to BIO." if
                                                         self.scheme != "BIO" else "."))
        if self.dropped_duplicates:
            lines.append(f"Left out {self.dropped_duplicates:,} duplicate sentence"
                         f"{'' if self.dropped_duplicates == 1 else 's'}.")
        names = {"en": "English", "zh": "Chinese (tagged per character)"}
        lines.append(f"Language: {names.get(self.language, 'other / mixed')}.")
        return lines

    def summary_lines_zh(self) -> list[str]:
        """The lines of ``summary_lines``, in Chinese."""
        forms = {"conll": "每行一个词和标注", "tokens-table": "词列和标注列",
                 "spans-table": "文本列加实体位置"}
        lines = [f"使用 {self.rows_in:,} 个句子中的 {self.rows_used:,} 个"
                 f"（{self.tokens:,} 个词；按{forms.get(self.format, self.format)}读取）。"]
        if self.label_counts:
            total = sum(self.label_counts.values())
            shown = "、".join(f"{kind}（{n:,}）" for kind, n in
                              list(self.label_counts.items())[:MAX_NAMED])
            lines.append(f"{total:,} 个实体，{len(self.label_counts):,} 种类型：{shown}；"
                         f"{self.sentences_with_entities:,} 个句子至少有一个实体。")
        if self.scheme:
            scheme = self.scheme.replace(" (entities start with I-)", "（实体以 I- 开头）")
            lines.append(f"标注方式：{scheme}" + ("，已转换为 BIO。" if self.scheme != "BIO" else "。"))
        if self.dropped_duplicates:
            lines.append(f"已跳过 {self.dropped_duplicates:,} 个重复的句子。")
        names = {"en": "英文", "zh": "中文（按字标注）"}
        lines.append(f"语言：{names.get(self.language, '其他/混合')}。")
        return lines


def check_entities(
    data: EntityFile,
    *,
    min_per_type: int = MIN_PER_TYPE,
    max_length: int | None = None,
    count_tokens: Callable[[list[list[str]]], list[int]] | None = None,
    what: str = "training data",
    drop_duplicates: bool = True,
) -> tuple[list[Sentence], EntityReport]:
    """BIO sentences from ``data`` and a report of every problem found (never raises).

    Exact duplicate sentences are left out of training data (no example counts twice) but
    kept in an evaluation file (``drop_duplicates=False``): a test set is scored as given,
    so scores compare with published ones on the same file.
    """
    report = EntityReport(rows_in=len(data.sentences), format=data.format,
                          columns=dict(data.columns), problems=list(data.problems))
    unknown = Counter(tag for s in data.sentences for tag in s.tags if parse_tag(tag) is None)
    if unknown:
        report.problems.append(Problem(
            "error", "unknown_scheme",
            f"The {what} has tags in no scheme we know: {name_counts(unknown)}. Tag each token "
            "O (outside any entity), B-TYPE (first token of an entity) or I-TYPE (the tokens "
            "after it), such as B-PER I-PER; BIOES tags (B-, I-, E-, S-) work too.",
            f"{WHAT_ZH[what]}中有无法识别的标注：{name_counts_zh(unknown)}。每个词（中文为每个字）"
            "应标为 O（不属于实体）、B-类型（实体第一个词）或 I-类型（实体其余的词），"
            "例如 B-PER I-PER；也支持 BIOES 标注（B-、I-、E-、S-）。"))
        return [], report
    report.scheme = _scheme(data.sentences)
    sentences, starts, repaired = [], 0, []
    for sentence in data.sentences:
        tags, fixed = to_bio(sentence.tags)
        starts += sum(tag.startswith("B-") for tag in tags)
        if fixed:
            repaired.append((sentence, fixed))
        sentences.append(per_character(Sentence(sentence.tokens, tags, sentence.source)))
    if report.scheme == "BIO" and repaired and _is_iob1(data.sentences):
        report.scheme = "IOB1 (entities start with I-)"
    report.repaired_tags = sum(len(fixed) for _, fixed in repaired)
    if repaired and not report.scheme.startswith("IOB1"):
        _order_problem(report, repaired, starts, data.format, what)
    sentences = _drop_duplicates(sentences, report, what, drop_duplicates)
    report.rows_used = len(sentences)
    _count_entities(sentences, report)
    if not report.label_counts:
        report.problems.append(Problem(
            "error", "no_entities",
            f"The {what} has no entities: every tag is O. Tag the people, places or other "
            "things the agent should find (B-TYPE on the first token, I-TYPE on the rest).",
            f"{WHAT_ZH[what]}中没有任何实体：所有标注都是 O。请标出智能体应当找到的人名、地名等"
            "（第一个词标 B-类型，其余的词标 I-类型）。"))
        return sentences, report
    rare = {kind: n for kind, n in report.label_counts.items() if n < min_per_type}
    if rare:
        report.problems.append(Problem(
            "warning", "rare_types",
            f"Some entity types have fewer than {min_per_type} examples: {name_counts(rare)}. "
            "The agent will seldom find them; tag more examples of these types.",
            f"有的实体类型样本少于 {min_per_type} 个：{name_counts_zh(rare)}。"
            "智能体很少能找到它们；请为这些类型多标注一些样本。"))
    report.language = detect_language([" ".join(s.tokens) for s in sentences])
    report.char_lengths = _stats([sum(map(len, s.tokens)) for s in sentences])
    lengths = (count_tokens([s.tokens for s in sentences]) if count_tokens else
               estimate_tokens(" ".join(s.tokens) for s in sentences))
    report.token_lengths = _stats(lengths)
    if max_length is not None:
        over = sum(1 for n in lengths if n > max_length - 2)  # [CLS] and [SEP]
        if over:
            report.problems.append(Problem(
                "warning", "long_texts",
                f"{'About ' if count_tokens is None else ''}{over:,} of {len(lengths):,} "
                f"sentences are longer than the max length of {max_length} tokens; the agent "
                "does not see their ends (their tokens count as O). Raise the max length, or "
                "split long sentences.",
                f"{len(lengths):,} 个句子中{'约' if count_tokens is None else '有'} {over:,} 个"
                f"超过最大长度 {max_length} 个词元；智能体看不到它们的末尾（那些词算作 O）。"
                "请调大最大长度，或拆分长句子。"))
    return sentences, report


def to_bio(tags: list[str]) -> tuple[list[str], list[int]]:
    """BIO tags for any known scheme, and the positions of stray I- read as B-."""
    out: list[str] = []
    fixed: list[int] = []
    for i, tag in enumerate(tags):
        prefix, kind = parse_tag(tag) or ("O", "")
        prefix = _TO_BIO.get(prefix, "O")
        if prefix == "I" and (not out or out[-1] == "O" or out[-1][2:] != kind):
            prefix = "B"
            fixed.append(i)
        out.append("O" if prefix == "O" else f"{prefix}-{kind}")
    return out, fixed


def per_character(sentence: Sentence) -> Sentence:
    """Chinese words cut into characters, as the agent reads them (北京 B-LOC: 北 B-LOC, 京
    I-LOC); other tokens stay as they are."""
    if not any(len(token) > 1 and is_cjk(token) for token in sentence.tokens):
        return sentence
    tokens: list[str] = []
    tags: list[str] = []
    for token, tag in zip(sentence.tokens, sentence.tags):
        pieces = [piece for piece, _, _ in split_tokens(token)] if is_cjk(token) else [token]
        pieces = pieces or [token]
        tokens.extend(pieces)
        inside = "O" if tag == "O" else f"I-{tag[2:]}"
        tags.extend([tag] + [inside] * (len(pieces) - 1))
    return Sentence(tokens, tags, sentence.source)


def check_entity_eval(data: EntityFile, train_types: list[str], **kwargs) -> tuple[
        list[Sentence], EntityReport]:
    """Check a separate evaluation file; types training never saw are an error."""
    sentences, report = check_entities(data, min_per_type=1, what="evaluation file",
                                       drop_duplicates=False, **kwargs)
    unknown = {k: n for k, n in report.label_counts.items() if k not in set(train_types)}
    if unknown:
        report.problems.append(Problem(
            "error", "unknown_labels",
            f"The evaluation file has entity types that the training data does not have: "
            f"{name_counts(unknown)}. The agent cannot find a type it never saw: tag them "
            "as O in the evaluation file, or add training examples.",
            f"评估文件中有训练数据里没有的实体类型：{name_counts_zh(unknown)}。"
            "智能体无法找到从未见过的类型：请在评估文件中把它们标为 O，或补充训练样本。"))
    return sentences, report


@dataclass
class EntitySplits:
    """Train, validation and test sentences, and a sentence saying what was held out
    (``held_out_zh``: the same in Chinese)."""

    train: list[Sentence]
    validation: list[Sentence]
    test: list[Sentence]
    held_out: str
    held_out_zh: str = ""


def make_entity_splits(sentences: list[Sentence], *, eval_sentences: list[Sentence] | None = None,
                       validation_fraction: float = 0.1, test_fraction: float = 0.2,
                       seed: int = 42, source_name: str = "", eval_name: str = "",
                       max_train: int | None = None) -> EntitySplits:
    """Shuffle with ``seed`` and cut validation (and, without an evaluation file, test) off
    the sentences; every entity type keeps at least one sentence in training."""
    if not 0 < validation_fraction < 1 or not 0 < test_fraction < 1:
        raise ConfigError("The validation and test shares must be between 0% and 100%.",
                          "Pick shares such as 10% and 20%.",
                          zh="验证集和测试集比例必须在 0% 到 100% 之间。请选择 10% 和 20% 这样的比例。",
                          field="validation_fraction")
    order = list(sentences)
    random.Random(seed).shuffle(order)
    n_val = max(1, round(validation_fraction * len(order)))
    n_test = 0 if eval_sentences is not None else max(1, round(test_fraction * len(order)))
    if len(order) < n_val + n_test + 1 or len(order) < 3:
        raise DataError(f"The file has too few sentences ({len(order):,}) to hold some out "
                        "for checking and still train.",
                        "Add more sentences, or give a separate evaluation file.",
                        zh=f"文件的句子太少（{len(order):,} 句），留出一部分用于检查后就无法训练。"
                           "请补充句子，或另给一个评估文件。")
    validation, test, train = order[:n_val], order[n_val:n_val + n_test], order[n_val + n_test:]
    if max_train is not None:
        train = train[:max_train]
    _keep_every_type(train, [validation, test])
    # A type that still only the validation part has (one sentence of it in all) cannot be
    # learnt; there it would be a tag the model lacks, so it counts as no entity.
    known = set(entity_types(train))
    validation = [Sentence(s.tokens, [t if t == "O" or t[2:] in known else "O" for t in s.tags],
                           s.source) for s in validation]
    if eval_sentences is not None:
        test = list(eval_sentences)
        where = f"the evaluation file {eval_name}" if eval_name else "the evaluation file"
        held_out = f"{where} ({len(test):,} sentences), which training never saw"
        held_out_zh = f"评估文件{' ' + eval_name if eval_name else ''}共 {len(test):,} 句，训练时从未见过"
    else:
        share = round(100 * len(test) / len(order))
        held_out = (f"a {share}% held-out part of {source_name or 'the training file'} "
                    f"({len(test):,} sentences), which training never saw")
        held_out_zh = (f"{source_name or '训练文件'}中留出的 {share}% 共 {len(test):,} 句，"
                       "训练时从未见过")
    return EntitySplits(train, validation, test, held_out, held_out_zh)


def entity_types(sentences: list[Sentence]) -> list[str]:
    """The entity types of BIO sentences, sorted."""
    return sorted({tag[2:] for s in sentences for tag in s.tags if tag != "O"})


def bio_tags(types: list[str]) -> list[str]:
    """The model's tag list: O, then B- and I- of each type (sorted)."""
    return ["O"] + [f"{p}-{t}" for t in sorted(types) for p in ("B", "I")]


def _keep_every_type(train: list[Sentence], held: list[list[Sentence]]) -> None:
    """Move one sentence of each type that only the held-out parts have into training (to
    the front, so a later cut keeps it). A part of one sentence gets a training sentence
    in exchange, one whose types training keeps without it."""
    have = set(entity_types(train))
    for part in held:
        for sentence in list(part):
            new = set(entity_types([sentence])) - have
            if not new:
                continue
            part.remove(sentence)
            if not part:
                spare = next((s for s in reversed(train)
                              if set(entity_types([s])) <= set(entity_types(
                                  [t for t in train if t is not s]))), None)
                if spare is None:  # nothing to give back: leave the part as it was
                    part.append(sentence)
                    continue
                train.remove(spare)
                part.append(spare)
            train.insert(0, sentence)
            have |= new


def _scheme(sentences: list[Sentence]) -> str:
    prefixes = Counter(parse_tag(t)[0] for s in sentences for t in s.tags)  # type: ignore[index]
    if prefixes["L"] or prefixes["U"]:
        return "BILOU"
    if prefixes["M"]:
        return "BMES"
    if prefixes["E"] or prefixes["S"]:
        return "BIOES"
    if prefixes["I"] and not prefixes["B"]:
        return "IOB1 (entities start with I-)"
    return "BIO"


def _is_iob1(sentences: list[Sentence]) -> bool:
    """IOB1: B- only separates two adjacent entities of one type; others start with I-."""
    for sentence in sentences:
        for before, tag in zip(["O", *sentence.tags], sentence.tags):
            if tag[:2] in ("B-", "B_") and (parse_tag(before) or ("O", ""))[1] != tag[2:]:
                return False
    return True


def _order_problem(report: EntityReport, repaired: list[tuple[Sentence, list[int]]],
                   starts: int, form: str, what: str) -> None:
    sentence, positions = repaired[0]
    i = positions[0]
    before = sentence.tags[i - 1] if i else "the start of the sentence"
    before_zh = f"“{sentence.tags[i - 1]}”" if i else "句首"
    where = (f"line {sentence.source + i}" if form == "conll"
             else f"row {sentence.source}, token {i + 1}")
    where_zh = (f"第 {sentence.source + i} 行" if form == "conll"
                else f"第 {sentence.source} 行第 {i + 1} 个词")
    share = report.repaired_tags / max(starts, 1)
    too_many = share > MAX_REPAIRED_SHARE
    report.problems.append(Problem(
        "error" if too_many else "warning", "bio_order",
        f"{count_noun(report.repaired_tags, 'tag')} of the {what} "
        f"{'breaks' if report.repaired_tags == 1 else 'break'} BIO order: an I- tag must follow "
        f"B- or I- of the same type (first at {where}: '{sentence.tags[i]}' after "
        f"'{before}'). " + (
            "So many suggest mixed-up tags: fix them, starting each entity with B-."
            if too_many else "They were read as the start of a new entity; check those tags."),
        f"{WHAT_ZH[what]}中有 {report.repaired_tags:,} 个标注不符合 BIO 顺序：I- 必须跟在同类型的 "
        f"B- 或 I- 之后（第一处在{where_zh}：“{sentence.tags[i]}”跟在{before_zh}之后）。" + (
            "这么多说明标注弄乱了：请修正，每个实体都以 B- 开头。"
            if too_many else "它们已被当作新实体的开头读取；请检查这些标注。")))


def _drop_duplicates(sentences: list[Sentence], report: EntityReport, what: str,
                     drop: bool) -> list[Sentence]:
    seen: dict[tuple[str, ...], tuple[str, ...]] = {}
    kept, conflicts = [], 0
    for sentence in sentences:
        if not sentence.tokens:
            continue
        key, tags = tuple(sentence.tokens), tuple(sentence.tags)
        if key in seen:
            conflicts += seen[key] != tags
            if seen[key] == tags and drop:
                report.dropped_duplicates += 1
                continue
        seen.setdefault(key, tags)
        kept.append(sentence)
    if report.dropped_duplicates:
        report.problems.append(Problem(
            "warning", "duplicate_rows",
            f"Left out {count_noun(report.dropped_duplicates, 'exact duplicate sentence')} of the {what}, "
            "so that no example counts twice.",
            f"已跳过{WHAT_ZH[what]}中完全重复的 {report.dropped_duplicates:,} 个句子，避免同一样本被计算两次。"))
    if conflicts:
        report.problems.append(Problem(
            "warning", "conflicting_labels",
            f"{count_noun(conflicts, 'sentence')} of the {what} "
            f"{'appears' if conflicts == 1 else 'appear'} more than once with different tags. "
            "Correct the tags or remove the extra copies: the agent cannot learn both.",
            f"{WHAT_ZH[what]}中有 {conflicts:,} 个句子出现了不止一次且标注不同。"
            "请改正标注或删除多余的副本：智能体无法同时学会两者。"))
    return kept


def _count_entities(sentences: list[Sentence], report: EntityReport) -> None:
    kinds: Counter[str] = Counter()
    for sentence in sentences:
        spans = spans_from_tags(sentence.tags)
        kinds.update(kind for _, _, kind in spans)
        report.sentences_with_entities += bool(spans)
    report.tokens = sum(len(s.tokens) for s in sentences)
    report.tag_counts = dict(Counter(t for s in sentences for t in s.tags).most_common())
    report.label_counts = {k: n for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))}


def _stats(values: list[int]) -> dict[str, float]:
    return length_stats(values) if values else {}


