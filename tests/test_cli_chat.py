"""``playground chat RUN_DIR`` as a user runs it: a separate process reading the
conversation from stdin. A chat agent's streaming and memory are tested on a fine-tuned
chat run in tests/ui/test_chat_app.py, which trains one already."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from playground.cli import main
from playground.cli_chat import chat
from playground.service.agents import Sampling

LEGACY = Path(__file__).resolve().parent / "fixtures" / "legacy"
INTENTS = json.loads((LEGACY / "expected.json").read_text(encoding="utf-8"))["fixtures"][
    "text-classic"]


def playground_chat(*args: str, stdin: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "playground", "chat", *args], input=stdin,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def intent_run(tmp_path: Path) -> Path:
    """A copy of a finished intent agent (classic, with reply rules)."""
    return Path(shutil.copytree(LEGACY / "runs" / INTENTS["run_id"],
                                tmp_path / "runs" / INTENTS["run_id"]))


def test_an_intent_agent_answers_each_line(intent_run: Path) -> None:
    answers = INTENTS["answers"][:3]
    said = playground_chat(str(intent_run), stdin="".join(f"{a['text']}\n" for a in answers)
                           + "\nnot read after the empty line\n")
    assert said.returncode == 0, said.stderr
    assert said.stdout.splitlines() == [a["reply"] for a in answers]  # answers only
    assert "answers each message on its own" in said.stderr and "Traceback" not in said.stderr


def test_a_long_message_is_refused_and_the_chat_goes_on(intent_run: Path) -> None:
    first = INTENTS["answers"][0]
    out, note = io.StringIO(), io.StringIO()
    lines = io.StringIO(f"{'x' * 5_001}\n{first['text']}\n")  # ends without an empty line
    assert chat(intent_run, Sampling(), lines, out, note) == 0
    assert out.getvalue().splitlines() == [first["reply"]]
    assert "an agent reads at most 5,000" in note.getvalue()


def test_bad_settings_and_runs_without_an_agent_get_a_sentence(
        intent_run: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    said = playground_chat(str(intent_run), "--top-p", "3", stdin="hello\n")  # as typed
    assert said.returncode == 2 and "top_p is 3.0" in said.stderr, said.stderr
    assert "Traceback" not in said.stderr and not said.stdout
    # the other sentences in this process (a process each would load torch again)
    monkeypatch.setattr("sys.stdin", io.StringIO("hello\n"))
    for args, words in (([str(intent_run), "--max-new-tokens", "0"], "max_new_tokens is 0"),
                        ([str(intent_run.parent / "nope")], "There is no run folder nope")):
        assert main(["chat", *args]) == 2
        out, err = capsys.readouterr()
        assert words in err and not out, err
    shutil.rmtree(intent_run / "model")  # a run that has not finished
    assert main(["chat", str(intent_run)]) == 2
    out, err = capsys.readouterr()
    assert "has no trained agent" in err and not out, err
