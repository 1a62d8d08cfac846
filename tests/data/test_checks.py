"""check_dataset / check_eval_table / guess_columns / detect_language on small frames."""

from __future__ import annotations

import json
import re

import pandas as pd

from playground.data import DataReport, detect_language, estimate_tokens, guess_columns
from playground.tasks.classify.checks import check_dataset, check_eval_table


def _frame(per_label: int = 5, labels: tuple[str, ...] = ("pos", "neg")) -> pd.DataFrame:
    rows = [(f"{label} example number {i}", label) for label in labels for i in range(per_label)]
    return pd.DataFrame(rows, columns=["text", "label"])


def _codes(report: DataReport) -> dict[str, str]:
    return {p.code: p.level for p in report.problems}


def _message(report: DataReport, code: str) -> str:
    return next(p.message for p in report.problems if p.code == code)


# --- guess_columns ---------------------------------------------------------------

def test_guess_text_category() -> None:
    df = pd.DataFrame({"text": ["I lost my card", "card arrived?"], "category": ["lost", "arrival"]})
    guess = guess_columns(df)
    assert (guess.text, guess.label) == ("text", "category")
    assert "'category' is named like a label column" in guess.reason


def test_guess_label_review_chinese_hotel_layout() -> None:
    df = pd.DataFrame({"label": ["1", "0", "1"], "review": ["房间很大", "服务太差了", "早餐丰富"]})
    guess = guess_columns(df)
    assert (guess.text, guess.label) == ("review", "label")


def test_guess_chinese_and_odd_case_names() -> None:
    df = pd.DataFrame({"ID": ["1", "2"], "评论": ["好", "差"], " 情感 ": ["正", "负"]})
    guess = guess_columns(df)
    assert (guess.text, guess.label) == ("评论", " 情感 ")


def test_guess_by_values_when_names_say_nothing() -> None:
    df = pd.DataFrame({
        "id": [str(i) for i in range(8)],
        "what the customer wrote": [f"a fairly long sentence number {i}" for i in range(8)],
        "bucket": ["a", "b", "a", "b", "a", "b", "a", "b"],
    })
    guess = guess_columns(df)
    assert (guess.text, guess.label) == ("what the customer wrote", "bucket")
    assert "'bucket' repeats only 2 distinct values" in guess.reason
    assert "longest texts" in guess.reason


def test_guess_no_label_column() -> None:
    df = pd.DataFrame({"text": [f"sentence {i}" for i in range(6)], "id": [str(i) for i in range(6)]})
    guess = guess_columns(df)
    assert guess.text == "text"
    assert guess.label is None


# --- check_dataset ---------------------------------------------------------------

def test_clean_data_passes_with_renamed_columns() -> None:
    df = _frame().rename(columns={"text": "Sentence", "label": "Intent"})
    clean, report = check_dataset(df)
    assert report.ok and report.problems == []
    assert list(clean.columns) == ["text", "label"]
    assert (report.text_column, report.label_column) == ("Sentence", "Intent")
    assert report.rows_in == report.rows_used == 10
    assert report.label_counts == {"neg": 5, "pos": 5}
    assert report.char_lengths["max"] == len("pos example number 0")
    assert report.token_lengths is None
    assert report.language == "en"
    json.dumps(report.to_dict())
    assert report.to_dict()["ok"] is True


def test_values_are_stripped_strings() -> None:
    df = _frame()
    df["label"] = [1] * 5 + [2] * 5
    df.loc[0, "text"] = "  padded  "
    df = pd.concat([df, pd.DataFrame({"text": [None, pd.NA, float("nan")], "label": [1, 2, 1]})])
    clean, report = check_dataset(df)
    assert clean.loc[0, "text"] == "padded"
    assert report.dropped_empty == 3  # missing values count as empty, not as the text "nan"
    assert report.label_counts == {"1": 5, "2": 5}


def test_missing_given_column_lists_existing_ones() -> None:
    clean, report = check_dataset(_frame(), text_column="sentence")
    assert not report.ok
    message = _message(report, "missing_column")
    assert "no column named 'sentence'" in message
    assert "'text', 'label'" in message
    assert list(clean.columns) == ["text", "label"] and len(clean) == 0


def test_no_label_column() -> None:
    df = pd.DataFrame({"text": [f"unique sentence {i}" for i in range(12)]})
    _, report = check_dataset(df)
    assert _codes(report) == {"no_label_column": "error"}
    assert "Add a column named 'label'" in _message(report, "no_label_column")


