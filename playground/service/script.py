"""Export a run as a standalone training script, for people who grow out of the playground.

``training_script`` reads a run folder and returns a readable Python file that trains the
same model on the same data files with the same settings, using only transformers,
datasets, torch, scikit-learn and pandas (peft for LoRA): no playground import. A run of
the classic model gets a short scikit-learn script instead.

The script is built from one template per kind of model with named placeholders
(``script_templates.py``); the run's method (full, head, freeze, lora, bitfit) adds only
its own few lines, so a reader sees no code for methods the run did not use. Settings become named constants at the
top, so changing one is editing one line.
"""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path
from typing import Any

from playground import tasks
from playground.errors import RunError
from playground.runfolder import DATA, SCRIPT, SPLITS, RunFolder
from playground.service.script_sft_template import LORA_CODE, SFT
from playground.service.script_templates import CLASSIC, METHOD_CODE, PICK_PRECISION, TRANSFORMER

# What the embedded models are on the hub (catalog id -> hub id): a script runs elsewhere.
EMBEDDED_HUB_IDS = {"minilm": "sentence-transformers/all-MiniLM-L6-v2",
                    "smollm2-135m": "HuggingFaceTB/SmolLM2-135M-Instruct"}


def training_script(run_dir: Path) -> str:
    """The source of a standalone script that reproduces the training of the run in
    ``run_dir`` (of a task that exports scripts; the run does not need to have finished)."""
    run = RunFolder(Path(run_dir).resolve())
    if not run.exists():
        raise RunError(f"There is no run folder {run.run_id}.",
                       "Choose a run from the list of runs.",
                       zh=f"没有训练记录文件夹 {run.run_id}。请从训练记录列表中选择一个。")
    spec = run.read_config()
    task = tasks.of_config(spec["config"])
    if not task.exports_script:
        able = [spec for spec in map(tasks.spec, tasks.names()) if spec.exports_script]
        raise RunError(f"A '{task.short_title[0]}' run cannot be exported as a script yet.",
                       f"Export a run of: {', '.join(s.short_title[0] for s in able)}.",
                       zh=f"“{task.short_title[1]}”训练记录暂时不能导出为脚本。"
                          f"请导出这些任务的训练记录：{'、'.join(s.short_title[1] for s in able)}。")
    if not any((run.path / DATA).glob("train.*")):
        raise RunError(f"The run {run.run_id} has no training data here (an imported agent "
                       "carries its model, not its data).",
                       "Export the script from the run that trained it, or train again here.",
                       zh=f"训练记录 {run.run_id} 在这里没有训练数据（导入的智能体只带模型，不带数据）。"
                          "请从训练它的那条记录导出脚本，或在这里重新训练。")
    values = _common_values(run, spec)
    language_model = task.model_family == "causal-lm"
    if spec["model"]["id"] == "classic" and language_model:
        raise RunError("This agent answers by retrieval (the answer of the most similar "
                       "training question): it trains no model, so there is no script.",
                       "Export the script of a run that fine-tunes a language model.",
                       zh="该智能体靠检索回答（最相似训练问题的答案）：它不训练模型，所以没有脚本。"
                          "请导出微调语言模型的训练记录的脚本。")
    if spec["model"]["id"] == "classic":
        return CLASSIC.substitute(values, **_classic_values())
    if language_model:
        return SFT.substitute(values, **_sft_values(run, spec))
    return TRANSFORMER.substitute(values, **_transformer_values(spec))


def write_training_script(run_dir: Path, out: Path | None = None) -> Path:
    """Write the run's training script to ``out`` (default: train_<run_id>.py in the run
    folder) and return its path."""
    run = RunFolder(Path(run_dir).resolve())
    source = training_script(run.path)
    path = Path(out) if out is not None else run.path / SCRIPT.format(run_id=run.run_id)
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
        "created": created,
        "pick_precision": PICK_PRECISION,
        "model_name": _doc(spec["model"]["name"]),
        "data_line": textwrap.fill(
            f"Data: {_doc(data.get('name', '?'))}, split by the playground into "
            f"{' / '.join(str(rows.get(name, '?')) for name in SPLITS)} train / validation / "
            f"test rows; the test rows are {_doc(data.get('held_out', '?'))}.", width=88),
        # Paths relative to the script: an absolute one would name the server's folders.
        "data_dir": _py(DATA),
        "data_files": f"{DATA}/train.csv, {DATA}/validation.csv and {DATA}/test.csv",
        **{f"{name}_csv": _py(run.split_path(name).name) for name in SPLITS},
        "output_dir": _py(f"model-{run.run_id}"),
        "labels": _py(spec["labels"]),
        "seed": _py(config["seed"]),
    }


def _classic_values() -> dict[str, str]:
    """The classic model's settings and the limits ``classic_plan`` fits it within, so the
    script samples, keeps n-grams and caps steps as the run did."""
    from playground.data.limits import MAX_TEXT_CHARS
    from playground.tasks.classify import classic_plan
    from playground.tasks.classify.classic import (
        MIN_FEATURES,
        REGRESSION,
        STEPS_PER_EVENT,
        VECTORIZER,
    )

    vectorizer = {**VECTORIZER, "ngram_range": tuple(VECTORIZER["ngram_range"])}
    return {"vectorizer": _py(vectorizer), "regression": _py(REGRESSION),
            "text_chars": _py(MAX_TEXT_CHARS), "max_rows": _py(classic_plan.MAX_ROWS),
            "memory": _py(classic_plan.MEMORY), "lbfgs_copies": _py(classic_plan.LBFGS_COPIES),
            "row_copies": _py(classic_plan.ROW_COPIES), "min_features": _py(MIN_FEATURES),
            "work": _py(classic_plan.WORK), "steps_per_part": _py(STEPS_PER_EVENT)}


