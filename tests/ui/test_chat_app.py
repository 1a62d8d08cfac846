"""A chat agent in the running app: its answer streams into the chat piece by piece,
the conversation so far goes with each message, and the line under the answer says the
model wrote it (in the page's language). The official ``openai`` client talks to it
through the app's OpenAI-compatible /v1 API, and so does the code the app shows."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
from conftest import INTENTS, tiny_settings

from playground import tasks
from playground.cli import main as cli_main
from playground.cli_chat import Conversation
from playground.config import RunConfig
from playground.service.agents import Sampling, agent_for, stream_reply
from playground.service.prepare import create_run, prepare
from playground.training.job import run_job
from playground.ui.tab_test import conversation_of

from .test_app_api import client


def _chat_run(runs: Path, folder: Path, model: Path) -> str:
    rows = [(f"{phrase} {i}", f"my name is ada and {label.replace('_', ' ')}")
            for label, phrases in INTENTS.items() for phrase in phrases for i in range(3)]
    data = folder / "qa.csv"
    pd.DataFrame(rows, columns=["question", "answer"]).to_csv(data, index=False)
    prep = prepare(data, RunConfig(task="chat", **tiny_settings(model, epochs=2)))
    prep.raise_for_errors()
    run = create_run(runs, prep)
    run_job(run, time.time())
    run.update_status(state="succeeded")
    if run.finetuned_dir.exists():
        # Retrieval answers this tiny sheet word for word, so it won on validation and the
        # fine-tuned model was kept beside it: serve the fine-tuned model, as a run whose
        # model scored higher does, since what is tested here is a model writing.
        run.model_dir.rename(run.path / "retrieval")
        run.finetuned_dir.rename(run.model_dir)
    return run.run_id


@pytest.fixture(scope="module")
def chat_run(live_app, tmp_path_factory: pytest.TempPathFactory,
             tiny_chat_model_dir: Path) -> str:
    """The run id of a fine-tuned chat agent in the live app (trained once per module)."""
    _, service = live_app
    return _chat_run(service.runs_dir, tmp_path_factory.mktemp("chat-data"),
                     tiny_chat_model_dir)


def test_a_chat_agent_streams_its_answer(live_app, chat_run: str) -> None:
    url, service = live_app
    run_id = chat_run
    for lang, said in (("en-US", "written as you watched"), ("zh-CN", "边写边显示")):
        job = client(url, lang).submit(run_id, "what is your name", [], api_name="/chat")
        history = job.result()[0]
        frames = [out[0] for out in job.outputs()]
        # the answer showed before its last line ("who answered") was added under it
        growing = [str(f[-1]["content"]) for f in frames if len(f) == 2]
        assert len(growing) >= 2 and "<sub>" not in growing[0], growing
        assert "what is your name" in str(history[0]["content"])
        assert said in str(history[-1]["content"])
    # the fine-tuned model hands its answer over piece by piece as it writes it (it is
    # the agent, or kept beside retrieval when retrieval scored higher on validation)
    run = service.run(run_id)
    folder = run.finetuned_dir if run.finetuned_dir.exists() else run.model_dir
    model = tasks.part("chat", "agent").load(folder)
    assert model.kind == "transformer"
    pieces = list(model.stream("what is your name", temperature=0.0, max_new_tokens=24))
    assert len(pieces) >= 3 and "".join(pieces).strip() == model.generate(
        "what is your name", max_new_tokens=24), pieces
    if folder == run.model_dir:
        assert list(stream_reply(run, [{"role": "user", "content": "what is your name"}]))


def test_the_openai_client_lists_and_hears_the_agent(live_app, chat_run: str) -> None:
    import torch
    from openai import OpenAI

    url, service = live_app
    llm = OpenAI(base_url=f"{url}v1", api_key="none", max_retries=0)
    assert chat_run in [model.id for model in llm.models.list()]
    turns = [{"role": "user", "content": "hello there"},
             {"role": "assistant", "content": "hello how can i help"},
             {"role": "user", "content": "what is your name"}]
    system = "You are Ada."
    # This tiny model's greedy answers are blank lines whatever it is asked: it samples,
    # from the same seed each time (the server runs in this process), so the same
    # conversation gets the same words and another conversation others.
    settings = {"temperature": 1.0, "top_p": 1.0, "max_tokens": 24}
    asked = {"model": chat_run, **settings,
             "messages": [{"role": "system", "content": system}, *turns]}
    torch.manual_seed(0)
    chunks = list(llm.chat.completions.create(**asked, stream=True))
    assert chunks[0].choices[0].delta.role == "assistant"
    pieces = [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]
    assert len(pieces) >= 3, pieces  # the answer came as the model wrote it
    assert chunks[-1].choices[0].finish_reason == "stop"
    torch.manual_seed(0)
    whole = llm.chat.completions.create(**asked)  # the same answer in one piece
    assert whole.object == "chat.completion" and whole.model == chat_run
    assert whole.choices[0].message.content == "".join(pieces)
    assert whole.choices[0].finish_reason == "stop"

    def written(system: str) -> str:  # the model's own answer to the conversation
        torch.manual_seed(0)
        return "".join(agent_for(service.run(chat_run).path).stream(
            turns, system=system, temperature=1.0, top_p=1.0, max_new_tokens=24))

    assert "".join(pieces) == written(system) != written("")  # the system message counted


def test_the_openai_api_names_the_field_at_fault(live_app, chat_run: str) -> None:
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
            llm.chat.completions.create(**{"model": chat_run, "messages": hello, **bad})
        error = caught.value.body
        assert error["param"] == param and param in error["message"], error
        assert error["zh"] and "Traceback" not in str(error)
    with pytest.raises(NotFoundError, match="GET /v1/models"):
        llm.chat.completions.create(model="no-such-run", messages=hello)
    missing = httpx.post(f"{url}v1/chat/completions", json={"model": chat_run})
    assert missing.status_code == 400 and missing.json()["error"]["param"] == "messages"


def test_the_code_the_app_shows_calls_the_chat_agent(live_app, chat_run: str,
                                                     tmp_path: Path) -> None:
    import torch

    url, service = live_app
    run = service.run(chat_run)
    note, python_code, curl_code = client(url).predict(chat_run, api_name="/code")
    assert "OpenAI" in note and f"{url}v1" in python_code and repr(chat_run) in python_code
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
        live_app, chat_run: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture) -> None:
    import torch

    _, service = live_app
    run = service.run(chat_run)
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
               {"role": "assistant", "content": "hi &amp; bye\n\n<sub>answered by the model</sub>"}]
    assert conversation_of(history) == [{"role": "user", "content": "a <b>"},
                                        {"role": "assistant", "content": "hi & bye"}]