def test_numbered_columns_are_named_as_strings() -> None:
    df = pd.DataFrame({0: [f"sentence number {i}" for i in range(12)], 1: ["a", "b", "c"] * 4})
    clean, report = check_dataset(df)
    assert (report.text_column, report.label_column) == ("0", "1")
    assert report.ok and report.label_counts == {"a": 4, "b": 4, "c": 4}


def test_no_text_column() -> None:
    df = pd.DataFrame({"id": [str(i) for i in range(12)], "label": ["a", "b"] * 6})
    _, report = check_dataset(df)
    assert _codes(report)["no_text_column"] == "error"


def test_same_column_for_text_and_label() -> None:
    _, report = check_dataset(_frame(), text_column="text", label_column="text")
    assert _codes(report) == {"same_column": "error"}


def test_one_label_is_an_error() -> None:
    _, report = check_dataset(_frame(per_label=12, labels=("only",)))
    assert _codes(report) == {"one_label": "error"}
    assert "only one label ('only')" in _message(report, "one_label")
    assert "at least two" in _message(report, "one_label")


def test_label_with_too_few_examples_is_named() -> None:
    df = pd.concat([_frame(), pd.DataFrame({"text": ["rare one", "rare two"], "label": ["rare", "rare"]})])
    _, report = check_dataset(df, min_per_label=3)
    assert _codes(report) == {"rare_labels": "error"}
    message = _message(report, "rare_labels")
    assert "'rare' (2)" in message
    assert "at least 3 of each" in message
    assert "'pos'" not in message


def test_too_few_rows() -> None:
    _, report = check_dataset(_frame(per_label=3))
    assert _codes(report) == {"too_few_rows": "error"}
    assert "only 6 usable rows" in _message(report, "too_few_rows")


def test_empty_and_duplicate_rows_are_dropped_and_counted() -> None:
    extra = pd.DataFrame({
        "text": ["", "   ", "has no label", "pos example number 0", "pos example number 1"],
        "label": ["pos", "neg", "", "pos", "pos"],
    })
    clean, report = check_dataset(pd.concat([_frame(), extra], ignore_index=True))
    assert report.rows_in == 15
    assert report.dropped_empty == 3
    assert report.dropped_duplicates == 2
    assert report.rows_used == len(clean) == 10
    assert _codes(report) == {"empty_rows": "warning", "duplicate_rows": "warning"}
    assert "Left out 3 rows of the training data with an empty text or label" in _message(report, "empty_rows")
    assert "Left out 2 exact duplicate rows" in _message(report, "duplicate_rows")
    assert report.ok
    lines = report.summary_lines()
    assert "Using 10 of 15 rows." in lines
    assert not any(line.startswith("Left out") for line in lines)  # the warnings say it


def test_conflicting_labels_warn_but_stay() -> None:
    extra = pd.DataFrame({"text": ["pos example number 0"], "label": ["neg"]})
    clean, report = check_dataset(pd.concat([_frame(), extra], ignore_index=True))
    assert _codes(report) == {"conflicting_labels": "warning"}
    assert "Found 1 text with different labels" in _message(report, "conflicting_labels")
    assert "neg / pos" in _message(report, "conflicting_labels")
    assert len(clean) == 11


def test_all_rows_empty() -> None:
    df = pd.DataFrame({"text": ["a", "b"], "label": ["", ""]})
    clean, report = check_dataset(df)
    assert "no_rows" in _codes(report)
    assert len(clean) == 0


def test_long_texts_warning_with_estimate() -> None:
    df = _frame(per_label=10)
    df.loc[:4, "text"] = "word " * 200  # about 250 estimated tokens each, 5 of 20 rows
    df.loc[:4, "text"] = [f"{t}{i}" for i, t in enumerate(df.loc[:4, "text"])]
    _, report = check_dataset(df, max_length=64)
    message = _message(report, "long_texts")
    assert message.startswith("About 5 of 20 texts (25%)")
    assert "max length of 64 tokens" in message
    assert "Raise the max length to 256" in message
    assert report.ok  # a warning, not an error


def test_long_texts_with_tokenizer_and_few_outliers() -> None:
    df = _frame(per_label=20)
    calls = []

    def count_tokens(texts: list[str]) -> list[int]:
        calls.append(len(texts))
        return [300 if i == 0 else 10 for i in range(len(texts))]

    _, report = check_dataset(df, max_length=128, count_tokens=count_tokens)
    assert "long_texts" not in _codes(report)  # 1 of 40 is under the 5% threshold
    assert report.token_lengths is not None and report.token_lengths["max"] == 300
    assert calls == [40]  # the tokenizer runs once, not once per use


