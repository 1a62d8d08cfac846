"""The gallery tab: recipe cards a demo-day host starts in one click, the agents trained
or imported here as cards, and importing an agent bundle.

"Train this" queues the recipe and hands the run to the Train tab; "Chat now" opens an
agent in the Test & chat tab. Those tabs are built after this one, so ``wire`` connects
the buttons once every tab exists.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from playground import tasks
from playground.errors import PlaygroundError
from playground.recipes import Recipe, load_recipe, recipes
from playground.service.agents import has_agent
from playground.service.bundles import import_bundle
from playground.service.gallery import cards, start_recipe
from playground.service.names import rename
from playground.ui.context import Context
from playground.ui.safe import md_text
from playground.ui.tab_test import picker
from playground.ui.texts import duration, error_for, lang_of, say
from playground.ui.visitor import person


@dataclass
class GalleryTab:
    train_buttons: dict[str, gr.Button]
    chat_buttons: dict[str, gr.Button]
    agents: gr.State  # the agent rows the cards below are drawn from
    statuses: list[gr.Markdown]  # one line under each recipe card
    # Filled by ``wire``: the components the agent cards' buttons write to.
    targets: dict[str, Any] = field(default_factory=dict)


def recipe_texts() -> dict[str, dict[str, str]]:
    """i18n entries for every recipe's name and description."""
    en, zh = {}, {}
    for recipe in recipes():
        for key, value in (("name", recipe.name), ("about", recipe.description)):
            en[f"recipe_{recipe.id}_{key}"] = value["en"]
            zh[f"recipe_{recipe.id}_{key}"] = value.get("zh", value["en"])
    return {"en": en, "zh": zh}


def not_useful_key(row: dict[str, Any]) -> str | None:
    """The text key of a card's warning when its agent is no better than always giving the
    most common label (finding no entities), as the Train tab says; else None."""
    if row.get("verdict") != "no_better_than_majority":
        return None
    return f"card_not_useful_{tasks.spec(row.get('task')).name}"


def recipe_status(recipe: Recipe, run: dict[str, Any] | None, lang: str) -> str:
    """The newest run's score (and a warning when it is no use), else what a run on a
    laptop gave (entity F1 for entities; for chat, chrF beside the base model's and
    retrieval's)."""
    if run is not None:
        score = run["score"]
        if score is not None:
            said = say(lang, "last_run", name=md_text(run["name"]), acc=score)
            warning = not_useful_key(run)
            return f"{said} {say(lang, warning)}" if warning else said
    measured = recipe.measured
    if measured:  # a chat recipe: chrF beside the base model and retrieval
        return say(lang, "expected_chat", chrf=measured["chrf"], base=measured["base_chrf"],
                   retrieval=measured["retrieval_chrf"],
                   time=duration(measured["seconds"], lang, rough=True))
    expected = recipe.expected
    if expected:
        key = "expected_ner" if "f1" in expected else "expected"
        return say(lang, key, acc=expected.get("f1", expected.get("accuracy")),
                   time=duration(expected["seconds"], lang, rough=True))
    return say(lang, "not_trained")


def build(ctx: Context) -> GalleryTab:
    t = ctx.t
    gr.Markdown(t("gallery_next"))
    train_buttons, chat_buttons, statuses = {}, {}, []
    with gr.Row(equal_height=True):
        for recipe in recipes():
            with gr.Column(variant="panel", elem_classes="recipe-card"):
                gr.Markdown(t(f"recipe_{recipe.id}_name"), elem_classes="card-title")
                gr.Markdown(t(f"recipe_{recipe.id}_about"))
                statuses.append(gr.Markdown(elem_id=f"status-{recipe.id}"))
                with gr.Row():
                    train_buttons[recipe.id] = gr.Button(
                        t("train_this"), variant="primary", size="sm",
                        elem_id=f"train-{recipe.id}")
                    chat_buttons[recipe.id] = gr.Button(t("chat_now"), size="sm",
                                                        elem_id=f"chat-{recipe.id}")
    with gr.Row():
        gr.Markdown(t("your_agents"), elem_classes="card-title")
        refresh = gr.Button(t("refresh"), size="sm", scale=0, elem_id="gallery-refresh")
    agents = gr.State([])
    tab = GalleryTab(train_buttons=train_buttons, chat_buttons=chat_buttons, agents=agents,
                     statuses=statuses)

    @gr.render(inputs=agents)
    def agent_cards(rows: list[dict[str, Any]]) -> None:
        if not rows:
            gr.Markdown(t("no_agents"))
            return
        with gr.Row(equal_height=True):
            for row in rows:
                button = agent_card(t, row)
                button.click(lambda run_id=row["run_id"]: _open_chat(ctx, run_id), None,
                             [tab.targets["run"], tab.targets["tabs"]])

    bundle = gr.File(label=t("import_bundle"), height=150,
                     elem_id="import-bundle")

    def refresh_cards(request: gr.Request):
        return card_values(ctx, request)

    def import_clicked(path: str | None, key: str | None, request: gr.Request):
        lang = lang_of(request)
        if not path:
            return (gr.skip(),) * (len(statuses) + 2)
        try:
            run = import_bundle(path, ctx.service.runs_dir,
                                owner=person(ctx, request, key).as_owner())
        except PlaygroundError as exc:
            raise error_for(exc, lang) from exc
        finally:  # copied into the run, or refused: either way the upload has served
            Path(path).unlink(missing_ok=True)
        row = next(r for r in ctx.service.list_runs() if r["run_id"] == run.run_id)
        gr.Info(html.escape(say(lang, "imported", name=row["name"])))
        return (*refresh_cards(request), None)

    refresh.click(refresh_cards, None, [agents, *statuses], api_name="gallery")
    bundle.upload(import_clicked, [bundle, ctx.visitor], [agents, *statuses, bundle],
                  api_name="import_bundle")
    ctx.on_load.append((refresh_cards, [], [agents, *statuses]))
    return tab


