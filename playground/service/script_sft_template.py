"""The text of the generated training script for a language model's run (see
``script.py``): TRL's SFTTrainer on the run's conversations, with the loss on the
assistant's answers only, as the playground trains it. ``${name}`` placeholders are the
run's settings; LoRA adds only its own lines."""

from string import Template

LORA_CODE = '''

def apply_lora(model):
    """Method 'lora': low-rank adapters on every linear layer; the rest stays fixed."""
    config = LoraConfig(task_type=TaskType.CAUSAL_LM, r=LORA_RANK, lora_alpha=LORA_ALPHA,
                        lora_dropout=LORA_DROPOUT, target_modules="all-linear")
    return get_peft_model(model, config)
'''

SFT = Template('''\
"""Fine-tune ${model_name} to answer in its own words, as playground run ${run_id} did.

Exported on ${created} by the no-code fine-tuning playground from its run ${run_id}.
${data_line}
Method: ${method_summary}.

Needs only transformers 5 or later, datasets, torch and trl${needs_peft}:

    pip install "transformers>=5" datasets torch trl${pip_peft}
    python train_${run_id}.py                # the run's own data files (see below)
    python train_${run_id}.py --train a.jsonl --validation b.jsonl
    python train_${run_id}.py --max-steps 2  # a quick try
    python train_${run_id}.py --help         # every option

The run's data files are ${data_files},
in the run folder where 'playground' saves this script too. Run it there, copy that data
folder beside it, or point at the files with --train and --validation. Each line is one
conversation: {"messages": [{"role": "user", "content": ...}, {"role": "assistant",
"content": ...}, ...]}.

The loss counts the assistant's answers only, each given what came before it, in the
model's own chat template. The script keeps the checkpoint with the lowest validation
loss and saves the model${saved_what} and tokenizer (safetensors) in --output-dir.
"""

import argparse
import json
import shutil
from pathlib import Path

import torch
from datasets import Dataset
${import_peft}from transformers import AutoModelForCausalLM, AutoTokenizer, EarlyStoppingCallback, set_seed
from trl import SFTConfig, SFTTrainer

# --- The run's data and model ----------------------------------------------------------
DATA_DIR = Path(__file__).resolve().parent / ${data_dir}  # beside this script
TRAIN_FILE = DATA_DIR / ${train_file}
VALIDATION_FILE = DATA_DIR / ${validation_file}
OUTPUT_DIR = Path(${output_dir})  # relative to where you run the script
# The base model: a Hugging Face hub id or a local folder (--model gives another).
MODEL = ${model}${model_note}

# --- Training settings (the run's config.json) -----------------------------------------
EPOCHS = ${epochs}  # passes over the training set (early stopping may end sooner)
LEARNING_RATE = ${learning_rate}  # size of each optimizer step
BATCH_SIZE = ${batch_size}  # examples per step on each device (evaluation uses twice as many)
GRADIENT_ACCUMULATION = ${gradient_accumulation}  # batches added up before each update
MAX_LENGTH = ${max_length}  # longest conversation the model reads, in tokens; longer ones are cut
WEIGHT_DECAY = ${weight_decay}  # pull on the weights towards zero, against over-fitting
WARMUP_RATIO = ${warmup_ratio}  # share of the steps over which the learning rate rises from 0
OPTIMIZER = ${optimizer}  # transformers' name for the run's optimizer
SCHEDULER = ${scheduler}  # how the learning rate changes over the run
MAX_GRAD_NORM = ${max_grad_norm}  # gradients are clipped to this size (0: no clipping)
PRECISION = ${precision}  # auto: bf16 or fp16 on a GPU, bf16 on a CPU that has it, else fp32
GRADIENT_CHECKPOINTING = ${gradient_checkpointing}  # recompute activations: less memory, slower
DEVICE = ${device}  # auto: the GPU when there is one; cpu: always the CPU
SEED = ${seed}  # the same seed and settings give the same run
EARLY_STOPPING_PATIENCE = ${patience}  # evaluations without improvement before stopping (0: never)
EVAL_EVERY_STEPS = ${eval_every_steps}  # evaluate and save every N steps (0: once per epoch)
LOG_EVERY_STEPS = ${log_every_steps}  # a training-loss point every N steps
${method_constants}

# --- Data ------------------------------------------------------------------------------

def read_conversations(path: Path) -> list:
    """The conversations of a JSON lines file, each a list of messages."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line)["messages"] for line in fh if line.strip()]


def examples(conversations: list) -> Dataset:
    """One prompt/completion example per assistant turn (a several-turn conversation
    teaches every answer in it, each given what came before): TRL then counts the loss
    on the completion alone."""
    rows = [{"prompt": conversation[:i], "completion": [message]}
            for conversation in conversations
            for i, message in enumerate(conversation) if message["role"] == "assistant" and i]
    return Dataset.from_list(rows)


# --- Model -----------------------------------------------------------------------------

def load_model(location: str):
    """The tokenizer (with a padding token) and the language model, in fp32 (the trainer
    casts to bf16 or fp16 where PRECISION says so)."""
    tokenizer = AutoTokenizer.from_pretrained(location, trust_remote_code=False)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(location, trust_remote_code=False,
                                                 dtype=torch.float32)
    return tokenizer, model
${method_section}

${pick_precision}

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, default=TRAIN_FILE, help="training conversations")
    parser.add_argument("--validation", type=Path, default=VALIDATION_FILE,
                        help="validation conversations (pick the best checkpoint)")
    parser.add_argument("--model", default=MODEL, help="hub id or folder of the base model")
    parser.add_argument("--output-dir", type=Path, default=OUTPUT_DIR,
                        help="where the trained model and tokenizer are saved")
    parser.add_argument("--max-steps", type=int, default=-1,
                        help="stop after this many steps, for a quick try (-1: the epochs)")
    args = parser.parse_args()

    set_seed(SEED)
    on_gpu = DEVICE != "cpu" and torch.cuda.is_available()
    precision = pick_precision(on_gpu)
    tokenizer, model = load_model(args.model)
    ${apply_method}if GRADIENT_CHECKPOINTING:  # frozen inputs would stop the gradients (peft's fix)
        model.enable_input_require_grads()
    train = examples(read_conversations(args.train))
    validation = examples(read_conversations(args.validation))
    by_steps = EVAL_EVERY_STEPS > 0
    settings = SFTConfig(
        output_dir=str(args.output_dir / "checkpoints"),
        max_length=MAX_LENGTH,
        completion_only_loss=True,  # the loss on the assistant's answers only
        packing=False,
        per_device_train_batch_size=BATCH_SIZE,
        per_device_eval_batch_size=BATCH_SIZE * 2,
        gradient_accumulation_steps=GRADIENT_ACCUMULATION,
        num_train_epochs=EPOCHS,
        max_steps=args.max_steps,
        learning_rate=LEARNING_RATE,
        weight_decay=WEIGHT_DECAY,
        max_grad_norm=MAX_GRAD_NORM,
        warmup_steps=WARMUP_RATIO,  # a float below 1 is a ratio in transformers 5
        lr_scheduler_type=SCHEDULER,
        optim=OPTIMIZER,
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        use_cpu=not on_gpu,
        seed=SEED,
        gradient_checkpointing=GRADIENT_CHECKPOINTING,  # TRL's default would be True
        eval_strategy="steps" if by_steps else "epoch",
        save_strategy="steps" if by_steps else "epoch",
        eval_steps=EVAL_EVERY_STEPS if by_steps else None,
        save_steps=EVAL_EVERY_STEPS if by_steps else None,
        save_total_limit=1,
        load_best_model_at_end=True,
        metric_for_best_model="eval_loss",
        greater_is_better=False,
        logging_steps=LOG_EVERY_STEPS,
        report_to="none",
    )
    callbacks = [EarlyStoppingCallback(EARLY_STOPPING_PATIENCE)] if EARLY_STOPPING_PATIENCE else []
    trainer = SFTTrainer(model=model, args=settings, train_dataset=train,
                         eval_dataset=validation, processing_class=tokenizer,
                         callbacks=callbacks)
    trainer.train()
    print(f"validation loss: {trainer.evaluate()['eval_loss']:.4f}")
    trainer.model.save_pretrained(args.output_dir)  # ${saved_note}
    tokenizer.save_pretrained(args.output_dir)
    shutil.rmtree(args.output_dir / "checkpoints", ignore_errors=True)  # the best is saved
    print(f"saved in {args.output_dir}")


if __name__ == "__main__":
    main()
''')
