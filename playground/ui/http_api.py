"""A small HTTP API next to the app: list agents, and ask one a question.

    GET  /agent-api/v1/agents                 the agents that can answer
    POST /agent-api/v1/agents/{run_id}/ask    {"text": "..."} -> label, confidence, reply

When the app listens beyond this machine (or makes a share link) every call needs the
API key, in an ``X-API-Key`` header (or ``Authorization: Bearer``); a user of the app's
login may also send it as HTTP basic auth. On 127.0.0.1 with neither set, calls are open,
as the app itself is. The OpenAI-compatible /v1 routes (openai_api.py) ask the same
``refusal``.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from playground import json_text
from playground.data.limits import MAX_TEXT_CHARS
from playground.errors import DataError, PlaygroundError, RunError
from playground.service.agents import ask, finished_runs, has_agent
from playground.service.jobs import TrainingService
from playground.ui.logins import Logins

API_PREFIX = "/agent-api/v1"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
KEY_ENV = "PLAYGROUND_API_KEY"


# A question's JSON: MAX_TEXT_CHARS characters, each up to 6 bytes when escaped (\uXXXX),
# and room for the braces. Longer bodies are not read further (a 200 MB body was).
MAX_ASK_BYTES = 6 * MAX_TEXT_CHARS + 1_000


async def capped_body(request: Request, limit: int) -> bytes:
    """The request's body, read no further than one byte past ``limit``."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return body[:limit + 1]
    return body


def _question(body: bytes) -> str:
    """The question in an ask call's JSON ``body``, or an HTTPException with the sentence."""
    if len(body) > MAX_ASK_BYTES:
        raise _http(413, DataError(f"The request is longer than {MAX_ASK_BYTES:,} bytes; a "
                                   f"question is at most {MAX_TEXT_CHARS:,} characters.",
                                   "Shorten the question to the part that matters.",
                                   zh=f"请求超过 {MAX_ASK_BYTES:,} 字节；一个问题最多 "
                                      f"{MAX_TEXT_CHARS:,} 个字符。请只保留问题的关键部分。"))
    try:
        data = json_text.loads(body)
    except (ValueError, UnicodeDecodeError):
        data = None
    text = data.get("text") if isinstance(data, dict) else None
    if not isinstance(text, str):
        raise _http(400, DataError('The body has no "text" holding the question.',
                                   'Send JSON such as {"text": "your question"}.',
                                   zh='请求体里没有存放问题的 "text"。请发送 JSON，'
                                      '例如 {"text": "你的问题"}。'))
    if not text.strip():
        raise _http(400, DataError("The text is empty.", 'Send {"text": "your question"}.',
                                   zh='问题是空的。请发送 {"text": "你的问题"}。'))
    return text


def needs_key(host: str, share: bool) -> bool:
    """Whether people on other machines can reach the app, so the API must be locked."""
    return share or host not in LOCAL_HOSTS


def _authorized(headers: Any, api_key: str | None, logins: Logins | None,
                client: str = "") -> bool | None:
    """Whether the call may go on; None while a login it names, or its ``client``
    address, must wait after wrong passwords (see logins.py)."""
    if api_key is None and not logins:
        return True
    given = headers.get("x-api-key") or ""
    authorization = headers.get("authorization") or ""
    if authorization.lower().startswith("bearer "):
        given = authorization[7:].strip()
    if api_key and given and secrets.compare_digest(given.encode(), api_key.encode()):
        return True
    if authorization.lower().startswith("basic ") and logins:
        try:
            user, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return logins.check_now(user, password, client)
    return False