def agent_card(t: Any, row: dict[str, Any]) -> gr.Button:
    """One agent's card (inside a render): name, model and data, the held-out score, a
    warning when the agent is no use, and its Chat now button (returned, to wire)."""
    with gr.Column(variant="panel", min_width=240, elem_classes="agent-card"):
        score = row["score"]
        shown = f"{score:.1%}" if score is not None else "-"
        badge = "📦 " if row.get("imported_from") else ""
        # Names and file names are the user's (or a bundle's): shown as text.
        gr.Markdown(f"{badge}**{md_text(row['name'])}**  \n"
                    f"{md_text(row['model'])} · {md_text(row['data'])}",
                    elem_classes="agent-card-title")
        gr.Markdown(t(f"card_{row['task']}"))
        gr.Markdown(f"**{shown}**")
        if row.get("stopped_early"):  # its best checkpoint before the stop, not a full run
            gr.Markdown(t("card_stopped_early"), elem_classes="agent-card-stopped")
        warning = not_useful_key(row)
        if warning:  # a score alone reads like a success
            gr.Markdown(t(warning), elem_classes="agent-card-warning")
        return gr.Button(t("chat_now"), size="sm", elem_id=f"chat-agent-{row['run_id']}")


def card_values(ctx: Context, request: gr.Request) -> tuple[Any, ...]:
    """The agent rows, then each recipe card's status line."""
    lang = lang_of(request)
    shown = cards(ctx.service)
    texts = [recipe_status(c["recipe"], c["run"], lang) for c in shown["recipes"]]
    agents = [{**row, "model": row["model_zh"]} for row in shown["agents"]] if lang == "zh" \
        else shown["agents"]
    return (agents, *texts)


def _open_chat(ctx: Context, run_id: str) -> tuple[Any, Any]:
    return picker(ctx, run_id), gr.Tabs(selected="test")


def wire(ctx: Context, gallery: GalleryTab, tabs: gr.Tabs, followed: gr.State,
         browser_run: gr.BrowserState, test_run: gr.Dropdown, finished: gr.State) -> None:
    """Connect the cards' buttons to the Train and Test & chat tabs, and show a run that
    finished in this window at once: its card here, and picked in Test & chat."""
    gallery.targets.update(run=test_run, tabs=tabs)

    def agent_ready(run_id: str | None, request: gr.Request):
        if not run_id or not has_agent(ctx.service, run_id):
            return gr.skip(), *card_values(ctx, request)
        return picker(ctx, run_id), *card_values(ctx, request)

    finished.change(agent_ready, finished, [test_run, gallery.agents, *gallery.statuses],
                    api_name=False)
    for recipe_id, button in gallery.train_buttons.items():
        def train(key: str | None, request: gr.Request, recipe_id: str = recipe_id):
            lang = lang_of(request)
            try:
                recipe = load_recipe(recipe_id)
                run = start_recipe(ctx.service, recipe, person(ctx, request, key).as_owner())
            except PlaygroundError as exc:
                raise error_for(exc, lang) from exc
            rename(ctx.service, run.run_id, recipe.title(lang))
            gr.Info(say(lang, "recipe_started", name=recipe.title(lang)))
            return run.run_id, run.run_id, gr.Tabs(selected="train")

        button.click(train, ctx.visitor, [followed, browser_run, tabs],
                     api_name=f"train_recipe_{recipe_id.replace('-', '_')}")
    for recipe_id, button in gallery.chat_buttons.items():
        def chat(request: gr.Request, recipe_id: str = recipe_id):
            latest = next((c["run"] for c in cards(ctx.service)["recipes"]
                           if c["recipe"].id == recipe_id), None)
            if latest is None:
                raise gr.Error(say(lang_of(request), "not_trained"))
            return _open_chat(ctx, latest["run_id"])

        button.click(chat, None, [test_run, tabs],
                     api_name=f"chat_recipe_{recipe_id.replace('-', '_')}")
