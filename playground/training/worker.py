"""The worker's entry point: ``python -m playground.training.worker RUN_DIR``.

It trains the run described by RUN_DIR/config.json, writes events, the agent and the
report into the folder, and sets the final state in status.json. Exit codes: 0 for
succeeded or cancelled, 2 for a failure the user can fix, 1 for anything else.
Under torchrun only rank 0 writes the status.

``python -m playground.training.worker --standby`` is the same worker started before its
run: it imports what training needs, then reads its run folder from standard input
(``standby.py``) and goes on exactly as above.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from pathlib import Path

from playground import tasks
from playground.errors import PlaygroundError
from playground.runfolder import RunFolder
from playground.training.standby import STANDBY_FLAG


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    started_at = time.time()
    if args == [STANDBY_FLAG]:  # started before its run: wait for it
        from playground.training.standby import wait_for_run

        run_dir, started_at = wait_for_run()
        args = [str(run_dir)]
    if len(args) != 1 or not RunFolder(Path(args[0])).exists():
        print("usage: python -m playground.training.worker RUN_DIR (a prepared run folder)",
              file=sys.stderr)
        return 2
    run = RunFolder(Path(args[0]).resolve())
    is_main = int(os.environ.get("RANK", "0")) == 0
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    try:
        from playground.training.job import run_job

        report = run_job(run, started_at)
    except BaseException as exc:  # every failure must reach status.json, then re-exit
        from playground.training.failures import explain

        traceback.print_exc()
        failure = explain(exc, _settings(run))
        if is_main:
            run.update_status(state="failed", reason=str(failure),
                              reason_zh=failure.text("zh"), error=failure.to_dict(),
                              finished_at=time.time())
            run.append_event({"type": "failed", **failure.to_dict()})
        if isinstance(exc, KeyboardInterrupt):
            return 130
        return 2 if type(failure) is not PlaygroundError else 1
    if is_main:
        state = "cancelled" if report["cancelled"] else "succeeded"
        reason = ("Stopped on request; the best checkpoint so far is saved as the agent."
                  if report["cancelled"] else "")
        reason_zh = "已按要求停止；目前最好的检查点已保存为智能体。" if report["cancelled"] else ""
        run.update_status(state=state, reason=reason, reason_zh=reason_zh,
                          finished_at=time.time())
        task = tasks.spec(report.get("task"))
        headline = (f"{report['scores']['model'][task.headline]:.4f} "
                    f"{task.metric_title(task.headline)}")
        print(f"run {run.run_id} {state}: {headline} on {report['held_out']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())


def _settings(run: RunFolder) -> dict:
    """The run's settings, for a failure's hint; none when config.json is what failed."""
    try:
        return run.read_config()["config"]
    except Exception:  # a hint without the settings beats no failure status at all
        return {}
