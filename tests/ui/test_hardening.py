"""What a careless or hostile web user meets: no server path in any sentence, a sentence
(never a bare 500) from an agent whose files are damaged, a wait after wrong passwords,
and no upload left behind once a run holds it."""

from __future__ import annotations

import asyncio
import base64
import re
import shutil
import time
from pathlib import Path

import httpx
import pandas as pd
import pytest
from conftest import intent_rows
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from markdown_it import MarkdownIt  # gradio's own dependency (through rich)

from playground.config import RunConfig
from playground.runfolder import RunFolder
from playground.service.bundles import export_bundle
from playground.service.prepare import create_run, prepare
from playground.training.job import run_job
from playground.ui.logins import Logins, delay_s

from .test_app_api import client, value

API = "agent-api/v1/agents"


@pytest.fixture(scope="module")
def classic_run(live_app, tmp_path_factory: pytest.TempPathFactory) -> RunFolder:
    """A finished run of the classic model in the live app's runs folder."""
    _, service = live_app
    data = tmp_path_factory.mktemp("data") / "intents.csv"
    pd.DataFrame(intent_rows(), columns=["text", "intent"]).to_csv(data, index=False)
    prep = prepare(data, RunConfig(model="classic"))
    prep.raise_for_errors()
    run = create_run(service.runs_dir, prep)
    run_job(run, time.time())
    run.update_status(state="succeeded")
    return run


def _copy(run: RunFolder, run_id: str) -> RunFolder:
    shutil.copytree(run.path, run.path.parent / run_id)
    return RunFolder(run.path.parent / run_id)


def test_no_sentence_shows_the_runs_folder(live_app, classic_run: RunFolder) -> None:
    url, service = live_app
    c = client(url)
    unfinished = _copy(classic_run, "20260101-000000-unfinished")
    shutil.rmtree(unfinished.model_dir)
    said = []
    for run_id, api_name in (("nope", "/open_run"), (unfinished.run_id, "/chat"),
                             ("../../etc", "/export_script")):
        args = (run_id, "hello", []) if api_name == "/chat" else (run_id,)
        with pytest.raises(AppError) as caught:
            c.predict(*args, api_name=api_name)
        said.append(str(caught.value))
    assert "no run called 'nope'" in said[0] and "no trained agent" in said[1], said
    assert not [s for s in said if str(service.runs_dir) in s or "/tmp" in s], said


def test_a_damaged_agent_answers_the_api_with_a_sentence(live_app, classic_run) -> None:
    url, _ = live_app
    broken_rules = _copy(classic_run, "20260101-000000-rules")
    broken_rules.agent_path.write_text("{not json")
    no_weights = _copy(classic_run, "20260101-000000-weights")
    for weights in no_weights.model_dir.glob("*.safetensors"):
        weights.unlink()
    for run, words in ((broken_rules, "reply rules (agent.json)"), (no_weights, "model files")):
        answer = httpx.post(f"{url}{API}/{run.run_id}/ask", json={"text": "hello"}, timeout=60)
        assert answer.status_code == 500, answer.text
        detail = answer.json()["detail"]
        assert words in detail["error"] and run.run_id in detail["error"], detail
        assert detail["hint"] and detail["zh"]
        asked = {"model": run.run_id, "messages": [{"role": "user", "content": "hello"}]}
        for stream in (False, True):  # the OpenAI-compatible API, in its own shape
            answer = httpx.post(f"{url}v1/chat/completions", json={**asked, "stream": stream},
                                timeout=60)
            assert answer.status_code == 500, answer.text
            error = answer.json()["error"]
            assert words in error["message"] and error["type"] == "server_error", error
            assert error["zh"] and "/tmp" not in answer.text and "Traceback" not in answer.text
    good = httpx.post(f"{url}{API}/{classic_run.run_id}/ask", json={"text": "hello"}, timeout=60)
    assert good.status_code == 200


def test_uploads_and_downloads_leave_nothing_behind(live_app, classic_run, tmp_path) -> None:
    """An imported bundle's upload goes once its run holds it; a labelled file is written in
    gradio's folder, which the app cleans (app.DELETE_CACHE), not left in /tmp."""
    import tempfile

    from gradio.utils import get_upload_folder

    url, service = live_app
    c = client(url)
    bundle = export_bundle(classic_run.path, tmp_path / "leave-no-trace-7f3a.agent.zip")
    before = len(service.list_runs())
    c.predict(handle_file(str(bundle)), api_name="/import_bundle")
    assert len(service.list_runs()) == before + 1
    assert not list(Path(get_upload_folder()).rglob(bundle.name))

    texts = tmp_path / "leave-no-trace-7f3a.csv"
    pd.DataFrame({"text": ["lost my card", "refund please"]}).to_csv(texts, index=False)
    c.predict(classic_run.run_id, handle_file(str(texts)), api_name="/label_file")
    name = "leave-no-trace-7f3a.predictions.csv"
    assert not list(Path(tempfile.gettempdir()).glob(f"*/{name}"))
    assert len(list(Path(get_upload_folder()).glob(f"playground-*/{name}"))) == 1


