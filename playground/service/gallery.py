"""The gallery: start a recipe in one call, and the cards the gallery tab shows."""

from __future__ import annotations

from typing import Any

from playground.recipes import Recipe, recipes
from playground.runfolder import RunFolder, write_json
from playground.service.agents import has_agent
from playground.service.jobs import TrainingService
from playground.service.prepare import create_run, prepare
from playground.service.replies import AgentRules, save_rules
from playground.service.tables import add_tool_table


def start_recipe(service: TrainingService, recipe: Recipe,
                 owner: dict[str, str] | None = None) -> RunFolder:
    """Prepare the recipe's bundled data with its settings, give the run its reply rules
    and tables, and queue it for ``owner`` (see ``owners``)."""
    prep = prepare(recipe.data_path, recipe.config())
    prep.raise_for_errors()
    run = create_run(service.runs_dir, prep)
    spec = run.read_config()
    write_json(run.config_path, {**spec, "recipe": recipe.id})
    for table in recipe.table_paths():
        add_tool_table(run, table)
    if recipe.agent:  # an entity agent answers with its entities: it has no reply rules
        save_rules(run, AgentRules.from_dict(recipe.agent, spec["labels"],
                                             spec["data"]["report"].get("language", "en")),
                   spec["labels"])
    service.submit(run, owner)
    return run


def cards(service: TrainingService) -> dict[str, list[dict[str, Any]]]:
    """Recipes (with the newest finished run made from each) and finished agents.

    Agents are those of succeeded runs, and of runs stopped early that saved their best
    checkpoint (``stopped_early``: the card says so), newest first; ``imported_from``
    marks the ones that came in as bundles.
    """
    rows = service.list_runs()
    done = [r for r in rows if r["state"] == "succeeded"]
    recipe_cards = []
    for recipe in recipes():
        latest = next((r for r in done if r["recipe"] == recipe.id), None)
        recipe_cards.append({"recipe": recipe, "run": latest})
    agents = [{**r, "stopped_early": r["state"] == "cancelled"} for r in rows
              if r["state"] == "succeeded" or r["state"] == "cancelled"
              and r["score"] is not None and has_agent(service, r["run_id"])]
    return {"recipes": recipe_cards, "agents": agents}
