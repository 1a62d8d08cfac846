"""What an agent bundle may hold: the manifest schema, and every check an import makes
before it writes anything (``bundles.py`` packs, extracts and installs bundles).

Nothing here trusts the file. From the zip's directory alone, ``check_entries`` refuses
absolute paths, ``..``, backslashes and drive letters, links and other non-files,
duplicate names, encrypted or oddly compressed entries, too many entries, more bytes than
the limit, a compression ratio over ``MAX_RATIO`` (a zip bomb), and any file outside the
whitelist (``kind_of``); pickled weights (``.bin``, ``.pt``, ``.pkl``...) get a sentence of
their own. ``read_manifest`` then checks the manifest and that it lists exactly the files
the zip holds; ``check_model`` checks model/labels.json, each safetensors header (a pickle
renamed ``.safetensors`` is caught here) and the base model.

The base model check. A bundle carries all its weights, so its base model need not be on
this machine; what must hold is that the agent loads with code the playground ships.
"classic" must come with the classic model's files and no transformers config. Every
other agent's ``model/config.json`` must name a ``model_type`` that transformers supports
natively, and no ``auto_map`` (custom code, which the playground never runs). A catalog id
passes with that; so does a custom hub id or local folder (exported under its folder name,
never its path), because refusing those would strand agents fine-tuned from a local copy
of a standard model, while the code they need is still only what transformers ships. Any
other id (a "builtin" the catalog lacks), or a model type transformers does not know, is
refused with a sentence. A bundle of a LoRA adapter (a chat agent's) carries no base
weights: its base must be one this machine has and can vouch for, and its adapter config
plain LoRA (``bundle_adapters.py``). A retrieval agent carries no weights at all.
"""

from __future__ import annotations

import json
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from playground import tasks
from playground.errors import BundleError, ConfigError
from playground.runfolder import ADAPTER_CONFIG, LABELS, MODEL, RUN_CONFIG, TOOLS
from playground.service.bundle_adapters import (
    check_adapter_base,
    check_adapter_config,
)
from playground.service.bundle_texts import (
    REEXPORT,
    REEXPORT_ZH,
    TAMPERED,
    TAMPERED_ZH,
    bad,
    check_texts,
)
from playground.service.replies import AgentRules

FORMAT_VERSION = 1
SUFFIX = ".agent.zip"
MANIFEST = "manifest.json"
MAX_BYTES = 2 << 30  # a base-size encoder in fp32 is 0.4-0.6 GB: room for the large ones
MAX_ENTRIES = 500  # a transformer agent has about 10 files; tables add a few
MAX_RATIO = 100  # JSON, vocabularies and tables deflate 3-10x; a zip bomb 1000x and more
RATIO_FLOOR = 1 << 20  # an entry smaller than this cannot make a bomb on its own
MAX_JSON_BYTES = 256 << 20  # manifest, labels, configs: the classic vocabulary is the largest
MODEL_SUFFIXES = (".safetensors", ".json", ".txt", ".model",  # .model: sentencepiece
                  ".jinja")  # a chat template (transformers renders it sandboxed)
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib", ".npy",
                   ".npz", ".h5", ".msgpack")
SOURCES = ("builtin", "embedded", "hub", "local")
_FILE_NAME = re.compile(r"[\w\-. ]+")
_SHA256 = re.compile(r"[0-9a-f]{64}")
PICK_BUNDLE_ZH = "请选择训练场“导出”生成的 {suffix} 文件。"


@dataclass(frozen=True)
class Manifest:
    """What a bundle holds; ``check_manifest`` checks every field."""

    format_version: int  # FORMAT_VERSION; a newer one asks the user to update
    task: str  # one of config.TASKS
    base_model: dict[str, Any]  # id, name, source, model_type (None for classic)
    labels: list[str]  # in the model's output order, as model/labels.json has them
    rules: dict[str, Any]  # agent.json: reply templates, keywords, actions, threshold
    settings: dict[str, Any]  # the RunConfig that trained the agent
    metrics: dict[str, Any]  # report.json: held-out scores beside the baselines
    data: dict[str, Any]  # fingerprint: name, rows per split, sha256 per data file
    created_at: str  # ISO 8601, UTC: when the bundle was made
    source_run: str  # the id of the run it was exported from
    files: dict[str, dict[str, Any]]  # path in the zip -> {"sha256", "bytes"}
    playground_version: str


