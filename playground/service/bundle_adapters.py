"""Bundles of an adapter: a LoRA adapter (a few MB) that names its base model instead of
carrying it, as a chat agent fine-tuned with LoRA is exported (``bundles.py``).

An adapter bundle's model/ holds peft's ``adapter_config.json`` and
``adapter_model.safetensors`` with the tokenizer; the manifest's ``base_model`` names the
base by its id. The importing machine supplies the base, so what it loads must be a model
the playground can vouch for before anything is written:

- the base is a catalog model of the task's family (the embedded chat model, a named hub
  model), available here (installed, cached, or the hub reachable); or a hub id outside
  the catalog that is already in this machine's Hugging Face cache, whose config names a
  model type transformers ships and no ``auto_map`` (code of the model's own, which the
  playground never runs). A hub id must look like one (``org/name``): a path, or an id
  not on this machine (whose config nobody here can read), is refused;
- ``adapter_config.json`` is a plain LoRA config: peft type LORA for the task's kind of
  model, a sane rank, alpha and dropout, target modules given as plain module names (a
  string would be a regular expression), no custom model class (``auto_mapping``) and no
  other adapter method's settings, and its ``base_model_name_or_path`` is the named base.

Exports never write an adapter on a local folder (a path means nothing elsewhere): such
an agent travels merged into whole weights (see ``bundles.export_bundle``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from playground.errors import BundleError, PlaygroundError
from playground.runfolder import ADAPTER_CONFIG
from playground.service.bundle_texts import REEXPORT, REEXPORT_ZH, TAMPERED, TAMPERED_ZH

MAX_RANK = 1024  # the form allows 256; a rank past this is no small adapter
MAX_MODULES = 4096  # a 1.5B model has 28 layers x 7 linear layers
_MODULE = re.compile(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*")
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]{0,95}/[\w.-]{1,96}")
# Keys whose value may be text, and what it may be; every other key holds no text.
_TEXT = {"peft_type": ("LORA",), "bias": ("none", "all", "lora_only"),
         "megatron_core": ("megatron.core",)}
_BOOLS = ("use_dora", "use_rslora", "fan_in_fan_out", "inference_mode", "lora_bias",
          "ensure_weight_tying", "init_lora_weights", "use_qalora", "use_bdlora")


def _refuse(what: str, what_zh: str) -> BundleError:
    return BundleError(f"The bundle's model/{ADAPTER_CONFIG} is not a LoRA adapter the "
                       f"playground writes: {what}.", TAMPERED,
                       zh=f"包中的 model/{ADAPTER_CONFIG} 不是训练场写出的 LoRA 适配器：{what_zh}。"
                          f"{TAMPERED_ZH}")


def check_adapter_config(config: Any, base_id: str, lora_task: str) -> None:
    """Refuse an adapter config that is not a plain LoRA adapter on ``base_id`` for
    peft's task type ``lora_task`` (see the module's docstring)."""
    if not isinstance(config, dict):
        raise _refuse("it is not a JSON object", "它不是 JSON 对象")
    if config.get("peft_type") != "LORA" or config.get("task_type") != lora_task:
        shown = json.dumps([config.get("peft_type"), config.get("task_type")])[:80]
        raise _refuse(f"its method is {shown}, not LoRA for {lora_task}",
                      f"它的方法是 {shown}，而不是用于 {lora_task} 的 LoRA")
    if config.get("base_model_name_or_path") != base_id:
        shown = json.dumps(config.get("base_model_name_or_path"), ensure_ascii=False)[:80]
        raise _refuse(f"it names the base model {shown}, not the manifest's '{base_id}'",
                      f"它所写的基础模型是 {shown}，而不是清单中的“{base_id}”")
    rank, alpha, dropout = config.get("r"), config.get("lora_alpha"), config.get("lora_dropout")
    if type(rank) is not int or not 1 <= rank <= MAX_RANK:
        raise _refuse(f"its rank r is {json.dumps(rank)[:40]}, not a whole number from 1 to "
                      f"{MAX_RANK}", f"它的秩 r 是 {json.dumps(rank)[:40]}，不是 1 到 {MAX_RANK} 的整数")
    if not _number(alpha, 0, 4 * MAX_RANK) or not _number(dropout, 0, 1):
        raise _refuse("its lora_alpha or lora_dropout is out of range",
                      "它的 lora_alpha 或 lora_dropout 超出范围")
    for key in ("target_modules", "modules_to_save"):
        names = config.get(key)
        if key == "modules_to_save" and names is None:
            continue
        if not isinstance(names, list) or not names or len(names) > MAX_MODULES or \
                not all(isinstance(n, str) and len(n) <= 200 and _MODULE.fullmatch(n)
                        for n in names):
            raise _refuse(f"its {key} is not a list of plain module names",
                          f"它的 {key} 不是普通模块名的列表")
    for key, value in config.items():
        if key in ("task_type", "base_model_name_or_path", "peft_version", "r", "lora_alpha",
                   "lora_dropout", "target_modules", "modules_to_save"):
            continue
        if not _plain_setting(key, value):
            shown = json.dumps(value, ensure_ascii=False)[:60]
            raise _refuse(f"it sets {key[:60]} to {shown}, which the playground never writes",
                          f"它把 {key[:60]} 设为 {shown}，而训练场从不这样写")


def _number(value: Any, low: float, high: float) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and \
        low <= value <= high


def _plain_setting(key: str, value: Any) -> bool:
    """A setting of plain LoRA: text only where ``_TEXT`` allows it, booleans where peft
    has them, small numbers, and otherwise nothing (None, {} or []): no module paths, no
    custom classes, no other method's configuration."""
    if value is None:  # unset, as peft writes every option it does not use
        return True
    if key in _TEXT:
        return value in _TEXT[key]
    if key in _BOOLS:
        return isinstance(value, bool)
    if value == {} or value == [] or value is False:
        return True
    return _number(value, 0, 1 << 16)  # qalora_group_size and the like


