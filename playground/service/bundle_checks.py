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
refused with a sentence.
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

from playground.errors import BundleError, ConfigError
from playground.runfolder import LABELS, MODEL, RUN_CONFIG, TOOLS
from playground.service.replies import AgentRules

FORMAT_VERSION = 1
SUFFIX = ".agent.zip"
MANIFEST = "manifest.json"
MAX_BYTES = 2 << 30  # a base-size encoder in fp32 is 0.4-0.6 GB: room for the large ones
MAX_ENTRIES = 500  # a transformer agent has about 10 files; tables add a few
MAX_RATIO = 100  # JSON, vocabularies and tables deflate 3-10x; a zip bomb 1000x and more
RATIO_FLOOR = 1 << 20  # an entry smaller than this cannot make a bomb on its own
MAX_JSON_BYTES = 256 << 20  # manifest, labels, configs: the classic vocabulary is the largest
MODEL_SUFFIXES = (".safetensors", ".json", ".txt", ".model")  # .model: sentencepiece
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib", ".npy",
                   ".npz", ".h5", ".msgpack")
SOURCES = ("builtin", "embedded", "hub", "local")
_FILE_NAME = re.compile(r"[\w\-. ]+")
_SHA256 = re.compile(r"[0-9a-f]{64}")
TAMPERED = ("The file may have been changed since it was exported: import bundles only "
            "from people you trust, or ask for a fresh export.")
REEXPORT = "Export the agent again (Export in the playground, or: playground export RUN_DIR)."


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


def _bad(detail: str) -> BundleError:
    return BundleError(f"The bundle's manifest is not valid: {detail}.", REEXPORT)


def check_manifest(value: Any) -> Manifest:
    """A ``Manifest`` from parsed manifest.json, or a BundleError naming what is wrong."""
    from playground.config import TASKS, RunConfig

    if not isinstance(value, dict):
        raise _bad("it is not a JSON object")
    missing = [key for key in _TYPES if key not in value]
    if missing:
        raise _bad(f"it lacks {', '.join(missing)}")
    if set(value) - set(_TYPES):
        raise _bad(f"it has unknown fields: {', '.join(sorted(set(value) - set(_TYPES)))}")
    for key, kind in _TYPES.items():
        if not isinstance(value[key], kind) or isinstance(value[key], bool):
            raise _bad(f"{key} should be {_WORDS[kind]}, not {type(value[key]).__name__}")
    version = value["format_version"]
    if version > FORMAT_VERSION:
        raise BundleError(f"The bundle was made by a newer playground (format {version}; "
                          f"this one reads format {FORMAT_VERSION}).",
                          "Update the playground, then import the bundle again.")
    if version != FORMAT_VERSION:
        raise _bad(f"format_version {version} is not one this playground reads")
    if value["task"] not in TASKS:
        raise _bad(f"the task '{value['task']}' is not one of {', '.join(TASKS)}")
    labels = value["labels"]
    if not labels or not all(isinstance(x, str) and x for x in labels):
        raise _bad("labels should be a list of label names")
    if len(set(labels)) != len(labels):
        raise _bad("labels holds a name twice")
    try:
        datetime.fromisoformat(value["created_at"])
    except ValueError:
        raise _bad(f"created_at '{value['created_at']}' is not a date and time") from None
    _check_base_entry(value["base_model"])
    try:
        settings = RunConfig.from_dict(value["settings"])
    except ConfigError as exc:
        raise _bad(f"its settings do not validate ({exc.message})") from None
    if settings.task != value["task"]:
        raise _bad(f"the settings' task '{settings.task}' is not the task '{value['task']}'")
    check_rules(value["rules"], labels)
    _check_metrics(value["metrics"], value["task"])
    _check_data(value["data"])
    for name, entry in value["files"].items():
        if not (isinstance(entry, dict) and isinstance(entry.get("sha256"), str)
                and _SHA256.fullmatch(entry["sha256"]) and type(entry.get("bytes")) is int
                and entry["bytes"] >= 0):
            raise _bad(f"files['{name}'] should have a sha256 and a size in bytes")
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
                          REEXPORT) from None
    except (TypeError, AttributeError):  # a field of the wrong type (a number as a reply)
        raise BundleError("The bundle's reply rules are not valid: a rule has a field of "
                          "the wrong type.", REEXPORT) from None
    if checked.allow_http:  # web calls send every message out: the importer decides
        checked.allow_http = False
    if checked.entity_run:
        raise BundleError(f"The bundle's reply rules name an entity agent "
                          f"({checked.entity_run!r}), which a bundle does not carry.", REEXPORT)
    return checked


