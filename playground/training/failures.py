"""Turn any exception from a training run into a typed failure with a plain hint."""

from __future__ import annotations

from typing import Any

from playground import tasks
from playground.errors import ModelError, OutOfMemory, PlaygroundError, hide_paths


def explain(exc: BaseException, config: dict[str, Any] | None = None) -> PlaygroundError:
    """The PlaygroundError a user should see for ``exc`` (which is logged in full anyway).
    ``config`` (the run's settings) lets an out-of-memory sentence name what to lower."""
    if isinstance(exc, PlaygroundError):
        return exc
    text = hide_paths(str(exc))  # the reason shows in the web page
    if isinstance(exc, MemoryError) or "out of memory" in text.lower() \
            or type(exc).__name__ == "OutOfMemoryError":
        return out_of_memory(config or {})
    if isinstance(exc, OSError) and ("config.json" in text or "model" in text.lower()):
        return ModelError(f"The model could not be loaded: {text.splitlines()[0]}",
                          "Check the model name or folder, or pick the embedded model.",
                          zh=f"无法加载模型：{text.splitlines()[0]}。"
                             "请检查模型名或文件夹，或选择内置模型。")
    first = text.splitlines()[0] if text else ""
    return PlaygroundError(
        f"Training stopped with an unexpected error ({type(exc).__name__}: {first}).",
        "See worker.log in the run folder for details, and report it if it happens again.",
        zh=f"训练因意外错误而停止（{type(exc).__name__}: {first}）。"
           "详情见训练记录文件夹中的 worker.log；如果再次发生，请报告此问题。")


def out_of_memory(config: dict[str, Any]) -> OutOfMemory:
    """The out-of-memory sentence, naming the settings that cost memory with their values
    and what to try: activations grow with batch size times max length, which gradient
    checkpointing trades for time, and full fine-tuning keeps optimizer state per weight."""
    batch, length = config.get("batch_size"), config.get("max_length")
    en, zh = [], []
    if not isinstance(batch, int):  # settings unknown: name the setting alone
        en.append("a smaller batch size")
        zh.append("减小批次大小")
    elif batch > 1:
        en.append(f"a smaller batch size (now {batch}; try {batch // 2})")
        zh.append(f"减小批次大小（现在是 {batch}，可试 {batch // 2}）")
    if not isinstance(length, int):
        en.append("a shorter max length")
        zh.append("缩短最大长度")
    elif length > 8:
        en.append(f"a shorter max length (now {length} tokens; try {max(8, length // 2)})")
        zh.append(f"缩短最大长度（现在是 {length} 个词元，可试 {max(8, length // 2)}）")
    if not config.get("gradient_checkpointing"):
        en.append("gradient checkpointing switched on (less memory, a third slower)")
        zh.append("开启梯度检查点（省内存，约慢三分之一）")
    task = tasks.spec(config["task"] if config.get("task") in tasks.names() else None)
    if config.get("method", "full") not in ("lora", "head", "bitfit") and "lora" in task.methods:
        en.append("the 'lora' method")
        zh.append("使用 lora 方式")
    if not en:  # nothing left to lower in the settings: the model itself is too large
        en, zh = ["a smaller model"], ["换一个更小的模型"]
    tries = en[0] if len(en) == 1 else f"{', '.join(en[:-1])} or {en[-1]}"
    return OutOfMemory("Training ran out of memory.",
                       f"Train again with {tries}; close other programs that use the GPU or "
                       "memory.",
                       zh=f"训练时内存不足。请{'、'.join(zh)}后重新训练；并关闭其他占用 GPU 或内存的程序。")
