"""Turn any exception from a training run into a typed failure with a plain hint."""

from __future__ import annotations

from playground.errors import ModelError, OutOfMemory, PlaygroundError


def explain(exc: BaseException) -> PlaygroundError:
    """The PlaygroundError a user should see for ``exc`` (which is logged in full anyway)."""
    if isinstance(exc, PlaygroundError):
        return exc
    text = str(exc)
    if isinstance(exc, MemoryError) or "out of memory" in text.lower() \
            or type(exc).__name__ == "OutOfMemoryError":
        return OutOfMemory(
            "Training ran out of memory.",
            "Try half the batch size, a shorter max length, or the 'lora' method; close other "
            "programs that use the GPU or memory.")
    if isinstance(exc, OSError) and ("config.json" in text or "model" in text.lower()):
        return ModelError(f"The model could not be loaded: {text.splitlines()[0]}",
                          "Check the model name or folder, or pick the embedded model.")
    first = text.splitlines()[0] if text else ""
    return PlaygroundError(
        f"Training stopped with an unexpected error ({type(exc).__name__}: {first}).",
        "See worker.log in the run folder for details, and report it if it happens again.")
