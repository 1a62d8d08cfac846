"""Who may stop or delete a run: its owner, the admin login, or the host's command."""

from __future__ import annotations

from pathlib import Path

import pytest

from playground.errors import NotYourRun
from playground.service.jobs import TrainingService
from playground.service.owners import Person, browser_digest, cli_owner, may_change

ALICE = Person(browser=browser_digest("alice's browser key"), login="alice")
BOB = Person(browser=browser_digest("bob's browser key"), login="bob")
HOST = Person(browser=browser_digest("host's browser key"), login="host", admin=True)


def test_the_rules() -> None:
    alice_elsewhere = Person(browser=browser_digest("another key"), login="alice")
    same_browser = Person(browser=ALICE.browser)  # a shared login: the browser decides
    for person, allowed in ((ALICE, True), (alice_elsewhere, True), (same_browser, True),
                            (BOB, False), (HOST, True), (None, True)):
        assert may_change(ALICE.as_owner(), person) is allowed
    assert not may_change(cli_owner(), ALICE) and may_change(cli_owner(), HOST)
    assert may_change(None, BOB)  # a run made before owners: anyone, as before
    assert may_change(cli_owner(), None)  # `playground stop` on the server


def test_stop_and_delete_of_someone_elses_run_name_the_owner(
        runs_dir: Path, make_run, intent_csv: Path) -> None:
    service = TrainingService(runs_dir, gpu_count=0, serve=False)  # nothing starts
    run = make_run(intent_csv, model="classic")
    service.submit(run, ALICE.as_owner())
    assert service.status(run.run_id)["owner"] == {"browser": ALICE.browser, "login": "alice"}
    with pytest.raises(NotYourRun) as refused:
        service.cancel(run.run_id, by=BOB)
    assert "belongs to alice" in refused.value.message and "stop" in refused.value.hint
    assert "属于 alice" in refused.value.zh and "停止" in refused.value.zh
    assert service.status(run.run_id)["state"] == "queued"
    assert service.cancel(run.run_id, by=ALICE) == "removed"
    with pytest.raises(NotYourRun, match="alice"):
        service.delete(run.run_id, by=BOB)
    service.delete(run.run_id, by=HOST)
    assert not run.path.exists()

    from_cli = make_run(intent_csv, model="classic")
    service.submit(from_cli, cli_owner())
    with pytest.raises(NotYourRun) as refused:
        service.cancel(from_cli.run_id, by=ALICE)
    assert "command line" in refused.value.message and "命令行" in refused.value.zh
    assert service.cancel(from_cli.run_id) == "removed"  # the host's own command
