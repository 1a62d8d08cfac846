"""The one typed description of a run.

``RunConfig`` is the single schema behind the command line, the web form, presets and
``config.json`` in every run folder. Each field carries its own help text, range and
choices (``FieldSpec`` in the dataclass metadata), so the form is generated from it and
``validate`` checks every value with a sentence a non-programmer can act on.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground import json_text, tasks
from playground.errors import ConfigError

METHODS = ("full", "head", "freeze", "lora", "bitfit")
TASKS = tasks.names()
# "auto" picks the checkpoint by what matters for the task, its headline score: accuracy
# for a label per text, entity F1 for named entities (token accuracy is mostly "O" and
# would flatter any model).
CHECKPOINT_METRICS = ("auto", *dict.fromkeys(
    m for spec in tasks.specs() for m in spec.checkpoint_metrics), "loss")


def _task_help(lang: int) -> str:
    return "; ".join(spec.help[lang] for spec in tasks.specs())


def _auto_help(lang: int) -> str:
    """What "auto" picks the checkpoint by, per task, named as the page names tasks."""
    said = []
    for spec in tasks.specs():
        key = spec.auto_checkpoint or spec.headline
        metric = ("the loss", "损失")[lang] if key == "loss" else \
            spec.metric_title(key, "zh" if lang else "en")
        said.append(f"for {spec.short_title[0].lower()}, {metric}" if lang == 0 else
                    f"{spec.short_title[1]}用{metric}")
    return ("; " if lang == 0 else "；").join(said)

# Names of the settings as the form shows them (English, Chinese): errors name a setting
# by these, so a message and the form it points to use the same words.
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "model": ("Model", "模型"),
    "task": ("Task", "任务"),
    "text_column": ("Text column", "文本列"),
    "label_column": ("Label column", "标签列"),
    "method": ("Fine-tuning method", "微调方式"),
    "epochs": ("Epochs", "训练轮数"),
    "learning_rate": ("Learning rate", "学习率"),
    "batch_size": ("Batch size", "批次大小"),
    "max_length": ("Max length (tokens)", "最大长度（词元）"),
    "weight_decay": ("Weight decay", "权重衰减"),
    "warmup_ratio": ("Warm-up share", "预热比例"),
    "optimizer": ("Optimizer", "优化器"),
    "scheduler": ("Learning-rate schedule", "学习率调度"),
    "dropout": ("Dropout", "丢弃率"),
    "gradient_accumulation": ("Gradient accumulation", "梯度累积"),
    "gradient_checkpointing": ("Gradient checkpointing (less memory, slower)",
                               "梯度检查点（省内存，较慢）"),
    "max_grad_norm": ("Gradient clipping", "梯度裁剪"),
    "precision": ("Precision", "数值精度"),
    "seed": ("Seed", "随机种子"),
    "early_stopping_patience": ("Early-stopping patience", "提前停止耐心值"),
    "early_stopping_metric": ("Score that picks the best checkpoint", "挑选最佳检查点所用的分数"),
    "eval_every_steps": ("Evaluate every N steps (0: each epoch)", "每 N 步评估（0：每轮）"),
    "freeze_layers": ("Layers to freeze", "冻结层数"),
    "lora_rank": ("LoRA rank (adapter size)", "LoRA 秩（适配器大小）"),
    "lora_alpha": ("LoRA alpha (adapter strength)", "LoRA alpha（适配器强度）"),
    "validation_fraction": ("Validation share", "验证集比例"),
    "test_fraction": ("Held-out test share", "测试集比例"),
    "fit_to_data": ("Fit the settings to the data", "按数据量调整设置"),
    "max_train_rows": ("At most this many training rows (empty: all)", "最多训练行数（留空：全部）"),
    "device": ("Device", "设备"),
}

# What each choice of a setting means, as its dropdown shows it (English, Chinese). Each
# starts with the value itself, which the help texts, messages and settings files use.
CHOICE_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "method": {
        "full": ("full: every weight learns", "full：全部参数参与学习"),
        "head": ("head: the new classifier only", "head：只训练新分类层"),
        "freeze": ("freeze: bottom layers fixed", "freeze：冻结底部若干层"),
        "lora": ("lora: a small add-on learns", "lora：只训练一个小附加部分"),
        "bitfit": ("bitfit: bias terms only", "bitfit：只训练偏置项"),
    },
    "optimizer": {
        "adamw": ("adamw: AdamW, suits almost all", "adamw：AdamW，几乎都适用"),
        "sgd": ("sgd: less memory", "sgd：更省内存"),
    },
    "scheduler": {
        "linear": ("linear: falls steadily to zero", "linear：匀速降到零"),
        "cosine": ("cosine: falls along a curve", "cosine：沿余弦曲线下降"),
        "constant": ("constant: stays the same", "constant：保持不变"),
        "constant_with_warmup": ("constant_with_warmup: the same after warm-up",
                                 "constant_with_warmup：预热后保持不变"),
    },
    "precision": {
        "auto": ("auto: the fastest this machine has", "auto：本机最快的精度"),
        "fp32": ("fp32: full precision", "fp32：全精度"),
        "bf16": ("bf16: half the bits", "bf16：一半位数"),
        "fp16": ("fp16: half the bits (GPU only)", "fp16：一半位数（仅 GPU）"),
    },
    "early_stopping_metric": {
        "auto": ("auto: the task's usual score", "auto：该任务常用的分数"),
        "accuracy": ("accuracy: share right", "accuracy：准确率"),
        "macro_f1": ("macro_f1: every label counts the same", "macro_f1：每个标签同等重要"),
        "f1": ("f1: entity F1", "f1：实体 F1"),
        "loss": ("loss: lower is better", "loss：越低越好"),
    },
    "device": {
        "auto": ("auto: the GPU when there is one", "auto：有 GPU 就用 GPU"),
        "cpu": ("cpu: the processor", "cpu：处理器"),
        "cuda": ("cuda: an NVIDIA GPU", "cuda：NVIDIA GPU"),
    },
}


@dataclass(frozen=True)
class FieldSpec:
    """What the form and the validator need to know about one setting."""

    help: str
    help_zh: str
    group: str = "advanced"  # "basic" fields show in the simple view of the form
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None
    optional: bool = False  # None is allowed (meaning "guess it" or "no limit")


def _f(default: Any, spec: FieldSpec) -> Any:
    return field(default=default, metadata={"spec": spec})


@dataclass
class RunConfig:
    """Every setting of one training run. Defaults are the "Balanced" choice."""

    model: str = _f("auto", FieldSpec(
        "Which model to fine-tune: 'auto' picks the best one available for your data's "
        "language; 'classic' is the instant TF-IDF model; or a catalog name, a Hugging Face "
        "hub id, or a local model folder.",
        "要微调的模型：'auto' 会按数据语言自动挑选可用的最佳模型；'classic' 是秒级训练的经典模型；"
        "也可填模型目录中的名字、Hugging Face 模型 id 或本地模型文件夹。",
        group="basic"))
    task: str = _f(tasks.DEFAULT, FieldSpec(
        f"What the agent does with a text: {_task_help(0)}.",
        f"智能体对文本做什么：{_task_help(1)}。", group="basic", choices=TASKS))
    text_column: str | None = _f(None, FieldSpec(
        "Column that holds the texts (for entities: the tokens, or the text the spans point "
        "into; empty: guessed from the file).",
        "存放文本的列（实体任务：词元列，或实体位置所指的文本列；留空则自动猜测）。", group="basic",
        optional=True))
    label_column: str | None = _f(None, FieldSpec(
        "Column that holds the labels (for entities: the tags; empty: guessed from the file).",
        "存放标签的列（实体任务：标注列；留空则自动猜测）。", group="basic", optional=True))
    method: str = _f("full", FieldSpec(
        "How much of the model learns: full (all weights, best quality), head (only the new "
        "classifier, fastest), freeze (bottom layers fixed), lora (a small add-on on top), "
        "bitfit (only the bias terms).",
        "模型中参与学习的部分：full（全部参数，效果最好）、head（只训练新分类层，最快）、"
        "freeze（冻结底部若干层）、lora（只训练一个小附加部分）、bitfit（只训练偏置项）。",
        choices=METHODS))
    epochs: float = _f(5.0, FieldSpec(
        "How many times training reads the whole training set. More can help, until the "
        "validation score stops improving (early stopping then ends the run).",
        "训练遍历整个训练集的次数。更多轮可能更好，直到验证分数不再提升（此时提前停止）。",
        group="basic", minimum=0.05, maximum=100))
    learning_rate: float = _f(2e-4, FieldSpec(
        "Size of each learning step. Too high and the loss jumps around; too low and it "
        "learns slowly. 2e-4 suits small encoders such as MiniLM; base-size models like "
        "3e-5; LoRA takes 2e-4 to 1e-3.",
        "每一步学习的幅度。太大损失会剧烈波动，太小学得慢。MiniLM 等小模型常用 2e-4，"
        "base 规模模型常用 3e-5，LoRA 常用 2e-4 到 1e-3。",
        group="basic", minimum=1e-7, maximum=1.0))
    batch_size: int = _f(32, FieldSpec(
        "Examples per training step. Larger is faster per example but needs more memory.",
        "每一步训练的样本数。越大单样本越快，但更占内存。", minimum=1, maximum=1024))
    max_length: int = _f(128, FieldSpec(
        "Longest text the model reads, in tokens; longer texts are cut.",
        "模型读取的最大长度（词元数），更长的文本会被截断。", minimum=8, maximum=8192))
    weight_decay: float = _f(0.01, FieldSpec(
        "Pull on the weights towards zero, against over-fitting.",
        "权重衰减，抑制过拟合。", minimum=0.0, maximum=1.0))
    warmup_ratio: float = _f(0.06, FieldSpec(
        "Share of the steps over which the learning rate rises from zero at the start.",
        "开始时学习率从零升高所占的步数比例。", minimum=0.0, maximum=0.5))
    optimizer: str = _f("adamw", FieldSpec(
        "The optimizer: AdamW suits almost every fine-tuning; SGD uses less memory.",
        "优化器：AdamW 适合几乎所有微调；SGD 更省内存。", choices=("adamw", "sgd")))
    scheduler: str = _f("linear", FieldSpec(
        "How the learning rate changes over the run.", "学习率在训练中如何变化。",
        choices=("linear", "cosine", "constant", "constant_with_warmup")))
    dropout: float = _f(0.1, FieldSpec(
        "Share of the model's units switched off at random while training, against "
        "over-fitting.", "训练时随机关闭的单元比例，抑制过拟合。", minimum=0.0, maximum=0.9))
    max_grad_norm: float = _f(1.0, FieldSpec(
        "Clip each update's gradient to this size, against sudden jumps (0: no clipping).",
        "把每次更新的梯度裁剪到该大小，防止突然的跳变（0 表示不裁剪）。", minimum=0.0, maximum=100.0))
    gradient_accumulation: int = _f(1, FieldSpec(
        "Add up this many batches before each update: a larger effective batch without "
        "more memory.", "累积多少个批次再更新一次：不增加内存即可得到更大的等效批次。",
        minimum=1, maximum=256))
    gradient_checkpointing: bool = _f(False, FieldSpec(
        "Recompute each layer's activations during the backward pass instead of keeping "
        "them: much less memory for long texts and large models (a GPU that runs out of "
        "memory), about a third slower. Off suits small models on a CPU.",
        "反向传播时重新计算每层的激活值，而不是一直保存它们：长文本和大模型（GPU 内存不足时）"
        "省很多内存，但约慢三分之一。CPU 上的小模型不需要开启。"))
    precision: str = _f("auto", FieldSpec(
        "Number format for training. auto: bf16 or fp16 on a GPU, bf16 on a CPU with native "
        "bf16 instructions (about twice as fast), fp32 elsewhere.",
        "训练的数值精度。auto：GPU 上用 bf16 或 fp16，支持 bf16 指令的 CPU 上用 bf16（约快一倍），否则 fp32。",
        choices=("auto", "fp32", "bf16", "fp16")))
    seed: int = _f(42, FieldSpec(
        "Random seed: the same seed and settings give the same run.",
        "随机种子：相同种子与设置得到相同结果。", minimum=0, maximum=2**31 - 1))
    early_stopping_patience: int = _f(2, FieldSpec(
        "Stop when the validation score has not improved for this many evaluations "
        "(0: never stop early). The best copy of the model is kept either way.",
        "验证分数连续这么多次评估没有提升就停止（0 表示不提前停止）。始终保留最好的那一份模型。",
        minimum=0, maximum=100))
    early_stopping_metric: str = _f("auto", FieldSpec(
        "The model is saved after each check on the validation rows, and the copy that "
        f"scored best becomes the agent; this is the score that decides. auto: {_auto_help(0)}; "
        "macro_f1 counts every label equally; f1 (entity F1) is for entities only; loss: the "
        "model's own error, lower is better.",
        "每次在验证集上检查后都会保存模型，得分最高的那一份成为智能体；这里选择用哪个分数来比较。"
        f"auto：{_auto_help(1)}；macro_f1 让每个标签同等重要；"
        "f1（实体 F1）仅用于实体任务；loss：模型自身的误差，越低越好。",
        choices=CHECKPOINT_METRICS))
    eval_every_steps: int = _f(0, FieldSpec(
        "Evaluate on the validation set every this many steps (0: once per epoch).",
        "每隔多少步在验证集上评估一次（0 表示每轮一次）。", minimum=0, maximum=1_000_000))
    freeze_layers: int = _f(0, FieldSpec(
        "With method 'freeze': how many bottom layers (and the embeddings) stay fixed.",
        "微调方式为 freeze 时：固定底部多少层（以及词嵌入）。", minimum=0, maximum=128))
    lora_rank: int = _f(8, FieldSpec(
        "With method 'lora', only a small add-on to the model is trained; this is its size: "
        "larger can learn more but is slower (8 suits most data).",
        "微调方式为 lora 时只训练模型上的一个小附加部分；这是它的大小：越大能学得越多，但更慢"
        "（大多数数据用 8 即可）。",
        minimum=1, maximum=256))
    lora_alpha: int = _f(16, FieldSpec(
        "With method 'lora': scale of the adapter's update.", "微调方式为 lora 时：适配更新的缩放。",
        minimum=1, maximum=1024))
    validation_fraction: float = _f(0.1, FieldSpec(
        "Share of the training file kept aside to check the model as it learns and keep "
        "its best copy.",
        "从训练文件中留出的比例，用来在训练中检查模型并保留最好的那一份。", minimum=0.02, maximum=0.5))
    test_fraction: float = _f(0.2, FieldSpec(
        "Without a separate evaluation file: share of the file held out for the final, "
        "honest score.", "没有单独的评估文件时：留出用于最终评分的比例。",
        minimum=0.05, maximum=0.5))
    fit_to_data: bool = _f(True, FieldSpec(
        "Adjust batch size, epochs and early-stopping patience to the number of training "
        "rows, as a careful person would.",
        "按训练行数调整批大小、训练轮数和提前停止的耐心值，像细心的人那样选择。"))
    max_train_rows: int | None = _f(None, FieldSpec(
        "Use at most this many training rows (each label keeps its share), for quick tries.",
        "最多使用这么多训练行（每个标签保持原有比例），用于快速尝试。", minimum=10, maximum=10_000_000,
        optional=True))
    device: str = _f("auto", FieldSpec(
        "Where to train: auto uses the GPU when there is one.", "在哪里训练：auto 表示有 GPU 就用 GPU。",
        choices=("auto", "cpu", "cuda")))

    def validate(self) -> RunConfig:
        """Check every value against its spec; raise ConfigError naming the first bad one."""
        for f in dataclasses.fields(self):
            _check_value(f.name, getattr(self, f.name), f.metadata["spec"], f.type)
        allowed = task_choices(self.task)["method"]
        if self.method not in allowed:
            raise ConfigError(f"The method '{self.method}' does not fit the task "
                              f"'{self.task}'.", f"Choose {', '.join(allowed)}.",
                              zh=f"微调方式“{self.method}”不适用于任务“{self.task}”。"
                                 f"请选择 {'、'.join(allowed)}。", field="method")
        if self.method != "freeze" and self.freeze_layers:
            raise ConfigError(
                f"'{label('freeze_layers')}' is {self.freeze_layers} but the method is "
                f"'{self.method}'.", "Choose the method 'freeze' or set it to 0.",
                zh=f"「{label('freeze_layers', 'zh')}」是 {self.freeze_layers}，但微调方式是"
                   f"“{self.method}”。请选择微调方式 freeze，或把它设为 0。",
                field="freeze_layers")
        if not str(self.model).strip():
            raise ConfigError("No model is chosen.", "Pick 'auto' or a model from the catalog.",
                              zh="还没有选择模型。请选择 auto 或模型目录中的一个模型。",
                              field="model")
        allowed = task_choices(self.task)["early_stopping_metric"]
        if self.early_stopping_metric not in allowed:
            raise ConfigError(f"The best-checkpoint metric '{self.early_stopping_metric}' is "
                              f"not a score of the task '{self.task}'.",
                              f"Choose {', '.join(allowed)}.",
                              zh=f"最佳检查点指标 {self.early_stopping_metric} 不是任务 "
                                 f"{self.task} 的分数。请选择 {'、'.join(allowed)}。",
                              field="early_stopping_metric")
        return self

    @property
    def best_metric(self) -> str:
        """The validation score that picks the best checkpoint, with 'auto' resolved."""
        return best_metric(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n",
                              encoding="utf-8")

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> RunConfig:
        """Build and validate a config; unknown keys are an error, not silently dropped."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"Unknown setting(s): {', '.join(unknown)}.",
                              f"Known settings are: {', '.join(sorted(known))}.",
                              zh=f"未知的设置：{'、'.join(unknown)}。"
                                 f"已知的设置有：{'、'.join(sorted(known))}。",
                              field=unknown[0])
        values = {**task_defaults(values.get("task")), **values}
        coerced = {name: _coerce(name, value, cls) for name, value in values.items()}
        return cls(**coerced).validate()

    @classmethod
    def from_json(cls, path: str | Path) -> RunConfig:
        name = Path(path).name  # an upload's path is the server's temporary folder
        try:
            values = json_text.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"The settings file {name} does not exist.",
                              "Check the path and try again.",
                              zh=f"设置文件 {name} 不存在。请检查路径后重试。") from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(f"The settings file {name} is not text (UTF-8).",
                              "Save the settings again from the app, or fix the file.",
                              zh=f"设置文件 {name} 不是文本（UTF-8）。"
                                 "请在应用中重新保存设置，或修正该文件。") from exc
        except json.JSONDecodeError as exc:
            raise ConfigError(f"The settings file {name} is not valid JSON (line {exc.lineno}: "
                              f"{exc.msg}).",
                              "Save the settings again from the app, or fix the file.",
                              zh=f"设置文件 {name} 不是有效的 JSON（第 {exc.lineno} 行："
                                 f"{exc.msg}）。请在应用中重新保存设置，或修正该文件。") from exc
        except IsADirectoryError as exc:
            raise ConfigError(f"{name} is a folder, not a settings file.",
                              "Give the path of a .json settings file.",
                              zh=f"{name} 是文件夹，不是设置文件。请给出 .json 设置文件的路径。") from exc
        if not isinstance(values, dict):
            raise ConfigError(f"The settings file {name} does not hold a settings object.",
                              "Save the settings again from the app.",
                              zh=f"设置文件 {name} 里没有一组设置。请在应用中重新保存设置。")
        return cls.from_dict(values)

    def with_overrides(self, **values: Any) -> RunConfig:
        """A copy with some values replaced (None values are ignored), validated. A new
        task brings its own defaults for the settings still at the old task's."""
        given = {k: v for k, v in values.items() if v is not None}
        merged = retask(self.to_dict(), self.task, given.get("task", self.task))
        merged.update(given)
        return RunConfig.from_dict(merged)