_TYPES = {"format_version": int, "task": str, "base_model": dict, "labels": list,
          "rules": dict, "settings": dict, "metrics": dict, "data": dict, "created_at": str,
          "source_run": str, "files": dict, "playground_version": str}
_WORDS = {int: "a whole number", str: "text", dict: "an object", list: "a list"}
_WORDS_ZH = {int: "整数", str: "文字", dict: "对象", list: "列表"}


def check_manifest(value: Any) -> Manifest:
    """A ``Manifest`` from parsed manifest.json, or a BundleError naming what is wrong."""
    from playground.config import RunConfig
    from playground.tasks import names as task_names

    if not isinstance(value, dict):
        raise bad("it is not a JSON object", "它不是 JSON 对象")
    check_texts(value)  # before any sentence below quotes one of its strings
    missing = [key for key in _TYPES if key not in value]
    if missing:
        raise bad(f"it lacks {', '.join(missing)}", f"缺少 {'、'.join(missing)}")
    if set(value) - set(_TYPES):
        unknown = sorted(set(value) - set(_TYPES))
        raise bad(f"it has unknown fields: {', '.join(unknown)}", f"有未知字段：{'、'.join(unknown)}")
    for key, kind in _TYPES.items():
        if not isinstance(value[key], kind) or isinstance(value[key], bool):
            raise bad(f"{key} should be {_WORDS[kind]}, not {type(value[key]).__name__}",
                       f"{key} 应当是{_WORDS_ZH[kind]}，而不是 {type(value[key]).__name__}")
    version = value["format_version"]
    if version > FORMAT_VERSION:
        raise BundleError(f"The bundle was made by a newer playground (format {version}; "
                          f"this one reads format {FORMAT_VERSION}).",
                          "Update the playground, then import the bundle again.",
                          zh=f"该包由更新版本的训练场制作（格式 {version}；本训练场只能读格式 "
                             f"{FORMAT_VERSION}）。请更新训练场，然后重新导入该包。")
    if version != FORMAT_VERSION:
        raise bad(f"format_version {version} is not one this playground reads",
                   f"本训练场读不了 format_version {version}")
    if value["task"] not in task_names():
        raise bad(f"the task '{value['task']}' is not one of {', '.join(task_names())}",
                   f"任务“{value['task']}”不是 {'、'.join(task_names())} 之一")
    labels = value["labels"]
    # A task whose model has no output per label (a language model) lists none.
    labelled = bool(tasks.part(value["task"], "agent").OUTPUTS)
    if labelled and not labels or not all(isinstance(x, str) and x for x in labels):
        raise bad("labels should be a list of label names", "labels 应当是标签名的列表")
    if len(set(labels)) != len(labels):
        raise bad("labels holds a name twice", "labels 中有重复的名字")
    try:
        datetime.fromisoformat(value["created_at"])
    except ValueError:
        raise bad(f"created_at '{value['created_at']}' is not a date and time",
                   f"created_at“{value['created_at']}”不是日期和时间") from None
    _check_base_entry(value["base_model"])
    try:
        settings = RunConfig.from_dict(value["settings"])
    except ConfigError as exc:
        raise bad(f"its settings do not validate ({exc.message})",
                   f"其中的设置无效（{exc.zh or exc.message}）") from None
    if settings.task != value["task"]:
        raise bad(f"the settings' task '{settings.task}' is not the task '{value['task']}'",
                   f"设置中的任务“{settings.task}”与任务“{value['task']}”不一致")
    _check_settings_model(settings.model, value["base_model"]["id"])
    check_rules(value["rules"], labels)
    _check_metrics(value["metrics"], value["task"])
    _check_data(value["data"])
    for name, entry in value["files"].items():
        if not (isinstance(entry, dict) and isinstance(entry.get("sha256"), str)
                and _SHA256.fullmatch(entry["sha256"]) and type(entry.get("bytes")) is int
                and entry["bytes"] >= 0):
            raise bad(f"files['{name}'] should have a sha256 and a size in bytes",
                       f"files['{name}'] 应当有 sha256 和以字节计的大小")
    return Manifest(**{key: value[key] for key in _TYPES})