def _check_base_entry(base: dict[str, Any]) -> None:
    for key in ("id", "name", "source"):
        if not isinstance(base.get(key), str) or not base[key]:
            raise _bad(f"base_model.{key} should be text")
    if base["source"] not in SOURCES:
        raise _bad(f"base_model.source should be one of {', '.join(SOURCES)}")
    if base.get("model_type") is not None and not isinstance(base["model_type"], str):
        raise _bad("base_model.model_type should be text")


def _check_metrics(metrics: dict[str, Any], task: str) -> None:
    model = metrics.get("scores", {}).get("model") if isinstance(metrics.get("scores"),
                                                                 dict) else None
    if not isinstance(model, dict):
        raise _bad("metrics has no held-out scores of the model")
    headline = "accuracy" if task == "text-classification" else "f1"
    if not isinstance(model.get(headline), (int, float)) or isinstance(model[headline], bool):
        raise _bad(f"metrics has no {headline} of the model")


def _check_data(data: dict[str, Any]) -> None:
    if not isinstance(data.get("name"), str):
        raise _bad("data.name should be text")
    rows, hashes = data.get("rows"), data.get("sha256")
    if not isinstance(rows, dict) or not all(type(n) is int and n >= 0 for n in rows.values()):
        raise _bad("data.rows should count the rows of each split")
    if not isinstance(hashes, dict) or not all(isinstance(h, str) and _SHA256.fullmatch(h)
                                               for h in hashes.values()):
        raise _bad("data.sha256 should hold a sha256 per data file")


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


def refuse_file(name: str, where: str = "The bundle holds") -> BundleError:
    """The error for a file outside the whitelist; pickled weights are named as such."""
    if PurePosixPath(name).suffix.lower() in PICKLE_SUFFIXES:
        return BundleError(f"{where} pickled weights ({name}): only safetensors weights are "
                           "accepted, because loading a pickle can run code.", REEXPORT)
    return BundleError(f"{where} a file a bundle may not hold ({name}): only safetensors "
                       "weights, JSON, text and tokenizer files in model/, and CSV tables in "
                       "tools/.", TAMPERED)


# ----- the zip, before anything is written ----------------------------------------------
def open_bundle(bundle: Path, max_bytes: int) -> zipfile.ZipFile:
    """The bundle as an open zip, once it exists, is small enough and is a zip at all."""
    if not bundle.is_file():
        raise BundleError(f"There is no file at {bundle}.", "Check the path and try again.")
    size = bundle.stat().st_size
    if size > max_bytes:
        raise _too_large(size, max_bytes)
    try:
        return zipfile.ZipFile(bundle)
    except (zipfile.BadZipFile, EOFError, ValueError):
        raise BundleError(f"{bundle.name} is not an agent bundle: it is not a zip file.",
                          f"Pick a {SUFFIX} file made by Export in the playground.") from None


def _too_large(size: int, max_bytes: int) -> BundleError:
    return BundleError(f"The bundle is too large: {size:,} bytes, over the limit of "
                       f"{max_bytes:,}.", "Export a smaller agent, or raise the limit.")


