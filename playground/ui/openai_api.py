"""An OpenAI-compatible API next to the app, so the official ``openai`` client and the
tools that speak its protocol can talk to the agents:

    GET  /v1/models              the agents that can answer (id: the run id)
    POST /v1/chat/completions    model, messages, temperature, top_p, max_tokens, stream

A chat agent answers the whole conversation, its system messages as its instructions,
and with ``"stream": true`` piece by piece as server-sent events ending with ``[DONE]``.
Other agents (a classifier with reply rules, an entity agent) answer the last user
message as the app's chat does, in one piece. The API key rule is the one of
``http_api`` (``Authorization: Bearer KEY`` is how an OpenAI client sends its api_key).
Errors come in OpenAI's shape, ``{"error": {"message", "type", "param", "code"}}``, with
``zh``, the same sentence in Chinese.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from playground import tasks
from playground.errors import DataError, PlaygroundError, RunError
from playground.runfolder import LABELS
from playground.service.agents import (
    agent_for,
    ask,
    failed_answer,
    finished_runs,
    has_agent,
    stream_reply,
)
from playground.service.jobs import TrainingService
from playground.ui.http_api import KEY_ENV, capped_body, refusal
from playground.ui.logins import Logins
from playground.ui.openai_request import MAX_BODY_BYTES, BadField, ChatRequest, read_body

OPENAI_PREFIX = "/v1"
OWNER = "agent-playground"
# Answers written at once through /v1: each holds a CPU core and a thread of the server's
# pool, which the page's own events share; a caller over the bound gets a 429 to retry.
MAX_WRITING = 4
_writing = threading.BoundedSemaphore(MAX_WRITING)
BUSY = RunError(f"The app is already writing {MAX_WRITING} answers for the API.",
                "Wait for one to end, then try again.",
                zh=f"应用正在为 API 同时写 {MAX_WRITING} 个回答。请等其中一个结束后再试。")


def add_openai_routes(app: Any, service: TrainingService, api_key: str | None,
                      logins: Logins | None = None, web_calls: bool = True) -> None:
    """Add ``/v1/models`` and ``/v1/chat/completions`` to the app's FastAPI server."""
    router = APIRouter(prefix=OPENAI_PREFIX)

    @router.get("/models")
    def models(request: Request) -> Any:
        refused = refusal(request, api_key, logins)
        if refused:
            return _refused(*refused)
        return {"object": "list", "data": [_model(service, run_id)
                                           for run_id in finished_runs(service)]}

    @router.post("/chat/completions")
    async def completions(request: Request) -> Any:
        refused = refusal(request, api_key, logins)
        if refused:
            return _refused(*refused)
        try:
            asked = read_body(await capped_body(request, MAX_BODY_BYTES))
        except BadField as exc:
            return _error(400, exc, "invalid_request_error", "invalid_value", exc.param)
        if not has_agent(service, asked.model):
            return _error(404, RunError(
                f"There is no finished agent called '{asked.model}'.",
                f"List them with GET {OPENAI_PREFIX}/models (client.models.list()).",
                zh=f"没有名为“{asked.model}”的已完成智能体。可用 GET {OPENAI_PREFIX}/models"
                   "（client.models.list()）列出所有智能体。"),
                "invalid_request_error", "model_not_found", "model")
        if not _writing.acquire(blocking=False):
            return _refused(429, BUSY)
        streaming = False
        try:
            try:  # the agent loads and writes its first piece, or says why it cannot
                pieces, first = await run_in_threadpool(_start, service, asked, web_calls)
            except DataError as exc:  # the conversation or a setting
                return _error(400, exc, "invalid_request_error", "invalid_value")
            except PlaygroundError as exc:  # the agent's files or rules: the server's side
                return _error(500, exc, "server_error", "agent_unavailable")
            except Exception as exc:  # a library's failure: said without its traceback
                return _error(500, failed_answer(asked.model, exc), "server_error", "agent_failed")
            reply = _Reply(asked.model)
            if asked.stream:
                streaming = True  # the events release the bound when the answer ends
                events = reply.events(first, pieces)
                # started, so that even a client gone before the first byte closes it
                # (a generator never started skips its ``finally``)
                return StreamingResponse(itertools.chain([next(events)], events),
                                         media_type="text/event-stream",
                                         headers={"Cache-Control": "no-cache",
                                                  "X-Accel-Buffering": "no"})
            try:
                text = first + await run_in_threadpool("".join, pieces)
            except Exception as exc:
                return _error(500, _sentence(asked.model, exc), "server_error", "agent_failed")
            return reply.completion(text)
        finally:
            if not streaming:
                _writing.release()

    app.include_router(router)