def test_the_wait_after_wrong_passwords_grows() -> None:
    waits = [delay_s(n) for n in range(10)]
    assert waits[0] == 0 and waits[1] > 0
    assert all(a < b for a, b in zip(waits[1:7], waits[2:8])) and max(waits) == 30
    assert 50 * 30 - sum(delay_s(n) for n in range(50)) < 200  # 50 guesses: over 20 min

    logins = Logins([("teacher", "secret")], first_s=0.05)
    check = logins.gradio_auth()

    async def guesses(count: int) -> list[bool]:  # sent side by side: they take turns
        return list(await asyncio.gather(*[check("teacher", f"guess{i}") for i in range(count)]))

    started = time.monotonic()
    assert asyncio.run(guesses(4)) == [False] * 4
    assert time.monotonic() - started >= delay_s(1, 0.05) + delay_s(2, 0.05) + delay_s(3, 0.05)
    assert logins.check_now("teacher", "secret") is None  # still waiting after the 4th
    assert asyncio.run(check("teacher", "secret")) is True  # waits, then lets the user in
    assert logins.wait_s("teacher") == 0  # and the count starts again
    asyncio.run(check("someone", "x"))  # made-up names share one count
    assert logins.wait_s("anyone-else") > 0 and logins.wait_s("teacher") == 0


def test_the_wait_counts_per_client_address_too() -> None:
    from playground.ui.logins import CLIENT

    logins = Logins([("teacher", "secret"), ("helper", "other"), ("guest", "x")], first_s=0.05)
    assert logins.check_now("teacher", "guess", "10.0.0.7") is False
    # The same client trying another name waits; another client does not.
    assert logins.wait_s("helper", "10.0.0.7") > 0 and logins.check_now(
        "helper", "other", "10.0.0.7") is None
    assert logins.wait_s("helper", "10.0.0.8") == 0
    time.sleep(delay_s(1, 0.05))
    assert logins.check_now("helper", "guess", "10.0.0.7") is False  # the 2nd from there
    assert logins.wait_s("guest", "10.0.0.7") > delay_s(1, 0.05)  # grows with the client
    time.sleep(delay_s(2, 0.05))
    assert logins.check_now("guest", "x", "10.0.0.7") is True  # a right one clears it
    assert logins.wait_s("guest", "10.0.0.7") == 0

    check = logins.gradio_auth()  # the login page: the client comes from ClientAddress

    async def guesses_from(client: str) -> list[bool]:  # side by side, a name each
        CLIENT.set(client)
        return list(await asyncio.gather(*[check(name, "guess")
                                           for name in ("teacher", "helper", "guest")]))

    started = time.monotonic()
    assert asyncio.run(guesses_from("10.0.0.9")) == [False] * 3
    assert time.monotonic() - started >= delay_s(1, 0.05) + delay_s(2, 0.05)


def test_the_login_page_counts_wrong_passwords_per_client(tmp_path: Path) -> None:
    from playground.service.jobs import TrainingService
    from playground.ui.app import launch

    from .conftest import free_port

    service = TrainingService(tmp_path / "runs", gpu_count=0)
    port = free_port()
    app = launch(service, port=port, block=False,
                 auth=[("teacher", "secret"), ("helper", "other")])
    try:
        login = f"http://127.0.0.1:{port}/login"
        started = time.monotonic()  # before the wrong try: its wait ends after started + 0.5
        wrong = httpx.post(login, data={"username": "teacher", "password": "guess"})
        assert wrong.status_code == 400
        other = httpx.post(login, data={"username": "helper", "password": "other"})
        assert other.status_code == 200 and time.monotonic() - started >= delay_s(1)
    finally:
        app.close()
        service.shutdown()


