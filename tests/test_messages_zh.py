"""Every sentence the service can raise, and every data problem, has a Chinese twin.

The walk reads the source with ``ast``: a new ``raise DataError(...)`` without ``zh=`` (or
a new ``Problem(...)`` without its Chinese message) fails here, wherever it is written.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pandas as pd
import pytest

import playground
from playground import errors
from playground.config import RunConfig
from playground.errors import ConfigError, DataError, PlaygroundError, RunError

PACKAGE = Path(playground.__file__).parent
CJK = re.compile(r"[\u4e00-\u9fff]")
# Four English words in a row is a sentence (or most of one); names, paths and ids are not.
ENGLISH_RUN = re.compile(r"[A-Za-z]+(?:[ ,;:']+[A-Za-z]+){3,}")
ERROR_NAMES = {name for name, value in vars(errors).items()
               if isinstance(value, type) and issubclass(value, PlaygroundError)}


def _has_cjk(node: ast.AST | None) -> bool:
    """Whether an argument's expression has Chinese text in it (a literal or f-string part)."""
    return node is not None and any(
        isinstance(n, ast.Constant) and isinstance(n.value, str) and CJK.search(n.value)
        for n in ast.walk(node))


def _name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else \
        func.attr if isinstance(func, ast.Attribute) else ""


def _argument(call: ast.Call, keyword: str, position: int) -> ast.AST | None:
    found = next((k.value for k in call.keywords if k.arg == keyword), None)
    if found is None and len(call.args) > position:
        found = call.args[position]
    return found


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8")))
            for path in sorted(PACKAGE.rglob("*.py"))]


def _helpers(modules: list[tuple[Path, ast.Module]]) -> dict[str, list[tuple[int, str]]]:
    """Functions that build an error (``-> BundleError``) and the Chinese parameters
    (position, name) a caller must fill, like ``_bad(detail, detail_zh)``."""
    helpers = {}
    for _, tree in modules:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and isinstance(node.returns, ast.Name) and \
                    node.returns.id in ERROR_NAMES:
                args = node.args.args
                required = args[:len(args) - len(node.args.defaults)]
                helpers[node.name] = [(i, a.arg) for i, a in enumerate(required)
                                      if a.arg.endswith("_zh")]
    return helpers


def test_every_error_the_package_builds_has_a_chinese_text() -> None:
    modules = _modules()
    helpers = _helpers(modules)
    missing, seen = [], 0
    for path, tree in modules:
        where = path.relative_to(PACKAGE.parent)
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            name = _name(call)
            if name in ERROR_NAMES and path.name != "errors.py":
                seen += 1
                if not _has_cjk(_argument(call, "zh", 2)):
                    missing.append(f"{where}:{call.lineno} {name}")
            for position, param in helpers.get(name, []):
                if not _has_cjk(_argument(call, param, position)):
                    missing.append(f"{where}:{call.lineno} {name}({param}=...)")
    assert seen > 100  # the walk found the raise sites (about 150), not nothing
    assert not missing, "errors without a Chinese text:\n" + "\n".join(missing)


def test_every_data_problem_has_a_chinese_message() -> None:
    missing, seen = [], 0
    for path, tree in _modules():
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            if _name(call) == "Problem":
                seen += 1
                if not _has_cjk(_argument(call, "message_zh", 3)):
                    missing.append(f"{path.relative_to(PACKAGE.parent)}:{call.lineno}")
    assert seen > 20
    assert not missing, "problems without a Chinese message:\n" + "\n".join(missing)


def _shown(exc: PlaygroundError, lang: str) -> tuple[str, str]:
    from playground.ui.texts import error_for

    shown = error_for(exc, lang)
    return shown.message, shown.title


def _assert_chinese(text: str) -> None:
    assert CJK.search(text), text
    assert not ENGLISH_RUN.search(text), text


def test_a_bad_setting_is_named_by_its_form_label_in_both_languages() -> None:
    with pytest.raises(ConfigError) as err:
        RunConfig.from_dict({"max_train_rows": 0})
    exc = err.value
    assert exc.field == "max_train_rows"
    assert exc.message == ("'At most this many training rows' must be between 10 and "
                           "10,000,000 (got 0).")
    assert exc.zh.startswith("「最多训练行数」必须在 10 到 10,000,000 之间（现在是 0）。")
    message, title = _shown(exc, "zh")
    assert title == "出错了" and message == exc.zh
    _assert_chinese(message)
    message, title = _shown(exc, "en")
    assert title == "Error" and message == str(exc) and not CJK.search(message)
    assert exc.to_dict()["zh"] == exc.zh


@pytest.mark.parametrize("values", [
    {"learning_rate": 5.0}, {"batch_size": 2.5}, {"method": "magic"}, {"precision": None},
    {"freeze_layers": 2}, {"seed": float("inf")}, {"early_stopping_metric": "f1"},
])
def test_every_kind_of_bad_setting_reads_as_chinese(values: dict) -> None:
    with pytest.raises(ConfigError) as err:
        RunConfig.from_dict(values)
    assert err.value.field == next(iter(values))
    _assert_chinese(_shown(err.value, "zh")[0])


def test_a_missing_column_reads_as_chinese(tmp_path: Path) -> None:
    from playground.service.prepare import prepare

    path = tmp_path / "intents.csv"
    pd.DataFrame({"text": [f"t {i}" for i in range(20)], "label": ["a", "b"] * 10}).to_csv(
        path, index=False)
    prep = prepare(path, RunConfig(model="classic", text_column="message"))
    with pytest.raises(DataError) as err:
        prep.raise_for_errors()
    message = _shown(err.value, "zh")[0]
    _assert_chinese(message)
    assert "“message”" in message and "“text”" in message  # the same specifics as English


def test_an_unknown_run_reads_as_chinese(tmp_path: Path) -> None:
    from playground.service.jobs import TrainingService

    service = TrainingService(tmp_path / "runs")
    try:
        with pytest.raises(RunError) as err:
            service.run("20260101-000000-nope")
    finally:
        service.shutdown()
    message = _shown(err.value, "zh")[0]
    _assert_chinese(message)
    assert "20260101-000000-nope" in message


def test_a_file_that_is_no_table_reads_as_chinese(tmp_path: Path) -> None:
    from playground.data import read_table

    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    with pytest.raises(DataError) as err:
        read_table(path)
    message = _shown(err.value, "zh")[0]
    _assert_chinese(message)
    assert "photo.csv" in message and "PNG" in message