def task_defaults(task: str | None) -> dict[str, Any]:
    """The settings whose default differs for ``task`` (chat: LoRA); {} for an unknown
    task, which validation refuses with a sentence."""
    return dict(tasks.spec(task).defaults) if task in (None, "", *TASKS) else {}


def task_choices(task: str) -> dict[str, tuple[str, ...]]:
    """The choices of the settings whose choices depend on the task: its methods (a
    language model has no classifier to train alone) and its checkpoint scores."""
    spec = tasks.spec(task)
    return {"method": spec.methods,
            "early_stopping_metric": ("auto", *spec.checkpoint_metrics, "loss")}


def retask(values: dict[str, Any], old: str | None, new: str | None) -> dict[str, Any]:
    """``values`` for task ``new`` instead of ``old``: each setting still at the old
    task's default takes the new task's (one the user changed stays as they chose,
    unless the new task cannot use it: then it takes the new task's default too)."""
    before, after = task_defaults(old), task_defaults(new)
    plain = {f.name: f.default for f in dataclasses.fields(RunConfig)}
    changed = dict(values)
    for name in set(before) | set(after):
        if values.get(name, plain[name]) == before.get(name, plain[name]):
            changed[name] = after.get(name, plain[name])
    if new in TASKS:
        for name, allowed in task_choices(new).items():
            if changed.get(name, plain[name]) not in allowed:
                changed[name] = after.get(name, plain[name])
    return changed


