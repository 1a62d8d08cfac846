"""The text of the generated training scripts (see ``script.py``): one template per kind
of model with ``${name}`` placeholders, and the few lines each fine-tuning method adds.

Kept apart from the code that fills them so that both read top to bottom.
"""

from string import Template

# What 'auto' precision means on the machine that runs a script: the same lines in the
# script of every model that trains with transformers (inserted as ${pick_precision}).
PICK_PRECISION = '''def pick_precision(on_gpu: bool) -> str:
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
'''

METHOD_CODE = {
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

TRANSFORMER = Template('''\
"""Fine-tune ${model_name} to label texts, as playground run ${run_id} did.

Exported on ${created} by the no-code fine-tuning playground from its run ${run_id}.
${data_line}
Method: ${method_summary}.

Needs only transformers 5 or later, datasets, torch, scikit-learn${needs_peft} and pandas:

    pip install "transformers>=5" datasets torch scikit-learn pandas${pip_peft}
    python train_${run_id}.py                # the run's own data files (see below)
    python train_${run_id}.py --train a.csv --validation b.csv --test c.csv
    python train_${run_id}.py --help         # every option

The run's data files are ${data_files},
in the run folder where 'playground' saves this script too. Run it there, copy that data
folder beside it, or point at the files with --train, --validation and --test.

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
DATA_DIR = Path(__file__).resolve().parent / ${data_dir}  # beside this script
TRAIN_CSV = DATA_DIR / ${train_csv}
VALIDATION_CSV = DATA_DIR / ${validation_csv}
TEST_CSV = DATA_DIR / ${test_csv}
OUTPUT_DIR = Path(${output_dir})  # relative to where you run the script
# The base model: a Hugging Face hub id or a local folder (--model gives another).
MODEL = ${model}${model_note}
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

${pick_precision}

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

CLASSIC = Template('''\
"""The classic model (TF-IDF + logistic regression) of playground run ${run_id}.

Exported on ${created} by the no-code fine-tuning playground from its run ${run_id}.
${data_line}

Needs only scikit-learn and pandas:

    pip install scikit-learn pandas
    python train_${run_id}.py                # the run's own data files (see below)
    python train_${run_id}.py --train a.csv --validation b.csv --test c.csv
    python train_${run_id}.py --help         # every option

The run's data files are ${data_files},
in the run folder where 'playground' saves this script too. Run it there, copy that data
folder beside it, or point at the files with --train, --validation and --test.

The CSV files need a 'text' and a 'label' column. The script prints the test accuracy and
macro-F1 and saves the model with pickle in --output-dir.

It bounds the model's cost as the playground did: a large file is sampled per label, many
labels keep fewer n-grams, and the solver's steps are capped (see "Cost" below).
"""

import argparse
import pickle
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

# --- The run's data --------------------------------------------------------------------
DATA_DIR = Path(__file__).resolve().parent / ${data_dir}  # beside this script
TRAIN_CSV = DATA_DIR / ${train_csv}
VALIDATION_CSV = DATA_DIR / ${validation_csv}
TEST_CSV = DATA_DIR / ${test_csv}
OUTPUT_DIR = Path(${output_dir})  # relative to where you run the script
LABELS = ${labels}  # the labels macro-F1 averages over

# --- Settings --------------------------------------------------------------------------
SEED = ${seed}  # the random state of the sample and of the logistic regression
# Word-boundary-aware character 1-4 grams catch stems, typos and Chinese words alike
# (no tokenizer needed); sublinear tf damps repeated characters.
VECTORIZER = ${vectorizer}
# C=10 fits short texts with many labels; max_iter gives the solver room to converge.
REGRESSION = ${regression}

# --- Cost (the playground's limits, so this script fits the model its run did) ---------
TEXT_CHARS = ${text_chars}  # each text is read up to this many characters
MAX_ROWS = ${max_rows}  # more rows than this: a sample with the same share of each label
MEMORY = ${memory}  # bytes the fit may take: many labels keep fewer n-grams
LBFGS_COPIES = ${lbfgs_copies}  # the solver holds about this many n-grams x labels matrices
ROW_COPIES = ${row_copies}  # and this many numbers per row and label
MIN_FEATURES = ${min_features}  # fewer n-grams than this are not worth fitting
WORK = ${work}  # multiply-adds the solver may spend: heavy steps get fewer of them
STEPS_PER_PART = ${steps_per_part}  # the solver runs in parts (each from the last one's weights)


def read_split(path: Path) -> pd.DataFrame:
    """A CSV file's 'text' and 'label' columns, read as text (an empty cell stays '')."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def sample_rows(labels: list[str], rows: int) -> np.ndarray:
    """Indices of about ``rows`` of ``labels``, the same share of each label and at least
    one row of each, in their original order (all of them when there are few enough)."""
    if len(labels) <= rows:
        return np.arange(len(labels))
    _, which = np.unique(np.asarray(labels, dtype=str), return_inverse=True)
    by_label = np.split(np.argsort(which, kind="stable"), np.cumsum(np.bincount(which))[:-1])
    rng, share = np.random.default_rng(SEED), rows / len(labels)
    kept = [rng.choice(where, size=max(1, round(len(where) * share)), replace=False)
            for where in by_label]
    return np.sort(np.concatenate(kept))


def most_features(rows: int, labels: int) -> int:
    """The n-grams the fit may keep within MEMORY (8 bytes a number)."""
    spare = MEMORY - 8 * labels * ROW_COPIES * rows
    features = min(VECTORIZER["max_features"], spare // (8 * labels * LBFGS_COPIES))
    if features < MIN_FEATURES:
        raise SystemExit(f"{labels:,} labels are too many to learn from {rows:,} rows within "
                         f"{MEMORY / 2**30:.0f} GB: merge related labels.")
    return int(features)


def fit_classifier(features, labels: list[str]) -> LogisticRegression:
    """The logistic regression, at most max_iter steps (fewer when each step is heavy),
    fitted STEPS_PER_PART at a time, each part from the last one's weights."""
    steps = int(min(REGRESSION["max_iter"],
                    max(100, WORK // max(1, 2 * features.nnz * len(set(labels))))))
    classifier = LogisticRegression(**{**REGRESSION, "max_iter": STEPS_PER_PART},
                                    warm_start=True, random_state=SEED)
    for done in range(0, steps, STEPS_PER_PART):
        print(f"fitting: {done:,} of at most {steps:,} steps done")
        with warnings.catch_warnings():  # a part that stops short of converging is expected
            warnings.simplefilter("ignore", ConvergenceWarning)
            classifier.fit(features, labels)
        if classifier.n_iter_.max() < STEPS_PER_PART:  # converged within this part
            break
    return classifier


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
    texts = [text[:TEXT_CHARS] for text in seen["text"]]
    labels = seen["label"].tolist()
    rows = min(len(texts), MAX_ROWS)
    settings = {**VECTORIZER, "max_features": most_features(rows, len(set(labels)))}
    kept = sample_rows(labels, rows)
    texts, labels = [texts[i] for i in kept], [labels[i] for i in kept]
    print(f"learning from {len(texts):,} of {len(seen):,} rows, "
          f"at most {settings['max_features']:,} n-grams")
    vectorizer = TfidfVectorizer(**settings)
    try:
        features = vectorizer.fit_transform(texts)
    except ValueError:  # min_df=2 leaves no n-gram at all in a tiny data set
        vectorizer = TfidfVectorizer(**{**settings, "min_df": 1})
        features = vectorizer.fit_transform(texts)
    classifier = fit_classifier(features, labels)

    test = read_split(args.test)
    predicted = classifier.predict(vectorizer.transform(
        [text[:TEXT_CHARS] for text in test["text"]]))
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