def check_rules(rules: dict[str, Any], labels: list[str]) -> AgentRules:
    """The bundle's reply rules, checked as the app checks an edit, or a BundleError.

    Rules that name an entity agent (``entity_run``) are refused: that agent is another
    run, which a bundle does not carry, and the name would point into the importer's
    runs folder. Web calls come in switched off: http actions would send each message to
    an address the bundle's author chose, so the importer turns them on after reading them.
    """
    try:
        checked = AgentRules.from_dict(rules, labels)
    except ConfigError as exc:
        raise BundleError(f"The bundle's reply rules are not valid: {exc.message}",
                          REEXPORT, zh=f"包中的回复规则无效：{exc.zh or exc.message}"
                                       f"{REEXPORT_ZH}") from None
    except (TypeError, AttributeError):  # a field of the wrong type (a number as a reply)
        raise BundleError("The bundle's reply rules are not valid: a rule has a field of "
                          "the wrong type.", REEXPORT,
                          zh=f"包中的回复规则无效：有一条规则的字段类型不对。{REEXPORT_ZH}") from None
    if checked.allow_http:  # web calls send every message out: the importer decides
        checked.allow_http = False
    if checked.entity_run:
        raise BundleError(f"The bundle's reply rules name an entity agent "
                          f"({checked.entity_run!r}), which a bundle does not carry.", REEXPORT,
                          zh=f"包中的回复规则指向一个实体智能体（{checked.entity_run!r}），"
                             f"而包里不会带着它。{REEXPORT_ZH}")
    return checked


def _check_base_entry(base: dict[str, Any]) -> None:
    for key in ("id", "name", "source"):
        if not isinstance(base.get(key), str) or not base[key]:
            raise bad(f"base_model.{key} should be text", f"base_model.{key} 应当是文字")
    if base["source"] not in SOURCES:
        raise bad(f"base_model.source should be one of {', '.join(SOURCES)}",
                   f"base_model.source 应当是 {'、'.join(SOURCES)} 之一")
    if base.get("model_type") is not None and not isinstance(base["model_type"], str):
        raise bad("base_model.model_type should be text", "base_model.model_type 应当是文字")


def _check_settings_model(model: str, base_id: str) -> None:
    """The settings' model is the base model, "auto" or a catalog id (a bundle exported
    before the settings named the base model): never a name nothing here can load."""
    from playground.catalog import AUTO, catalog

    if model not in (base_id, AUTO) and model not in {card.id for card in catalog()}:
        raise BundleError(f"The bundle's settings name the model '{model}', which is neither "
                          f"its base model '{base_id}' nor one this playground knows.", REEXPORT,
                          zh=f"包中的设置所写的模型“{model}”既不是它的基础模型“{base_id}”，"
                             f"也不是本训练场认识的模型。{REEXPORT_ZH}")


def _check_metrics(metrics: dict[str, Any], task: str) -> None:
    model = metrics.get("scores", {}).get("model") if isinstance(metrics.get("scores"),
                                                                 dict) else None
    if not isinstance(model, dict):
        raise bad("metrics has no held-out scores of the model", "metrics 中没有模型在留出数据上的分数")
    headline = tasks.spec(task).headline
    if not isinstance(model.get(headline), (int, float)) or isinstance(model[headline], bool):
        raise bad(f"metrics has no {headline} of the model", f"metrics 中没有模型的 {headline}")


def _check_data(data: dict[str, Any]) -> None:
    if not isinstance(data.get("name"), str):
        raise bad("data.name should be text", "data.name 应当是文字")
    rows, hashes = data.get("rows"), data.get("sha256")
    if not isinstance(rows, dict) or not all(type(n) is int and n >= 0 for n in rows.values()):
        raise bad("data.rows should count the rows of each split", "data.rows 应当给出每个数据划分的行数")
    if not isinstance(hashes, dict) or not all(isinstance(h, str) and _SHA256.fullmatch(h)
                                               for h in hashes.values()):
        raise bad("data.sha256 should hold a sha256 per data file", "data.sha256 应当为每个数据文件给出一个 sha256")


