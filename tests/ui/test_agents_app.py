"""The agent journey through the app: a gallery recipe, reply rules, export, delete,
import, the same answers again, and the HTTP API with the code the app shows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file

from .conftest import free_port
from .test_app_api import client, value, wait_until_done

QUESTIONS = ["someone stole my card", "my new card has still not arrived",
             "why was my payment declined", "what is the rate for euros"]


def _chat(c: Client, run_id: str) -> list[str]:
    """The agent's answer to each question (the chatbot gives messages as text parts)."""
    answers = []
    for question in QUESTIONS:
        content = c.predict(run_id, question, [], api_name="/chat")[0][-1]["content"]
        answers.append(" ".join(part["text"] for part in content))
    return answers


def test_recipe_rules_export_delete_import_and_http(live_app, tmp_path: Path) -> None:
    url, service = live_app
    c = client(url)
    c.predict(api_name="/gallery")
    run_id = c.predict(api_name="/train_recipe_bank_faq_instant")
    status, _ = wait_until_done(c)
    assert "Done" in status
    statuses = c.predict(api_name="/gallery")
    assert any(f"Last run “{service.status(run_id)['name']}”" in s for s in statuses)
    picked = c.predict(api_name="/chat_recipe_bank_faq_instant")
    assert value(picked) == run_id

    before = _chat(c, run_id)
    assert before[0].startswith("Freeze your card in the app")
    assert "lookup" in before[0]  # the chat says which rule answered

    table, threshold, clarify, not_found, allow_http, timeout, entity_run, tables, *_help = \
        c.predict(run_id, api_name="/rules")
    assert "bank_faq.csv" in tables
    assert table["static_columns"] == [0]  # one row per label: labels are not edited
    table = value(table)
    rows = table["data"]
    labels = [row[0] for row in rows]
    rows[labels.index("card_arrival")][1:4] = ["Your card is on its way!", "arrived", "reply"]
    c.predict(run_id, {"headers": table["headers"], "data": rows}, value(threshold),
              value(clarify), not_found, allow_http, timeout, value(entity_run),
              api_name="/save_rules")
    edited = _chat(c, run_id)
    assert edited[1].startswith("Your card is on its way!") and "keyword" in edited[1]

    script = Path(value(c.predict(run_id, api_name="/export_script")))
    assert script.name == f"train_{run_id}.py" and run_id in script.read_text()
    compile(script.read_text(), script.name, "exec")

    bundle = value(c.predict(run_id, api_name="/export_bundle"))
    assert bundle.endswith(".agent.zip")
    kept = tmp_path / Path(bundle).name
    kept.write_bytes(Path(bundle).read_bytes())
    c.predict(run_id, api_name="/delete_run")
    assert run_id not in [r["run_id"] for r in service.list_runs()]

    c.predict(handle_file(str(kept)), api_name="/import_bundle")
    agents = service.list_runs()
    imported = agents[0]["run_id"]
    assert imported != run_id and agents[0]["imported_from"]
    assert _chat(c, imported) == edited  # the same answers, rules and tables included

    note, python_code, curl_code = c.predict(imported, api_name="/code")
    assert "POST" in note
    script = tmp_path / "call.py"
    script.write_text(python_code)
    called = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            timeout=60)
    assert called.returncode == 0, called.stderr
    assert called.stdout.split()[0] in labels
    curled = subprocess.run(["bash", "-c", curl_code], capture_output=True, text=True,
                            timeout=60)
    assert curled.returncode == 0 and '"reply"' in curled.stdout, curled.stderr

    # an OpenAI client hears the same answer: a classifier answers in one piece
    from openai import OpenAI

    llm = OpenAI(base_url=f"{url}v1", api_key="none", max_retries=0)
    asked = {"model": imported, "messages": [{"role": "user", "content": QUESTIONS[1]}]}
    said = llm.chat.completions.create(**asked).choices[0].message.content
    assert said.startswith("Your card is on its way!")
    pieces = [c.choices[0].delta.content for c in llm.chat.completions.create(**asked,
                                                                               stream=True)]
    assert [p for p in pieces if p] == [said]


@pytest.fixture(scope="module")
def locked_app(tmp_path_factory: pytest.TempPathFactory):
    from playground.service.jobs import TrainingService
    from playground.ui.app import launch

    service = TrainingService(tmp_path_factory.mktemp("locked-runs"), gpu_count=0)
    port = free_port()
    app = launch(service, port=port, block=False, api_key="open-sesame")
    yield f"http://127.0.0.1:{port}", service
    app.close()
    service.shutdown()


def test_the_api_asks_for_its_key(locked_app) -> None:
    url, _ = locked_app
    refused = httpx.get(f"{url}/agent-api/v1/agents")
    assert refused.status_code == 401 and "X-API-Key" in refused.text
    wrong = httpx.get(f"{url}/agent-api/v1/agents", headers={"X-API-Key": "guess"})
    assert wrong.status_code == 401
    allowed = httpx.get(f"{url}/agent-api/v1/agents", headers={"X-API-Key": "open-sesame"})
    assert allowed.status_code == 200 and allowed.json() == {"agents": []}
    missing = httpx.post(f"{url}/agent-api/v1/agents/nope/ask", json={"text": "hi"},
                         headers={"Authorization": "Bearer open-sesame"})
    assert missing.status_code == 404 and "no finished agent" in missing.text


def test_the_openai_api_asks_for_the_same_key(locked_app) -> None:
    from openai import AuthenticationError, OpenAI

    url, _ = locked_app
    for key in ("guess", "none"):
        llm = OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
        with pytest.raises(AuthenticationError, match="needs a key") as caught:
            llm.models.list()
        assert caught.value.body["code"] == "invalid_api_key" and caught.value.body["zh"]
        with pytest.raises(AuthenticationError):
            llm.chat.completions.create(model="x", messages=[{"role": "user", "content": "hi"}])
    allowed = OpenAI(base_url=f"{url}/v1", api_key="open-sesame", max_retries=0)
    assert list(allowed.models.list()) == []
    refused = httpx.get(f"{url}/v1/models")  # no key at all
    assert refused.status_code == 401 and refused.json()["error"]["type"]



def test_snippets_send_the_key_when_the_api_is_locked() -> None:
    from playground.ui.http_api import snippets

    python_code, curl_code = snippets("http://h:1/", "r1", "it's 5€", locked=True)
    assert 'os.environ["PLAYGROUND_API_KEY"]' in python_code
    assert '"X-API-Key: $PLAYGROUND_API_KEY"' in curl_code
    assert "http://h:1/agent-api/v1/agents/r1/ask" in curl_code
    compile(python_code, "snippet", "exec")
    open_code, open_curl = snippets("http://h:1", "r1", "hi", locked=False)
    assert "X-API-Key" not in open_code + open_curl and "import os" not in open_code


def test_openai_snippets_send_the_key_when_the_api_is_locked() -> None:
    from playground.ui.openai_api import openai_snippets

    python_code, curl_code = openai_snippets("http://h:1/", "r1", "it's 5€", locked=True)
    assert 'api_key=os.environ["PLAYGROUND_API_KEY"]' in python_code
    assert "base_url='http://h:1/v1'" in python_code and "model='r1'" in python_code
    assert '"Authorization: Bearer $PLAYGROUND_API_KEY"' in curl_code
    assert "http://h:1/v1/chat/completions" in curl_code
    compile(python_code, "snippet", "exec")
    open_code, open_curl = openai_snippets("http://h:1", "r1", "hi", locked=False)
    assert "PLAYGROUND_API_KEY" not in open_code + open_curl and "import os" not in open_code
    compile(open_code, "snippet", "exec")
