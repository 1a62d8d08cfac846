"""Chat data: every form read into conversations, every problem named by row in English
and Chinese, and splits that keep each conversation (and each question) in one part."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from playground.config import RunConfig
from playground.errors import DataError
from playground.runfolder import SPLITS, RunFolder
from playground.tasks.chat.checks import (
    check_chat_eval,
    check_conversations,
    make_chat_splits,
    order_fault,
)
from playground.tasks.chat.prepare import prepare, preview, write_splits
from playground.tasks.chat.reading import read_conversations, read_split

QUESTIONS_ZH = ["我的银行卡丢了，应该怎么办？", "怎样修改网上银行的登录密码？", "转账多久可以到账？",
                "信用卡的还款日是哪一天？", "如何开通手机银行？", "外币兑换需要带什么证件？",
                "账户被冻结了怎么处理？", "可以提前还房贷吗？", "存款利率是多少？",
                "在国外可以取现吗？", "怎么查询交易记录？", "银行营业时间是几点到几点？"]
ANSWERS_ZH = ["请立即拨打客服电话挂失，并带身份证到网点补办新卡。",
              "登录网上银行后，在安全设置中选择修改密码即可。",
              "同行转账通常实时到账，跨行转账一般在两小时内到账。"]


def _user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def _bot(text: str) -> dict[str, str]:
    return {"role": "assistant", "content": text}


def _jsonl(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                    encoding="utf-8")
    return path


def _sheet(path: Path, n: int = 20, **extra: list[str]) -> Path:
    frame = pd.DataFrame({"question": [f"How do I do thing number {i}?" for i in range(n)],
                          "answer": [f"You do thing {i} in the settings page." for i in range(n)],
                          **extra})
    frame.to_csv(path, index=False)
    return path


def test_a_question_answer_sheet_with_a_system_column(tmp_path: Path) -> None:
    path = _sheet(tmp_path / "qa.csv", 3, persona=["You are Ada.", "", "You are Ada."])
    found = read_conversations(path)
    assert found.format == "sheet"
    assert found.columns == {"question": "question", "answer": "answer", "system": "persona"}
    assert "'persona' is named like a system column" in found.column_reason
    assert found.conversations[0].messages == [
        {"role": "system", "content": "You are Ada."}, _user("How do I do thing number 0?"),
        _bot("You do thing 0 in the settings page.")]
    assert found.conversations[1].messages[0]["role"] == "user"  # empty system: none
    assert [c.source for c in found.conversations] == [2, 3, 4]


def test_a_chinese_sheet_saved_as_gbk_reads_with_its_chinese_column_names(
        tmp_path: Path) -> None:
    path = tmp_path / "客服.csv"
    pd.DataFrame({"序号": range(12), "问题": QUESTIONS_ZH, "答案": ANSWERS_ZH * 4}).to_csv(
        path, index=False, encoding="gbk")
    found = read_conversations(path)
    assert found.columns == {"question": "问题", "answer": "答案"}
    assert found.column_reason_zh == "“问题”的列名像问题列；“答案”的列名像回答列。"
    assert found.conversations[0].messages == [_user(QUESTIONS_ZH[0]), _bot(ANSWERS_ZH[0])]
    conversations, report = check_conversations(found)
    assert report.language == "zh" and report.ok and len(conversations) == 12
    assert "问题列：“问题”；回答列：“答案”" in "".join(report.summary_lines_zh())
    assert "Language: Chinese." in report.summary_lines()


def test_an_excel_sheet_with_picked_columns(tmp_path: Path) -> None:
    path = tmp_path / "qa.xlsx"
    pd.DataFrame({"Kunde": ["Hi?", "Bye?"], "Antwort": ["Hello.", "Goodbye."]}).to_excel(
        path, index=False)
    found = read_conversations(path, question_column="Kunde", answer_column="Antwort")
    assert [c.messages for c in found.conversations] == [[_user("Hi?"), _bot("Hello.")],
                                                         [_user("Bye?"), _bot("Goodbye.")]]
    assert found.column_reason == ""  # picked, not guessed


def test_alpaca_json_and_jsonl_join_instruction_and_input(tmp_path: Path) -> None:
    records = [{"instruction": "Translate to French.", "input": "cat", "output": "chat"},
               {"instruction": "Say hi.", "input": "", "output": "Hi!", "system": "Be brief.",
                "history": [["Who are you?", "A bot."]]}]
    (tmp_path / "a.json").write_text(json.dumps(records), encoding="utf-8")
    for found in (read_conversations(tmp_path / "a.json"),
                  read_conversations(_jsonl(tmp_path / "a.jsonl", records))):
        assert found.format == "alpaca"
        assert found.conversations[0].messages == [_user("Translate to French.\n\ncat"),
                                                   _bot("chat")]
        assert found.conversations[1].messages == [
            {"role": "system", "content": "Be brief."}, _user("Who are you?"),
            _bot("A bot."), _user("Say hi."), _bot("Hi!")]
    assert read_conversations(tmp_path / "a.json").unit == "item"


def test_messages_and_sharegpt_jsonl_with_several_turns_and_chinese(tmp_path: Path) -> None:
    turns = [_user("你好"), _bot("你好！有什么可以帮你？"), _user("我的卡丢了"), _bot("请先挂失。")]
    messages = _jsonl(tmp_path / "m.jsonl", [
        {"messages": [{"role": "system", "content": "你是银行客服。"}, *turns]}])
    sharegpt = _jsonl(tmp_path / "s.jsonl", [
        {"system": "你是银行客服。", "conversations": [
            {"from": "human" if m["role"] == "user" else "gpt", "value": m["content"]}
            for m in turns]}])
    for path, form in ((messages, "messages"), (sharegpt, "sharegpt")):
        found = read_conversations(path)
        assert found.format == form
        assert found.conversations[0].messages == [
            {"role": "system", "content": "你是银行客服。"}, *turns]
        _, report = check_conversations(found, min_conversations=1)
        assert report.ok and report.multi_turn == 1 and report.answers == 2


def test_jsonl_with_plain_keys_is_a_sheet(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "qa.jsonl", [{"prompt": "2+2?", "response": "4"}])
    found = read_conversations(path)
    assert found.format == "sheet" and found.columns == {"question": "prompt",
                                                         "answer": "response"}


def test_unreadable_lines_are_named_in_both_languages(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"messages": [{"role": "user", "content": "hi"}]}\n{not json\n',
                    encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_conversations(path)
    assert "Line 2 of bad.jsonl is not valid JSON" in err.value.message
    assert "第 2 行" in err.value.zh
    _jsonl(path, [{"messages": [_user("hi"), _bot("yo")]},
                  {"messages": [_user("hi"), {"role": "tool", "content": "x"}]}])
    with pytest.raises(DataError) as err:
        read_conversations(path)
    assert "line 2: the role 'tool' is not one of assistant, system, user" in err.value.message
    assert "第 2 行：role“tool”不是" in err.value.zh


def test_a_sheet_with_no_answer_column_says_what_to_name_it(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    pd.DataFrame({"question": ["Hi?"], "notes": ["x"]}).to_csv(path, index=False)
    with pytest.raises(DataError) as err:
        read_conversations(path)
    assert str(err.value).startswith("No answer column was found in q.csv (columns: "
                                     "'question', 'notes'). Name the columns 'question' and "
                                     "'answer'")
    assert err.value.zh.startswith("在q.csv中找不到回答列（现有的列：“question”、“notes”）。")
    with pytest.raises(DataError) as err:
        read_conversations(path, answer_column="reply")
    assert "There is no column named 'reply'" in err.value.message and "“reply”" in err.value.zh


def test_empty_answers_and_questions_are_left_out_with_their_rows(tmp_path: Path) -> None:
    path = tmp_path / "qa.csv"
    pd.DataFrame({"question": ["Hi?", "Where?", "", "Why?"],
                  "answer": ["Hello.", "", "Here.", "Because."]}).to_csv(path, index=False)
    conversations, report = check_conversations(read_conversations(path), min_conversations=1)
    assert [c.source for c in conversations] == [2, 5]
    assert report.dropped_empty == 2 and report.rows_used == 2 and report.rows_in == 4
    empty = [p for p in report.problems if p.code == "empty_rows"]
    assert [p.level for p in empty] == ["warning", "warning"]
    assert "with an empty answer (row 3)" in empty[0].message
    assert "回答为空的 1 个对话（第 3 行）" in empty[0].message_zh
    assert "with an empty question (row 4)" in empty[1].message
    assert "问题为空的 1 个对话（第 4 行）" in empty[1].message_zh


def test_nothing_left_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "qa.csv"
    pd.DataFrame({"question": ["Hi?", "Yo?"], "answer": ["", ""]}).to_csv(path, index=False)
    _, report = check_conversations(read_conversations(path))
    assert [p.code for p in report.errors] == ["no_rows"]
    assert report.errors[0].message_zh


def test_duplicates_are_left_out_and_named(tmp_path: Path) -> None:
    path = tmp_path / "qa.csv"
    pd.DataFrame({"question": ["Hi?", "Hi?", "Hi?", "Yo?"],
                  "answer": ["Hello.", "Hey.", "Hello.", "Yo."]}).to_csv(path, index=False)
    conversations, report = check_conversations(read_conversations(path), min_conversations=1)
    assert [c.source for c in conversations] == [2, 3, 5]  # another answer is no duplicate
    problem = next(p for p in report.problems if p.code == "duplicate_rows")
    assert problem.level == "warning" and "(row 4)" in problem.message
    assert "（第 4 行）" in problem.message_zh


@pytest.mark.parametrize(("messages", "said"), [
    ([_bot("Hi"), _user("x"), _bot("y")], "an answer before any question"),
    ([_user("a"), _user("b"), _bot("c")], "two questions in a row (messages 1 and 2)"),
    ([_user("a"), _bot("b"), _bot("c")], "two answers in a row (messages 2 and 3)"),
    ([_user("a"), {"role": "system", "content": "s"}, _bot("b")],
     "a system message that is not the first (message 2)"),
    ([_user("a"), _bot("b"), _user("c")], "a last question with no answer"),
])
def test_order_faults_are_said(messages: list, said: str) -> None:
    assert order_fault(messages)[0] == said
    assert order_fault([{"role": "system", "content": "s"}, _user("a"), _bot("b")]) is None


def test_out_of_order_conversations_warn_when_few_and_stop_when_many(tmp_path: Path) -> None:
    good = [{"messages": [_user(f"q{i}"), _bot(f"a{i}")]} for i in range(20)]
    bad = {"messages": [_user("a"), _user("b"), _bot("c")]}
    conversations, report = check_conversations(
        read_conversations(_jsonl(tmp_path / "few.jsonl", [*good, bad])))
    problem = next(p for p in report.problems if p.code == "turn_order")
    assert problem.level == "warning" and len(conversations) == 20
    assert "line 21: two questions in a row (messages 1 and 2)" in problem.message
    assert "第 21 行：连续两个问题（第 1 和第 2 条消息）" in problem.message_zh
    _, report = check_conversations(
        read_conversations(_jsonl(tmp_path / "many.jsonl", [*good[:5], bad, bad, bad])))
    assert "turn_order" in [p.code for p in report.errors]


def test_conversations_over_the_window_are_counted(tmp_path: Path) -> None:
    path = _sheet(tmp_path / "qa.csv", 12)
    pd.DataFrame({"question": ["Tell me everything."] * 3 + ["Short?"] * 9,
                  "answer": ["word " * 200, "word " * 300, "word " * 400] +
                            [f"Fine {i}." for i in range(9)]}).to_csv(path, index=False)
    _, report = check_conversations(read_conversations(path), max_length=128)
    problem = next(p for p in report.problems if p.code == "long_texts")
    assert report.too_long == 3 and problem.level == "warning"
    assert problem.message.startswith("About 3 of 12 conversations of the training data "
                                      "(rows 2, 3, 4) are longer than the model's window of 128")
    assert "约 3 个（第 2、3、4 行）超过模型的窗口 128 个词元" in problem.message_zh
    _, counted = check_conversations(read_conversations(path), max_length=128,
                                     count_tokens=lambda cs: [1000] + [10] * (len(cs) - 1))
    assert counted.too_long == 1 and "About" not in counted.problems[-1].message


def test_too_few_conversations_is_an_error(tmp_path: Path) -> None:
    _, report = check_conversations(read_conversations(_sheet(tmp_path / "qa.csv", 4)))
    assert [p.code for p in report.errors] == ["too_few_rows"]
    assert "only 4 usable conversations; at least 10" in report.errors[0].message
    assert "只有 4 个可用的对话" in report.errors[0].message_zh
    with pytest.raises(DataError) as err:
        make_chat_splits(read_conversations(tmp_path / "qa.csv").conversations[:2])
    assert "too few conversations (2)" in err.value.message and "对话太少" in err.value.zh


def test_an_eval_file_keeps_duplicates_and_warns_of_overlap(tmp_path: Path) -> None:
    train = read_conversations(_sheet(tmp_path / "train.csv", 20)).conversations
    path = tmp_path / "eval.csv"
    pd.DataFrame({"question": ["How do I do thing number 3?", "New?", "New?"],
                  "answer": ["Another answer.", "Yes.", "Yes."]}).to_csv(path, index=False)
    kept, report = check_chat_eval(read_conversations(path), train)
    assert len(kept) == 3 and report.ok
    overlap = next(p for p in report.problems if p.code == "overlap")
    assert "1 questions of the evaluation file (row 2)" in overlap.message
    assert "（第 2 行）也出现在训练数据中" in overlap.message_zh


def test_splits_are_seeded_disjoint_and_keep_a_question_in_one_part(tmp_path: Path) -> None:
    found = read_conversations(_sheet(tmp_path / "qa.csv", 50))
    conversations, _ = check_conversations(found)
    # The same question with a second answer must not be both trained on and tested.
    twin = type(conversations[0])([_user(conversations[0].messages[0]["content"]),
                                   _bot("Another way to say it.")], 99)
    splits = make_chat_splits([*conversations, twin], seed=7, source_name="qa.csv")
    parts = (splits.train, splits.validation, splits.test)
    assert [len(p) for p in parts] in ([36, 5, 10], [35, 6, 10], [35, 5, 11])
    keys = [{json.dumps(c.messages) for c in part} for part in parts]
    assert not (keys[0] & keys[1] or keys[0] & keys[2] or keys[1] & keys[2])
    assert sum(map(len, keys)) == 51
    questions = [{c.messages[0]["content"] for c in part} for part in parts]
    assert not (questions[0] & questions[1] or questions[0] & questions[2]
                or questions[1] & questions[2])
    share, n = round(100 * len(splits.test) / 51), len(splits.test)
    assert splits.held_out == (f"a {share}% held-out part of qa.csv ({n} conversations), "
                               "which training never saw")
    assert splits.held_out_zh == f"qa.csv中留出的 {share}% 共 {n} 个对话，训练时从未见过"
    again = make_chat_splits([*conversations, twin], seed=7)
    assert [c.source for c in again.test] == [c.source for c in splits.test]
    limited = make_chat_splits(conversations, max_train=10)
    assert len(limited.train) == 10


def test_prepare_writes_splits_a_trainer_reads(tmp_path: Path) -> None:
    data, evaluation = _sheet(tmp_path / "qa.csv", 40), _sheet(tmp_path / "eval.csv", 5)
    config = RunConfig(model="classic", fit_to_data=False)
    prep = prepare(data, config)
    assert not prep.errors and prep.report.rows_used == 40
    assert prep.splits.held_out.startswith("a 20% held-out part of qa.csv (8 conversations)")
    run = RunFolder(tmp_path / "run")
    run.conversation_split_path("train").parent.mkdir(parents=True)
    written = write_splits(run, prep.splits)
    assert written == {"labels": [], "rows": {"train": 28, "validation": 4, "test": 8}}
    for name in SPLITS:
        path = run.conversation_split_path(name)
        assert path.name == f"{name}.jsonl"
        on_disk = read_split(path)
        assert len(on_disk) == written["rows"][name]
        assert all([m["role"] for m in c] == ["user", "assistant"] for c in on_disk)
    first = json.loads(run.conversation_split_path("test").read_text().splitlines()[0])
    assert list(first) == ["messages"]
    assert read_conversations(run.conversation_split_path("test")).format == "messages"
    with_eval = prepare(data, config, evaluation)
    assert with_eval.eval_name == "eval.csv" and len(with_eval.splits.test) == 5
    assert any(p.code == "overlap" for p in with_eval.eval_report.problems)
    assert "the evaluation file eval.csv (5 conversations)" in with_eval.splits.held_out


def test_prepare_uses_the_config_columns_and_reports_errors(tmp_path: Path) -> None:
    path = tmp_path / "qa.csv"
    pd.DataFrame({"ask": [f"q{i}" for i in range(12)], "say": [f"a{i}" for i in range(12)]}
                 ).to_csv(path, index=False)
    prep = prepare(path, RunConfig(model="classic", text_column="ask", label_column="say"))
    assert prep.report.columns == {"question": "ask", "answer": "say"} and prep.splits
    few = prepare(_sheet(tmp_path / "few.csv", 4), RunConfig(model="classic"))
    assert few.splits is None and [p.code for p in few.report.errors] == ["too_few_rows"]


def test_preview_gives_conversations_and_the_columns_read(tmp_path: Path) -> None:
    path = _sheet(tmp_path / "qa.csv", 5, system=["Be kind."] * 5)
    shown = preview(path, "text", "label", "auto", rows=2)  # columns of another file: ignored
    assert list(shown.rows.columns) == ["conversation"] and len(shown.rows) == 2
    assert shown.rows["conversation"][0] == [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "How do I do thing number 0?"},
        {"role": "assistant", "content": "You do thing 0 in the settings page."}]
    assert shown.columns == ["question", "answer", "system"]
    assert (shown.text_column, shown.label_column) == ("question", "answer")
    assert shown.extra_columns == {"system": "system"}
    jsonl = _jsonl(tmp_path / "m.jsonl", [{"messages": [_user("你好"), _bot("您好！")]}])
    shown = preview(jsonl, None, None, "auto", rows=5)
    assert shown.columns == [] and shown.extra_columns == {}
    assert shown.rows["conversation"][0] == [_user("你好"), _bot("您好！")]