def kind_of(name: str) -> str | None:
    """MODEL or TOOLS for a path a bundle may hold (besides the manifest), else None."""
    parts = name.split("/")
    if len(parts) != 2 or not _FILE_NAME.fullmatch(parts[1]) or parts[1].startswith("."):
        return None
    folder, file = parts
    suffix = PurePosixPath(file).suffix.lower()
    if folder == MODEL and suffix in MODEL_SUFFIXES and file != RUN_CONFIG:
        return MODEL
    if folder == TOOLS and suffix == ".csv":
        return TOOLS
    return None


def refuse_file(name: str, where: str = "The bundle holds",
                where_zh: str = "包中有") -> BundleError:
    """The error for a file outside the whitelist; pickled weights are named as such."""
    if PurePosixPath(name).suffix.lower() in PICKLE_SUFFIXES:
        return BundleError(f"{where} pickled weights ({name}): only safetensors weights are "
                           "accepted, because loading a pickle can run code.", REEXPORT,
                           zh=f"{where_zh} pickle 格式的权重（{name}）：只接受 safetensors 权重，"
                              f"因为加载 pickle 可能执行代码。{REEXPORT_ZH}")
    return BundleError(f"{where} a file a bundle may not hold ({name}): only safetensors "
                       "weights, JSON, text and tokenizer files in model/, and CSV tables in "
                       "tools/.", TAMPERED,
                       zh=f"{where_zh}包里不允许有的文件（{name}）：model/ 中只能有 safetensors 权重、"
                          f"JSON、文本和分词器文件，tools/ 中只能有 CSV 表格。{TAMPERED_ZH}")


# ----- the zip, before anything is written ----------------------------------------------
def open_bundle(bundle: Path, max_bytes: int) -> zipfile.ZipFile:
    """The bundle as an open zip, once it exists, is small enough and is a zip at all."""
    if not bundle.is_file():
        raise BundleError(f"There is no file {bundle.name}.", "Check the path and try again.",
                          zh=f"没有文件 {bundle.name}。请检查路径后重试。")
    size = bundle.stat().st_size
    if size > max_bytes:
        raise _too_large(size, max_bytes)
    try:
        return zipfile.ZipFile(bundle)
    except (zipfile.BadZipFile, EOFError, ValueError):
        raise BundleError(f"{bundle.name} is not an agent bundle: it is not a zip file.",
                          f"Pick a {SUFFIX} file made by Export in the playground.",
                          zh=f"{bundle.name} 不是智能体包：它不是 zip 文件。"
                             f"{PICK_BUNDLE_ZH.format(suffix=SUFFIX)}") from None


def _too_large(size: int, max_bytes: int) -> BundleError:
    return BundleError(f"The bundle is too large: {size:,} bytes, over the limit of "
                       f"{max_bytes:,}.", "Export a smaller agent, or raise the limit.",
                       zh=f"包太大了：{size:,} 字节，超过上限 {max_bytes:,}。"
                          "请导出更小的智能体，或调高上限。")


def check_entries(archive: zipfile.ZipFile, max_bytes: int) -> dict[str, zipfile.ZipInfo]:
    """Name -> entry, once every entry's name, type, size and compression are safe."""
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise BundleError(f"The bundle holds too many files ({len(infos):,}; the limit is "
                          f"{MAX_ENTRIES}).", TAMPERED,
                          zh=f"包中的文件太多（{len(infos):,} 个；上限是 {MAX_ENTRIES}）。{TAMPERED_ZH}")
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        _check_name(name, info.orig_filename)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise BundleError(f"The bundle holds a link ({name}); bundles hold plain files "
                              "only.", TAMPERED,
                              zh=f"包中有一个链接（{name}）；包里只能有普通文件。{TAMPERED_ZH}")
        if info.is_dir() or stat.S_IFMT(mode) not in (0, stat.S_IFREG):
            raise BundleError(f"The bundle holds {name}, which is not a plain file.", TAMPERED,
                              zh=f"包中的 {name} 不是普通文件。{TAMPERED_ZH}")
        if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED,
                                                              zipfile.ZIP_DEFLATED):
            raise BundleError(f"The bundle's {name} is encrypted or packed in a way bundles "
                              "are not.", REEXPORT,
                              zh=f"包中的 {name} 被加密了，或压缩方式不是包所用的方式。{REEXPORT_ZH}")
        if name.casefold() in seen:
            raise BundleError(f"The bundle holds {name} twice.", TAMPERED,
                              zh=f"包中有两个 {name}。{TAMPERED_ZH}")
        seen.add(name.casefold())
        if name != MANIFEST and kind_of(name) is None:
            raise refuse_file(name)
    total = sum(info.file_size for info in infos)
    if total > max_bytes:
        raise _too_large(total, max_bytes)
    packed = sum(info.compress_size for info in infos)
    for info in infos:
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * info.compress_size:
            raise BundleError(f"The bundle's {info.filename} unpacks to {info.file_size:,} "
                              f"bytes from {info.compress_size:,}: a compression ratio over "
                              f"{MAX_RATIO}, as in a zip bomb.", TAMPERED,
                              zh=f"包中的 {info.filename} 从 {info.compress_size:,} 字节解压为 "
                                 f"{info.file_size:,} 字节：压缩比超过 {MAX_RATIO}，像是 zip 炸弹。"
                                 f"{TAMPERED_ZH}")
    if total > RATIO_FLOOR and total > MAX_RATIO * packed:
        raise BundleError(f"The bundle unpacks to {total:,} bytes from {packed:,}: a "
                          f"compression ratio over {MAX_RATIO}, as in a zip bomb.", TAMPERED,
                          zh=f"包从 {packed:,} 字节解压为 {total:,} 字节：压缩比超过 {MAX_RATIO}，"
                             f"像是 zip 炸弹。{TAMPERED_ZH}")
    return {info.filename: info for info in infos}


