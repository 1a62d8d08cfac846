"""Export a run as a standalone training script, for people who grow out of the playground.

``training_script`` reads a run folder and returns a readable Python file that trains the
same model on the same data files with the same settings, using only transformers,
datasets, torch, scikit-learn and pandas (peft for LoRA): no playground import. A run of
the classic model gets a short scikit-learn script instead.

The script is built from one template per kind of model with named placeholders; the
run's method (full, head, freeze, lora, bitfit) adds only its own few lines, so a reader
sees no code for methods the run did not use. Settings become named constants at the
top, so changing one is editing one line.
"""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path
from string import Template
from typing import Any

from playground.errors import RunError
from playground.runfolder import SPLITS, RunFolder

SCRIPT_NAME = "train_{run_id}.py"  # what write_training_script writes in the run folder


def training_script(run_dir: Path) -> str:
    """The source of a standalone script that reproduces the training of the run in
    ``run_dir`` (a text-classification run; the run does not need to have finished)."""
    run = RunFolder(Path(run_dir).resolve())
    if not run.exists():
        raise RunError(f"There is no run folder at {run.path}.",
                       "Choose a run from the list of runs.")
    spec = run.read_config()
    if spec["config"].get("task", "text-classification") != "text-classification":
        raise RunError("Only text-classification runs can be exported as a script so far.",
                       "Export a run that gives each text one label.")
    values = _common_values(run, spec)
    if spec["model"]["id"] == "classic":
        return _CLASSIC.substitute(values, **_classic_values())
    return _TRANSFORMER.substitute(values, **_transformer_values(spec))


def write_training_script(run_dir: Path, out: Path | None = None) -> Path:
    """Write the run's training script to ``out`` (default: train_<run_id>.py in the run
    folder) and return its path."""
    run = RunFolder(Path(run_dir).resolve())
    source = training_script(run.path)
    path = Path(out) if out is not None else run.path / SCRIPT_NAME.format(run_id=run.run_id)
    path.write_text(source, encoding="utf-8")
    return path


def _doc(text: Any) -> str:
    """Text that is safe inside the script's docstring (no quotes or backslashes)."""
    return " ".join(str(text).split()).replace("\\", "/").replace('"', "'")


