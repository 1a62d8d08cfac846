"""Stop and Delete in the app: the run's own browser (after a reload too), another
browser, a personal login from anywhere, and the host's admin login."""

from __future__ import annotations

from pathlib import Path

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from .conftest import free_port, tiny_form

CLS = "text-classification"
KEY_A, KEY_B = "browser-a-key-0123456789", "browser-b-key-0123456789"


def visitor(url: str, key: str | None = None, lang: str = "en-US",
            auth: tuple[str, str] | None = None) -> Client:
    """A page session; with ``key``, the browser that keeps it (a reload keeps the key)."""
    c = Client(url, verbose=False, headers={"Accept-Language": lang}, auth=auth)
    if key:
        c.predict(key, api_name="/identify")
    return c


def start(c: Client, model_dir: Path) -> str:
    c.predict("banking_intents_en.csv", "auto", "", CLS, api_name="/load_sample")
    return c.predict("auto", str(model_dir), CLS, "text", "category", None,
                     *tiny_form(epochs=50), api_name="/start")


def owner_column(c: Client, run_id: str) -> str:
    table = c.predict(api_name="/runs")[0]
    table = table.get("value", table)
    columns = table["headers"]
    row = next(r for r in table["data"] if r[columns.index("run id")] == run_id)
    return row[columns.index("owner")]


def test_only_the_starting_browser_stops_and_deletes_its_run(live_app, tiny_model_dir) -> None:
    url, service = live_app
    mine = visitor(url, KEY_A)
    run_id = start(mine, tiny_model_dir)
    assert "started by you" in mine.predict(api_name="/tick")[0]
    other = visitor(url, KEY_B)
    other.predict(run_id, api_name="/open_run")
    assert "started by another browser" in other.predict(api_name="/tick")[0]
    assert owner_column(other, run_id) == "another browser"
    with pytest.raises(AppError, match="was started in another browser.*Only that browser "
                                       "or the host's admin login may stop it"):
        other.predict(api_name="/stop")
    other_zh = visitor(url, KEY_B, "zh-CN")
    other_zh.predict(run_id, api_name="/open_run")
    with pytest.raises(AppError, match="是在另一个浏览器中启动的.*才能停止它"):
        other_zh.predict(api_name="/stop")
    assert service.status(run_id)["state"] in ("queued", "running")

    reloaded = visitor(url, KEY_A)  # the same browser after a reload
    assert owner_column(reloaded, run_id) == "you"
    reloaded.predict(run_id, api_name="/open_run")
    said = reloaded.predict(api_name="/stop")
    assert "Stopping" in said or "removed" in said.lower()
    assert service.wait(run_id, timeout_s=180)["state"] == "cancelled"
    with pytest.raises(AppError, match="another browser.*may delete it"):
        other.predict(run_id, api_name="/delete_run")
    with pytest.raises(AppError, match="another browser.*may rename it"):
        other.predict(run_id, "not yours", api_name="/rename_run")
    assert service.run(run_id).path.exists() and service.status(run_id)["name"] != "not yours"
    assert reloaded.predict(run_id, "mine", api_name="/rename_run")[1] == "mine"
    reloaded.predict(run_id, api_name="/delete_run")
    assert not (service.runs_dir / run_id).exists()


@pytest.fixture(scope="module")
def login_app(tmp_path_factory: pytest.TempPathFactory):
    """An app with a login per person and the host's admin login."""
    from playground.service.jobs import TrainingService
    from playground.ui.app import launch

    service = TrainingService(tmp_path_factory.mktemp("login-runs"), poll_s=0.2, gpu_count=0)
    port = free_port()
    app = launch(service, port=port, block=False, auth=[("alice", "a1"), ("bob", "b2")],
                 admins=[("host", "h3")])
    yield f"http://127.0.0.1:{port}/", service
    app.close()
    service.shutdown(cancel_running=True)


def test_a_login_owns_its_runs_and_the_admin_may_touch_any(login_app,
                                                           tiny_model_dir) -> None:
    url, service = login_app
    alice = visitor(url, KEY_A, auth=("alice", "a1"))
    running = start(alice, tiny_model_dir)
    waiting = start(alice, tiny_model_dir)  # queued behind the first
    bob = visitor(url, KEY_B, auth=("bob", "b2"))
    host = visitor(url, "host-browser-key-0123456789", auth=("host", "h3"))
    assert owner_column(bob, waiting) == "alice"
    bob.predict(waiting, api_name="/open_run")
    assert "started by alice" in bob.predict(api_name="/tick")[0]
    with pytest.raises(AppError, match="belongs to alice.*Only alice or the host's admin "
                                       "login may stop it"):
        bob.predict(api_name="/stop")
    host.predict(waiting, api_name="/open_run")
    assert "removed" in host.predict(api_name="/stop").lower()
    assert service.status(waiting)["state"] == "cancelled"
    with pytest.raises(AppError, match="belongs to alice.*may delete it"):
        bob.predict(waiting, api_name="/delete_run")
    host.predict(waiting, api_name="/delete_run")
    assert not (service.runs_dir / waiting).exists()

    elsewhere = visitor(url, "alice-phone-key-0123456789", auth=("alice", "a1"))
    elsewhere.predict(running, api_name="/open_run")  # her own login, another browser
    assert "started by you" in elsewhere.predict(api_name="/tick")[0]
    assert service.status(running)["state"] in ("queued", "running")
    elsewhere.predict(api_name="/stop")
    assert service.wait(running, timeout_s=180)["state"] == "cancelled"
