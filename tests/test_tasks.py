"""The task registry: every task is a complete plug-in, and nothing outside
``playground/tasks/`` tests a task's name."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from playground import tasks
from playground.tasks.base import TaskData, TaskEvaluate, TaskSpec, TaskTraining, TaskViews

PACKAGE = Path(__file__).resolve().parents[1] / "playground"
PROTOCOLS = {"prepare": TaskData, "training": TaskTraining, "evaluate": TaskEvaluate,
             "views": TaskViews}
AGENT_NAMES = ("load", "classic_fault", "CLASSIC_FILES", "OUTPUTS")


def _task_strings(path: Path) -> list[tuple[int, str]]:
    """(line, string) of every string constant in ``path`` that is a task's name (an API
    endpoint's name, ``api_name=...``, or a command's, ``add_parser(...)``, may be the
    same word: it names no task)."""
    names = set(tasks.names())
    tree = ast.parse(path.read_text())
    endpoints = {id(k.value) for k in ast.walk(tree) if isinstance(k, ast.keyword)
                 and k.arg == "api_name"}
    endpoints |= {id(c.args[0]) for c in ast.walk(tree) if isinstance(c, ast.Call) and c.args
                  and isinstance(c.func, ast.Attribute) and c.func.attr == "add_parser"}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and node.value in names
            and id(node) not in endpoints]


def test_no_module_outside_tasks_names_a_task() -> None:
    found = {f"{path.relative_to(PACKAGE)}:{line}": value
             for path in PACKAGE.rglob("*.py") if "tasks" not in path.relative_to(PACKAGE).parts
             for line, value in _task_strings(path)}
    assert not found, f"ask the registry (playground.tasks) instead of naming tasks: {found}"


def test_the_check_finds_a_task_name(tmp_path: Path) -> None:
    sample = tmp_path / "switch.py"
    sample.write_text(f'if config.task == "{tasks.names()[1]}":\n    pass\n')
    assert _task_strings(sample) == [(1, tasks.names()[1])]


@pytest.mark.parametrize("name", tasks.names())
def test_every_task_is_a_complete_plug_in(name: str) -> None:
    spec = tasks.spec(name)
    assert isinstance(spec, TaskSpec) and spec.name == name
    assert spec.metrics and all(len(m) == 3 for m in spec.metrics), "metrics: (key, en, zh)"
    assert all(len(pair) == 2 and all(pair) for pair in
               (spec.title, spec.help, spec.floor_name, spec.ready, spec.card_words))
    for part, protocol in PROTOCOLS.items():
        module = tasks.part(name, part)
        wanted = [n for n in vars(protocol) if not n.startswith("_")]
        missing = [n for n in wanted if not callable(getattr(module, n, None))]
        assert not missing, f"{module.__name__} lacks {missing} (see tasks/base.py)"
    agent = tasks.part(name, "agent")
    missing = [n for n in AGENT_NAMES if not hasattr(agent, n)]
    assert not missing, f"{agent.__name__} lacks {missing} (see tasks/base.py)"
    assert not spec.merges or callable(getattr(agent, "save_merged", None)), \
        f"{agent.__name__} lacks save_merged, which SPEC.merges promises"


def test_task_specs_load_without_torch_or_gradio() -> None:
    code = ("import sys, playground.tasks as t; [t.spec(n) for n in t.names()]; "
            "print(sorted(m for m in ('torch', 'transformers', 'gradio', 'sklearn', 'pandas') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_an_unknown_task_is_refused_with_the_known_ones() -> None:
    from playground.config import RunConfig
    from playground.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        RunConfig(task="poetry").validate()
    assert all(name in str(caught.value) for name in tasks.names())


def test_parts_are_imported_only_when_asked() -> None:
    code = ("import sys, playground.tasks as t; t.spec('ner'); "
            "print([m for m in sys.modules if m.startswith('playground.tasks.') "
            "and m.count('.') == 3])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"  # no tasks.<task>.<part> module yet


def test_a_method_a_task_does_not_allow_is_refused_naming_the_field() -> None:
    from playground.config import RunConfig
    from playground.errors import ConfigError

    for spec in tasks.specs():
        RunConfig(task=spec.name, method=spec.methods[0]).validate()
        refused = [m for m in ("full", "head", "freeze", "lora", "bitfit")
                   if m not in spec.methods]
        for method in refused:
            with pytest.raises(ConfigError) as caught:
                RunConfig(task=spec.name, method=method).validate()
            assert caught.value.field == "method" and caught.value.text("zh")