def _py(value: Any) -> str:
    """A Python literal in the script's style: double quotes, unicode as it is, and a long
    list or dict one item per line."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, tuple):
        return "(" + ", ".join(map(_py, value)) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, (list, dict)):
        items = [f"{_py(k)}: {_py(v)}" for k, v in value.items()] if isinstance(value, dict) \
            else [_py(item) for item in value]
        open_, close = "{}" if isinstance(value, dict) else "[]"
        one_line = open_ + ", ".join(items) + close
        if len(one_line) <= 80:
            return one_line
        return open_ + "\n" + "".join(f"    {item},\n" for item in items) + close
    return repr(value)


def _common_values(run: RunFolder, spec: dict[str, Any]) -> dict[str, str]:
    data, config = spec["data"], spec["config"]
    rows = data.get("rows", {})
    created = time.strftime("%Y-%m-%d %H:%M", time.localtime(spec.get("created_at", 0)))
    return {
        "run_id": run.run_id,
        "run_path": _doc(run.path),
        "created": created,
        "model_name": _doc(spec["model"]["name"]),
        "data_line": textwrap.fill(
            f"Data: {_doc(data.get('name', '?'))}, split by the playground into "
            f"{' / '.join(str(rows.get(name, '?')) for name in SPLITS)} train / validation / "
            f"test rows; the test rows are {_doc(data.get('held_out', '?'))}.", width=88),
        "train_csv": _py(str(run.split_path("train"))),
        "validation_csv": _py(str(run.split_path("validation"))),
        "test_csv": _py(str(run.split_path("test"))),
        "output_dir": _py(f"model-{run.run_id}"),
        "labels": _py(spec["labels"]),
        "seed": _py(config["seed"]),
    }


def _classic_values() -> dict[str, str]:
    from playground.training.classic import REGRESSION, VECTORIZER

    vectorizer = {**VECTORIZER, "ngram_range": tuple(VECTORIZER["ngram_range"])}
    return {"vectorizer": _py(vectorizer), "regression": _py(REGRESSION)}


def _transformer_values(spec: dict[str, Any]) -> dict[str, str]:
    from playground.config import best_metric

    config, model = spec["config"], spec["model"]
    method = config["method"]
    rows = spec["data"].get("rows", {}).get("train", 0)
    steps = max(1, -(-rows // (config["batch_size"] * config["gradient_accumulation"])))
    total_steps = max(1, int(steps * config["epochs"]))
    method_constants = {
        "freeze": f"FREEZE_LAYERS = {config['freeze_layers']}  # bottom transformer layers "
                  "kept fixed (the embeddings too)\n",
        "lora": f"LORA_RANK = {config['lora_rank']}  # size of the adapter matrices\n"
                f"LORA_ALPHA = {config['lora_alpha']}  # scale of the adapters' update\n"
                "LORA_DROPOUT = 0.1  # dropout inside the adapters (the playground's value)\n",
    }.get(method, "")
    return {
        "method_summary": _METHOD_SUMMARY[method],
        "pip_peft": " peft" if method == "lora" else "",
        "needs_peft": ", peft (for LoRA)" if method == "lora" else "",
        "import_peft": "from peft import LoraConfig, TaskType, get_peft_model\n"
                       if method == "lora" else "",
        "model": _py(model.get("location") or model["id"]),
        "epochs": _py(config["epochs"]),
        "learning_rate": _py(config["learning_rate"]),
        "batch_size": _py(config["batch_size"]),
        "gradient_accumulation": _py(config["gradient_accumulation"]),
        "max_length": _py(config["max_length"]),
        "weight_decay": _py(config["weight_decay"]),
        "warmup_ratio": _py(config["warmup_ratio"]),
        "optimizer": _py("sgd" if config["optimizer"] == "sgd" else "adamw_torch"),
        "scheduler": _py(config["scheduler"]),
        "dropout": _py(config["dropout"]),
        "max_grad_norm": _py(config["max_grad_norm"]),
        "precision": _py(config["precision"]),
        "device": _py(config["device"]),
        "patience": _py(config["early_stopping_patience"]),
        "best_metric": _py(best_metric(config)),
        "eval_every_steps": _py(config["eval_every_steps"]),
        "max_train_rows": _py(config["max_train_rows"]),
        "log_every_steps": _py(max(1, min(10, total_steps // 20))),
        "method_constants": method_constants,
        "method_section": _METHOD_CODE[method],
        "apply_method": "" if method == "full" else "    model = apply_method(model)\n",
        "final_model": "trainer.model.merge_and_unload()  # adapters merged into the weights"
                       if method == "lora" else "trainer.model",
    }


_METHOD_SUMMARY = {
    "full": "full (every weight learns)",
    "head": "head (only the new classifier learns; the encoder is a fixed feature extractor)",
    "freeze": "freeze (the embeddings and the bottom FREEZE_LAYERS layers stay fixed)",
    "lora": "lora (small low-rank adapters plus the classifier learn; merged at the end)",
    "bitfit": "bitfit (only the bias terms and the classifier learn)",
}

_METHOD_CODE = {
    "full": "",
    "head": '''

def apply_method(model):
    """Method 'head': only the new classifier learns; the pretrained encoder stays fixed."""
    encoder = f"{model.base_model_prefix}."  # "bert.", "roberta.", "distilbert."...
    for name, param in model.named_parameters():
        param.requires_grad = not name.startswith(encoder)
    return model
''',
    "bitfit": '''

def apply_method(model):
    """Method 'bitfit': only the bias terms and the new classifier learn."""
    encoder = f"{model.base_model_prefix}."  # "bert.", "roberta.", "distilbert."...
    for name, param in model.named_parameters():
        param.requires_grad = not name.startswith(encoder) or name.endswith(".bias")
    return model
''',
    "freeze": '''

def apply_method(model):
    """Method 'freeze': the embeddings and the bottom FREEZE_LAYERS layers stay fixed."""
    # The layer stack: the longest list of modules with num_hidden_layers blocks.
    stacks = [m for m in model.modules() if isinstance(m, torch.nn.ModuleList)]
    wanted = getattr(model.config, "num_hidden_layers", None)
    layers = list(max([m for m in stacks if len(m) == wanted] or stacks, key=len))
    if FREEZE_LAYERS > len(layers):
        raise SystemExit(f"The model has {len(layers)} layers; set FREEZE_LAYERS to at most that.")
    embeddings = getattr(model.base_model, "embeddings", None)
    for module in ([embeddings] if embeddings is not None else []) + layers[:FREEZE_LAYERS]:
        for param in module.parameters():
            param.requires_grad = False
    return model
''',
    "lora": '''

def apply_method(model):
    """Method 'lora': low-rank adapters on every linear layer; the classifier learns fully."""
    config = LoraConfig(task_type=TaskType.SEQ_CLS, r=LORA_RANK, lora_alpha=LORA_ALPHA,
                        lora_dropout=LORA_DROPOUT, target_modules="all-linear")
    return get_peft_model(model, config)
''',
}

_TRANSFORMER = Template('''\
"""Fine-tune ${model_name} to label texts, as playground run ${run_id} did.