def _check_name(name: str, original: str) -> None:
    if "\x00" in original or not name:
        raise BundleError(f"The bundle holds a file with a broken name ({original!r}).",
                          TAMPERED, zh=f"包中有一个名字损坏的文件（{original!r}）。{TAMPERED_ZH}")
    if "\\" in name or re.match(r"[A-Za-z]:", name):
        raise BundleError(f"The bundle holds a Windows-style path ({name}); bundle paths use "
                          "'/' and no drive letter.", TAMPERED,
                          zh=f"包中有 Windows 风格的路径（{name}）；包内路径使用“/”，且不带盘符。"
                             f"{TAMPERED_ZH}")
    if name.startswith("/"):
        raise BundleError(f"The bundle holds an absolute path ({name}); every path must stay "
                          "inside the bundle.", TAMPERED,
                          zh=f"包中有绝对路径（{name}）；每个路径都必须在包内。{TAMPERED_ZH}")
    if ".." in name.split("/"):
        raise BundleError(f"The bundle holds a path that leads outside it ({name}).", TAMPERED,
                          zh=f"包中有指向包外的路径（{name}）。{TAMPERED_ZH}")


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """An entry's bytes (at most ``limit``), or a BundleError when it is damaged."""
    if info.file_size > limit:
        raise BundleError(f"The bundle's {info.filename} is too large to be what it says "
                          f"({info.file_size:,} bytes).", TAMPERED,
                          zh=f"包中的 {info.filename} 太大（{info.file_size:,} 字节），"
                             f"不可能是它声称的内容。{TAMPERED_ZH}")
    try:
        with archive.open(info) as fh:
            return fh.read(limit)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise BundleError(f"The bundle's {info.filename} is damaged ({exc}).", REEXPORT,
                          zh=f"包中的 {info.filename} 已损坏（{exc}）。{REEXPORT_ZH}") from None


