"""A chat agent in the running app: its answer streams into the chat piece by piece,
the conversation so far goes with each message, the chat settings reach the model, the
base model answers the same message beside it, Regenerate replaces the last answer
alone, and the boxes of classifiers stay hidden for it (in the page's language). The
official ``openai`` client talks to it through the app's OpenAI-compatible /v1 API, and
so does the code the app shows; ``playground chat`` talks to it in a terminal."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
from conftest import INTENTS, copy_run, intent_rows, tiny_settings
from gradio_client import handle_file
from markdown_it import MarkdownIt  # gradio's own dependency (through rich)

from playground import tasks
from playground.cli import main as cli_main
from playground.cli_chat import Conversation
from playground.config import RunConfig
from playground.service.agents import Sampling, agent_for, stream_reply
from playground.service.prepare import create_run, prepare
from playground.training.job import run_job
from playground.ui.chat_panel import (
    MAX_SHOWN_CHARS,
    MAX_SHOWN_MESSAGES,
    conversation_of,
    kept,
    last_question,
)
from playground.ui.safe import inline_text

from .test_app_api import client, value

QUESTION = "what is your name"


def _chat_sheet(folder: Path, answer: str = "my name is ada and {label}") -> Path:
    rows = [(f"{phrase} {i}", answer.format(label=label.replace("_", " ")))
            for label, phrases in INTENTS.items() for phrase in phrases for i in range(3)]
    data = folder / "qa.csv"
    pd.DataFrame(rows, columns=["question", "answer"]).to_csv(data, index=False)
    return data


def _run(runs: Path, data: Path, config: RunConfig) -> str:
    prep = prepare(data, config)
    prep.raise_for_errors()
    run = create_run(runs, prep)
    run_job(run, time.time())
    run.update_status(state="succeeded")
    return run.run_id


def tuned_chat_run(runs: Path, folder: Path, model: Path, answer: str, epochs: int) -> str:
    """A chat run on ``model`` whose agent is its fine-tuned model. In seconds a tiny
    model learns too little to beat retrieval on validation, so the run serves retrieval
    and keeps the fine-tuned model aside: it is put back, as the job leaves a run whose
    fine-tuned model wins."""
    run_id = _run(runs, _chat_sheet(folder, answer), RunConfig(task="chat", **tiny_settings(
        model, epochs=epochs, learning_rate=5e-3)))
    run = runs / run_id
    if (run / "finetuned").exists():
        shutil.rmtree(run / "model")
        (run / "finetuned").rename(run / "model")
    return run_id


@pytest.fixture(scope="module")
def talking_run(live_app, tiny_chat_run: Path) -> str:
    """An agent that says words ("my name is ada ..."): the session's tiny chat run,
    copied into the app's runs folder."""
    _, service = live_app
    return copy_run(tiny_chat_run, service.runs_dir).run_id


@pytest.fixture(scope="module")
def talking_base(live_app, talking_run: str) -> Path:
    return live_app[1].runs_dir / talking_run / "model"


@pytest.fixture(scope="module")
def chat_run(live_app, tmp_path_factory: pytest.TempPathFactory, talking_base: Path) -> str:
    """An agent whose base model says words: ``talking_run``'s model tuned again, to say
    who made it (it may learn only to say less: it differs from its base all the same)."""
    _, service = live_app
    return tuned_chat_run(service.runs_dir, tmp_path_factory.mktemp("chat"), talking_base,
                          "i was made by the lab", 2)


def _said(history: list) -> str:
    """The last answer as the model wrote it (unescaped, without the line under it)."""
    return conversation_of(history)[-1]["content"].strip()


def _parts(text: str) -> list[dict[str, str]]:
    """A message's content as the page holds it."""
    return [{"type": "text", "text": text}]


def _settings(system: str = "", temperature: float = 0.0, top_p: float = 0.9,
              max_new_tokens: int = 24) -> list:
    return [system, temperature, top_p, max_new_tokens]