Exported on ${created} by the no-code fine-tuning playground from the run folder
${run_path}
${data_line}
Method: ${method_summary}.

Needs only transformers 5 or later, datasets, torch, scikit-learn${needs_peft} and pandas:

    pip install "transformers>=5" datasets torch scikit-learn pandas${pip_peft}
    python train_${run_id}.py                # the run's own data files
    python train_${run_id}.py --train a.csv --validation b.csv --test c.csv
    python train_${run_id}.py --help         # every option

The CSV files need a 'text' and a 'label' column. The script trains with the run's
settings (the constants below), keeps the checkpoint with the best validation score,
prints the test accuracy and macro-F1, and saves the model and tokenizer (safetensors)
in --output-dir.
"""

import argparse
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from datasets import Dataset
${import_peft}from sklearn.metrics import accuracy_score, f1_score
from transformers import (
    AutoConfig,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    EarlyStoppingCallback,
    Trainer,
    TrainingArguments,
    set_seed,
)

# --- The run's data and model ----------------------------------------------------------
TRAIN_CSV = Path(${train_csv})
VALIDATION_CSV = Path(${validation_csv})
TEST_CSV = Path(${test_csv})
OUTPUT_DIR = Path(${output_dir})  # relative to where you run the script
# The base model: a Hugging Face hub id or a local folder.
MODEL = ${model}
# The label names, in the order of the model's outputs.
LABELS = ${labels}

# --- Training settings (the run's config.json) -----------------------------------------
EPOCHS = ${epochs}  # passes over the training set (early stopping may end sooner)
LEARNING_RATE = ${learning_rate}  # size of each optimizer step
BATCH_SIZE = ${batch_size}  # examples per step on each device (evaluation uses twice as many)
GRADIENT_ACCUMULATION = ${gradient_accumulation}  # batches added up before each update
MAX_LENGTH = ${max_length}  # longest text the model reads, in tokens; longer texts are cut
WEIGHT_DECAY = ${weight_decay}  # pull on the weights towards zero, against over-fitting
WARMUP_RATIO = ${warmup_ratio}  # share of the steps over which the learning rate rises from 0
OPTIMIZER = ${optimizer}  # transformers' name for the run's optimizer
SCHEDULER = ${scheduler}  # how the learning rate changes over the run
DROPOUT = ${dropout}  # share of units switched off at random while training
MAX_GRAD_NORM = ${max_grad_norm}  # gradients are clipped to this size (0: no clipping)
PRECISION = ${precision}  # auto: bf16 or fp16 on a GPU, bf16 on a CPU that has it, else fp32
DEVICE = ${device}  # auto: the GPU when there is one; cpu: always the CPU
SEED = ${seed}  # the same seed and settings give the same run
EARLY_STOPPING_PATIENCE = ${patience}  # evaluations without improvement before stopping (0: never)
BEST_METRIC = ${best_metric}  # the validation score that picks the best checkpoint
EVAL_EVERY_STEPS = ${eval_every_steps}  # evaluate and save every N steps (0: once per epoch)
MAX_TRAIN_ROWS = ${max_train_rows}  # stratified sample of the training file (None: all rows)
LOG_EVERY_STEPS = ${log_every_steps}  # a training-loss point every N steps
${method_constants}
# Config keys different architectures use for dropout (BERT, DistilBERT, RoBERTa...).
DROPOUT_KEYS = ("hidden_dropout_prob", "attention_probs_dropout_prob", "dropout",
                "seq_classif_dropout")


# --- Data ------------------------------------------------------------------------------

def read_split(path: Path) -> pd.DataFrame:
    """A CSV file's 'text' and 'label' columns, read as text (an empty cell stays '')."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    unknown = sorted(set(frame["label"]) - set(LABELS))
    if unknown:
        raise SystemExit(f"{path} has labels the model does not know: {unknown}.")
    return frame


