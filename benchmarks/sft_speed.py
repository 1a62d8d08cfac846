"""How fast the playground fine-tunes a chat model, next to TRL's SFTTrainer as it comes.

Trains the embedded SmolLM2-135M-Instruct with LoRA (rank 16 on every linear layer, the
same adapter for all) on the same question/answer pairs four ways, in this one process,
taking turns so that a busy machine slows them alike:

  trl-fp32   TRL's SFTTrainer with its own defaults (batch 8, gradient checkpointing on,
             its AdamW), bf16 switched off
  ours-fp32  the playground's chat training: the Trainer settings ``training_arguments``
             gives (fused AdamW, length-grouped batches, gradient checkpointing off, the
             loss on answers only) and its live-event callbacks, fp32
  trl-bf16   the TRL defaults as they are (bf16 on)
  ours-bf16  the playground in bf16

Each trains ``--steps`` steps of 8 examples; the first step of each (memory allocation)
is left out. Validation passes and checkpoints are off for both (the playground's own
run does them once per epoch; ``train_speed.py`` shows what they cost). Throughput is in
tokens per second: the real (not padding) tokens of the batches the steps read.

    python benchmarks/sft_speed.py
    python benchmarks/sft_speed.py --steps 12 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "assets" / "bank_chat_en.csv"
VARIANTS = ("trl-fp32", "ours-fp32", "trl-bf16", "ours-bf16")
BATCH_SIZE, MAX_LENGTH, LORA_RANK, SEED = 8, 128, 16, 42


class Counter:
    """Wraps a data collator: notes the real tokens of each batch it makes."""

    def __init__(self, collate: Any) -> None:
        self.collate, self.tokens = collate, []

    def __call__(self, rows: list[dict]) -> dict:
        batch = self.collate(rows)
        self.tokens.append(int(batch["attention_mask"].sum()) if "attention_mask" in batch
                           else int(batch["input_ids"].numel()))
        return batch


def step_clock() -> Any:
    from transformers import TrainerCallback

    class StepClock(TrainerCallback):
        def __init__(self) -> None:
            self.ends: list[float] = []

        def on_step_end(self, args, state, control, **kwargs):
            self.ends.append(time.perf_counter())

    return StepClock()


def conversations(path: Path) -> list[list[dict[str, str]]]:
    from playground.tasks.chat.reading import read_conversations

    return [c.messages for c in read_conversations(path).conversations]


def trainer_for(variant: str, rows: list, work: Path, steps: int) -> Any:
    """The trainer of one variant, on a fresh copy of the model."""
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import set_seed
    from trl import SFTConfig, SFTTrainer

    from playground.config import RunConfig
    from playground.runfolder import RunFolder
    from playground.tasks.chat.finetune import examples, load_for_chat, recipe
    from playground.tasks.chat.model import embedded_chat_model_dir
    from playground.training.engine import run_callbacks, training_arguments
    from playground.training.methods import apply_method

    location = str(embedded_chat_model_dir())
    precision = variant.split("-")[1]
    set_seed(SEED)
    if variant.startswith("trl"):
        tokenizer, model = load_for_chat(location)
        args = SFTConfig(output_dir=str(work / variant), max_steps=steps, report_to="none",
                         max_length=MAX_LENGTH, use_cpu=True, seed=SEED,
                         disable_tqdm=True, save_strategy="no",
                         **({} if precision == "bf16" else {"bf16": False}))
        peft = LoraConfig(task_type="CAUSAL_LM", r=LORA_RANK, lora_alpha=2 * LORA_RANK,
                          lora_dropout=0.05, target_modules="all-linear")
        return SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(
            examples(rows)), processing_class=tokenizer, peft_config=peft)
    config = RunConfig(task="chat", method="lora", batch_size=BATCH_SIZE, max_length=MAX_LENGTH,
                       lora_rank=LORA_RANK, lora_alpha=2 * LORA_RANK, precision=precision,
                       seed=SEED, device="cpu", early_stopping_patience=0).to_dict()
    run = RunFolder(work / variant)
    run.path.mkdir(parents=True)
    chat = recipe(config, location, {"train": rows, "validation": rows[:8], "test": []})
    tokenizer, model = chat.load()
    model = apply_method(model, "lora", lora_rank=LORA_RANK, lora_alpha=2 * LORA_RANK,
                         lora_task=chat.lora_task)
    train = chat.encode(tokenizer, "train")
    args = training_arguments(config, run, precision, "cpu", len(train), chat.args_class,
                              **chat.settings)
    # the steps alone: no validation pass, checkpoint or best-model reload in the clock
    args.max_steps, args.eval_strategy, args.save_strategy = steps, "no", "no"
    args.load_best_model_at_end = False
    _, callbacks = run_callbacks(run, config, time.time())
    return chat.trainer_class(model=model, args=args, train_dataset=train,
                              processing_class=tokenizer, data_collator=chat.collator(tokenizer),
                              callbacks=callbacks)


def measure(variant: str, rows: list, work: Path, steps: int) -> dict[str, float]:
    trainer = trainer_for(variant, rows, work, steps)
    counter, clock = Counter(trainer.data_collator), step_clock()
    trainer.data_collator = counter
    trainer.add_callback(clock)
    trainer.train()
    seconds = clock.ends[-1] - clock.ends[0]  # from the end of step 1 to the last
    tokens = sum(counter.tokens[1:len(clock.ends)])
    return {"tokens_per_s": tokens / seconds, "seconds": seconds, "steps": len(clock.ends) - 1,
            "tokens": tokens, "gradient_checkpointing": bool(trainer.args.gradient_checkpointing),
            "optimizer": str(trainer.args.optim), "bf16": bool(trainer.args.bf16)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="a question/answer sheet")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=1, help="each variant this many times")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "sft_speed.json")
    args = parser.parse_args()
    import torch

    rows = conversations(args.data)
    started = os.getloadavg()
    found: dict[str, list[dict]] = {name: [] for name in args.variants}
    with tempfile.TemporaryDirectory() as work:
        for round_ in range(args.rounds):
            for name in args.variants:
                found[name].append(measure(name, rows, Path(work) / f"{round_}", args.steps))
                row = found[name][-1]
                print(f"{name}: {row['tokens_per_s']:.0f} tokens/s ({row['tokens']} tokens in "
                      f"{row['seconds']:.1f} s, gradient checkpointing "
                      f"{'on' if row['gradient_checkpointing'] else 'off'}, {row['optimizer']})",
                      flush=True)
                save(args, found, started)  # a run stopped early keeps what it measured
    rate = save(args, found, started)
    for pair, ratio in ratios_of(rate).items():
        print(f"{pair}: x{ratio}")
    print(f"load average at start {started[0]:.1f}, at end {os.getloadavg()[0]:.1f} "
          f"({os.cpu_count()} CPUs, torch threads {torch.get_num_threads()})")


def ratios_of(rate: dict[str, float]) -> dict[str, float]:
    return {f"{a}/{b}": round(rate[a] / rate[b], 2)
            for a, b in (("ours-fp32", "trl-fp32"), ("ours-bf16", "trl-bf16"),
                         ("ours-bf16", "trl-fp32"), ("trl-bf16", "trl-fp32"),
                         ("ours-bf16", "ours-fp32")) if a in rate and b in rate}


def save(args: argparse.Namespace, found: dict[str, list[dict]],
         started: tuple[float, ...]) -> dict[str, float]:
    """Write what is measured so far to ``args.out``; the median tokens/s per variant."""
    import torch

    rate = {name: statistics.median(r["tokens_per_s"] for r in rows)
            for name, rows in found.items() if rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"runs": found, "tokens_per_s": rate, "ratios": ratios_of(rate),
                                    "steps": args.steps, "batch_size": BATCH_SIZE,
                                    "lora_rank": LORA_RANK, "data": args.data.name,
                                    "load_average": {"start": started, "end": os.getloadavg()},
                                    "torch_threads": torch.get_num_threads()}, indent=2) + "\n")
    return rate


if __name__ == "__main__":
    main()