def best_metric(config: dict[str, Any]) -> str:
    """``early_stopping_metric`` of a config dict (as run folders hold it), 'auto' resolved."""
    metric = config.get("early_stopping_metric", "auto")
    task = tasks.of_config(config)
    return (task.auto_checkpoint or task.headline) if metric == "auto" else metric


def trainer_optimizer(optimizer: str) -> str:
    """transformers' name (TrainingArguments.optim) for the setting ``optimizer``."""
    # The fused kernel steps every weight in one pass: 4-6x faster than the default
    # per-tensor loop on a CPU, the difference between the playground and a plain Trainer.
    return "sgd" if optimizer == "sgd" else "adamw_torch_fused"


def field_specs() -> dict[str, FieldSpec]:
    """Name -> spec for every setting, in form order."""
    return {f.name: f.metadata["spec"] for f in dataclasses.fields(RunConfig)}


def label(name: str, lang: str = "en") -> str:
    """The form's name for setting ``name`` in ``lang``, without its note in brackets."""
    english, chinese = FIELD_LABELS.get(name, (name, name))
    return re.sub(r"\s*[(（][^()（）]*[)）]$", "", chinese if lang == "zh" else english)


def _num(value: float) -> str:
    """10000000 -> "10,000,000"; 2e-05 stays "2e-05"."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def _base_type(annotation: Any) -> type:
    text = str(annotation)
    for name, typ in (("int", int), ("float", float), ("str", str), ("bool", bool)):
        if text.startswith(name):
            return typ
    raise TypeError(f"unsupported field type {annotation!r}")


def _coerce(name: str, value: Any, cls: type) -> Any:
    """Turn form and JSON values ("5", 5, 5.0) into the field's type where it is lossless."""
    annotation = next(f.type for f in dataclasses.fields(cls) if f.name == name)
    if value is None or value == "":
        return None if "None" in str(annotation) else value
    typ = _base_type(annotation)
    if typ is bool:
        return _coerce_bool(value)
    try:
        if typ is int and isinstance(value, (int, float, str)) and not isinstance(value, bool):
            as_float = float(value)
            if as_float == int(as_float):
                return int(as_float)
        if typ is float and isinstance(value, (int, float, str)) and not isinstance(value, bool):
            return float(value)
    except (ValueError, OverflowError):  # "abc", "inf": left for the check to name
        pass
    return value


