"""Shared fixtures: a tiny real BERT (random weights, real tokenizer) and small data sets.

The tiny model trains in seconds on a CPU, so tests exercise the real Trainer, worker
process and run folder instead of mocks.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pandas as pd
import pytest

SHARED_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"

# Three intents with distinct keywords: even a tiny model learns them in a few steps.
INTENTS = {
    "lost_card": ["lost my card", "card is missing", "cannot find my card", "card was stolen"],
    "refund": ["want a refund", "money back please", "refund my order", "return and refund"],
    "greeting": ["hello there", "good morning", "hi how are you", "hey friend"],
}


def intent_rows(per_label: int = 30, seed: int = 0) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    fillers = ["please", "today", "now", "quickly", "again", "sir", "thanks", "ok"]
    rows = []
    for label, phrases in INTENTS.items():
        for i in range(per_label):
            words = [rng.choice(phrases), rng.choice(fillers), rng.choice(fillers), str(i)]
            rows.append((" ".join(words), label))
    rng.shuffle(rows)
    return rows


@pytest.fixture
def intent_csv(tmp_path: Path) -> Path:
    path = tmp_path / "intents.csv"
    pd.DataFrame(intent_rows(), columns=["text", "intent"]).to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 32-wide BERT with the embedded model's tokenizer, saved to a folder."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from playground.catalog import embedded_model_dir

    folder = tmp_path_factory.mktemp("tiny-bert")
    tokenizer = AutoTokenizer.from_pretrained(embedded_model_dir())
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64,
                        max_position_embeddings=128)
    torch.manual_seed(0)  # the same tiny model in every session: tests do not flake
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    path = tmp_path / "runs"
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def make_run(runs_dir: Path):
    """Prepare a run folder from a data file and config overrides (not yet started)."""
    from playground.config import RunConfig
    from playground.service.prepare import create_run, prepare

    def make(data: Path, eval_data: Path | None = None, **overrides):
        prep = prepare(data, RunConfig(**overrides), eval_data)
        prep.raise_for_errors()
        return create_run(runs_dir, prep)

    return make


def tiny_settings(model_dir: Path, **extra) -> dict:
    """Settings that let the tiny model learn the three intents in a few seconds (as
    given: not fitted to the data, so a test's epochs are the epochs it runs)."""
    return {"model": str(model_dir), "epochs": 15, "learning_rate": 1e-3, "batch_size": 8,
            "max_length": 32, "precision": "fp32", "early_stopping_patience": 0,
            "fit_to_data": False, **extra}


CHATML = ("{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
          "{{ message['content'] }}<|im_end|>\n{% endfor %}"
          "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


@pytest.fixture(scope="session")
def tiny_chat_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 32-wide Llama with a small byte-level BPE tokenizer and a ChatML chat
    template, saved to a folder: a real causal language model that trains in seconds."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-chat")
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    words = [" ".join(p for phrases in INTENTS.values() for p in phrases),
             "what is your name my name is ada i was made by the lab hello how can i help"]
    bpe.train_from_iterator(words * 20, trainers.BpeTrainer(
        vocab_size=400, special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|im_end|>",
                                        pad_token="<|endoftext|>", bos_token=None)
    tokenizer.chat_template = CHATML
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2,
                         max_position_embeddings=256, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=True)
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


CARD_VERBS = ("block", "renew", "activate")  # what ``retrieval_chat_run`` was asked


def chat_rows(per_phrase: int = 3) -> list[tuple[str, str]]:
    """Question/answer pairs on the three intents' phrases, for a tiny chat run."""
    return [(f"{phrase} {i}", f"my name is ada and {label.replace('_', ' ')}")
            for label, phrases in INTENTS.items() for phrase in phrases
            for i in range(per_phrase)]


@pytest.fixture(scope="session")
def tiny_chat_run(tmp_path_factory: pytest.TempPathFactory, tiny_chat_model_dir: Path) -> Path:
    """A finished chat run of the tiny language model whose fine-tuned model answers and
    says words: three quick epochs on ``chat_rows`` teach it to start "my name is ada"
    (the random model it starts from answers blank lines, which a chat shows as nothing).

    Trained once per session and only read: copy it (``copy_run``) into a test's or an
    app's runs folder, and change the copy (rules, names, deletion)."""
    import time

    from playground.config import RunConfig
    from playground.service.prepare import create_run, prepare
    from playground.training.job import run_job

    folder = tmp_path_factory.mktemp("chat-run")
    data = folder / "qa.csv"
    pd.DataFrame(chat_rows(), columns=["question", "answer"]).to_csv(data, index=False)
    prep = prepare(data, RunConfig(task="chat", **tiny_settings(
        tiny_chat_model_dir, epochs=3, learning_rate=5e-3)))
    prep.raise_for_errors()
    run = create_run(folder / "runs", prep)
    run_job(run, time.time())
    if run.finetuned_dir.exists():
        # In seconds a tiny model learns too little to beat retrieval on validation, so
        # the run serves retrieval and keeps the fine-tuned model aside: it is put back,
        # as the job leaves a run whose fine-tuned model wins, so the agent writes (and
        # streams) its answers.
        shutil.rmtree(run.model_dir)
        run.finetuned_dir.rename(run.model_dir)
    run.update_status(state="succeeded")
    return run.path


@pytest.fixture(scope="session")
def retrieval_chat_run(tmp_path_factory: pytest.TempPathFactory):
    """A finished chat run of retrieval alone (the model "classic": no language model to
    load) on 30 card questions, as a RunFolder. Trained once per session: only read it."""
    import time

    from playground.config import RunConfig
    from playground.service.prepare import create_run, prepare
    from playground.training.job import run_job

    folder = tmp_path_factory.mktemp("retrieval-run")
    rows = [(f"how do I {verb} my card {i}", f"To {verb} your card, open the app.")
            for verb in CARD_VERBS for i in range(10)]
    data = folder / "qa.csv"
    pd.DataFrame(rows, columns=["question", "answer"]).to_csv(data, index=False)
    prep = prepare(data, RunConfig(task="chat", model="classic"))
    prep.raise_for_errors()
    run = create_run(folder / "runs", prep)
    run_job(run, time.time())
    run.update_status(state="succeeded")
    return run


@pytest.fixture(scope="session")
def tiny_lora_run(tmp_path_factory: pytest.TempPathFactory, tiny_chat_model_dir: Path) -> Path:
    """A finished LoRA chat run on the tiny language model that serves its adapter
    (``chat_samples.train_chat``), trained once per session: only read it, or copy it."""
    from chat_samples import train_chat

    return train_chat(tmp_path_factory.mktemp("lora-run"), tiny_chat_model_dir).path


def copy_run(run_dir: Path, runs_dir: Path):
    """A copy of a finished run folder in ``runs_dir``, as a RunFolder."""
    from playground.runfolder import RunFolder

    runs_dir.mkdir(parents=True, exist_ok=True)
    return RunFolder(Path(shutil.copytree(run_dir, runs_dir / run_dir.name)))
