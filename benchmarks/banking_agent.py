"""A banking77 intent agent for the labelling and chat benchmarks: a given run, or one
fine-tuned now on a sample of banking77's training rows (the playground's own path)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from train_speed import DEFAULT_DATA, SEED, sample


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run", type=Path, help="a finished intent run to use (default: "
                        "fine-tune one now)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--train-rows", type=int, default=3000)
    parser.add_argument("--epochs", type=float, default=1.0)


def agent_run(args: argparse.Namespace, work: Path) -> Path:
    """The run folder of the agent to measure (trained into ``work`` when none is given)."""
    if args.run:
        return args.run.resolve()
    import pandas as pd

    from playground.config import RunConfig
    from playground.service.prepare import create_run, prepare
    from playground.training.job import run_job

    train = pd.read_csv(args.data_dir / "train.csv", dtype=str, keep_default_na=False)
    sample(train, args.train_rows, minimum=2).to_csv(work / "train.csv", index=False)
    config = RunConfig(model="minilm", epochs=args.epochs, learning_rate=1e-4,
                       early_stopping_patience=0, seed=SEED, fit_to_data=False)
    run = create_run(work / "runs", prepare(work / "train.csv", config,
                                            eval_path=args.data_dir / "test.csv"))
    print(f"fine-tuning an agent on about {min(args.train_rows, len(train))} banking77 rows",
          flush=True)
    started = time.time()
    run_job(run, started)
    run.update_status(state="succeeded")  # what the worker would write
    if run.finetuned_dir.exists():  # the classic model won on validation: serve the
        run.model_dir.rename(run.path / "classic")  # transformer anyway, its speed is
        run.finetuned_dir.rename(run.model_dir)  # what these benchmarks measure
    print(f"  done in {time.time() - started:.0f} s: {run.path}", flush=True)
    return run.path
