"""Agent bundles: a trained agent as one ``.agent.zip`` that another playground can import.

A bundle holds::

    manifest.json   what the agent is (see ``Manifest``) and each file's size and sha256
    model/...       weights (safetensors only), tokenizer or vectorizer, labels.json
    tools/*.csv     the lookup tables the reply rules read

The manifest carries the reply rules (``agent.json``: reply templates, keywords, actions,
threshold), the settings, the metrics card (``report.json``) and a fingerprint of the
training data: the sha256 of each data file and its row count, never the data itself.
``model/run_config.json`` stays behind (it holds local paths and the data report, which
quotes rows); import rebuilds it from the manifest, as it does ``config.json``.

Import (``import_bundle``) first runs every check of ``bundle_checks.py`` on the zip
without writing anything. Only then does it extract into a hidden folder inside the runs
folder, checking each file's size and sha256 as it streams, write the run's files, load
the agent once (safetensors, never pickle, never remote code), and rename the folder
into place. Any failure removes the hidden folder: a bad bundle changes nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import secrets
import shutil
import tempfile
import time
import zipfile
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from playground import tasks
from playground.errors import BundleError, RunError, hide_paths
from playground.runfolder import (
    ADAPTER_CONFIG,
    DATA,
    LABELS,
    MODEL,
    RUN_CONFIG,
    TOOLS,
    RunFolder,
    new_run_id,
    read_json,
    write_json,
)
from playground.service.bundle_checks import (
    FORMAT_VERSION,
    MANIFEST,
    MAX_BYTES,
    REEXPORT,
    REEXPORT_ZH,
    SUFFIX,
    TAMPERED,
    TAMPERED_ZH,
    Manifest,
    check_entries,
    check_manifest,
    check_model,
    check_rules,
    kind_of,
    open_bundle,
    read_manifest,
    refuse_file,
)
from playground.service.replies import load_rules

__all__ = ["FORMAT_VERSION", "MAX_BYTES", "SUFFIX", "Manifest", "check_manifest",
           "export_bundle", "import_bundle"]
_CHUNK = 1 << 20
PEFT_CARD = "README.md"  # peft writes a model card beside each adapter it saves


# ----- export ----------------------------------------------------------------------------
def export_bundle(run_dir: Path, out: Path | None = None) -> Path:
    """Write a finished run's agent to one ``.agent.zip`` and return its path.

    ``out`` is a file or a folder; by default ``RUN_ID.agent.zip`` beside the run folder.
    Raises RunError for a run with no finished agent, BundleError for a model folder
    that holds something a bundle may not (pickled weights, links, other files).
    """
    run = RunFolder(Path(run_dir).expanduser().resolve())
    spec, labels, report = finished_agent(run)
    task = tasks.of_config(spec["config"])
    if not task.bundles:
        raise BundleError(f"Agents of the task '{task.title[0]}' cannot go into a bundle yet.",
                          "Share the run folder instead, or train it again where it is needed.",
                          zh=f"“{task.title[1]}”任务的智能体目前还不能打包。"
                             "请改为共享训练记录文件夹，或在需要的地方重新训练。")
    rules = load_rules(run, labels)
    if rules.entity_run:
        raise BundleError(f"The agent's replies use the entity agent {rules.entity_run}, which "
                          "a bundle cannot carry yet.", "Clear the entity agent in the reply "
                          "rules, export, and set it again after the import.",
                          zh=f"该智能体的回复用到了实体智能体 {rules.entity_run}，目前包还带不了它。"
                             "请在回复规则中清除实体智能体，导出后，在导入后再重新设置。")
    base = _base_entry(spec["model"], run.model_dir, task.name)
    with tempfile.TemporaryDirectory(prefix="agent-export-") as scratch:
        return _write_bundle(run, spec, labels, report, base, rules,
                             _portable(run, task, base, Path(scratch)), out)


def _write_bundle(run: RunFolder, spec: dict[str, Any], labels: list[str],
                  report: dict[str, Any], base: dict[str, Any], rules: Any,
                  members: dict[str, Path | bytes], out: Path | None) -> Path:
    """The manifest and the members, zipped into ``out`` (see ``export_bundle``)."""
    from playground.catalog import AUTO, catalog

    size = sum(_size(content) for content in members.values())
    if size > MAX_BYTES:
        raise BundleError(f"This agent is too large for a bundle: {size:,} bytes, over the "
                          f"limit of {MAX_BYTES:,}.", "Fine-tune it with the 'lora' method, "
                          "whose bundle holds a small adapter and names its base model, or "
                          "pick a smaller model.",
                          zh=f"该智能体太大，放不进包里：{size:,} 字节，超过上限 {MAX_BYTES:,}。"
                             "请用 lora 方式微调（包中只带一个小适配器，并写明基础模型），"
                             "或选择更小的模型。")
    settings = dict(spec["config"])
    if settings["model"] not in (AUTO, *(card.id for card in catalog())):
        # A folder's path says where someone keeps files; a model that did not end up
        # serving is not in the bundle: the settings name the base model the bundle holds.
        settings["model"] = base["id"]
    manifest = Manifest(
        format_version=FORMAT_VERSION, task=settings.get("task") or tasks.DEFAULT,
        base_model=base, labels=labels, rules=rules.to_dict(),
        settings=settings, metrics=report, data=_fingerprint(run, spec),
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        source_run=run.run_id, playground_version=_version(),
        files={name: {"sha256": _sha256(content), "bytes": _size(content)}
               for name, content in members.items()})
    try:
        check_manifest(dataclasses.asdict(manifest))  # what is written must import
    except BundleError as exc:  # a label, name or reply longer than a bundle carries
        raise BundleError(f"This agent cannot go into a bundle: {exc.message}",
                          "Shorten what the sentence names (in the reply rules, or the data's "
                          "labels), then export again.",
                          zh=f"该智能体无法放进包里：{exc.zh.split('。')[0]}。"
                             "请缩短句中所说的内容（在回复规则中，或数据的标签），然后重新导出。") from None
    out = Path(out).expanduser() if out else run.path.parent
    if out.is_dir():
        out = out / f"{run.run_id}{SUFFIX}"
    if not out.parent.is_dir():
        raise BundleError(f"The folder {out.parent} does not exist.",
                          "Create it, or pick another place for the bundle.",
                          zh=f"文件夹 {out.parent} 不存在。请先创建它，或为包另选一个位置。")
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w") as archive:
            archive.writestr(MANIFEST, json.dumps(dataclasses.asdict(manifest), indent=2,
                                                  ensure_ascii=False),
                             compress_type=zipfile.ZIP_DEFLATED)
            for name, content in members.items():  # weights barely deflate: store them
                packing = zipfile.ZIP_STORED if name.endswith(".safetensors") \
                    else zipfile.ZIP_DEFLATED
                if isinstance(content, bytes):
                    archive.writestr(name, content, compress_type=packing)
                else:
                    archive.write(content, name, compress_type=packing)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def finished_agent(run: RunFolder) -> tuple[dict[str, Any], list[str], dict[str, Any]]:
    """(config.json, labels, report.json) of a run whose agent can be exported."""
    if not run.exists():
        raise RunError(f"There is no run folder {run.run_id}.",
                       "Give the folder of a finished run, such as runs/20261124-071152-3fa9c01e.",
                       zh=f"没有训练记录文件夹 {run.run_id}。请给出一个已完成训练的文件夹，"
                          "例如 runs/20261124-071152-3fa9c01e。")
    state = run.read_status().get("state", "queued")
    report = run.read_report()
    if state not in ("succeeded", "cancelled") or report is None or \
            not (run.model_dir / LABELS).exists():
        raise RunError(f"The run {run.run_id} has no finished agent to export (it is {state}).",
                       "Export a run that has finished training.",
                       zh=f"训练记录 {run.run_id} 没有可导出的已完成智能体（它的状态是 {state}）。"
                          "请导出已完成训练的记录。")
    return run.read_config(), read_json(run.model_dir / LABELS)["labels"], report


def _portable(run: RunFolder, task: tasks.TaskSpec, base: dict[str, Any],
              scratch: Path) -> dict[str, Path | bytes]:
    """The bundle's members: path in the zip -> file, or bytes for a file rewritten so it
    names the base model by its id, never by where it lies on this machine.

    A LoRA adapter (which names its base) stays an adapter when its base is a catalog or
    hub model, which the importer can get; on a local folder, which cannot travel by
    name, it is merged into whole weights (``scratch``) as a full fine-tune's are."""
    members: dict[str, Path | bytes] = dict(_members(run.model_dir, MODEL))
    adapter = f"{MODEL}/{ADAPTER_CONFIG}"
    if adapter in members and base["source"] == "local":
        # fp32, answering in the precision labels.json names (bf16 on a CPU) like the
        # agent: merged weights round a little differently from base and adapter apart
        merged = tasks.part(task.name, "agent").save_merged(run.model_dir, scratch / MODEL)
        kept = {f"{MODEL}/{LABELS}": members[f"{MODEL}/{LABELS}"]}
        members = {**_members(merged, MODEL), **kept}
        base["model_type"] = read_json(merged / "config.json").get("model_type")
    elif adapter in members:
        config = read_json(run.model_dir / ADAPTER_CONFIG)
        members[adapter] = _json_bytes({**config, "base_model_name_or_path": base["id"]})
    saved = read_json(run.model_dir / LABELS)
    if {"base_model", "base_model_id"} & set(saved):  # the base's place on this machine
        # merged from a local folder, the agent has no base the importer can load (none
        # to answer beside it); otherwise its base goes by the id the manifest names
        named = "" if base["source"] == "local" else base["id"]
        members[f"{MODEL}/{LABELS}"] = _json_bytes(
            {**saved, **{key: named for key in ("base_model", "base_model_id")
                         if key in saved}})
    return {**members, **_members(run.tools_dir, TOOLS)}


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, indent=2, ensure_ascii=False).encode("utf-8")