def _start(service: TrainingService, asked: ChatRequest,
           web_calls: bool) -> tuple[Iterator[str], str]:
    """(the rest of the answer, its first piece). A chat agent writes the conversation's
    answer as ``asked.sampling`` says; another answers the last message in one piece."""
    run = service.run(asked.model)
    if not tasks.spec(agent_for(run.path).task).streams:
        return iter(()), ask(run, asked.messages[-1]["content"], web_calls).text
    pieces = stream_reply(run, asked.messages, asked.sampling, web_calls)
    return pieces, next(pieces, "")


class _Reply:
    """The chat.completion (or its chunks) of one answer, OpenAI's shapes."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())

    def completion(self, text: str) -> dict[str, Any]:
        return {"id": self.id, "object": "chat.completion", "created": self.created,
                "model": self.model, "choices": [{
                    "index": 0, "message": {"role": "assistant", "content": text},
                    "logprobs": None, "finish_reason": "stop"}]}

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        chunk = {"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                 "model": self.model, "choices": [{"index": 0, "delta": delta,
                                                   "logprobs": None, "finish_reason": finish}]}
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode()

    def events(self, first: str, pieces: Iterator[str]) -> Iterator[bytes]:
        """Server-sent events: the role, each piece as it comes, the end, ``[DONE]``."""
        try:
            yield self._chunk({"role": "assistant", "content": ""})
            if first:
                yield self._chunk({"content": first})
            try:
                for piece in pieces:
                    yield self._chunk({"content": piece})
            except Exception as exc:  # the answer had begun: the error is the last event
                error = _error_body(_sentence(self.model, exc), "server_error", "agent_failed")
                yield f"data: {json.dumps(error, ensure_ascii=False)}\n\n".encode()
                return
            yield self._chunk({}, "stop")
            yield b"data: [DONE]\n\n"
        finally:  # the answer ended, or its client left: stop writing, free the bound
            getattr(pieces, "close", lambda: None)()
            _writing.release()


def _model(service: TrainingService, run_id: str) -> dict[str, Any]:
    """A run's agent as an OpenAI model: ``created`` is when the agent was saved."""
    labels = service.run(run_id).model_dir / LABELS
    try:
        created = int(labels.stat().st_mtime)
    except OSError:  # deleted since the list was read
        created = 0
    return {"id": run_id, "object": "model", "created": created, "owned_by": OWNER}


def _sentence(model: str, exc: Exception) -> PlaygroundError:
    """What to tell the caller of an agent that failed while writing its answer."""
    return exc if isinstance(exc, PlaygroundError) else failed_answer(model, exc)


def _error_body(exc: PlaygroundError, kind: str, code: str,
                param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": str(exc), "type": kind, "param": param, "code": code,
                      "zh": exc.zh}}


def _error(status: int, exc: PlaygroundError, kind: str, code: str,
           param: str | None = None) -> JSONResponse:
    return JSONResponse(_error_body(exc, kind, code, param), status_code=status)


def _refused(status: int, exc: PlaygroundError) -> JSONResponse:
    """401 or 429, as OpenAI words them."""
    if status == 401:
        return _error(401, exc, "invalid_request_error", "invalid_api_key")
    return _error(status, exc, "rate_limit_error", "rate_limit_exceeded")


def openai_snippets(base_url: str, run_id: str, example: str, locked: bool) -> tuple[str, str]:
    """Ready-to-run calls of a chat agent: the ``openai`` client printing the answer as it
    streams, and curl (the whole answer as one JSON)."""
    import shlex

    url = f"{base_url.rstrip('/')}{OPENAI_PREFIX}"
    key, why = ((f'os.environ["{KEY_ENV}"]', "the key the host set") if locked
                else ('"none"', "this app asks for no key; the client wants some text"))
    python = ("import os\n\n" if locked else "") + (
        f"from openai import OpenAI\n\n"
        f"client = OpenAI(base_url={url!r},\n"
        f"                api_key={key})  # {why}\n"
        f"stream = client.chat.completions.create(\n"
        f"    model={run_id!r},\n"
        f"    messages=[{{'role': 'user', 'content': {example!r}}}],\n"
        f"    stream=True,\n)\n"
        f"for chunk in stream:  # the answer, piece by piece as the agent writes it\n"
        f"    print(chunk.choices[0].delta.content or '', end='', flush=True)\n"
        f"print()\n")
    body = json.dumps({"model": run_id, "messages": [{"role": "user", "content": example}]},
                      ensure_ascii=False)
    key_header = f' -H "Authorization: Bearer ${KEY_ENV}"' if locked else ""
    curl = (f"curl -s {shlex.quote(url + '/chat/completions')} "
            f"-H 'Content-Type: application/json'{key_header} \\\n  -d {shlex.quote(body)}\n")
    return python, curl
