"""A tiny chat run that serves its fine-tuned language model (not retrieval), for the
tests of bundles, merged models and training settings.

Every answer is the same sentence, so retrieval answers perfectly and the fine-tuned
model ties with it once it has learned the sentence: a tie serves the fine-tuned model.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
from conftest import INTENTS, tiny_settings

from playground.config import RunConfig
from playground.runfolder import RunFolder
from playground.service.prepare import create_run, prepare
from playground.training.job import run_job

ANSWER = "my name is ada"
QUESTIONS = ["what is your name", "hello there friend", "I lost my card"]


def chat_sheet(path: Path) -> Path:
    """A question/answer sheet of 48 questions, one answer."""
    rows = [(f"{phrase} {i}", ANSWER) for phrases in INTENTS.values() for phrase in phrases
            for i in range(4)]
    pd.DataFrame(rows, columns=["question", "answer"]).to_csv(path, index=False)
    return path


def train_chat(folder: Path, model: str | Path, **settings) -> RunFolder:
    """A finished chat run on ``model`` (LoRA unless ``settings`` say otherwise)."""
    values = tiny_settings(Path(model), **{"method": "lora", "epochs": 6,
                                           "learning_rate": 1e-2, **settings})
    prep = prepare(chat_sheet(folder / "qa.csv"), RunConfig(task="chat", **values))
    prep.raise_for_errors()
    run = create_run(folder / "runs", prep)
    run_job(run, time.time())
    run.update_status(state="succeeded")
    return run