def _transformer_values(spec: dict[str, Any]) -> dict[str, str]:
    from playground.config import best_metric, trainer_optimizer

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
        **_model_values(model),
        # Settings the script copies as they are, each into its own constant.
        **{name: _py(config[name]) for name in (
            "epochs", "learning_rate", "batch_size", "gradient_accumulation", "max_length",
            "weight_decay", "warmup_ratio", "scheduler", "dropout", "max_grad_norm",
            "precision", "device", "eval_every_steps", "max_train_rows")},
        "optimizer": _py(trainer_optimizer(config["optimizer"])),
        "patience": _py(config["early_stopping_patience"]),
        "best_metric": _py(best_metric(config)),
        "log_every_steps": _py(max(1, min(10, total_steps // 20))),
        "method_constants": method_constants,
        "method_section": METHOD_CODE[method],
        "apply_method": "" if method == "full" else "    model = apply_method(model)\n",
        "final_model": "trainer.model.merge_and_unload()  # adapters merged into the weights"
                       if method == "lora" else "trainer.model",
    }


def _sft_values(run: RunFolder, spec: dict[str, Any]) -> dict[str, str]:
    """A language model's run: SFT on its conversations (full weights or LoRA)."""
    from playground.config import trainer_optimizer

    config, model = spec["config"], spec["model"]
    lora = config["method"] == "lora"
    if config["method"] not in ("full", "lora"):  # freeze and bitfit: not written yet
        raise RunError(f"A script for the method '{config['method']}' on a language model "
                       "is not written yet.", "Export a run trained with 'lora' or 'full'.",
                       zh=f"语言模型用“{config['method']}”方式训练的脚本还没有写好。"
                          "请导出用 lora 或 full 方式训练的记录。")
    rows = spec["data"].get("rows", {}).get("train", 0)
    steps = max(1, -(-rows // (config["batch_size"] * config["gradient_accumulation"])))
    files = {name: run.conversation_split_path(name).name for name in ("train", "validation")}
    return {
        "method_summary": "lora (small low-rank adapters on every linear layer learn; the "
                          "adapter is saved, and names its base model)" if lora else
                          "full (every weight learns)",
        "pip_peft": " peft" if lora else "", "needs_peft": ", peft (for LoRA)" if lora else "",
        "import_peft": "from peft import LoraConfig, TaskType, get_peft_model\n" if lora else "",
        "data_files": f"{DATA}/{files['train']} and {DATA}/{files['validation']}",
        "train_file": _py(files["train"]), "validation_file": _py(files["validation"]),
        **_model_values(model),
        **{name: _py(config[name]) for name in (
            "epochs", "learning_rate", "batch_size", "gradient_accumulation", "max_length",
            "weight_decay", "warmup_ratio", "scheduler", "max_grad_norm", "precision",
            "device", "eval_every_steps")},
        "gradient_checkpointing": _py(bool(config.get("gradient_checkpointing", False))),
        "optimizer": _py(trainer_optimizer(config["optimizer"])),
        "patience": _py(config["early_stopping_patience"]),
        "log_every_steps": _py(max(1, min(10, int(steps * config["epochs"]) // 20))),
        "method_constants": (f"LORA_RANK = {config['lora_rank']}  # size of the adapter "
                             f"matrices\nLORA_ALPHA = {config['lora_alpha']}  # scale of the "
                             "adapters' update\nLORA_DROPOUT = 0.05  # dropout inside the "
                             "adapters (the playground's value)\n") if lora else "",
        "method_section": LORA_CODE if lora else "",
        "apply_method": "model = apply_lora(model)\n    " if lora else "",
        "saved_what": " (for LoRA: the adapter, which names its base model)" if lora else "",
        "saved_note": "the adapter alone (a few MB)" if lora else "the whole model",
    }


def _model_values(model: dict[str, Any]) -> dict[str, str]:
    """MODEL by a name that works elsewhere, never by the folder it has on this machine."""
    if model.get("source") == "local":
        return {"model": _py(Path(model["id"]).name),
                "model_note": "  # its folder's name where it trained: give its path"}
    if model.get("source") == "embedded":
        return {"model": _py(EMBEDDED_HUB_IDS.get(model["id"], model["id"])),
                "model_note": "  # the playground's embedded copy"}
    return {"model": _py(model["id"]), "model_note": ""}


_METHOD_SUMMARY = {
    "full": "full (every weight learns)",
    "head": "head (only the new classifier learns; the encoder is a fixed feature extractor)",
    "freeze": "freeze (the embeddings and the bottom FREEZE_LAYERS layers stay fixed)",
    "lora": "lora (small low-rank adapters plus the classifier learn; merged at the end)",
    "bitfit": "bitfit (only the bias terms and the classifier learn)",
}