def _size(content: Path | bytes) -> int:
    return len(content) if isinstance(content, bytes) else content.stat().st_size


def _members(folder: Path, prefix: str) -> dict[str, Path]:
    """Path in the zip -> file, for a model/ or tools/ folder; refuses anything not
    whitelisted."""
    members = {}
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        name = f"{prefix}/{path.name}"
        if name == f"{MODEL}/{RUN_CONFIG}":
            continue  # rebuilt from the manifest on import (see the module's docstring)
        if prefix == MODEL and path.name == PEFT_CARD:
            continue  # the model card peft writes beside an adapter: a template, no data
        if path.is_symlink() or not path.is_file():
            raise BundleError(f"The run's {name} is not a plain file, so it cannot go "
                              "into a bundle.", "Remove it from the run folder and export "
                              "again.",
                              zh=f"训练记录中的 {name} 不是普通文件，无法放进包里。"
                                 "请把它从训练记录文件夹中移走，然后重新导出。")
        if kind_of(name) is None:
            raise refuse_file(name, f"The run's {prefix}/ folder holds",
                              f"训练记录的 {prefix}/ 文件夹中有")
        members[name] = path
    return members


def _base_entry(card: dict[str, Any], model_dir: Path, task: str) -> dict[str, Any]:
    from playground.catalog import CLASSIC, catalog

    classic_file = tasks.part(task, "agent").CLASSIC_FILES[0]
    if (model_dir / classic_file).exists():  # it serves when it beat the fine-tuned model
        card = next(c for c in catalog() if c.id == CLASSIC).to_dict()
    source = card.get("source", "hub")
    model_id = Path(card["id"]).name if source == "local" else card["id"]
    config = model_dir / "config.json"
    model_type = read_json(config).get("model_type") if config.exists() else None
    return {"id": model_id, "name": card.get("name") or model_id, "source": source,
            "model_type": model_type}


