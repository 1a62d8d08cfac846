"""Importing playground stays light, and dependencies point one way."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "playground"


def test_import_does_not_load_torch_or_transformers() -> None:
    code = ("import sys, playground, playground.config, playground.catalog, playground.cli, "
            "playground.tasks, "
            "playground.data, playground.service.jobs, playground.service.prepare; "
            "print(sorted(m for m in ('torch', 'transformers', 'gradio', 'sklearn') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_lower_layers_never_import_upper_ones() -> None:
    forbidden = {
        "training": ("playground.service", "playground.ui", "playground.cli", "gradio"),
        "data": ("playground.service", "playground.training", "playground.ui", "gradio"),
        "service": ("playground.ui", "playground.cli", "gradio"),
        "ui": ("playground.training", "playground.cli"),  # the UI goes through the service
    }
    for folder, banned in forbidden.items():
        for path in (PACKAGE / folder).glob("*.py"):
            bad = {n for n in _imports(path) if n.startswith(banned)}
            assert not bad, f"{path.name} imports {bad}"


# A task's parts sit in the layers above: what it shows is UI, what it prepares and
# evaluates for a user is service, the rest (data, training, agent) is the core.
TASK_PART_LAYERS = {"views.py": "ui", "prepare.py": "service", "evaluate.py": "service"}


def test_task_parts_keep_to_their_layers() -> None:
    forbidden = {
        "ui": ("playground.training", "playground.cli"),
        "service": ("playground.ui", "playground.cli", "gradio"),
        "core": ("playground.service", "playground.ui", "playground.cli", "gradio"),
    }
    for path in (PACKAGE / "tasks").rglob("*.py"):
        layer = TASK_PART_LAYERS.get(path.name, "core")
        bad = {n for n in _imports(path) if n.startswith(forbidden[layer])}
        # The UI reaches a task's agent and files through the service, never the core's
        # training modules; a view may use its own task's service parts.
        assert not bad, f"{path.relative_to(PACKAGE)} ({layer}) imports {bad}"


# The one reach across: labelling texts refuses a CoNLL file by naming the task that reads
# it, and only the entity reader knows that format.
CROSS_TASK = {("classify/prepare.py", "playground.tasks.entities.reading")}


def test_no_task_imports_another_task() -> None:
    """A task is a plug-in: what two tasks share lives beside them in ``tasks/`` (the
    classic solver's costs in ``classic_cost.py``), never in one of them."""
    packages = [p for p in (PACKAGE / "tasks").iterdir() if (p / "__init__.py").exists()]
    for package in packages:
        others = tuple(f"playground.tasks.{p.name}" for p in packages if p != package)
        for path in package.rglob("*.py"):
            where = str(path.relative_to(PACKAGE / "tasks"))
            bad = {n for n in _imports(path) if n.startswith(others)
                   and (where, n) not in CROSS_TASK}
            assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"