def test_estimate_tokens() -> None:
    assert estimate_tokens(["abcdefgh", "中文测试", "中文ab"]) == [2, 4, 3]


def test_detect_language() -> None:
    assert detect_language(["Where is my card?", "I want a refund"]) == "en"
    assert detect_language(["房间很大，床有两米宽", "服务太差了"]) == "zh"
    assert detect_language(["Le café était très bon", "Où est la gare ?"]) == "en"  # mostly ASCII
    assert detect_language(["Привет, как дела?", "Это тест"]) == "other"
    assert detect_language(["今日はとても良い天気ですね"]) == "other"  # Japanese: kanji with kana
    assert detect_language(["12345", ""]) == "other"
    assert detect_language([]) == "other"


def test_chinese_language_in_report() -> None:
    rows = [(f"房间很大服务很好{i}", "1") for i in range(6)] + [(f"服务太差了{i}", "0") for i in range(6)]
    _, report = check_dataset(pd.DataFrame(rows, columns=["review", "label"]))
    assert report.language == "zh"
    assert "Language: Chinese." in report.summary_lines()


# --- check_eval_table ------------------------------------------------------------

def test_eval_table_unknown_labels_and_overlap() -> None:
    train = _frame()
    eval_df = pd.DataFrame({
        "text": ["pos example number 0", "new neg text", "something else", "another"],
        "label": ["pos", "neg", "surprise", "surprise"],
    })
    clean, report = check_eval_table(eval_df, train_labels={"pos", "neg"}, train_texts=train["text"])
    codes = _codes(report)
    assert codes["unknown_labels"] == "error"
    assert "'surprise' (2)" in _message(report, "unknown_labels")
    assert codes["overlap"] == "warning"
    assert "Found 1 text of the evaluation file in the training data" in _message(report, "overlap")
    assert "rare_labels" not in codes  # one example per label is enough to evaluate
    assert len(clean) == 4


def test_eval_table_with_known_labels_only() -> None:
    _, report = check_eval_table(_frame(), train_labels=["pos", "neg", "other"])
    assert report.ok and report.problems == []


def _zh(report, code: str) -> str:
    return next(p.message_zh for p in report.problems if p.code == code)


def test_each_problem_says_its_specifics_in_chinese() -> None:
    rare = pd.concat([_frame(), pd.DataFrame({"text": ["rare one", "rare two"],
                                              "label": ["rare", "rare"]})])
    _, report = check_dataset(rare, min_per_label=3)
    assert "“rare”（2）" in _zh(report, "rare_labels") and "至少 3 个" in _zh(report, "rare_labels")
    _, report = check_dataset(_frame(), text_column="sentence")
    assert "“sentence”" in _zh(report, "missing_column")
    assert "“text”、“label”" in _zh(report, "missing_column")
    extra = pd.DataFrame({"text": ["", "pos example number 0"], "label": ["pos", "pos"]})
    _, report = check_dataset(pd.concat([_frame(), extra], ignore_index=True), max_length=2)
    assert "训练数据中文本或标签为空的 1 行" in _zh(report, "empty_rows")
    assert "1 行" in _zh(report, "duplicate_rows")
    assert "最大长度 2 个词元" in _zh(report, "long_texts")
    for problem in report.problems:  # no English sentence left in the Chinese one
        assert not re.search(r"[A-Za-z]+(?: [A-Za-z]+){3,}", problem.message_zh), problem


def test_the_chinese_summary_says_what_the_english_one_does() -> None:
    _, report = check_dataset(_frame(), count_tokens=lambda texts: [len(t) for t in texts])
    english, chinese = report.summary_lines(), report.summary_lines_zh()
    assert len(chinese) == len(english)  # token lengths too, which the old one dropped
    assert any(line.startswith("文本长度（词元）") for line in chinese)


def test_the_summary_counts_one_label_and_long_texts_as_a_person_writes_them() -> None:
    one = pd.DataFrame({"text": [f"text {i} " + "x" * 12_000 for i in range(12)],
                        "label": ["wifi"] * 12})
    _, report = check_dataset(one)
    said = " ".join(report.summary_lines())
    assert "1 label: wifi (12)" in said and "12,007 on average" in said
    assert "平均 12,007" in " ".join(report.summary_lines_zh())


def test_a_small_file_to_score_on_is_refused_for_the_score_not_for_training() -> None:
    _, report = check_eval_table(_frame(per_label=2), ["pos", "neg"])
    said = _message(report, "too_few_rows")
    assert "a score needs at least 10" in said and "train" not in said
    _, report = check_dataset(_frame(per_label=2))
    assert "needed to train and test" in _message(report, "too_few_rows")
