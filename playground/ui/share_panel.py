"""Sharing a finished agent, in the Test & chat tab: export it as a bundle, export a
training script, save a chat agent's merged model, delete the run, and the code that calls it over HTTP."""

from __future__ import annotations

import html
from typing import Any

import gradio as gr

from playground import tasks
from playground.errors import PlaygroundError
from playground.service.bundles import export_bundle
from playground.service.merged import merged_zip
from playground.service.script import write_training_script
from playground.ui.context import Context
from playground.ui.downloads import download_path
from playground.ui.http_api import snippets
from playground.ui.openai_api import openai_snippets
from playground.ui.texts import error_for, lang_of, say
from playground.ui.visitor import person


def example_text(ctx: Context, run_id: str) -> str:
    """A text from the run's held-out rows, so the snippet's call shows a real answer."""
    run = ctx.service.run(run_id)
    task = tasks.of_config(run.read_config()["config"]).name
    return tasks.part(task, "prepare").example_text(run) or "Hello"


def code_for(ctx: Context, run_id: str, base_url: str, lang: str) -> tuple[str, str, str]:
    """(the note, Python, curl) that call a run's agent: an agent that writes its answers
    through the OpenAI-compatible API and its client, streaming; others through the ask
    route."""
    run = ctx.service.run(run_id)
    streams = tasks.of_config(run.read_config()["config"]).streams
    make = openai_snippets if streams else snippets
    python_code, curl_code = make(base_url, run_id, example_text(ctx, run_id), ctx.api_locked)
    note = say(lang, "code_help_openai" if streams else "code_help")
    return note + (say(lang, "code_locked") if ctx.api_locked else ""), python_code, curl_code


def build(ctx: Context, run: gr.Dropdown) -> None:
    t = ctx.t
    with gr.Accordion(t("share"), open=False, elem_id="share-panel"):
        with gr.Row():
            bundle_button = gr.Button(t("export_bundle"), elem_id="export-bundle")
            script_button = gr.Button(t("export_script"), elem_id="export-script")
            # a chat agent's model, LoRA merged: a folder plain transformers loads
            merged_button = gr.Button(t("save_merged"), elem_id="save-merged", visible=False)
            delete_button = gr.Button(t("delete_agent"), variant="stop", elem_id="delete-run")
        # Shown once there is a file: an empty download box is a blank square.
        download = gr.File(label=t("download_export"), elem_id="share-download",
                           visible=False)
        gr.Markdown(f"**{t('use_from_code')}**")
        code_note = gr.Markdown()
        with gr.Row():
            python = gr.Code(language="python", label="Python", elem_id="code-python")
            curl = gr.Code(language="shell", label="curl", elem_id="code-curl")

    def write(run_id: str | None, lang: str, writer, name: str) -> Any:
        """Run ``writer(run folder, out)`` into a fresh download path; the file, shown."""
        if not run_id:
            raise gr.Error(say(lang, "no_run"))
        try:
            found = ctx.service.run(run_id)
            written = writer(found.path, download_path(name.format(run_id=found.run_id)))
            return gr.update(value=str(written), visible=True)
        except PlaygroundError as exc:
            raise error_for(exc, lang) from exc

    def export(run_id: str | None, request: gr.Request) -> Any:
        return write(run_id, lang_of(request), export_bundle, "{run_id}.agent.zip")

    def script(run_id: str | None, request: gr.Request) -> Any:
        return write(run_id, lang_of(request), write_training_script, "train_{run_id}.py")

    def merged(run_id: str | None, request: gr.Request) -> Any:
        return write(run_id, lang_of(request), merged_zip, "{run_id}-merged.zip")

    def merges(run_id: str | None) -> Any:
        """The merge button, for agents that keep an adapter apart from their base."""
        if not run_id:
            return gr.update(visible=False)
        try:
            config = ctx.service.run(run_id).read_config()["config"]
        except (PlaygroundError, OSError, KeyError):
            return gr.update(visible=False)
        return gr.update(visible=tasks.of_config(config).merges)

    def delete(run_id: str | None, key: str | None, request: gr.Request):
        lang = lang_of(request)
        if not run_id:  # the browser's confirm was declined
            return gr.skip(), gr.skip()
        try:
            ctx.service.delete(run_id, by=person(ctx, request, key))
        except PlaygroundError as exc:
            raise error_for(exc, lang) from exc
        gr.Info(html.escape(say(lang, "deleted", run_id=run_id)))  # a toast renders HTML
        return gr.update(value=None), gr.update(value=None, visible=False)

    def code(run_id: str | None, request: gr.Request):
        if not run_id:
            return "", "", ""
        base = str(getattr(request, "request", request).base_url)
        return code_for(ctx, run_id, base, lang_of(request))

    bundle_button.click(export, run, download, api_name="export_bundle")
    script_button.click(script, run, download, api_name="export_script")
    # one merge at a time: each writes a model-sized folder and zip
    merged_button.click(merged, run, download, api_name="save_merged", concurrency_limit=1)
    run.change(merges, run, merged_button, api_name=False)
    english, chinese = (say(lang, "confirm_delete") for lang in ("en", "zh"))
    question = f"navigator.language.startsWith('zh') ? {chinese!r} : {english!r}"
    # The page session's state (the visitor) stays on the server: the script passes it on.
    delete_button.click(delete, [run, ctx.visitor], [run, download], api_name="delete_run",
                        js=f"(run, visitor) => [confirm({question}) ? run : null, visitor]")
    run.change(code, run, [code_note, python, curl], api_name="code")