def _read_json(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Any:
    try:
        return json.loads(_read(archive, info, MAX_JSON_BYTES).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise BundleError(f"The bundle's {info.filename} is not valid JSON.", REEXPORT,
                          zh=f"包中的 {info.filename} 不是有效的 JSON。{REEXPORT_ZH}") from None


def read_manifest(archive: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo]) -> Manifest:
    """The checked manifest, once it lists exactly the files the zip holds, at their sizes."""
    if MANIFEST not in infos:
        raise BundleError(f"The file has no {MANIFEST}, so it is not an agent bundle.",
                          f"Pick a {SUFFIX} file made by Export in the playground.",
                          zh=f"该文件没有 {MANIFEST}，所以不是智能体包。"
                             f"{PICK_BUNDLE_ZH.format(suffix=SUFFIX)}")
    manifest = check_manifest(_read_json(archive, infos[MANIFEST]))
    held = set(infos) - {MANIFEST}
    unlisted, missing = sorted(held - set(manifest.files)), sorted(set(manifest.files) - held)
    if unlisted:
        raise BundleError(f"The bundle holds {unlisted[0]}, which its manifest does not list.",
                          TAMPERED, zh=f"包中有清单未列出的 {unlisted[0]}。{TAMPERED_ZH}")
    if missing:
        raise BundleError(f"The bundle lacks {missing[0]}, which its manifest lists.", REEXPORT,
                          zh=f"包中缺少清单列出的 {missing[0]}。{REEXPORT_ZH}")
    for name in sorted(held):
        if infos[name].file_size != manifest.files[name]["bytes"]:
            raise BundleError(f"The bundle's {name} is not the size its manifest gives.",
                              TAMPERED, zh=f"包中 {name} 的大小与清单所写的不符。{TAMPERED_ZH}")
    return manifest


def check_model(archive: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo],
                manifest: Manifest) -> None:
    """Labels, weights and base model, read from the zip before anything is written."""
    labels_name = f"{MODEL}/{LABELS}"
    if labels_name not in infos:
        raise BundleError(f"The bundle has no {labels_name}, so its agent cannot answer.",
                          REEXPORT, zh=f"包中没有 {labels_name}，它的智能体无法回答。{REEXPORT_ZH}")
    saved = _read_json(archive, infos[labels_name])
    if not isinstance(saved, dict) or saved.get("labels") != manifest.labels or \
            (saved.get("task") or tasks.DEFAULT) != manifest.task:
        raise BundleError(f"The labels in {labels_name} do not match the manifest's labels "
                          f"({', '.join(manifest.labels)}).", TAMPERED,
                          zh=f"{labels_name} 中的标签与清单的标签（{'、'.join(manifest.labels)}）"
                             f"不一致。{TAMPERED_ZH}")
    from playground.training.calibration import is_fitted_temperature

    temperature = saved.get("temperature", 1.0)  # agents made before calibration have none
    if not is_fitted_temperature(temperature):
        shown = json.dumps(temperature)[:40]
        raise BundleError(f"The confidence temperature in {labels_name} ({shown}) is not one "
                          "training fits (a number from 0.05 to 20).", TAMPERED,
                          zh=f"{labels_name} 中的置信度温度（{shown}）不是训练会拟合出的值"
                             f"（0.05 到 20 之间的数）。{TAMPERED_ZH}")
    from playground.training.precision import DTYPES

    precision = saved.get("precision", "fp32")  # the one a language model answers in
    if precision not in DTYPES:
        shown = json.dumps(precision, ensure_ascii=False)[:40]
        raise BundleError(f"The precision in {labels_name} ({shown}) is not one training "
                          f"writes ({', '.join(DTYPES)}).", TAMPERED,
                          zh=f"{labels_name} 中的精度（{shown}）不是训练会写出的值"
                             f"（{'、'.join(DTYPES)}）。{TAMPERED_ZH}")
    part = tasks.part(manifest.task, "agent")
    classic = f"{MODEL}/{part.CLASSIC_FILES[0]}" in infos  # retrieval keeps no weights
    weights = [name for name in infos if name.endswith(".safetensors")]
    if not weights and not classic:
        raise BundleError("The bundle holds no weights (no .safetensors file in model/).",
                          REEXPORT, zh=f"包中没有权重（model/ 中没有 .safetensors 文件）。{REEXPORT_ZH}")
    for name in weights:
        _check_safetensors(archive, infos[name])
    config_name = f"{MODEL}/config.json"
    model_config = _read_json(archive, infos[config_name]) if config_name in infos else None
    if model_config is not None and not isinstance(model_config, dict):
        raise BundleError(f"The bundle's {config_name} is not a model config.", REEXPORT,
                          zh=f"包中的 {config_name} 不是模型配置。{REEXPORT_ZH}")
    adapter_name = f"{MODEL}/{ADAPTER_CONFIG}"
    adapter = _read_json(archive, infos[adapter_name]) if adapter_name in infos else None
    if adapter_name in infos:  # a LoRA adapter that names its base model (bundle_adapters)
        _check_adapter(manifest, adapter, model_config)
    else:
        check_base_model(manifest.base_model, model_config)
    _check_no_custom_code(archive, infos, manifest.base_model["id"])
    named = {key: saved[key] for key in ("base_model", "base_model_id") if saved.get(key)}
    if any(value != manifest.base_model["id"] for value in named.values()):
        # the agent loads its base from labels.json: it must be the base checked here
        shown = json.dumps(named, ensure_ascii=False)[:120]
        raise BundleError(f"The base model named in {labels_name} ({shown}) is not the "
                          f"manifest's ({manifest.base_model['id']}).", TAMPERED,
                          zh=f"{labels_name} 中的基础模型（{shown}）与清单中的"
                             f"（{manifest.base_model['id']}）不一致。{TAMPERED_ZH}")
    # The agent loads a classic model whenever its file is there, config.json or not.
    if classic and (model_config or adapter) is not None:
        raise BundleError("The bundle holds both a classic model and a transformers model.",
                          TAMPERED, zh=f"包中同时有经典模型和 transformers 模型。{TAMPERED_ZH}")
    if model_config is None and adapter_name not in infos:
        _check_classic(archive, infos, manifest, part)
    outputs = (model_config or {}).get("id2label")
    # The model's outputs: one per label, or per tag for an entity model (B-/I- per
    # type, and O), as its labels.json lists them.
    wanted = saved.get(part.OUTPUTS, [])
    if isinstance(outputs, dict) and len(outputs) != len(wanted):
        raise BundleError(f"The model in the bundle has {len(outputs)} outputs for "
                          f"{len(wanted)} labels.", TAMPERED,
                          zh=f"包中的模型有 {len(outputs)} 个输出，却有 {len(wanted)} 个标签。"
                             f"{TAMPERED_ZH}")


