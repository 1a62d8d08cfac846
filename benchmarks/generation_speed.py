"""How fast the embedded chat model answers, streaming: fp32 against the precision a chat
agent answers in (``answer_precision()``: bf16 on a CPU), and what the scoring pass costs.

Loads SmolLM2-135M-Instruct (the playground's embedded chat model) once, makes a copy in
the agent's precision the way the agent casts itself (``to_precision``), and asks both
the same short questions, greedy, through the playground's own ``generate`` with a
streamer that notes when each token arrives. It prints, per variant, the time to the
first token (from the call, the prompt read included) and the tokens per second after
it (medians over the questions and rounds), the ratio served/fp32, and whether the two
give the same greedy answers.

With ``--score-file`` it also times the held-out scoring pass a chat run makes after
training (``answers``: greedy, batches of 16, left-padded) on the file's first
``--score-rows`` questions, once per variant, and the same answers written one question
at a time: prompts read 16 at a time are compute bound, where emulated bf16 costs most.

    python benchmarks/generation_speed.py
    python benchmarks/generation_speed.py --rounds 2 --score-file assets/persona_pebble_en.csv
    python benchmarks/generation_speed.py --rounds 1 --score-file assets/persona_pebble_en.csv \\
        --out benchmarks/results/file_answers_speed.json

Both variants run in this one process, taking turns question by question, so a busy
machine slows both alike; ratios mean something, stored absolute numbers do not.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# Short questions of the kind the chat tab gets (the first is the issue's own example).
QUESTIONS = ("What is the capital of France?", "How many legs does a spider have?",
             "Give me one tip for sleeping better.", "What is your name?",
             "How do I boil an egg?", "Who wrote Romeo and Juliet?")
AIM_FIRST_TOKEN_S, AIM_TOKENS_PER_S = 1.0, 20.0


class Clock:
    """A streamer that notes when each new token arrives (``generate`` first hands it the
    prompt, which is not a new token)."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.times: list[float] = []
        self._prompt_seen = False

    def put(self, value: Any) -> None:
        if not self._prompt_seen:
            self._prompt_seen = True
            return
        self.times.extend([time.perf_counter()] * int(value.numel()))

    def end(self) -> None:
        pass

    def figures(self) -> dict[str, float]:
        first = self.times[0] - self.started
        rest = len(self.times) - 1
        rate = rest / (self.times[-1] - self.times[0]) if rest > 0 else float("nan")
        return {"first_token_s": first, "tokens_per_s": rate, "tokens": len(self.times)}


def load_variants() -> dict[str, tuple[Any, Any]]:
    """fp32, and the precision the agent answers in, cast as the agent casts itself."""
    from playground.tasks.chat.finetune import answer_precision, load_for_chat
    from playground.tasks.chat.generation import to_precision
    from playground.tasks.chat.model import embedded_chat_model_dir

    tokenizer, model = load_for_chat(str(embedded_chat_model_dir()))
    _, served = load_for_chat(str(embedded_chat_model_dir()))
    return {"fp32": (tokenizer, model.eval()),
            answer_precision(): (tokenizer, to_precision(served, answer_precision()).eval())}


def time_scoring(variants: dict[str, tuple[Any, Any]], path: Path,
                 rows: int) -> dict[str, dict[str, Any]]:
    """Seconds of the held-out scoring pass per variant (the Test tab's file test writes
    its answers the same way), the seconds of the same answers written one question at a
    time (``alone_seconds``), and how many answers agree."""
    from playground.tasks.chat.generation import answer_room, answers, generate, prompt_of
    from playground.tasks.chat.reading import read_conversations

    asked = [c.messages for c in read_conversations(path).conversations][:rows]
    found: dict[str, dict[str, Any]] = {}
    for name, (tokenizer, model) in variants.items():
        started = time.perf_counter()
        said = answers(model, tokenizer, asked)
        batched = time.perf_counter() - started
        started = time.perf_counter()
        alone = [generate(model, tokenizer, prompt_of(c), answer_room(tokenizer, asked))
                 for c in asked]
        found[name] = {"seconds": round(batched, 1),
                       "alone_seconds": round(time.perf_counter() - started, 1),
                       "alone_same": sum(a == b for a, b in zip(said, alone)),
                       "answers": said}
    first, *others = found.values()
    for row in others:
        row["same_as_fp32"] = sum(a == b for a, b in zip(first["answers"], row["answers"]))
    return found