def limit_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """At most MAX_TRAIN_ROWS rows, sampled per label (the run's train.csv already is)."""
    if MAX_TRAIN_ROWS is None or len(frame) <= MAX_TRAIN_ROWS:
        return frame
    share = MAX_TRAIN_ROWS / len(frame)
    parts = [group.sample(n=max(1, round(len(group) * share)), random_state=SEED)
             for _, group in frame.groupby("label", sort=True)]
    return pd.concat(parts).sample(frac=1.0, random_state=SEED).reset_index(drop=True)


def tokenize(frame: pd.DataFrame, tokenizer) -> Dataset:
    """Token ids without padding (each batch is padded to its longest text), their
    lengths (for length-grouped batches) and the label ids."""
    dataset = Dataset.from_dict({"text": frame["text"].tolist(),
                                 "labels": [LABELS.index(label) for label in frame["label"]]})

    def encode(batch: dict) -> dict:
        encoded = tokenizer(batch["text"], truncation=True, max_length=MAX_LENGTH)
        encoded["length"] = [len(ids) for ids in encoded["input_ids"]]
        return encoded

    return dataset.map(encode, batched=True, remove_columns=["text"])


# --- Model -----------------------------------------------------------------------------

def load_model(location: str):
    """The tokenizer and the model with a new classifier for LABELS."""
    config = AutoConfig.from_pretrained(
        location, num_labels=len(LABELS), id2label=dict(enumerate(LABELS)),
        label2id={label: i for i, label in enumerate(LABELS)}, trust_remote_code=False)
    for key in DROPOUT_KEYS:
        if hasattr(config, key):
            setattr(config, key, DROPOUT)
    tokenizer = AutoTokenizer.from_pretrained(location, trust_remote_code=False)
    # A checkpoint that already has a classifier (for other labels) gets a new one.
    model = AutoModelForSequenceClassification.from_pretrained(
        location, config=config, ignore_mismatched_sizes=True, trust_remote_code=False)
    return tokenizer, model
${method_section}

def pick_precision(on_gpu: bool) -> str:
    """PRECISION for this machine: what 'auto' means here; no fp16 training on a CPU."""
    if PRECISION == "auto" and on_gpu:
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    if PRECISION == "auto":
        try:  # bf16 pays off on a CPU only with native bf16 instructions (AVX512-BF16, AMX)
            flags = set(Path("/proc/cpuinfo").read_text().split())
        except OSError:
            return "fp32"
        return "bf16" if flags & {"avx512_bf16", "amx_bf16"} else "fp32"
    return "fp32" if PRECISION == "fp16" and not on_gpu else PRECISION


