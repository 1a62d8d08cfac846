"""The /v1 API writes at most ``MAX_WRITING`` answers at once: a caller past the bound
gets OpenAI's 429 with a sentence, and the bound is given back when an answer ends,
whether it ran to its end or its client left in the middle of the stream."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from conftest import copy_run

from playground.service.agents import Sampling, agent_for
from playground.service.replies import AgentRules, LabelRule, save_rules
from playground.ui import openai_api


class _HeldDesk(BaseHTTPRequestHandler):
    """A web service that answers a rule's call only once the test lets it."""

    arrived = threading.Semaphore(0)
    go = threading.Event()

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers["Content-Length"]))
        _HeldDesk.arrived.release()
        _HeldDesk.go.wait(30)
        body = b'{"reply": "your parcel left today"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def desk():
    _HeldDesk.go.clear()  # held again, nobody arrived yet
    _HeldDesk.arrived = threading.Semaphore(0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HeldDesk)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/parcel"
    _HeldDesk.go.set()
    server.shutdown()


def _free() -> int:
    """How many more answers the bound lets the API write now."""
    taken = 0
    while openai_api._writing.acquire(blocking=False):
        taken += 1
    for _ in range(taken):
        openai_api._writing.release()
    return taken


def _ask(url: str, run_id: str, text: str) -> httpx.Response:
    return httpx.post(f"{url}v1/chat/completions", timeout=60, json={
        "model": run_id, "messages": [{"role": "user", "content": text}]})


def test_past_the_bound_a_caller_is_told_to_wait_and_the_bound_comes_back(
        live_app, tiny_chat_run: Path, desk: str) -> None:
    url, service = live_app
    run = copy_run(tiny_chat_run, service.runs_dir)
    save_rules(run, AgentRules(allow_http=True, http_timeout_s=30, rules=[
        LabelRule("parcel", keywords=["parcel"], action="http", tool=desk)]), [])
    answers: list[httpx.Response] = []
    callers = [threading.Thread(target=lambda: answers.append(
        _ask(url, run.run_id, "where is my parcel"))) for _ in range(openai_api.MAX_WRITING)]
    for caller in callers:
        caller.start()
    for _ in callers:  # every answer is being written: each waits on the web service
        assert _HeldDesk.arrived.acquire(timeout=60)
    refused = _ask(url, run.run_id, "hello there")
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert f"already writing {openai_api.MAX_WRITING} answers" in error["message"]
    assert "Wait for one to end" in error["message"]
    _HeldDesk.go.set()
    for caller in callers:
        caller.join(timeout=60)
    assert [a.status_code for a in answers] == [200] * openai_api.MAX_WRITING
    assert {a.json()["choices"][0]["message"]["content"] for a in answers} == {
        "your parcel left today"}
    assert _free() == openai_api.MAX_WRITING  # the bound is whole again
    assert _ask(url, run.run_id, "where is my parcel").status_code == 200


def test_a_client_that_leaves_mid_stream_gives_the_bound_back(tiny_chat_run: Path) -> None:
    from playground.runfolder import RunFolder
    from playground.service.agents import stream_reply

    run = RunFolder(tiny_chat_run)
    agent_for(run.path)  # loaded before the bound is taken
    long = Sampling(temperature=1.0, max_new_tokens=1024)
    pieces = stream_reply(run, [{"role": "user", "content": "hello there"}], long)
    assert openai_api._writing.acquire(blocking=False)  # as the route takes it
    events = openai_api._Reply(run.run_id).events(next(pieces, ""), pieces)
    assert next(events).startswith(b"data: ")
    assert _free() == openai_api.MAX_WRITING - 1
    # The server closes the events when their client leaves: the model stops writing
    # (closing returns once the stream's thread has ended) and the bound is given back.
    events.close()
    assert _free() == openai_api.MAX_WRITING
