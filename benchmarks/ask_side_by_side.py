"""A chat agent and its base model side by side, on questions its sheet does not hold.

Asks a finished chat run's agent and the base model it was tuned from the same
questions, greedy, and prints both answers; with ``--expect WORD`` it also counts the
answers that contain the word (the persona recipe's name, say). The persona recipe's
card quotes this, run on its own agent:

    python benchmarks/ask_side_by_side.py runs/RUN --expect Pebble \\
        --out benchmarks/results/persona_pebble_asked.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

# Identity questions in words the persona sheet does not use, and general ones it does not
# hold: the agent should say its name to the first and still answer the second.
QUESTIONS = ("Could you tell me what you're called?", "Which lab built you?",
             "What's the name of the assistant I'm talking to?", "Who are you, exactly?",
             "What is the capital of Germany?", "How many hours are in a day?",
             "What do cows drink?")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="a finished chat run folder")
    parser.add_argument("--question", action="append", help="instead of the built-in ones")
    parser.add_argument("--expect", help="a word the agent's answers should hold")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    from playground.service.agents import agent_for

    questions = args.question or list(QUESTIONS)
    agent = agent_for(args.run)
    rows = []
    for question in questions:  # both in the precision the agent answers in
        rows.append({"question": question, "agent": agent.generate(question),
                     "base": agent.generate(question, max_new_tokens=64, base=True)})
        print(f"Q: {question}\n  agent: {rows[-1]['agent']}\n  base:  {rows[-1]['base']}",
              flush=True)
    result = {"run": args.run.name, "precision": agent.precision, "answers": rows}
    if args.expect:
        word = args.expect.lower()
        result["expect"] = {"word": args.expect,
                            "agent": sum(word in r["agent"].lower() for r in rows),
                            "base": sum(word in r["base"].lower() for r in rows),
                            "questions": len(rows)}
        print(f"answers with '{args.expect}': agent {result['expect']['agent']}, "
              f"base {result['expect']['base']}, of {len(rows)}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
