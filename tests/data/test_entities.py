"""Named-entity files in each form, tag schemes, validation messages and splits."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from playground.errors import DataError
from playground.tasks.entities.checks import (
    EntityReport,
    bio_tags,
    check_entities,
    check_entity_eval,
    entity_types,
    make_entity_splits,
    to_bio,
)
from playground.tasks.entities.reading import (
    Sentence,
    entity_text,
    read_entities,
    read_sentences,
    shown_text,
    spans_from_tags,
    split_tokens,
    write_sentences,
)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _check(path: Path, **kwargs) -> tuple[list[Sentence], EntityReport]:
    return check_entities(read_entities(path), **kwargs)


def _problem(report: EntityReport, code: str) -> tuple[str, str]:
    found = [(p.level, p.message) for p in report.problems if p.code == code]
    assert found, [p.code for p in report.problems]
    return found[0]


# --- CoNLL ---------------------------------------------------------------------------

def test_conll_with_tabs_whitespace_separators_and_docstart(tmp_path: Path) -> None:
    # WNUT-17 separates sentences with a line holding only a tab; CoNLL-2003 has 4 columns.
    text = ("-DOCSTART- -X- O O\n\nEmpire\tB-location\nState\tI-location\n!\tO\n\t\n"
            "Anna NNP B-NP B-person\nsmiles VBZ B-VP O\n")
    sentences, report = _check(_write(tmp_path / "a.conll", text), min_per_type=1)
    assert [s.tokens for s in sentences] == [["Empire", "State", "!"], ["Anna", "smiles"]]
    assert sentences[0].tags == ["B-location", "I-location", "O"]
    assert sentences[1].tags == ["B-person", "O"]
    assert report.ok and report.format == "conll" and report.scheme == "BIO"
    assert report.label_counts == {"location": 1, "person": 1}
    assert report.rows_used == 2 and report.tokens == 5


def test_bioes_and_bmes_become_bio(tmp_path: Path) -> None:
    bioes = "New B-LOC\nYork E-LOC\nand O\nParis S-LOC\n"
    sentences, report = _check(_write(tmp_path / "e.txt", bioes), min_per_type=1)
    assert sentences[0].tags == ["B-LOC", "I-LOC", "O", "B-LOC"]
    assert report.scheme == "BIOES" and report.ok
    bmes = "北 B-LOC\n京 M-LOC\n市 E-LOC\n人 O\n"
    sentences, report = _check(_write(tmp_path / "m.txt", bmes), min_per_type=1)
    assert sentences[0].tags == ["B-LOC", "I-LOC", "I-LOC", "O"] and report.scheme == "BMES"


def test_iob1_is_read_without_complaint(tmp_path: Path) -> None:
    # IOB1 (original CoNLL-2003): I- starts an entity; B- only splits two adjacent ones.
    text = "Anna I-PER\nBerg I-PER\nmet O\nBo I-PER\nCarl B-PER\n"
    sentences, report = _check(_write(tmp_path / "iob1.txt", text), min_per_type=1)
    assert sentences[0].tags == ["B-PER", "I-PER", "O", "B-PER", "B-PER"]
    assert report.scheme.startswith("IOB1") and not report.problems


def test_chinese_words_are_cut_into_characters(tmp_path: Path) -> None:
    text = "我\tO\n去\tO\n北京市\tB-LOC\n看\tO\n李小明\tB-PER\n"
    sentences, report = _check(_write(tmp_path / "zh.conll", text), min_per_type=1)
    assert sentences[0].tokens == list("我去北京市看李小明")
    assert sentences[0].tags == ["O", "O", "B-LOC", "I-LOC", "I-LOC", "O", "B-PER", "I-PER",
                                 "I-PER"]
    assert report.language == "zh"


def test_the_bundled_chinese_sample_reads_cleanly() -> None:
    from playground.recipes import assets_dir

    sentences, report = _check(assets_dir() / "msra_ner_zh_sample.conll")
    assert report.ok and not report.problems, report.problems
    assert report.rows_used == 400 and set(report.label_counts) == {"LOC", "ORG", "PER"}
    assert report.language == "zh" and report.scheme == "BMES"
    # The Chinese summary says what the English one does: sentences, tokens, the scheme.
    english, chinese = report.summary_lines(), report.summary_lines_zh()
    assert len(chinese) == len(english)
    assert f"{report.tokens:,} 个词" in chinese[0] and "400 个句子" in chinese[0]
    assert "标注方式：BMES，已转换为 BIO。" in chinese
    assert not any(re.search(r"[A-Za-z]{4,} [A-Za-z]{2,}", line) for line in chinese), chinese


# --- tables --------------------------------------------------------------------------

def test_tokens_and_tags_csv_and_jsonl(tmp_path: Path) -> None:
    csv = tmp_path / "t.csv"
    pd.DataFrame({"tokens": ["Anna lives in Paris", "我爱北京"],
                  "tags": ["B-PER O O B-LOC", "O O B-LOC I-LOC"]}).to_csv(csv, index=False)
    sentences, report = _check(csv, min_per_type=1)
    assert report.format == "tokens-table" and report.ok
    assert sentences[0].tokens == ["Anna", "lives", "in", "Paris"]
    assert sentences[1].tokens == ["我", "爱", "北", "京"]  # one string: one tag per character
    assert sentences[1].tags == ["O", "O", "B-LOC", "I-LOC"]
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text(json.dumps({"words": ["New York", "rocks"], "ner_tags": ["B-LOC", "O"]})
                     + "\n", encoding="utf-8")
    sentences, _ = _check(jsonl, min_per_type=1)
    assert sentences[0].tokens == ["New York", "rocks"]  # list items are tokens as given


def test_spans_csv_english_with_offsets_and_entity_words(tmp_path: Path) -> None:
    text = "Anna Berg flew to New York."
    path = tmp_path / "spans.csv"
    pd.DataFrame([
        {"text": text, "start": 0, "end": 9, "type": "PER", "entity": ""},
        {"text": text, "start": "", "end": "", "type": "LOC", "entity": "New York"},
        {"text": "Nothing here.", "start": "", "end": "", "type": "", "entity": ""},
    ]).to_csv(path, index=False)
    sentences, report = _check(path, min_per_type=1)
    assert report.format == "spans-table" and report.ok, report.problems
    assert sentences[0].tokens == ["Anna", "Berg", "flew", "to", "New", "York", "."]
    assert sentences[0].tags == ["B-PER", "I-PER", "O", "O", "B-LOC", "I-LOC", "O"]
    assert sentences[1].tags == ["O", "O", "O"]


def test_spans_csv_chinese_is_tagged_per_character(tmp_path: Path) -> None:
    path = tmp_path / "zh.csv"
    text = "王小明在北京工作"
    pd.DataFrame([{"text": text, "start": 0, "end": 3, "type": "PER"},
                  {"text": text, "start": 4, "end": 6, "type": "LOC"}]).to_csv(path, index=False)
    sentences, _ = _check(path, min_per_type=1)
    assert sentences[0].tokens == list(text)
    assert sentences[0].tags == ["B-PER", "I-PER", "I-PER", "O", "B-LOC", "I-LOC", "O", "O"]


def test_bad_spans_are_named_by_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    pd.DataFrame([{"text": "Anna met Bo", "start": 0, "end": 40, "type": "PER"},
                  {"text": "Anna met Bo", "start": 9, "end": 11, "type": "PER"},
                  {"text": "Anna met Bo", "start": 10, "end": 11, "type": "PER"},
                  {"text": "Carla sings", "start": 1, "end": 5, "type": "PER"}]).to_csv(
        path, index=False)
    _, report = _check(path, min_per_type=1)
    level, message = _problem(report, "bad_spans")
    assert level == "error"
    assert "row 2: 0–40 is outside the text's 11 characters" in message
    assert "row 4: it overlaps the entity of row 3" in message
    level, message = _problem(report, "span_inside_word")
    assert level == "warning" and "row 5" in message


def test_a_table_without_entity_columns_says_what_to_use(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    pd.DataFrame({"review": ["good"], "stars": ["5"]}).to_csv(path, index=False)
    with pytest.raises(DataError, match="No columns for entities") as info:
        read_entities(path)
    assert "'tokens' and a 'tags' column" in info.value.hint


# --- validation messages ---------------------------------------------------------------

def test_bio_order_breaks_warn_when_few_and_stop_when_many(tmp_path: Path) -> None:
    good = "".join(f"Anna{i} B-PER\nsmiles O\n\n" for i in range(20))
    few = good + "hi O\nBo I-PER\n"
    sentences, report = _check(_write(tmp_path / "few.txt", few))
    level, message = _problem(report, "bio_order")
    assert level == "warning" and "1 tag of the training data breaks BIO order" in message
    assert "line 62: 'I-PER' after 'O'" in message
    assert sentences[-1].tags == ["O", "B-PER"]  # read as the start of an entity
    many = good + "".join(f"hi O\nBo{i} I-PER\n\n" for i in range(5))
    _, report = _check(_write(tmp_path / "many.txt", many))
    level, message = _problem(report, "bio_order")
    assert level == "error" and "starting each entity with B-" in message


def test_token_tag_count_mismatch_names_lines_and_rows(tmp_path: Path) -> None:
    _, report = _check(_write(tmp_path / "m.conll", "Anna B-PER\nsmiles\nhere O\n"))
    level, message = _problem(report, "count_mismatch")
    assert level == "error" and "line 2" in message and "tab" in message
    table = tmp_path / "m.csv"
    pd.DataFrame({"tokens": ["Anna smiles", "Bo"], "tags": ["B-PER", "B-PER"]}).to_csv(
        table, index=False)
    _, report = _check(table)
    level, message = _problem(report, "count_mismatch")
    assert level == "error" and "row 2: 2 tokens, 1 tag" in message


def test_unknown_scheme_lists_the_tags(tmp_path: Path) -> None:
    text = "Anna PERSON\nsmiles O\n\nBo PERSON\nhere O\n"
    _, report = _check(_write(tmp_path / "u.conll", text))
    level, message = _problem(report, "unknown_scheme")
    assert level == "error" and "'PERSON' (2)" in message and "B-PER" in message


def test_no_entities_is_an_error(tmp_path: Path) -> None:
    _, report = _check(_write(tmp_path / "o.conll", "just O\nwords O\n"))
    level, message = _problem(report, "no_entities")
    assert level == "error" and "every tag is O" in message


def test_eval_file_with_unseen_types_is_an_error(tmp_path: Path) -> None:
    data = read_entities(_write(tmp_path / "e.conll", "Anna B-PER\nin O\nRome B-LOC\n"))
    _, report = check_entity_eval(data, ["PER"])
    level, message = _problem(report, "unknown_labels")
    assert level == "error" and "'LOC' (1)" in message


# --- helpers and splits ----------------------------------------------------------------

def test_split_tokens_keeps_offsets() -> None:
    text = "Hi @anna, 我在北京 2024!"
    tokens = split_tokens(text)
    assert [t for t, _, _ in tokens] == ["Hi", "@", "anna", ",", "我", "在", "北", "京",
                                         "2024", "!"]
    assert all(text[s:e] == t for t, s, e in tokens)


def test_tokens_are_shown_as_a_person_writes_them() -> None:
    tokens = ["Anna", "Lee", "(", "from", "Maple", "&", "Moss", ")", "paid", "$", "5",
              "in", "Boston", ",", "didn't", "she", "?", "She", "'s", "done", "."]
    assert shown_text(tokens) == ("Anna Lee (from Maple & Moss) paid $5 in Boston, didn't "
                                  "she? She's done.")
    assert shown_text([t for t, _, _ in split_tokens("Peet's opened in Berlin.")]) == \
        "Peet's opened in Berlin."
    assert shown_text([t for t, _, _ in split_tokens("我在北京，Anna 在上海。")]) == \
        "我在北京，Anna在上海。"
    tags = ["B-PER", "I-PER", "O", "O", "B-ORG", "I-ORG", "I-ORG", "O"]
    assert entity_text(tokens[:8], tags) == "PER: Anna Lee; ORG: Maple & Moss"
    assert entity_text(["去", "北", "京"], ["O", "B-LOC", "I-LOC"]) == "LOC: 北京"


def test_to_bio_and_spans() -> None:
    assert to_bio(["S-A", "B-B", "E-B", "I-C"]) == (["B-A", "B-B", "I-B", "B-C"], [3])
    assert spans_from_tags(["B-A", "I-A", "O", "B-B", "B-B"]) == [(0, 2, "A"), (3, 4, "B"),
                                                                (4, 5, "B")]
    assert bio_tags(["PER", "LOC"]) == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]


def test_splits_are_seeded_and_keep_every_type_in_training(tmp_path: Path) -> None:
    sentences = [Sentence([f"w{i}", "x"], ["B-COMMON", "O"]) for i in range(40)]
    sentences.append(Sentence(["rare"], ["B-RARE"]))
    one = make_entity_splits(sentences, seed=1)
    two = make_entity_splits(sentences, seed=1)
    assert [s.tokens for s in one.test] == [s.tokens for s in two.test]
    assert "RARE" in entity_types(one.train)
    assert len(one.validation) == 4 and len(one.test) == 8 and len(one.train) == 29
    assert "held-out part" in one.held_out
    with pytest.raises(DataError, match="too few sentences"):
        make_entity_splits(sentences[:2])
    path = tmp_path / "s.jsonl"
    write_sentences(path, one.train)
    assert [s.tags for s in read_sentences(path)] == [s.tags for s in one.train]


def test_every_held_out_type_is_in_training_even_with_few_sentences() -> None:
    from playground.tasks.entities.checks import entity_types, make_entity_splits
    from playground.tasks.entities.reading import Sentence

    # One LOC sentence in twelve: when it falls in a held-out part, training gets it
    # (a one-sentence part gets a training sentence back); a cut may drop it altogether.
    sentences = [Sentence(["anna", "smiles"], ["B-PER", "O"]) for _ in range(11)] + \
        [Sentence(["paris", "shines"], ["B-LOC", "O"])]
    for seed in range(20):
        whole = make_entity_splits(sentences, seed=seed)
        assert "LOC" in entity_types(whole.train)
        cut = make_entity_splits(sentences, seed=seed, max_train=5)
        held = set(entity_types(cut.validation + cut.test))
        assert held <= set(entity_types(cut.train))
        assert whole.validation and whole.test and cut.validation and cut.test


def test_a_tsv_of_tokens_and_tags_is_a_table_not_conll(tmp_path) -> None:
    from playground.tasks.entities.reading import read_entities

    path = tmp_path / "people.tsv"
    path.write_text("tokens\ttags\nAnna lives in Paris\tB-PER O O B-LOC\n", encoding="utf-8")
    found = read_entities(path)
    assert found.format == "tokens-table"
    assert found.sentences[0].tags == ["B-PER", "O", "O", "B-LOC"]