def test_the_api_refuses_guesses_while_a_login_waits(live_app) -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from playground.ui.http_api import add_api_routes

    _, service = live_app
    app = FastAPI()
    add_api_routes(app, service, "a-key", Logins([("teacher", "secret")], first_s=60))
    api = TestClient(app)

    def basic(password: str) -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(
            f"teacher:{password}".encode()).decode()}

    assert api.get(f"/{API}", headers=basic("guess")).status_code == 401
    refused = api.get(f"/{API}", headers=basic("secret"))
    assert refused.status_code == 429 and "wrong passwords" in refused.text


def test_the_api_counts_wrong_passwords_per_client(live_app) -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from playground.ui.http_api import add_api_routes

    _, service = live_app
    app = FastAPI()
    add_api_routes(app, service, "a-key", Logins([("teacher", "secret"), ("helper", "other")],
                                                 first_s=60))

    def basic(user: str, password: str) -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(
            f"{user}:{password}".encode()).decode()}

    guesser = TestClient(app, client=("10.0.0.7", 50000))
    assert guesser.get(f"/{API}", headers=basic("teacher", "guess")).status_code == 401
    # Another name from the same client waits; the same name from elsewhere waits too.
    assert guesser.get(f"/{API}", headers=basic("helper", "other")).status_code == 429
    elsewhere = TestClient(app, client=("10.0.0.8", 50000))
    assert elsewhere.get(f"/{API}", headers=basic("helper", "other")).status_code == 200
    assert elsewhere.get(f"/{API}", headers=basic("teacher", "secret")).status_code == 429


def test_sentences_for_the_page_quote_markup_as_text() -> None:
    from playground.data.report import Problem
    from playground.errors import BundleError
    from playground.ui.tab_data import _problem_line
    from playground.ui.texts import error_for

    markup = "<img src=x onerror=window.__xss=1>"
    error = error_for(BundleError(f"The bundle holds {markup}.", zh=f"包中有 {markup}。"), "zh")
    assert markup not in error.message
    assert "&lt;img src=x onerror=window.__xss=1&gt;" in error.message
    problem = _problem_line(Problem("error", "unknown_labels", f"The label {markup} is new."),
                            "en")  # Markdown, as the Data tab shows it
    shown = MarkdownIt("commonmark").render(problem)
    assert "<img" not in shown and "&lt;img src=x onerror=window.__xss=1&gt;" in shown


def test_a_name_with_a_bare_address_is_no_link() -> None:
    """GFM (the page's Markdown) links "http://x" and "www.x" with no marks around them:
    a run's name shows them as text, never as a link an autolinker could find."""
    from playground.ui.safe import md_text

    shown = md_text("<b>x</b> **y** http://evil.example www.evil.example")
    assert "http://" not in shown and "www." not in shown and "<b>" not in shown
    assert MarkdownIt("commonmark").render(shown) == \
        "<p>&lt;b&gt;x&lt;/b&gt; **y** http://evil.example www.evil.example</p>\n"


def test_labels_in_the_data_checks_show_as_text_not_markdown(tmp_path: Path) -> None:
    """A file's labels are quoted in the Data tab's checks (Markdown): a label written as
    bold or as a link must show as written, not bold, and never as a link."""
    from playground.ui.tab_data import analyse

    labels = ["**urgent**", "[click](http://evil.example)", "<b>html</b>"]
    rows = [(f"message number {i} about {label}", label) for label in labels for i in range(12)]
    path = tmp_path / "marks.csv"
    pd.DataFrame(rows, columns=["text", "label"]).to_csv(path, index=False)
    shown = MarkdownIt("commonmark").render(analyse(str(path), None, None, "en", 50, "classic")[-1])
    assert "<strong>" not in shown and "<a " not in shown and "<b>" not in shown
    for label in ("**urgent**", "[click](http://evil.example)", "&lt;b&gt;html&lt;/b&gt;"):
        assert label in shown


def test_the_login_page_checks_with_the_wait(tmp_path: Path) -> None:
    from playground.service.jobs import TrainingService
    from playground.ui.app import launch

    from .conftest import free_port

    service = TrainingService(tmp_path / "runs", gpu_count=0)
    port = free_port()
    app = launch(service, port=port, block=False, auth=[("teacher", "secret")])
    try:
        login = f"http://127.0.0.1:{port}/login"
        started = time.monotonic()  # before the wrong try: its wait ends after started + 0.5
        wrong = httpx.post(login, data={"username": "teacher", "password": "guess"})
        assert wrong.status_code == 400  # an async check is awaited, never taken as "yes"
        right = httpx.post(login, data={"username": "teacher", "password": "secret"})
        assert right.status_code == 200 and time.monotonic() - started >= delay_s(1)
    finally:
        app.close()
        service.shutdown()