def check_entries(archive: zipfile.ZipFile, max_bytes: int) -> dict[str, zipfile.ZipInfo]:
    """Name -> entry, once every entry's name, type, size and compression are safe."""
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise BundleError(f"The bundle holds too many files ({len(infos):,}; the limit is "
                          f"{MAX_ENTRIES}).", TAMPERED)
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        _check_name(name, info.orig_filename)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise BundleError(f"The bundle holds a link ({name}); bundles hold plain files "
                              "only.", TAMPERED)
        if info.is_dir() or stat.S_IFMT(mode) not in (0, stat.S_IFREG):
            raise BundleError(f"The bundle holds {name}, which is not a plain file.", TAMPERED)
        if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED,
                                                              zipfile.ZIP_DEFLATED):
            raise BundleError(f"The bundle's {name} is encrypted or packed in a way bundles "
                              "are not.", REEXPORT)
        if name.casefold() in seen:
            raise BundleError(f"The bundle holds {name} twice.", TAMPERED)
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
                              f"{MAX_RATIO}, as in a zip bomb.", TAMPERED)
    if total > RATIO_FLOOR and total > MAX_RATIO * packed:
        raise BundleError(f"The bundle unpacks to {total:,} bytes from {packed:,}: a "
                          f"compression ratio over {MAX_RATIO}, as in a zip bomb.", TAMPERED)
    return {info.filename: info for info in infos}


def _check_name(name: str, original: str) -> None:
    if "\x00" in original or not name:
        raise BundleError(f"The bundle holds a file with a broken name ({original!r}).",
                          TAMPERED)
    if "\\" in name or re.match(r"[A-Za-z]:", name):
        raise BundleError(f"The bundle holds a Windows-style path ({name}); bundle paths use "
                          "'/' and no drive letter.", TAMPERED)
    if name.startswith("/"):
        raise BundleError(f"The bundle holds an absolute path ({name}); every path must stay "
                          "inside the bundle.", TAMPERED)
    if ".." in name.split("/"):
        raise BundleError(f"The bundle holds a path that leads outside it ({name}).", TAMPERED)


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """An entry's bytes (at most ``limit``), or a BundleError when it is damaged."""
    if info.file_size > limit:
        raise BundleError(f"The bundle's {info.filename} is too large to be what it says "
                          f"({info.file_size:,} bytes).", TAMPERED)
    try:
        with archive.open(info) as fh:
            return fh.read(limit)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise BundleError(f"The bundle's {info.filename} is damaged ({exc}).", REEXPORT) from None


def _read_json(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Any:
    try:
        return json.loads(_read(archive, info, MAX_JSON_BYTES).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise BundleError(f"The bundle's {info.filename} is not valid JSON.", REEXPORT) from None


def read_manifest(archive: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo]) -> Manifest:
    """The checked manifest, once it lists exactly the files the zip holds, at their sizes."""
    if MANIFEST not in infos:
        raise BundleError(f"The file has no {MANIFEST}, so it is not an agent bundle.",
                          f"Pick a {SUFFIX} file made by Export in the playground.")
    manifest = check_manifest(_read_json(archive, infos[MANIFEST]))
    held = set(infos) - {MANIFEST}
    unlisted, missing = sorted(held - set(manifest.files)), sorted(set(manifest.files) - held)
    if unlisted:
        raise BundleError(f"The bundle holds {unlisted[0]}, which its manifest does not list.",
                          TAMPERED)
    if missing:
        raise BundleError(f"The bundle lacks {missing[0]}, which its manifest lists.", REEXPORT)
    for name in sorted(held):
        if infos[name].file_size != manifest.files[name]["bytes"]:
            raise BundleError(f"The bundle's {name} is not the size its manifest gives.",
                              TAMPERED)
    return manifest


def check_model(archive: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo],
                manifest: Manifest) -> None:
    """Labels, weights and base model, read from the zip before anything is written."""
    labels_name = f"{MODEL}/{LABELS}"
    if labels_name not in infos:
        raise BundleError(f"The bundle has no {labels_name}, so its agent cannot answer.",
                          REEXPORT)
    saved = _read_json(archive, infos[labels_name])
    if not isinstance(saved, dict) or saved.get("labels") != manifest.labels or \
            saved.get("task", "text-classification") != manifest.task:
        raise BundleError(f"The labels in {labels_name} do not match the manifest's labels "
                          f"({', '.join(manifest.labels)}).", TAMPERED)
    weights = [name for name in infos if name.endswith(".safetensors")]
    if not weights:
        raise BundleError("The bundle holds no weights (no .safetensors file in model/).",
                          REEXPORT)
    for name in weights:
        _check_safetensors(archive, infos[name])
    config_name = f"{MODEL}/config.json"
    model_config = _read_json(archive, infos[config_name]) if config_name in infos else None
    if model_config is not None and not isinstance(model_config, dict):
        raise BundleError(f"The bundle's {config_name} is not a model config.", REEXPORT)
    check_base_model(manifest.base_model, model_config)
    from playground.training.classic import FILE_JSON

    # The agent loads a classic model whenever its file is there, config.json or not.
    if f"{MODEL}/{FILE_JSON}" in infos and model_config is not None:
        raise BundleError("The bundle holds both a classic model and a transformers model.",
                          TAMPERED)
    if model_config is None and manifest.task == "text-classification":
        _check_classic(archive, infos, manifest.labels)
    outputs = (model_config or {}).get("id2label")
    # An entity model has one output per tag (B-/I- per type, and O), not per label.
    wanted = saved.get("tags", []) if manifest.task == "ner" else manifest.labels
    if isinstance(outputs, dict) and len(outputs) != len(wanted):
        raise BundleError(f"The model in the bundle has {len(outputs)} outputs for "
                          f"{len(wanted)} labels.", TAMPERED)


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
        raise BundleError(f"The bundle's {info.filename} is not a safetensors file.", TAMPERED)


