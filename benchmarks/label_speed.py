"""How fast an agent labels a file, with model loading timed apart.

Labels banking77's test file (3,080 rows) with a fine-tuned agent three ways, in one
process, one after the other:

  before    the path before issue 14: batches of 64 sorted by characters, each batch
            tokenized on its own, a ranked dict of every label for every row
  fp32      the labelling path now (sorted by tokens, batches of 128), in fp32
  auto      the same in the processor's fastest precision (bf16 where it is native,
            close calls redone in fp32)

and once through the command a user runs: ``playground predict RUN --csv FILE --json``.
It prints rows/s, the ratios to ``before``, and how many labels differ from fp32.

    python benchmarks/label_speed.py                  # fine-tunes a 3,000-row agent first
    python benchmarks/label_speed.py --run runs/RUN   # an agent you have
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import banking_agent

TARGET_ROWS_PER_S = 1000


def before(agent, texts: list[str]) -> list[str]:
    """The labelling loop as it was: character-sorted batches of 64, tokenized per batch."""
    import numpy as np
    import torch

    from playground.tasks.classify.agent import Prediction
    from playground.training.calibration import softmax

    order = np.argsort([len(t) for t in texts], kind="stable")
    logits = np.zeros((len(texts), len(agent.labels)), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(texts), 64):
            index = order[start:start + 64]
            batch = agent._tokenizer([texts[i] for i in index], truncation=True, padding=True,
                                     max_length=agent._max_length, return_tensors="pt")
            logits[index] = agent._model(**batch).logits.float().numpy()
    predictions = []
    for row in softmax(logits, agent.temperature):
        ranked = sorted(zip(agent.labels, row.tolist()), key=lambda p: -p[1])
        predictions.append(Prediction(ranked[0][0], round(ranked[0][1], 4),
                                      {label: round(p, 4) for label, p in ranked}))
    return [p.label for p in predictions]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    banking_agent.add_arguments(parser)
    args = parser.parse_args(argv)
    import pandas as pd

    from playground.tasks.classify.agent import Agent
    from playground.training.precision import cpu_has_native_bf16

    with tempfile.TemporaryDirectory(prefix="label_speed-") as tmp:
        run_dir = banking_agent.agent_run(args, Path(tmp))
        frame = pd.read_csv(args.data_dir / "test.csv", dtype=str, keep_default_na=False)
        texts = frame["text"].tolist()
        results, labels = {}, {}
        for name, precision in (("before", "fp32"), ("fp32", "fp32"), ("auto", "auto")):
            start = time.perf_counter()
            agent = Agent(run_dir / "model", precision)
            load_s = time.perf_counter() - start
            start = time.perf_counter()
            labels[name] = before(agent, texts) if name == "before" else \
                agent.label_frame(frame, "text")[0]["predicted_label"].tolist()
            label_s = time.perf_counter() - start
            results[name] = {"rows_per_s": round(len(texts) / label_s, 1),
                             "load_s": round(load_s, 2), "precision": agent.precision}
        command = [sys.executable, "-m", "playground", "predict", str(run_dir), "--csv",
                   str(args.data_dir / "test.csv"), "--out", str(Path(tmp) / "out.csv"),
                   "--json"]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        results["command"] = {**json.loads(done.stdout.strip().splitlines()[-1]),
                              "command_s": round(time.perf_counter() - start, 2)}

    print(f"\n{len(texts)} rows of {args.data_dir.name}/test.csv; native bf16: "
          f"{'yes' if cpu_has_native_bf16() else 'no'}")
    for name in ("before", "fp32", "auto"):
        r = results[name]
        changed = sum(a != b for a, b in zip(labels[name], labels["fp32"]))
        print(f"  {name:<7} {r['precision']:<5} {r['rows_per_s']:>8.0f} rows/s "
              f"({r['rows_per_s'] / results['before']['rows_per_s']:.2f}x before), "
              f"model loaded in {r['load_s']:.1f} s, {changed} labels differ from fp32")
    c = results["command"]
    print(f"  playground predict --csv: {c['rows_per_s']:.0f} rows/s after a {c['load_s']:.1f} s "
          f"load, {c['command_s']:.1f} s for the whole command "
          f"(wanted >= {TARGET_ROWS_PER_S} rows/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