def compute_metrics(prediction) -> dict:
    """Accuracy and macro-F1 (every label counts the same) from logits and label ids."""
    predicted = np.asarray(prediction.predictions).argmax(axis=-1)
    truth = prediction.label_ids
    return {"accuracy": float(accuracy_score(truth, predicted)),
            "macro_f1": float(f1_score(truth, predicted, labels=list(range(len(LABELS))),
                                       average="macro", zero_division=0))}


# --- Training --------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description="Fine-tune a text classifier.")
    parser.add_argument("--train", type=Path, default=TRAIN_CSV, help="training CSV file")
    parser.add_argument("--validation", type=Path, default=VALIDATION_CSV,
                        help="CSV file that picks the best checkpoint")
    parser.add_argument("--test", type=Path, default=TEST_CSV, help="held-out CSV file")
    parser.add_argument("--model", default=MODEL, help="hub id or folder of the base model")
    parser.add_argument("--output-dir", type=Path, default=OUTPUT_DIR,
                        help="where the trained model and tokenizer are saved")
    args = parser.parse_args()

    set_seed(SEED)  # before the new classifier is initialised: same seed, same start
    tokenizer, model = load_model(args.model)
${apply_method}    data = {"train": tokenize(limit_rows(read_split(args.train)), tokenizer),
            "validation": tokenize(read_split(args.validation), tokenizer),
            "test": tokenize(read_split(args.test), tokenizer)}

    on_gpu = DEVICE != "cpu" and torch.cuda.is_available()
    precision = pick_precision(on_gpu)
    by_steps = EVAL_EVERY_STEPS > 0
    checkpoints = args.output_dir / "checkpoints"
    training_args = TrainingArguments(
        output_dir=str(checkpoints),
        num_train_epochs=EPOCHS,
        learning_rate=LEARNING_RATE,
        per_device_train_batch_size=BATCH_SIZE,
        per_device_eval_batch_size=BATCH_SIZE * 2,
        gradient_accumulation_steps=GRADIENT_ACCUMULATION,
        weight_decay=WEIGHT_DECAY,
        warmup_steps=WARMUP_RATIO,  # a float below 1 is a share of the steps
        optim=OPTIMIZER,
        lr_scheduler_type=SCHEDULER,
        max_grad_norm=MAX_GRAD_NORM,
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        use_cpu=not on_gpu,
        seed=SEED,
        # Batches of texts of similar length: little padding, faster steps.
        train_sampling_strategy="group_by_length",
        eval_strategy="steps" if by_steps else "epoch",
        save_strategy="steps" if by_steps else "epoch",
        eval_steps=EVAL_EVERY_STEPS if by_steps else None,
        save_steps=EVAL_EVERY_STEPS if by_steps else None,
        save_total_limit=1,
        save_only_model=True,
        load_best_model_at_end=True,
        metric_for_best_model="eval_loss" if BEST_METRIC == "loss" else BEST_METRIC,
        greater_is_better=BEST_METRIC != "loss",
        logging_steps=LOG_EVERY_STEPS,
        logging_first_step=True,
        report_to="none",
    )
    callbacks = []
    if EARLY_STOPPING_PATIENCE > 0:  # stop once the validation score stops improving
        callbacks.append(EarlyStoppingCallback(EARLY_STOPPING_PATIENCE))
    trainer = Trainer(model=model, args=training_args, train_dataset=data["train"],
                      eval_dataset=data["validation"], processing_class=tokenizer,
                      data_collator=DataCollatorWithPadding(tokenizer),
                      compute_metrics=compute_metrics, callbacks=callbacks)
    trainer.train()  # ends with the best checkpoint's weights loaded

    # --- Held-out score and the saved model --------------------------------------------
    scores = trainer.evaluate(data["test"], metric_key_prefix="test")
    print(f"test accuracy {scores['test_accuracy']:.4f}  macro-F1 {scores['test_macro_f1']:.4f}")
    final = ${final_model}
    final.save_pretrained(args.output_dir)  # model.safetensors, config.json with the labels
    tokenizer.save_pretrained(args.output_dir)
    trainer.state.save_to_json(str(args.output_dir / "trainer_state.json"))  # the loss curve
    shutil.rmtree(checkpoints)  # the best checkpoint is the saved model
    print(f"saved the model in {args.output_dir}")