def check_base_model(base: dict[str, Any], model_config: dict[str, Any] | None) -> None:
    """Refuse a base model this playground cannot load with its own code (see the module's
    docstring): an id it does not know, custom code, or a model type transformers lacks."""
    from playground.catalog import CLASSIC, catalog

    model_id, source = base["id"], base["source"]
    if model_id == CLASSIC:
        if model_config is not None:
            raise BundleError("The bundle says its agent is the classic model, but it holds a "
                              "transformers model.", TAMPERED)
        return
    if model_id not in {card.id for card in catalog()} and source not in ("hub", "local"):
        raise BundleError(f"The bundle's base model '{model_id}' ({source}) is not one this "
                          "playground knows: it is not in the catalog.",
                          "Update the playground, or ask for an agent built on a catalog "
                          "model.")
    if model_config is None:
        raise BundleError(f"The bundle's model ({model_id}) has no model/config.json, so it "
                          "cannot be loaded.", REEXPORT)
    if "auto_map" in model_config:
        raise BundleError(f"The bundle's model ({model_id}) needs code of its own (auto_map "
                          "in its config), which the playground never runs.",
                          "Fine-tune a model whose architecture transformers ships.")
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES

    model_type = model_config.get("model_type")
    if model_type not in CONFIG_MAPPING_NAMES:
        raise BundleError(f"The bundle's base model '{model_id}' (model type '{model_type}') "
                          "is not one this playground knows: transformers does not support "
                          "that model type.", "Fine-tune a catalog model, or one of a "
                          "standard architecture (BERT, RoBERTa, DistilBERT...).")
    if base.get("model_type") not in (None, model_type):
        raise BundleError(f"The manifest says the model type is '{base['model_type']}', but "
                          f"the model's config says '{model_type}'.", TAMPERED)


def _check_classic(archive: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo],
                   labels: list[str]) -> None:
    """The classic model's vectorizer may use only its own settings (never 'input', which
    would read files named by the texts) and must know the manifest's labels."""
    from playground.training.classic import FILE_JSON, FILE_WEIGHTS, VECTORIZER

    meta_name, weights_name = f"{MODEL}/{FILE_JSON}", f"{MODEL}/{FILE_WEIGHTS}"
    if meta_name not in infos or weights_name not in infos:
        raise BundleError(f"The bundle's classic model lacks {FILE_JSON} or {FILE_WEIGHTS}.",
                          REEXPORT)
    meta = _read_json(archive, infos[meta_name])
    meta = meta if isinstance(meta, dict) else {}
    vectorizer, known = meta.get("vectorizer"), meta.get("labels")
    if not isinstance(vectorizer, dict) or set(vectorizer) - set(VECTORIZER) or \
            not isinstance(known, list) or sorted(map(str, known)) != sorted(labels):
        raise BundleError(f"The bundle's {meta_name} is not a classic model for the labels "
                          "in its manifest.", TAMPERED)