def _check_adapter(manifest: Manifest, adapter: Any, model_config: Any) -> None:
    """An adapter bundle: a plain LoRA config on the base its manifest names, a base this
    machine has and can vouch for, and no whole model beside it."""
    from playground.catalog import CAUSAL_LM, CLASSIC

    task = tasks.spec(manifest.task)
    # Only language models keep their adapter apart (encoders' agents are saved merged).
    if model_config is not None or manifest.base_model["id"] == CLASSIC or \
            task.model_family != CAUSAL_LM:
        raise BundleError("The bundle holds a LoRA adapter beside a whole model, on the "
                          "classic model, or for a task whose agents are saved whole.",
                          TAMPERED, zh=f"包中的 LoRA 适配器与完整模型放在一起、建在经典模型上，"
                                       f"或属于智能体以完整模型保存的任务。{TAMPERED_ZH}")
    check_adapter_config(adapter, manifest.base_model["id"], "CAUSAL_LM")
    check_adapter_base(manifest.base_model, task.model_family)


def _check_safetensors(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """A safetensors file starts with its header's length, then a JSON header."""
    try:
        with archive.open(info) as fh:
            size = int.from_bytes(fh.read(8), "little")
            ok = 2 <= size <= min(info.file_size - 8, MAX_JSON_BYTES)
            header = fh.read(size) if ok else b""
        ok = ok and header.startswith(b"{") and isinstance(json.loads(header), dict)
    except (zipfile.BadZipFile, zlib.error, EOFError, UnicodeDecodeError, json.JSONDecodeError,
            RecursionError):
        ok = False
    if not ok:
        raise BundleError(f"The bundle's {info.filename} is not a safetensors file.", TAMPERED,
                          zh=f"包中的 {info.filename} 不是 safetensors 文件。{TAMPERED_ZH}")


def check_base_model(base: dict[str, Any], model_config: dict[str, Any] | None) -> None:
    """Refuse a base model this playground cannot load with its own code (see the module's
    docstring): an id it does not know, custom code, or a model type transformers lacks."""
    from playground.catalog import CLASSIC, catalog

    model_id, source = base["id"], base["source"]
    if model_id == CLASSIC:
        if model_config is not None:
            raise BundleError("The bundle says its agent is the classic model, but it holds a "
                              "transformers model.", TAMPERED,
                              zh=f"包声称它的智能体是经典模型，但里面有 transformers 模型。{TAMPERED_ZH}")
        return
    if model_id not in {card.id for card in catalog()} and source not in ("hub", "local"):
        raise BundleError(f"The bundle's base model '{model_id}' ({source}) is not one this "
                          "playground knows: it is not in the catalog.",
                          "Update the playground, or ask for an agent built on a catalog "
                          "model.",
                          zh=f"包的基础模型“{model_id}”（{source}）不在模型目录中，本训练场不认识它。"
                             "请更新训练场，或索取基于目录中模型的智能体。")
    if model_config is None:
        raise BundleError(f"The bundle's model ({model_id}) has no model/config.json, so it "
                          "cannot be loaded.", REEXPORT,
                          zh=f"包中的模型（{model_id}）没有 model/config.json，无法加载。{REEXPORT_ZH}")
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES

    model_type = model_config.get("model_type")
    if model_type not in CONFIG_MAPPING_NAMES:
        raise BundleError(f"The bundle's base model '{model_id}' (model type '{model_type}') "
                          "is not one this playground knows: transformers does not support "
                          "that model type.", "Fine-tune a catalog model, or one of a "
                          "standard architecture (BERT, RoBERTa, DistilBERT...).",
                          zh=f"包的基础模型“{model_id}”（模型类型“{model_type}”）本训练场不认识："
                             "transformers 不支持该模型类型。请微调目录中的模型，"
                             "或标准架构（BERT、RoBERTa、DistilBERT 等）的模型。")
    if base.get("model_type") not in (None, model_type):
        raise BundleError(f"The manifest says the model type is '{base['model_type']}', but "
                          f"the model's config says '{model_type}'.", TAMPERED,
                          zh=f"清单说模型类型是“{base['model_type']}”，但模型配置说是“{model_type}”。"
                             f"{TAMPERED_ZH}")


def _check_no_custom_code(archive: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo],
                          model_id: str) -> None:
    """No ``auto_map`` (code of the model's own) in config.json, tokenizer_config.json or
    any other ``*config.json``: transformers reads it from each of them."""
    for name in sorted(infos):
        if not (name.startswith(f"{MODEL}/") and name.endswith("config.json")):
            continue
        config = _read_json(archive, infos[name])
        if isinstance(config, dict) and "auto_map" in config:
            file = name.split("/", 1)[1]
            raise BundleError(f"The bundle's model ({model_id}) needs code of its own (auto_map "
                              f"in its {file}), which the playground never runs.",
                              "Fine-tune a model whose architecture transformers ships.",
                              zh=f"包中的模型（{model_id}）需要它自带的代码（{file} 中有 auto_map），"
                                 "训练场从不运行这种代码。请微调 transformers 自带架构的模型。")


