"""Save merged model: a finished agent's language model as one plain transformers
folder (its LoRA adapter merged into the base weights, safetensors, tokenizer and chat
template) that loads anywhere with ``AutoModelForCausalLM.from_pretrained``, no peft or
playground needed; for the web page, the same folder zipped.

Only tasks whose ``SPEC.merges`` keep an adapter apart from its base; a classifier's
model/ folder is merged when it is saved, so it is a transformers folder already.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

from playground import tasks
from playground.errors import PlaygroundError, RunError
from playground.runfolder import RunFolder
from playground.service.bundles import finished_agent


def save_merged(run_dir: Path, out: Path) -> Path:
    """Write the agent of the finished run ``run_dir`` as a transformers folder ``out``
    (which must not exist yet); return it. Raises RunError with a sentence otherwise."""
    run = RunFolder(Path(run_dir).expanduser().resolve())
    spec, _, _ = finished_agent(run)
    task = tasks.of_config(spec["config"])
    if not task.merges:
        raise RunError(f"A '{task.title[0]}' agent has nothing to merge: its model folder "
                       "is a plain transformers folder already.",
                       f"Use the run's {run.model_dir.name}/ folder as it is, or export the "
                       "agent as a bundle.",
                       zh=f"“{task.title[1]}”智能体没有需要合并的内容：它的模型文件夹本身就是普通的 "
                          f"transformers 文件夹。请直接使用训练记录中的 {run.model_dir.name}/ 文件夹，"
                          "或把智能体导出为包。")
    out = Path(out).expanduser()
    if out.exists():
        raise RunError(f"{out} already exists.", "Pick a new folder name for the merged model.",
                       zh=f"{out} 已经存在。请为合并后的模型另选一个新的文件夹名。")
    if not out.parent.is_dir():
        raise RunError(f"The folder {out.parent} does not exist.",
                       "Create it, or pick another place for the merged model.",
                       zh=f"文件夹 {out.parent} 不存在。请先创建它，或为合并后的模型另选一个位置。")
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    try:  # written beside its place and renamed: a failed save leaves no half folder
        tasks.part(task.name, "agent").save_merged(run.model_dir, partial)
        os.rename(partial, out)
    except PlaygroundError:
        raise
    except Exception as exc:  # the base model, the disk: what the libraries raise
        kind = type(exc).__name__
        raise RunError(f"The merged model of run {run.run_id} could not be written ({kind}).",
                       "Check that its base model is on this machine and the disk has room "
                       "(about twice the model's size), then try again.",
                       zh=f"训练记录 {run.run_id} 的合并模型没能写出（{kind}）。请确认它的基础模型在本机、"
                          "磁盘空间足够（约为模型大小的两倍），然后重试。") from exc
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return out


def merged_zip(run_dir: Path, out: Path) -> Path:
    """The merged model (``save_merged``) as one zip ``out``, for a download."""
    out = Path(out)
    folder = out.with_name(out.name.removesuffix(".zip"))
    save_merged(run_dir, folder)
    try:
        with zipfile.ZipFile(out, "w") as archive:
            for path in sorted(folder.iterdir()):  # weights barely deflate: store them
                archive.write(path, f"{folder.name}/{path.name}",
                              compress_type=zipfile.ZIP_STORED if path.suffix == ".safetensors"
                              else zipfile.ZIP_DEFLATED)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return out