def test_every_api_refusal_says_it_in_chinese_too(live_app) -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from playground.ui.http_api import add_api_routes

    _, service = live_app
    app = FastAPI()
    add_api_routes(app, service, "a-key", Logins([("teacher", "secret")], first_s=60))
    api = TestClient(app)
    wrong = {"Authorization": "Basic " + base64.b64encode(b"teacher:guess").decode()}
    answers = [(401, api.get(f"/{API}")),  # no key
               (401, api.get(f"/{API}", headers=wrong)),  # a wrong password
               (429, api.get(f"/{API}", headers=wrong)),  # the next try, during the wait
               (400, api.post(f"/{API}/nope/ask", json={"text": "  "},
                              headers={"X-API-Key": "a-key"}))]  # an empty question
    for status, answer in answers:
        assert answer.status_code == status, answer.text
        detail = answer.json()["detail"]
        assert detail["error"] and detail["hint"], detail
        assert re.search(r"[\u4e00-\u9fff]", detail["zh"]), detail
    assert "X-API-Key" in answers[0][1].json()["detail"]["zh"]


FORMULA = '=HYPERLINK("http://evil.example","lost my card")'


def test_tables_a_user_can_copy_run_no_formula(live_app, classic_run, tmp_path) -> None:
    """The mistakes of a test, the examples of a labelled file and the runs table have a
    copy button: a cell a spreadsheet would run comes quoted, as in the files written."""
    from playground.service.names import rename
    from playground.ui.context import Context
    from playground.ui.tab_train import runs_table

    url, service = live_app
    c = client(url)
    labelled = tmp_path / "hostile.csv"
    hostile = [(FORMULA, "refund"), ("@SUM(1+1) refund my order", "greeting"), ("-2", "refund")]
    pd.DataFrame(hostile + intent_rows(per_label=3), columns=["text", "intent"]).to_csv(
        labelled, index=False)
    *_, mistakes = c.predict(classic_run.run_id, handle_file(str(labelled)),
                             api_name="/test_file")
    cells = [cell for row in value(mistakes)["data"] for cell in row]
    assert "'" + FORMULA in cells and "'@SUM(1+1) refund my order" in cells
    assert not any(str(cell).startswith(("=", "@")) for cell in cells)

    *_, examples, _ = c.predict(classic_run.run_id, handle_file(str(labelled)),
                                api_name="/label_file")
    cells = [cell for row in value(examples)["data"] for cell in row]
    assert "'" + FORMULA in cells and "-2" in cells  # a plain number runs nothing

    rename(service, classic_run.run_id, "=1+2")
    try:
        table, choices = runs_table(Context(service=service, t=None, session=None,
                                            browser_run=None))
        assert "'=1+2" in table.iloc[:, 0].tolist()
        assert ("=1+2", classic_run.run_id) in choices  # the picker names it as it is
    finally:
        rename(service, classic_run.run_id, "intents")


def test_an_entity_agents_mistakes_run_no_formula(make_run, tmp_path: Path) -> None:
    from ner_samples import write_conll

    from playground.tasks.entities.views import test_file as test_entities

    run = make_run(write_conll(tmp_path / "people.conll", count=60), task="ner",
                   model="classic")
    run_job(run, time.time())
    tagged = write_conll(tmp_path / "test.conll", count=12, seed=1)
    with tagged.open("a", encoding="utf-8") as fh:  # a place where people stand: missed
        fh.write("\n=cmd|calc\tB-LOC\nlives\tO\nin\tO\nparis\tB-LOC\n\n")
    *_, mistakes = test_entities(run, str(tagged), "en")
    cells = [cell for row in mistakes["value"].itertuples(index=False) for cell in row]
    assert any(str(cell).startswith("'=cmd|calc") for cell in cells), cells
    assert not any(str(cell).startswith("=") for cell in cells)


def test_the_data_preview_sends_the_start_of_a_huge_cell(tmp_path: Path) -> None:
    from playground.ui.tab_data import PREVIEW_CHARS, analyse

    rows = [("x" * 200_000, "a")] + [(f"short text {i}", "ab"[i % 2]) for i in range(20)]
    path = tmp_path / "huge_cell.csv"
    pd.DataFrame(rows, columns=["text", "label"]).to_csv(path, index=False)
    table = analyse(str(path), None, None, "en", 50, "classic")[0]["value"]
    longest = table.map(lambda v: len(str(v))).to_numpy().max()
    assert longest == PREVIEW_CHARS + 1 and "short text 1" in table.to_string()