def _check_classic(archive: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo],
                   manifest: Manifest, part: Any) -> None:
    """The classic model's settings may hold only the values the playground writes (never
    a vectorizer's 'input', which would read files named by the texts, nor an n-gram
    range that makes every question cost gigabytes) and must know the manifest's labels.
    ``part`` is the task's agent module, which knows its classic model's files."""
    meta_file, weights_file = part.CLASSIC_FILES
    meta_name, weights_name = f"{MODEL}/{meta_file}", f"{MODEL}/{weights_file}"
    if meta_name not in infos or weights_name not in infos:
        raise BundleError(f"The bundle's classic model lacks {meta_file} or {weights_file}.",
                          REEXPORT, zh=f"包中的经典模型缺少 {meta_file} 或 {weights_file}。{REEXPORT_ZH}")
    meta = _read_json(archive, infos[meta_name])
    meta = meta if isinstance(meta, dict) else {}
    fault = part.classic_fault(meta, manifest.labels)
    if fault == "labels":
        raise BundleError(f"The bundle's {meta_name} is not a classic model for the labels "
                          "in its manifest.", TAMPERED,
                          zh=f"包中的 {meta_name} 不是对应清单中标签的经典模型。{TAMPERED_ZH}")
    if fault is not None:
        settings = meta.get("vectorizer") if isinstance(meta.get("vectorizer"), dict) else meta
        shown = json.dumps(settings[fault], ensure_ascii=False)[:80] \
            if fault in settings else ""
        raise BundleError(f"The bundle's classic model has a setting this playground never "
                          f"writes ({fault} {shown or 'is not as it writes it'}), which could "
                          "make every question cost minutes and gigabytes.", TAMPERED,
                          zh=f"包中的经典模型有一个本训练场从不写入的设置（{fault} "
                             f"{shown or '与本训练场写入的不同'}），"
                             f"它可能让每个问题耗费数分钟和数 GB 内存。{TAMPERED_ZH}")
