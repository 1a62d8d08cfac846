"""Agent recipes: one-click presets for a demo day (``presets/agents/*.json``).

A recipe is a small readable file: a name and description in English and Chinese, a
bundled data set (``assets/``), settings (overrides on the run config's defaults),
the agent's reply rules, and lookup tables its tools read (``assets/tables/``).
Loading one checks all of it, so a broken recipe fails in the tests, not on stage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from playground.config import RunConfig, presets_dir
from playground.errors import ConfigError


def assets_dir() -> Path:
    """The bundled sample data (the repo's assets/, installed as playground.assets)."""
    return Path(str(files("playground.assets")))


@dataclass(frozen=True)
class Recipe:
    id: str
    name: dict[str, str]  # language code -> name
    description: dict[str, str]
    data: str  # a file in assets/
    settings: dict[str, Any]
    agent: dict[str, Any]  # reply rules, as agent.json holds them
    tables: list[str] = field(default_factory=list)  # files in assets/tables/
    expected: dict[str, Any] = field(default_factory=dict)  # what a run here gave
    # A chat recipe's measured scores, base model and retrieval beside it ("chrf",
    # "base_chrf", "retrieval_chrf"...), and what it answered to questions in words its
    # sheet does not hold ("asked"); kept apart from ``expected``, whose card line speaks
    # of accuracy.
    measured: dict[str, Any] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        """How long a run of it took on a laptop CPU (unknown: last)."""
        return (self.expected or self.measured).get("seconds", float("inf"))

    @property
    def data_path(self) -> Path:
        return assets_dir() / self.data

    def table_paths(self) -> list[Path]:
        return [assets_dir() / "tables" / name for name in self.tables]

    def config(self) -> RunConfig:
        return RunConfig.from_dict(self.settings)

    def title(self, lang: str) -> str:
        return self.name.get(lang) or self.name["en"]


def recipes_dir() -> Path:
    return presets_dir() / "agents"


def recipes() -> list[Recipe]:
    """Every bundled recipe, the quickest to train first (a demo starts with seconds, not
    minutes), then in file-name order."""
    found = [load_recipe(p.stem) for p in sorted(recipes_dir().glob("*.json"))]
    return sorted(found, key=lambda r: r.seconds)


def load_recipe(recipe_id: str) -> Recipe:
    path = recipes_dir() / f"{recipe_id}.json"
    if not path.is_file():
        names = ", ".join(p.stem for p in sorted(recipes_dir().glob("*.json")))
        raise ConfigError(f"There is no agent recipe called '{recipe_id}'.",
                          f"Choose one of: {names}.",
                          zh=f"没有名为“{recipe_id}”的智能体配方。请选择其中之一：{names}。")
    values = {k: v for k, v in json.loads(path.read_text(encoding="utf-8")).items()
              if not k.startswith("_")}
    try:
        recipe = Recipe(id=recipe_id, **values)
    except TypeError as exc:
        raise ConfigError(f"The recipe '{recipe_id}' is not in the expected form ({exc}).",
                          "Compare it with presets/agents/bank-help-desk.json.",
                          zh=f"配方“{recipe_id}”的格式不对（{exc}）。"
                             "请与 presets/agents/bank-help-desk.json 对照。") from exc
    recipe.config()  # the settings must validate
    for path in [recipe.data_path, *recipe.table_paths()]:
        if not path.is_file():
            raise ConfigError(f"The recipe '{recipe_id}' needs {path.name}, which is missing.",
                              "Reinstall the playground.",
                              zh=f"配方“{recipe_id}”需要 {path.name}，但它不见了。请重新安装训练场。")
    return recipe