def refusal(request: Request, api_key: str | None,
            logins: Logins | None) -> tuple[int, PlaygroundError] | None:
    """None when the call may go on; else its HTTP status (401 without the right key, 429
    while a login or client must wait after wrong passwords) and the sentence why. Every
    API of the app (this one, the OpenAI-compatible /v1) asks this."""
    client = request.client.host if request.client else ""
    allowed = _authorized(request.headers, api_key, logins, client)
    if allowed is None:
        return 429, PlaygroundError(
            "Too many wrong passwords for this login, or from this client.",
            "Wait a little, then try again.",
            zh="这个登录名（或这台设备）输错密码的次数太多。请稍等片刻再试。")
    if not allowed:
        return 401, PlaygroundError(
            "This API needs a key.",
            f"Send it in the X-API-Key header (or as Authorization: Bearer KEY, the api_key "
            f"of an OpenAI client); the host sets it with --api-key or {KEY_ENV}.",
            zh=f"这个 API 需要密钥。请放在 X-API-Key 请求头中发送（或作为 Authorization: Bearer "
               f"KEY，即 OpenAI 客户端的 api_key）；密钥由主持人用 --api-key 或 {KEY_ENV} 设置。")
    return None


def add_api_routes(app: Any, service: TrainingService, api_key: str | None,
                   logins: Logins | None = None, web_calls: bool = True) -> None:
    """Add the routes to the app's FastAPI server."""
    router = APIRouter(prefix=API_PREFIX)

    def check(request: Request) -> None:
        refused = refusal(request, api_key, logins)
        if refused:
            raise _http(*refused)

    @router.get("/agents")
    def agents(request: Request) -> dict[str, Any]:
        check(request)
        return {"agents": finished_runs(service)}

    @router.post("/agents/{run_id}/ask")
    async def ask_agent(run_id: str, request: Request) -> dict[str, Any]:
        check(request)
        text = _question(await capped_body(request, MAX_ASK_BYTES))
        if not has_agent(service, run_id):
            raise _http(404, RunError(f"There is no finished agent called '{run_id}'.",
                                      f"List them with GET {API_PREFIX}/agents.",
                                      zh=f"没有名为“{run_id}”的已完成智能体。"
                                         f"可用 GET {API_PREFIX}/agents 列出所有智能体。"))
        try:
            reply = await run_in_threadpool(ask, service.run(run_id), text, web_calls)
        except DataError as exc:  # the question
            raise _http(400, exc) from exc
        except PlaygroundError as exc:  # the agent's files or rules: the server's side
            raise _http(500, exc) from exc
        return {"label": reply.label, "confidence": reply.confidence, "reply": reply.text,
                "source": reply.source, "detail": reply.detail,
                "probabilities": reply.probabilities, "entities": reply.entities}

    app.include_router(router)


def _http(status: int, exc: PlaygroundError) -> HTTPException:
    return HTTPException(status, {"error": exc.message, "hint": exc.hint, "zh": exc.zh})


def snippets(base_url: str, run_id: str, example: str, locked: bool) -> tuple[str, str]:
    """Ready-to-run Python (requests) and curl calls of ``run_id``'s ask route."""
    import json
    import shlex

    url = f"{base_url.rstrip('/')}{API_PREFIX}/agents/{run_id}/ask"
    body = json.dumps({"text": example}, ensure_ascii=False)
    key_line = (f'headers = {{"X-API-Key": os.environ["{KEY_ENV}"]}}  # the key the host set\n'
                if locked else "headers = {}\n")
    imports = "import os\n\nimport requests\n" if locked else "import requests\n"
    python = (f"{imports}\nURL = {url!r}\n{key_line}"
              f"response = requests.post(URL, json={{'text': {example!r}}}, headers=headers,\n"
              f"                         timeout=30)\n"
              f"answer = response.json()\n"
              f"if response.status_code != 200:  # the reason, and what to do\n"
              f"    raise SystemExit(answer['detail'])\n"
              f"print(answer['label'], answer['confidence'])\nprint(answer['reply'])\n")
    key_header = f' -H "X-API-Key: ${KEY_ENV}"' if locked else ""
    curl = (f"curl -s -X POST {shlex.quote(url)} -H 'Content-Type: application/json'"
            f"{key_header} \\\n  -d {shlex.quote(body)}\n")
    return python, curl