_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


def _coerce_bool(value: Any) -> Any:
    """true/false, 1/0 (a form's number box) and "yes"/"no" text as a bool; else unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    return value


def _check_value(name: str, value: Any, spec: FieldSpec, annotation: Any) -> None:
    en, zh = label(name), label(name, "zh")
    if value is None:
        if spec.optional:
            return
        raise ConfigError(f"'{en}' is empty.", f"Give a value: {spec.help}",
                          zh=f"「{zh}」不能为空。请填写：{spec.help_zh}", field=name)
    typ = _base_type(annotation)
    ok_type = isinstance(value, typ) and (typ is bool or not isinstance(value, bool))
    if typ is float and isinstance(value, int) and not isinstance(value, bool):
        ok_type = True
    if not ok_type:
        kind = {int: "a whole number", float: "a number", str: "text",
                bool: "true or false"}[typ]
        kind_zh = {int: "整数", float: "数字", str: "文字", bool: "是或否"}[typ]
        raise ConfigError(f"'{en}' must be {kind} (got {value!r}).", spec.help,
                          zh=f"「{zh}」必须是{kind_zh}（现在是 {value!r}）。{spec.help_zh}",
                          field=name)
    if typ in (int, float) and not math.isfinite(value):
        raise ConfigError(f"'{en}' must be a finite number (got {value!r}).", spec.help,
                          zh=f"「{zh}」必须是有限的数字（现在是 {value!r}）。{spec.help_zh}",
                          field=name)
    if spec.choices is not None and value not in spec.choices:
        raise ConfigError(f"'{en}' cannot be {value!r}.",
                          f"Choose one of: {', '.join(map(str, spec.choices))}.",
                          zh=f"「{zh}」不能是 {value!r}。"
                             f"请选择其中之一：{'、'.join(map(str, spec.choices))}。", field=name)
    if spec.minimum is not None and value < spec.minimum or \
            spec.maximum is not None and value > spec.maximum:
        low, high = _num(spec.minimum), _num(spec.maximum)
        raise ConfigError(
            f"'{en}' must be between {low} and {high} (got {_num(value)}).", spec.help,
            zh=f"「{zh}」必须在 {low} 到 {high} 之间（现在是 {_num(value)}）。{spec.help_zh}",
            field=name)


def presets_dir() -> Path:
    """The bundled presets (the repo's presets/, installed as playground.presets)."""
    from importlib.resources import files

    return Path(str(files("playground.presets")))


def preset_names() -> list[str]:
    return sorted(p.stem for p in presets_dir().glob("*.json"))


def load_preset(name_or_path: str, task: str | None = None) -> RunConfig:
    """A preset is a small JSON file of overrides on the defaults (see presets/), for
    ``task`` (default: the preset's own, else the default task) with its defaults."""
    path = Path(name_or_path)
    if not path.suffix:
        path = presets_dir() / f"{name_or_path}.json"
    if not path.exists():
        names = preset_names()
        raise ConfigError(f"There is no preset called '{name_or_path}'.",
                          f"Choose one of: {', '.join(names)}.",
                          zh=f"没有名为“{name_or_path}”的预设。请选择其中之一：{'、'.join(names)}。")
    values = json.loads(path.read_text(encoding="utf-8"))
    values = {k: v for k, v in values.items() if not k.startswith("_")}
    if task:
        values.setdefault("task", task)
    return RunConfig.from_dict(values)
