from __future__ import annotations

import json
from pathlib import Path

from playground.runfolder import RunFolder, new_run_id


def test_events_are_tailed_from_an_offset(tmp_path: Path) -> None:
    run = RunFolder(tmp_path)
    assert run.read_events(0) == ([], 0)
    run.append_event({"type": "train", "step": 1})
    run.append_event({"type": "train", "step": 2})
    events, offset = run.read_events(0)
    assert [e["step"] for e in events] == [1, 2] and all("time" in e for e in events)
    assert run.read_events(offset) == ([], offset)
    # A line still being written (no newline yet) waits for the next read.
    with run.events_path.open("a") as fh:
        fh.write(json.dumps({"type": "train", "step": 3}))
    assert run.read_events(offset) == ([], offset)
    with run.events_path.open("a") as fh:
        fh.write("\n")
    events, _ = run.read_events(offset)
    assert [e["step"] for e in events] == [3]


def test_status_updates_merge(tmp_path: Path) -> None:
    run = RunFolder(tmp_path)
    run.update_status(state="queued")
    run.update_status(pid=123)
    status = run.read_status()
    assert status["state"] == "queued" and status["pid"] == 123 and "updated_at" in status


def test_run_ids_start_with_the_time_and_are_unique() -> None:
    import time

    before = time.strftime("%Y%m%d-%H%M%S")
    ids = {new_run_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(before <= i.rsplit("-", 1)[0] <= time.strftime("%Y%m%d-%H%M%S") for i in ids)
