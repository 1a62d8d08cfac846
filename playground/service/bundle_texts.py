"""The text a bundle's manifest may hold: what the playground itself writes, no more.

Every string in the manifest, keys included, is checked before any other check echoes it:
no control characters (line breaks and tabs only in free text, such as a reply), no
Unicode direction overrides (they make a name read as something else), and at most
``MAX_TEXT`` characters. Fields with a known shape are then held to it: ids, versions,
model types and file names to their patterns, names and labels to one line of a
sensible length. Markup needs no rule of its own: every page shows these strings as
text (``ui/safe.py``), so ``<img onerror=...>`` in a name shows as those characters.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from playground.errors import BundleError

TAMPERED = ("The file may have been changed since it was exported: import bundles only "
            "from people you trust, or ask for a fresh export.")
TAMPERED_ZH = "该文件可能在导出后被改动过：只导入你信任的人给的包，或请对方重新导出。"
REEXPORT = "Export the agent again (Export in the playground, or: playground export RUN_DIR)."
REEXPORT_ZH = "请重新导出该智能体（在训练场中点“导出”，或运行：playground export RUN_DIR）。"
MAX_TEXT = 4000  # a reply template or a reason sentence; a 10 MB string is no such thing
MAX_LINE = 300  # a name, a label
MAX_HELD_OUT = 1000  # a sentence that quotes a file's name (255 characters at most)
MAX_DEPTH = 20  # the metrics card nests 6 deep; JSON a thousand deep would exhaust the stack
BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# The shapes the playground writes (an imported run's id starts with "imported-").
RUN_ID = re.compile(r"[\w.-]{1,100}")
VERSION = re.compile(r"[\w.+-]{1,40}")
MODEL_ID = re.compile(r"[\w. -]{1,96}(/[\w.-]{1,96})?")  # a hub id or a folder's name
MODEL_TYPE = re.compile(r"[a-z0-9_-]{1,64}")
FILE_NAME = re.compile(r"[^/\\]{1,255}")


def bad(detail: str, detail_zh: str) -> BundleError:
    """The error for a manifest that is not what the playground writes."""
    return BundleError(f"The bundle's manifest is not valid: {detail}.", REEXPORT,
                       zh=f"包的清单（manifest）无效：{detail_zh}。{REEXPORT_ZH}")


def check_texts(manifest: dict[str, Any]) -> None:
    """Every string in the manifest, then each field of a known shape (see the docstring)."""
    _walk(manifest, "")
    base, data, metrics = (manifest.get(k) for k in ("base_model", "data", "metrics"))
    _shape("source_run", manifest.get("source_run"), RUN_ID, "a run's id", "训练记录的编号")
    _shape("playground_version", manifest.get("playground_version"), VERSION, "a version",
           "版本号")
    labels = manifest.get("labels")
    for label in labels if isinstance(labels, list) else []:
        _line("labels", label)
    if isinstance(base, dict):
        _shape("base_model.id", base.get("id"), MODEL_ID, "a model's id or folder name",
               "模型的编号或文件夹名")
        _line("base_model.name", base.get("name"))
        _shape("base_model.model_type", base.get("model_type"), MODEL_TYPE, "a model type",
               "模型类型")
    if isinstance(data, dict):
        for key in ("name", "eval_name"):
            _shape(f"data.{key}", data.get(key) or None, FILE_NAME, "a file's name", "文件名")
        for key in ("held_out", "held_out_zh"):
            _line(f"data.{key}", data.get(key), MAX_HELD_OUT)
        for key in ("rows", "sha256"):
            for name in data[key] if isinstance(data.get(key), dict) else {}:
                _shape(f"data.{key}", name, FILE_NAME, "a file's name", "文件名")
    if isinstance(metrics, dict):
        _line("metrics.model", metrics.get("model"))
        for key in ("held_out", "held_out_zh"):
            _line(f"metrics.{key}", metrics.get(key), MAX_HELD_OUT)


def _walk(value: Any, where: str, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise bad(f"{where} is nested too deeply", f"{where} 嵌套太深")
    if isinstance(value, str):
        _text(where or "the manifest", value, lines=True)
    elif isinstance(value, dict):
        for key, inner in value.items():
            _text(f"a key of {where or 'the manifest'}", str(key), lines=False)
            _walk(inner, f"{where}.{key}" if where else str(key), depth + 1)
    elif isinstance(value, list):
        for inner in value:
            _walk(inner, where, depth + 1)


def _text(where: str, value: str, lines: bool, limit: int = MAX_TEXT) -> None:
    if len(value) > limit:
        raise bad(f"{where} is too long ({len(value):,} characters; at most {limit:,})",
                  f"{where} 太长（{len(value):,} 个字符；最多 {limit:,} 个）")
    allowed = "\n\t" if lines else ""
    odd = next((c for c in value if c in BIDI or (unicodedata.category(c) == "Cc"
                                                  and c not in allowed)), None)
    if odd is not None:
        raise bad(f"{where} holds the control character U+{ord(odd):04X}",
                  f"{where} 中有控制字符 U+{ord(odd):04X}")


def _line(where: str, value: Any, limit: int = MAX_LINE) -> None:
    """One line of text of a sensible length, when ``value`` is text at all (the checks
    of types say the rest)."""
    if isinstance(value, str):
        _text(where, value, lines=False, limit=limit)


def _shape(where: str, value: Any, pattern: re.Pattern, what: str, what_zh: str) -> None:
    if value is None or not isinstance(value, str):
        return
    _line(where, value, 255)
    if not pattern.fullmatch(value) or value.strip(" .") == "" or ".." in value.split("/"):
        raise bad(f"{where} '{value}' is not {what}", f"{where}“{value}”不是{what_zh}")
