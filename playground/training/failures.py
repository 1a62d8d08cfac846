"""Turn any exception from a training run into a typed failure with a plain hint."""

from __future__ import annotations

from playground.errors import ModelError, OutOfMemory, PlaygroundError, hide_paths


def explain(exc: BaseException) -> PlaygroundError:
    """The PlaygroundError a user should see for ``exc`` (which is logged in full anyway)."""
    if isinstance(exc, PlaygroundError):
        return exc
    text = hide_paths(str(exc))  # the reason shows in the web page
    if isinstance(exc, MemoryError) or "out of memory" in text.lower() \
            or type(exc).__name__ == "OutOfMemoryError":
        return OutOfMemory(
            "Training ran out of memory.",
            "Try half the batch size, a shorter max length, or the 'lora' method; close other "
            "programs that use the GPU or memory.",
            zh="训练时内存不足。请把批次大小减半、缩短最大长度，或使用 lora 方式；"
               "并关闭其他占用 GPU 或内存的程序。")
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