def test_a_chat_agent_streams_its_answer(live_app, talking_run: str) -> None:
    url, service = live_app
    for lang, said in (("en-US", "written as you watched"), ("zh-CN", "边写边显示")):
        job = client(url, lang).submit(talking_run, QUESTION, [], *_settings(), api_name="/chat")
        history, _, top, marked = job.result()
        frames = [out[0] for out in job.outputs()]
        # the answer showed before its last line ("who answered") was added under it
        growing = [str(f[-1]["content"]) for f in frames if len(f) == 2]
        assert len(growing) >= 3 and "<sub>" not in growing[1], growing
        assert QUESTION in str(history[0]["content"])
        assert said in str(history[-1]["content"])
        # a language model ranks no labels and finds no entities: both boxes hide
        assert top["visible"] is False and marked["visible"] is False
    # the fine-tuned model hands its answer over piece by piece as it writes it
    run = service.run(talking_run)
    model = tasks.part("chat", "agent").load(run.model_dir)
    assert model.kind == "transformer"
    pieces = list(model.stream(QUESTION, temperature=0.0, max_new_tokens=24))
    assert len(pieces) >= 3 and "".join(pieces).strip() == model.generate(
        QUESTION, max_new_tokens=24), pieces
    assert list(stream_reply(run, [{"role": "user", "content": QUESTION}]))


def test_the_chat_settings_reach_the_model(live_app, talking_run: str) -> None:
    url, service = live_app
    c = client(url)
    agent = tasks.part("chat", "agent").load(service.run(talking_run).model_dir)

    def chat(*settings) -> str:
        return _said(c.predict(talking_run, QUESTION, [], *settings, api_name="/chat")[0])

    # greedy at temperature 0: the same answer each time, the one the model gives
    assert chat(*_settings()) == chat(*_settings()) == agent.generate(QUESTION,
                                                                       max_new_tokens=24)
    assert chat(*_settings(max_new_tokens=1)) == agent.generate(QUESTION, max_new_tokens=1)
    assert len(chat(*_settings(max_new_tokens=1))) < len(chat(*_settings()))
    system = "answer in the voice of a pirate"
    instructed = agent.generate(QUESTION, system=system, max_new_tokens=24)
    assert instructed != agent.generate(QUESTION, max_new_tokens=24)  # it reads the system
    assert chat(*_settings(system=system)) == instructed
    # a bad setting is refused with a sentence naming it, in the page's language
    for lang, named in (("en-US", "system prompt"), ("zh-CN", "系统提示")):
        with pytest.raises(Exception, match=named):
            client(url, lang).predict(talking_run, QUESTION, [], *_settings(system="x" * 20_000),
                                      api_name="/chat")
    with pytest.raises(Exception, match="maximum"):  # the slider's own bound
        c.predict(talking_run, QUESTION, [], *_settings(temperature=5.0), api_name="/chat")


def test_a_retrieval_agent_says_its_answer_is_a_training_answer(
        live_app, retrieval_chat_run) -> None:
    """Retrieval picks an answer of the sheet: it is not "written as you watched"."""
    url, service = live_app
    run_id = copy_run(retrieval_chat_run.path, service.runs_dir).run_id
    for lang, words in (("en-US", "answered by retrieval: the answer of the most similar "
                                  "training question"),
                        ("zh-CN", "由检索回答：训练数据中最相似问题的答案")):
        history = client(url, lang).predict(run_id, "how do I renew my card", [],
                                            *_settings(), api_name="/chat")[0]
        said = str(history[-1]["content"])
        assert "To renew your card" in said and words in said, said


def test_the_base_model_answers_beside_the_agent(live_app, chat_run: str,
                                                 talking_base: Path) -> None:
    url, service = live_app
    c = client(url)
    job = c.submit(chat_run, QUESTION, [], True, *_settings(), api_name="/chat_base")
    history = job.result()
    assert len([f for f in job.outputs() if len(f) == 2]) >= 3  # it streams too
    assert "before fine-tuning" in str(history[-1]["content"])
    # the answer of the model the agent was tuned from, loaded on its own
    base = tasks.part("chat", "agent").load(talking_base)
    said = _said(history)
    assert said == base.generate(QUESTION, max_new_tokens=24) and "ada" in said
    one = c.predict(chat_run, QUESTION, [], True, *_settings(max_new_tokens=1),
                    api_name="/chat_base")
    assert _said(one) == base.generate(QUESTION, max_new_tokens=1) != said
    agent = c.predict(chat_run, QUESTION, [], *_settings(), api_name="/chat")[0]
    assert _said(agent) != said  # fine-tuning changed the answer
    # turned off, the base model does not answer
    assert c.predict(chat_run, QUESTION, [], False, *_settings(),
                     api_name="/chat_base") == {"__type__": "update"}  # nothing changes