if __name__ == "__main__":
    main()
''')

_CLASSIC = Template('''\
"""The classic model (TF-IDF + logistic regression) of playground run ${run_id}.

Exported on ${created} by the no-code fine-tuning playground from the run folder
${run_path}
${data_line}

Needs only scikit-learn and pandas:

    pip install scikit-learn pandas
    python train_${run_id}.py                # the run's own data files
    python train_${run_id}.py --train a.csv --validation b.csv --test c.csv
    python train_${run_id}.py --help         # every option

The CSV files need a 'text' and a 'label' column. The script prints the test accuracy and
macro-F1 and saves the model with pickle in --output-dir.
"""

import argparse
import pickle
from pathlib import Path

import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

# --- The run's data --------------------------------------------------------------------
TRAIN_CSV = Path(${train_csv})
VALIDATION_CSV = Path(${validation_csv})
TEST_CSV = Path(${test_csv})
OUTPUT_DIR = Path(${output_dir})  # relative to where you run the script
LABELS = ${labels}  # the labels macro-F1 averages over

# --- Settings --------------------------------------------------------------------------
SEED = ${seed}  # the logistic regression's random state
# Word-boundary-aware character 1-4 grams catch stems, typos and Chinese words alike
# (no tokenizer needed); sublinear tf damps repeated characters.
VECTORIZER = ${vectorizer}
# C=10 fits short texts with many labels; max_iter gives the solver room to converge.
REGRESSION = ${regression}


def read_split(path: Path) -> pd.DataFrame:
    """A CSV file's 'text' and 'label' columns, read as text (an empty cell stays '')."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def main() -> None:
    parser = argparse.ArgumentParser(description="Train a TF-IDF + logistic regression model.")
    parser.add_argument("--train", type=Path, default=TRAIN_CSV, help="training CSV file")
    parser.add_argument("--validation", type=Path, default=VALIDATION_CSV,
                        help="more training rows (this model picks no checkpoint)")
    parser.add_argument("--test", type=Path, default=TEST_CSV, help="held-out CSV file")
    parser.add_argument("--output-dir", type=Path, default=OUTPUT_DIR,
                        help="where model.pkl is saved")
    args = parser.parse_args()

    # The model picks no checkpoint, so it learns from the validation rows too.
    seen = pd.concat([read_split(args.train), read_split(args.validation)])
    vectorizer = TfidfVectorizer(**VECTORIZER)
    try:
        features = vectorizer.fit_transform(seen["text"])
    except ValueError:  # min_df=2 leaves no n-gram at all in a tiny data set
        vectorizer = TfidfVectorizer(**{**VECTORIZER, "min_df": 1})
        features = vectorizer.fit_transform(seen["text"])
    classifier = LogisticRegression(**REGRESSION, random_state=SEED)
    classifier.fit(features, seen["label"])

    test = read_split(args.test)
    predicted = classifier.predict(vectorizer.transform(test["text"]))
    accuracy = accuracy_score(test["label"], predicted)
    macro_f1 = f1_score(test["label"], predicted, labels=LABELS, average="macro",
                        zero_division=0)
    print(f"test accuracy {accuracy:.4f}  macro-F1 {macro_f1:.4f}")

    # pickle runs code when it loads: open only model files you trust.
    args.output_dir.mkdir(parents=True, exist_ok=True)
    with (args.output_dir / "model.pkl").open("wb") as fh:
        pickle.dump({"vectorizer": vectorizer, "classifier": classifier}, fh)
    print(f"saved the model in {args.output_dir}")


if __name__ == "__main__":
    main()
''')