def _fingerprint(run: RunFolder, spec: dict[str, Any]) -> dict[str, Any]:
    """Which data trained the agent, without the data: names, row counts, sha256s."""
    data = spec.get("data", {})
    folder = run.path / DATA
    if not folder.is_dir() and "fingerprint" in data:  # an imported agent, exported again
        return data["fingerprint"]
    hashes = {p.name: _sha256(p) for p in sorted(folder.iterdir()) if p.is_file()} \
        if folder.is_dir() else {}
    return {"name": data.get("name", ""), "eval_name": data.get("eval_name", ""),
            "held_out": data.get("held_out", ""), "held_out_zh": data.get("held_out_zh", ""),
            "rows": data.get("rows", {}), "sha256": hashes}


def _sha256(content: Path | bytes) -> str:
    if isinstance(content, bytes):
        return hashlib.sha256(content).hexdigest()
    digest = hashlib.sha256()
    with content.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("agent-playground")
    except PackageNotFoundError:
        return "unknown"


# ----- import ----------------------------------------------------------------------------
def import_bundle(bundle: Path, runs_dir: Path, max_bytes: int = MAX_BYTES,
                  owner: dict[str, str] | None = None) -> RunFolder:
    """Check ``bundle`` and add its agent to ``runs_dir`` as a new finished run, owned by
    ``owner`` (who imported it, see ``owners``).

    Raises BundleError, with a sentence saying what is wrong, for anything unsafe or
    inconsistent; ``runs_dir`` is then as it was.
    """
    bundle = Path(bundle).expanduser()
    with open_bundle(bundle, max_bytes) as archive:
        infos = check_entries(archive, max_bytes)
        manifest = read_manifest(archive, infos)
        check_model(archive, infos, manifest)
        runs_dir = Path(runs_dir).expanduser().resolve()
        if runs_dir.exists() and not runs_dir.is_dir():
            raise BundleError(f"{runs_dir} is a file, not a folder of runs.",
                              "Give the folder where run folders go.",
                              zh=f"{runs_dir} 是一个文件，不是存放训练记录的文件夹。"
                                 "请给出存放训练记录文件夹的位置。")
        runs_dir.mkdir(parents=True, exist_ok=True)
        run_id = new_run_id("imported-")
        tmp = runs_dir / f".import-{secrets.token_hex(6)}"
        try:
            tmp.mkdir()
            _extract(archive, infos, manifest, tmp)
            _write_run_files(RunFolder(tmp), run_id, manifest, bundle.name, owner)
            _check_loads(tmp, manifest)
            os.rename(tmp, runs_dir / run_id)  # atomic: the run appears whole or not at all
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return RunFolder(runs_dir / run_id)


