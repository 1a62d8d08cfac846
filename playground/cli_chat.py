"""``playground chat RUN_DIR``: talk to an agent in the terminal.

A chat agent writes its answers piece by piece, which are printed as they come, and
remembers the conversation (its oldest turns are forgotten past the limits of
``data.limits``); ``/reset`` starts over. Other agents (a classifier with reply rules, an
entity agent) answer each message on its own, as the app's chat does. An empty line or
Ctrl-D ends the chat; Ctrl-C stops an answer, and at the prompt ends the chat.

Answers go to stdout and everything else (the greeting, the prompt) to stderr, so a
conversation piped in gives only the answers.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from playground import tasks
from playground.data.limits import check_question, recent
from playground.errors import DataError
from playground.runfolder import RunFolder
from playground.service.agents import Sampling, agent_for, ask, stream_reply

RESET = "/reset"


class Conversation:
    """A chat with one agent: what was said so far (a chat agent's memory)."""

    def __init__(self, run: RunFolder, sampling: Sampling) -> None:
        self.run, self.sampling = run, sampling.checked()
        self.streams = tasks.spec(agent_for(run.path).task).streams
        self.messages: list[dict[str, str]] = []

    def reset(self) -> None:
        self.messages = []

    def answer(self, text: str) -> Iterator[str]:
        """The agent's answer to ``text``, piece by piece; a chat agent's goes into the
        conversation (as far as it got, when it is stopped)."""
        check_question(text)
        if not self.streams:
            yield ask(self.run, text).text
            return
        self.messages = recent(self.messages + [{"role": "user", "content": text}])
        said, done = "", False
        try:
            for piece in stream_reply(self.run, self.messages, self.sampling):
                said += piece
                yield piece
            done = True
        finally:
            if done or said:
                self.messages.append({"role": "assistant", "content": said})
            else:  # it failed before a word: the question is taken back
                self.messages.pop()


def chat(run_dir: Path, sampling: Sampling, lines: TextIO | None = None,
         out: TextIO | None = None, note: TextIO | None = None) -> int:
    """Chat with the agent of ``run_dir`` over ``lines`` (stdin) until an empty line or
    their end; 0. A setting out of range or a run without an agent raises a sentence."""
    lines, out, note = lines or sys.stdin, out or sys.stdout, note or sys.stderr
    sampling.checked()
    run = RunFolder(run_dir.expanduser().resolve())
    print(f"Loading the agent of {run.run_id}...", file=note, flush=True)
    talk = Conversation(run, sampling)
    print(f"Chatting with {run.run_id}. An empty line or Ctrl-D ends the chat; {RESET} "
          "starts over.", file=note)
    if not talk.streams:
        print("This agent answers each message on its own: it keeps no conversation, and "
              "--system and the sampling settings do not change its answers.", file=note)
    while True:
        if lines.isatty():
            print("> ", end="", file=note, flush=True)
        try:
            text = lines.readline().rstrip("\r\n")
        except KeyboardInterrupt:
            text = ""
        if not text.strip():
            return 0
        if text.strip() == RESET:
            talk.reset()
            print("(a new conversation)", file=note, flush=True)
            continue
        _say(talk.answer(text), out, note)


def _say(pieces: Iterator[str], out: TextIO, note: TextIO) -> None:
    """Print the answer's pieces as they come, then end its line."""
    try:
        for piece in pieces:
            out.write(piece)
            out.flush()
    except KeyboardInterrupt:  # the answer stops; the chat goes on
        print("\n(stopped)", end="", file=note, flush=True)
    except DataError as exc:  # this message only (too long): the chat goes on
        print(f"error: {exc}", file=note, flush=True)
        return
    print(file=out, flush=True)