def check_adapter_base(base: dict[str, Any], family: str) -> None:
    """Refuse an adapter's base model this machine cannot vouch for or does not have."""
    from playground.catalog import catalog, choose

    model_id = base["id"]
    cards = {card.id: card for card in catalog()}
    if model_id in cards:
        if cards[model_id].family != family:
            raise BundleError(f"The bundle's adapter names the base model '{model_id}', "
                              "which is not the kind of model its agent needs.",
                              TAMPERED,
                              zh=f"包中的适配器所写的基础模型“{model_id}”不是它的智能体所需的那类模型。"
                                 f"{TAMPERED_ZH}")
        try:
            choose(model_id, "en", family)  # installed, cached, or the hub reachable
        except PlaygroundError as exc:
            raise BundleError(f"The bundle's agent is an adapter on the base model "
                              f"'{model_id}', which this machine cannot load: {exc.message}",
                              exc.hint, zh=f"包中的智能体是基础模型“{model_id}”上的适配器，"
                                           f"而本机无法加载它：{exc.zh}") from None
        return
    if base.get("source") != "hub" or not _HUB_ID.fullmatch(model_id) or ".." in model_id:
        raise BundleError(f"The bundle's adapter names the base model '{model_id}', which is "
                          "neither in the catalog nor a Hugging Face hub id.", TAMPERED,
                          zh=f"包中的适配器所写的基础模型“{model_id}”既不在模型目录中，"
                             f"也不是 Hugging Face 模型 id。{TAMPERED_ZH}")
    folder = _cached(model_id)
    if folder is None:
        raise BundleError(f"The bundle's agent is an adapter on the base model '{model_id}', "
                          "which is not in the catalog and not on this machine, so nothing "
                          "here can check what it is.",
                          f"Download {model_id} on a machine that reaches the Hugging Face "
                          "hub (it lands in the Hugging Face cache), then import again.",
                          zh=f"包中的智能体是基础模型“{model_id}”上的适配器，该模型不在模型目录中，"
                             f"也不在本机上，所以无法检查它是什么。请在能连上 Hugging Face 的机器上"
                             f"下载 {model_id}（它会存入 Hugging Face 缓存），然后重新导入。")
    check_native(folder, model_id, base.get("model_type"))


def _cached(model_id: str) -> Path | None:
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(model_id, "config.json")
    return Path(found).parent if isinstance(found, str) else None


def check_native(folder: Path, model_id: str, model_type: str | None) -> None:
    """A base model folder on this machine: a model type transformers ships, and no code
    of its own (``auto_map``) in any of its configs."""
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES

    for path in sorted(folder.glob("*config.json")):
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            config = None
        if not isinstance(config, dict) or "auto_map" in config:
            raise BundleError(f"The bundle's base model '{model_id}' needs code of its own "
                              f"(auto_map in its {path.name}), which the playground never runs.",
                              "Fine-tune a model whose architecture transformers ships.",
                              zh=f"包的基础模型“{model_id}”需要它自带的代码（{path.name} 中有 "
                                 "auto_map），训练场从不运行这种代码。请微调 transformers 自带架构的模型。")
        if path.name == "config.json" and (config.get("model_type") not in CONFIG_MAPPING_NAMES
                                           or model_type not in (None, config["model_type"])):
            shown = json.dumps(config.get("model_type"))[:40]
            raise BundleError(f"The bundle's base model '{model_id}' (model type {shown} on "
                              "this machine) is not a model type transformers ships, or not "
                              "the one the manifest names.", REEXPORT,
                              zh=f"包的基础模型“{model_id}”（本机上的模型类型为 {shown}）"
                                 f"不是 transformers 自带的模型类型，或与清单所写的不同。{REEXPORT_ZH}")