def test_the_chat_shows_its_parts_for_the_picked_agent(live_app, chat_run: str,
                                                       tmp_path: Path) -> None:
    url, service = live_app
    c = client(url)

    def shown(run_id: str, compare: bool = True) -> tuple[bool, str, bool]:
        """The base model's chat shown, the chat's label, the labels box shown (the chat
        settings hide and show with the labels' column: the browser test sees them)."""
        base, chat, top = c.predict(run_id, compare, api_name="/chat_mode")
        return base["visible"], chat["label"], top["visible"]

    assert shown(chat_run) == (True, "Agent (fine-tuned)", False)
    assert shown(chat_run, compare=False) == (False, "Chat", False)
    retrieval = _run(service.runs_dir, _chat_sheet(tmp_path),
                     RunConfig(task="chat", model="classic"))
    assert shown(retrieval) == (False, "Chat", False)  # retrieval alone: no base model
    intents = tmp_path / "intents.csv"
    pd.DataFrame(intent_rows(), columns=["text", "intent"]).to_csv(intents, index=False)
    classifier = _run(service.runs_dir, intents, RunConfig(model="classic"))
    assert shown(classifier) == (False, "Chat", True)
    _, _, top, _ = c.predict(classifier, "lost my card", [], api_name="/chat")
    assert top["visible"] is True and len(value(top)["confidences"]) == 3


def test_regenerate_replaces_the_last_answer_alone(live_app, talking_run: str) -> None:
    url, _ = live_app
    c = client(url)
    first = c.predict(talking_run, "hello there", [], *_settings(), api_name="/chat")[0]
    history = first + [{"role": "user", "content": _parts("money back &amp; refund")},
                       {"role": "assistant", "content": _parts("a stale answer")}]
    again, _, _ = c.predict(talking_run, history, *_settings(), api_name="/regenerate")
    assert conversation_of(again[:3]) == conversation_of(history[:3])
    fresh = c.predict(talking_run, "money back & refund", first, *_settings(),
                      api_name="/chat")[0]
    assert len(again) == 4 and _said(again) == _said(fresh) != "a stale answer"
    base = c.predict(talking_run, history, True, *_settings(), api_name="/regenerate_base")
    assert conversation_of(base[:3]) == conversation_of(history[:3])
    assert len(base) == 4 and "before fine-tuning" in str(base[-1]["content"])


def test_testing_on_a_file_shows_both_models_answers(live_app, chat_run: str,
                                                     tmp_path: Path,
                                                     talking_base: Path) -> None:
    url, _ = live_app
    sheet = tmp_path / "held_out.csv"
    questions = ["lost my card 7", "hello there 7"]
    pd.DataFrame({"question": questions, "answer": ["i was made by the lab"] * 2}
                 ).to_csv(sheet, index=False)
    summary, scores, _, table = client(url).predict(chat_run, handle_file(str(sheet)),
                                                    api_name="/test_file")
    assert scores["visible"] is False  # no per-label scores for a chat agent
    assert "The base model before fine-tuning: chrF" in summary
    assert "Answers written in bf16" in summary  # as the agent answers, and was scored
    assert "at most 16 tokens past the longest reference" in summary  # why some stop short
    rows = value(table)
    assert rows["headers"] == ["question", "reference", "agent's answer", "base model's answer"]
    base = tasks.part("chat", "agent").load(talking_base)
    base_said = [row[3] for row in rows["data"]]
    # written as the report writes answers (batches, at most 16 tokens past the longest
    # reference), by the base model the agent was tuned from
    asked = [[{"role": "user", "content": q}, {"role": "assistant", "content": a}]
             for q, a in zip(questions, ["i was made by the lab"] * 2)]
    assert base_said == base.scored_answers(asked)
    assert base_said != [row[2] for row in rows["data"]]  # not the agent's answers again