def measure(variants: dict[str, tuple[Any, Any]], rounds: int,
            max_new_tokens: int) -> tuple[dict[str, list[dict]], dict[str, dict[str, str]]]:
    from playground.tasks.chat.generation import generate

    found: dict[str, list[dict]] = {name: [] for name in variants}
    answers: dict[str, dict[str, str]] = {name: {} for name in variants}
    for tokenizer, model in variants.values():  # warm-up: first calls allocate
        generate(model, tokenizer, [{"role": "user", "content": "Hi"}], 4)
    for _ in range(rounds):
        for question in QUESTIONS:
            for name, (tokenizer, model) in variants.items():
                clock = Clock()
                said = generate(model, tokenizer, [{"role": "user", "content": question}],
                                max_new_tokens, streamer=clock)
                found[name].append(clock.figures())
                answers[name][question] = said
    return found, answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--score-file", type=Path, default=None,
                        help="a chat sheet whose questions the scoring pass answers")
    parser.add_argument("--score-rows", type=int, default=16)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "generation_speed.json")
    args = parser.parse_args()
    import os

    import torch

    started = os.getloadavg()
    variants = load_variants()
    served = list(variants)[1]
    found, answers = measure(variants, args.rounds, args.max_new_tokens)
    summary = {name: {key: round(statistics.median(r[key] for r in rows), 3)
                      for key in ("first_token_s", "tokens_per_s", "tokens")}
               for name, rows in found.items()}
    same = [q for q in QUESTIONS if answers["fp32"][q] == answers[served][q]]
    scoring = time_scoring(variants, args.score_file, args.score_rows) \
        if args.score_file else None
    result = {"served_precision": served, "summary": summary, "answers": answers,
              "same_greedy_answers": len(same), "questions": len(QUESTIONS),
              "rounds": args.rounds, "max_new_tokens": args.max_new_tokens,
              "scoring": scoring and {"file": args.score_file.name, **scoring},
              "torch_threads": torch.get_num_threads(),
              "load_average": {"start": started, "end": os.getloadavg()}}
    for name, row in summary.items():
        print(f"{name}: first token {row['first_token_s'] * 1000:.0f} ms, "
              f"{row['tokens_per_s']:.1f} tokens/s (median of {len(found[name])} answers)")
    fp32, half = summary["fp32"], summary[served]
    print(f"{served}/fp32: tokens/s x{half['tokens_per_s'] / fp32['tokens_per_s']:.2f}, "
          f"first token x{half['first_token_s'] / fp32['first_token_s']:.2f}")
    print(f"same greedy answer in fp32 and {served}: {len(same)} of {len(QUESTIONS)}")
    for question in QUESTIONS:
        if question not in same:
            print(f"  {question}\n    fp32: {answers['fp32'][question]!r}\n"
                  f"    {served}: {answers[served][question]!r}")
    if scoring:
        rows = len(scoring["fp32"]["answers"])
        print(f"scoring pass on {rows} questions of {args.score_file.name}: fp32 "
              f"{scoring['fp32']['seconds']} s, {served} {scoring[served]['seconds']} s, "
              f"{scoring[served]['same_as_fp32']} of {rows} answers the same")
        for name, row in scoring.items():
            print(f"  {name} one question at a time: {row['alone_seconds']} s (batches "
                  f"x{row['alone_seconds'] / row['seconds']:.2f} faster, "
                  f"{row['alone_same']} of {rows} answers the same)")
    for name, row in summary.items():
        ok = row["first_token_s"] <= AIM_FIRST_TOKEN_S and row["tokens_per_s"] >= AIM_TOKENS_PER_S
        print(f"aim (first token <= {AIM_FIRST_TOKEN_S:.0f} s, >= {AIM_TOKENS_PER_S:.0f} "
              f"tokens/s) {name}: {'met' if ok else 'not met'}")
    print(f"load average at start {started[0]:.1f}, at end {os.getloadavg()[0]:.1f} "
          f"({os.cpu_count()} CPUs)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