def _extract(archive: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo], manifest: Manifest,
             folder: Path) -> None:
    """Write each file under ``folder``, checking its size and sha256 as it streams."""
    root = folder.resolve()
    for name, info in infos.items():
        if name == MANIFEST:
            continue
        target = root.joinpath(*name.split("/"))
        if target.parent.parent != root:  # checked already; a second lock on the door
            raise BundleError(f"The bundle holds a path that leads outside it ({name}).",
                              TAMPERED, zh=f"包中有指向包外的路径（{name}）。{TAMPERED_ZH}")
        target.parent.mkdir(exist_ok=True)
        digest, written = hashlib.sha256(), 0
        try:
            with archive.open(info) as src, target.open("xb") as dst:
                while chunk := src.read(_CHUNK):
                    written += len(chunk)
                    if written > info.file_size:
                        raise BundleError(f"The bundle's {name} unpacks to more than it "
                                          "declares.", TAMPERED,
                                          zh=f"包中的 {name} 解压后比它声明的更大。{TAMPERED_ZH}")
                    digest.update(chunk)
                    dst.write(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise BundleError(f"The bundle's {name} is damaged ({exc}).", REEXPORT,
                              zh=f"包中的 {name} 已损坏（{exc}）。{REEXPORT_ZH}") from None
        if digest.hexdigest() != manifest.files[name]["sha256"]:
            raise BundleError(f"The bundle's {name} is damaged: its checksum does not match "
                              "the manifest.", TAMPERED,
                              zh=f"包中的 {name} 已损坏：它的校验和与清单不符。{TAMPERED_ZH}")


def _write_run_files(run: RunFolder, run_id: str, manifest: Manifest, bundle_name: str,
                     owner: dict[str, str] | None) -> None:
    """config.json, model/run_config.json, agent.json, report.json and status.json, so the
    app lists the agent as a finished run and chats with it."""
    from playground.catalog import catalog
    from playground.config import RunConfig

    now = time.time()
    cards = {card.id: card for card in catalog()}
    base = manifest.base_model
    model = cards[base["id"]].to_dict() if base["id"] in cards else \
        {**base, "location": None, "installed": False}
    data = manifest.data
    spec = {"config": RunConfig.from_dict(manifest.settings).to_dict(), "model": model,
            "model_note": f"Imported from the bundle {bundle_name}.", "labels": manifest.labels,
            "data": {"name": data["name"], "eval_name": data.get("eval_name", ""),
                     "held_out": data.get("held_out", ""),
                     "held_out_zh": data.get("held_out_zh", ""), "rows": data["rows"],
                     "report": None, "eval_report": None, "warnings": [], "warnings_zh": [],
                     "fingerprint": data},
            "created_at": now,
            "imported": {"bundle": bundle_name, "source_run": manifest.source_run,
                         "bundle_created_at": manifest.created_at,
                         "playground_version": manifest.playground_version}}
    write_json(run.model_dir / RUN_CONFIG, spec)
    write_json(run.agent_path, check_rules(manifest.rules, manifest.labels).to_dict())
    write_json(run.report_path, {**manifest.metrics, "run_id": run_id})
    write_json(run.status_path, {"state": "succeeded", "imported_from": bundle_name,
                                 "source_run": manifest.source_run, "created_at": now,
                                 "finished_at": now, "updated_at": now, "reason": "",
                                 **({"owner": owner} if owner else {})})
    write_json(run.config_path, spec)  # last: a folder with config.json is a run


def _check_loads(folder: Path, manifest: Manifest) -> None:
    """Load the agent once and ask it one thing: a bundle whose model does not work is
    refused now, not at the user's first question."""
    from playground.training.agents import load_agent

    try:
        agent = load_agent(folder)
        agent.answer("hello")
    except Exception as exc:  # whatever the loader raises, the bundle is unusable: say why
        said = hide_paths(str(exc))  # not where the server keeps the import
        raise BundleError(f"The bundle's model does not load: {said}", REEXPORT,
                          zh=f"包中的模型无法加载：{said}。{REEXPORT_ZH}") from None
    if agent.labels != manifest.labels:
        raise BundleError("The bundle's model does not know the manifest's labels.", TAMPERED,
                          zh=f"包中的模型不认识清单中的标签。{TAMPERED_ZH}")