def test_the_openai_client_lists_and_hears_the_agent(live_app, talking_run: str) -> None:
    import torch
    from openai import OpenAI

    url, service = live_app
    llm = OpenAI(base_url=f"{url}v1", api_key="none", max_retries=0)
    assert talking_run in [model.id for model in llm.models.list()]
    turns = [{"role": "user", "content": "hello there"},
             {"role": "assistant", "content": "hello how can i help"},
             {"role": "user", "content": "what is your name"}]
    system = "You are Ada."
    # This tiny model's greedy answers are blank lines whatever it is asked: it samples,
    # from the same seed each time (the server runs in this process), so the same
    # conversation gets the same words and another conversation others.
    settings = {"temperature": 1.0, "top_p": 1.0, "max_tokens": 24}
    asked = {"model": talking_run, **settings,
             "messages": [{"role": "system", "content": system}, *turns]}
    torch.manual_seed(0)
    chunks = list(llm.chat.completions.create(**asked, stream=True))
    assert chunks[0].choices[0].delta.role == "assistant"
    pieces = [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]
    assert len(pieces) >= 3, pieces  # the answer came as the model wrote it
    assert chunks[-1].choices[0].finish_reason == "stop"
    torch.manual_seed(0)
    whole = llm.chat.completions.create(**asked)  # the same answer in one piece
    assert whole.object == "chat.completion" and whole.model == talking_run
    assert whole.choices[0].message.content == "".join(pieces)
    assert whole.choices[0].finish_reason == "stop"

    def written(system: str) -> str:  # the model's own answer to the conversation
        torch.manual_seed(0)
        return "".join(agent_for(service.run(talking_run).path).stream(
            turns, system=system, temperature=1.0, top_p=1.0, max_new_tokens=24))

    assert "".join(pieces) == written(system) != written("")  # the system message counted


def test_the_openai_api_names_the_field_at_fault(live_app, talking_run: str) -> None:
    from openai import BadRequestError, NotFoundError, OpenAI

    url, _ = live_app
    llm = OpenAI(base_url=f"{url}v1", api_key="none", max_retries=0)
    hello = [{"role": "user", "content": "hello"}]
    for bad, param in (({"temperature": 5}, "temperature"),
                       ({"max_tokens": 100_000}, "max_tokens"),
                       ({"messages": [{"role": "tool", "content": "x"}]}, "messages[0].role"),
                       ({"messages": hello + [{"role": "assistant", "content": "hi"}]},
                        "messages[1].role"),
                       ({"messages": hello * 65}, "messages"),
                       ({"messages": [{"role": "user", "content": "x" * 5_001}]},
                        "messages[0].content")):
        with pytest.raises(BadRequestError) as caught:
            llm.chat.completions.create(**{"model": talking_run, "messages": hello, **bad})
        error = caught.value.body
        assert error["param"] == param and param in error["message"], error
        assert error["zh"] and "Traceback" not in str(error)
    # a whole number is a number: OpenAI's clients send temperature 2, not 2.0
    said = llm.chat.completions.create(model=talking_run, messages=hello, temperature=2,
                                       top_p=1, max_tokens=2)
    assert said.choices[0].finish_reason == "stop"
    with pytest.raises(NotFoundError, match="GET /v1/models"):
        llm.chat.completions.create(model="no-such-run", messages=hello)
    missing = httpx.post(f"{url}v1/chat/completions", json={"model": talking_run})
    assert missing.status_code == 400 and missing.json()["error"]["param"] == "messages"


def test_the_code_the_app_shows_calls_the_chat_agent(live_app, talking_run: str,
                                                     tmp_path: Path) -> None:
    import torch

    url, service = live_app
    run = service.run(talking_run)
    note, python_code, curl_code = client(url).predict(talking_run, api_name="/code")
    assert "OpenAI" in note and f"{url}v1" in python_code and repr(talking_run) in python_code
    example = tasks.part("chat", "prepare").example_text(run)
    assert example and repr(example) in python_code  # a held-out question
    script = tmp_path / "call.py"
    script.write_text(python_code)
    torch.manual_seed(0)  # the server samples in this process: the words are known
    called = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            timeout=120)
    assert called.returncode == 0, called.stderr
    torch.manual_seed(0)
    answer = "".join(agent_for(run.path).stream(example, **vars(Sampling())))
    assert answer.strip() and called.stdout == f"{answer}\n"  # printed as it came
    curled = subprocess.run(["bash", "-c", curl_code], capture_output=True, text=True,
                            timeout=120)
    assert curled.returncode == 0 and '"chat.completion"' in curled.stdout, curled.stderr


