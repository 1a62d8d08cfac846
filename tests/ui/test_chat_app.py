"""A chat agent in the running app: its answer streams into the chat piece by piece,
the conversation so far goes with each message, and the line under the answer says the
model wrote it (in the page's language)."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
from conftest import INTENTS, tiny_settings

from playground import tasks
from playground.config import RunConfig
from playground.service.agents import stream_reply
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
    return run.run_id


def test_a_chat_agent_streams_its_answer(live_app, tmp_path: Path,
                                         tiny_chat_model_dir: Path) -> None:
    url, service = live_app
    run_id = _chat_run(service.runs_dir, tmp_path, tiny_chat_model_dir)
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


def test_the_conversation_so_far_is_what_was_typed() -> None:
    history = [{"role": "user", "content": "a &lt;b&gt;"},
               {"role": "assistant", "content": "hi &amp; bye\n\n<sub>answered by the model</sub>"}]
    assert conversation_of(history) == [{"role": "user", "content": "a <b>"},
                                        {"role": "assistant", "content": "hi & bye"}]