def test_playground_chat_streams_keeps_the_conversation_and_resets(
        live_app, talking_run: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture) -> None:
    import torch

    _, service = live_app
    run = service.run(talking_run)
    first, then, system = "what is your name", "hello there", "You are Ada."
    model = agent_for(run.path)
    # This tiny model's greedy answers are mostly blank lines, whatever it is asked, so
    # it samples here, from the same seed each time: an answer then shows what the
    # model was given (the same conversation, the same words).
    settings = {"temperature": 1.0, "top_p": 1.0, "max_new_tokens": 16}

    def seeded(pieces: Iterator[str]) -> list[str]:
        torch.manual_seed(0)
        return list(pieces)

    def written(*messages: str, system: str = "") -> str:
        turns = [{"role": ("user", "assistant")[i % 2], "content": m}
                 for i, m in enumerate(messages)]
        return "".join(seeded(model.stream(turns, system=system, **settings)))

    talk = Conversation(run, Sampling(**settings))
    pieces = seeded(talk.answer(first))
    assert len(pieces) >= 3, pieces  # handed over as the model wrote it
    said, again = "".join(pieces), "".join(seeded(talk.answer(then)))
    assert talk.messages == [{"role": "user", "content": first},
                             {"role": "assistant", "content": said},
                             {"role": "user", "content": then},
                             {"role": "assistant", "content": again}]
    remembered, alone = written(first, said, then), written(then)
    assert remembered != alone  # so the answers below tell whether the chat remembered
    assert (said, again) == (written(first), remembered)
    talk.reset()
    assert "".join(seeded(talk.answer(then))) == alone and len(talk.messages) == 2

    # the command's options reach the model
    instructed = written(first, system=system)
    assert instructed != written(first)
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{first}\n"))
    capsys.readouterr()
    torch.manual_seed(0)
    assert cli_main(["chat", str(run.path), "--system", system, "--temperature", "1",
                     "--top-p", "1", "--max-new-tokens", "16"]) == 0
    assert capsys.readouterr().out == f"{instructed}\n"

    # the command as a user runs it: answers on stdout, the rest on stderr
    typed = f"{first}\n/reset\n{first}\n\nnot read after the empty line\n"
    heard = subprocess.run([sys.executable, "-m", "playground", "chat", str(run.path),
                            "--temperature", "0", "--max-new-tokens", "4"],
                           input=typed, capture_output=True, text=True, timeout=300)
    assert heard.returncode == 0, heard.stderr
    greedy = "".join(model.stream(first, temperature=0.0, max_new_tokens=4))
    assert heard.stdout == f"{greedy}\n" * 2, heard.stdout
    assert "(a new conversation)" in heard.stderr and "Traceback" not in heard.stderr


def test_the_conversation_so_far_is_what_was_typed() -> None:
    history = [{"role": "user", "content": "a &lt;b&gt;"},
               {"role": "assistant", "content": "hi &amp; bye\n\n<sub>answered by the model</sub>"},
               # the page sends messages back as lists of parts
               {"role": "user", "content": [{"type": "text", "text": "again &amp; again"}]}]
    assert conversation_of(history) == [{"role": "user", "content": "a <b>"},
                                        {"role": "assistant", "content": "hi & bye"},
                                        {"role": "user", "content": "again & again"}]
    assert last_question(history) == (history[:2], "again & again")
    assert last_question([]) == ([], "")


def test_words_in_the_chat_show_as_typed_and_come_back_as_typed() -> None:
    """The chatbot renders Markdown: what a user types (or a model or a bundle's reply
    writes) is never bold, a link or an image there, and the conversation a model reads
    next is what was typed."""
    typed = "**bold** [link](http://evil.example) ![x](http://evil.example/p.png) <b>b</b> " \
            "a_b_c `code` ~~no~~ # 5. \\ done."
    shown = MarkdownIt("commonmark").enable("strikethrough").render(inline_text(typed))
    for tag in ("<strong", "<a ", "<img", "<b>", "<code", "<s>", "<em", "<h1"):
        assert tag not in shown, tag
    assert "**bold** [link](http://evil.example)" in shown and "done." in shown
    assert conversation_of([{"role": "user", "content": inline_text(typed)}])[0]["content"] == typed


def test_a_conversation_sent_back_is_bounded_before_it_is_read_or_shown() -> None:
    history = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"turn {i}"}
               for i in range(2 * MAX_SHOWN_MESSAGES)]
    history[-1] = {"role": "assistant", "content": [{"type": "text", "text": "y" * 10**6}]}
    shown = kept(history)
    assert len(shown) == MAX_SHOWN_MESSAGES and shown[0]["content"] == f"turn {MAX_SHOWN_MESSAGES}"
    assert shown[-1]["content"] == "y" * MAX_SHOWN_CHARS + "…"
    assert kept(None) == [] and kept(history[:3]) == history[:3]
