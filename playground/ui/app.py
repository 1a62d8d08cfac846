"""The web app: five tabs over one TrainingService, in English and Chinese.

``build_app`` makes the Blocks (tests drive it with gradio_client); ``launch`` serves it.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from playground.errors import PlaygroundError
from playground.service.jobs import TrainingService
from playground.service.prepare import preflight, prepare
from playground.ui import tab_data, tab_model, tab_settings, tab_test, tab_train
from playground.ui.context import Context
from playground.ui.session import Session
from playground.ui.texts import error_for, i18n, lang_of, say

CSS = """
.gradio-container {max-width: 1200px !important; margin: auto;}
#title p {font-size: 1.9em; font-weight: 700; margin: 0.2em 0 0 0;}
"""


def build_app(service: TrainingService, max_upload_mb: int = 50) -> gr.Blocks:
    words = i18n()
    with gr.Blocks(title="Agent Playground") as app:
        ctx = Context(service=service, t=words, session=gr.State(Session()),
                      browser_run=gr.BrowserState(None, storage_key="playground-run"),
                      max_upload_mb=max_upload_mb)
        gr.Markdown(words("title"), elem_id="title", container=False)
        gr.Markdown(words("subtitle"))
        with gr.Tabs():
            with gr.Tab(words("tab_model"), id="model"):
                model_tab = tab_model.build(ctx)
            with gr.Tab(words("tab_data"), id="data"):
                data_tab = tab_data.build(ctx, model_tab)
            with gr.Tab(words("tab_settings"), id="settings"):
                settings_tab = tab_settings.build(ctx)
            with gr.Tab(words("tab_train"), id="train"):
                tab_train.build(ctx, model_tab, data_tab, settings_tab)
            with gr.Tab(words("tab_test"), id="test"):
                tab_test.build(ctx)
        _wire_estimate(ctx, model_tab, data_tab, settings_tab)
        for function, inputs, outputs in ctx.on_load:
            app.load(function, inputs, outputs)
    app.i18n_words = words  # launch() passes it on
    return app


def _wire_estimate(ctx: Context, model_tab: Any, data_tab: Any, settings_tab: Any) -> None:
    """The preflight needs the model (tab 1), the data (tab 2) and the settings (tab 3)."""
    names = list(settings_tab.fields)

    def estimate(request: gr.Request, session: Session, choice: str, custom: str,
                 text_column: str | None, label_column: str | None, *settings: Any) -> str:
        lang = lang_of(request)
        if not session.data_path:
            raise gr.Error(say(lang, "no_data"))
        config = tab_settings.config_from_form(
            {**dict(zip(names, settings)), "model": tab_model.model_setting(choice, custom),
             "text_column": text_column, "label_column": label_column}, lang)
        try:
            prep = prepare(session.data_path, config)
            prep.raise_for_errors()
            return tab_settings.format_estimate(preflight(prep), lang)
        except PlaygroundError as exc:
            raise error_for(exc, lang) from exc

    settings_tab.estimate_button.click(
        estimate, [ctx.session, model_tab.choice, model_tab.custom, data_tab.text_column,
                   data_tab.label_column, *settings_tab.fields.values()],
        settings_tab.estimate_text, api_name="estimate")


def launch(service: TrainingService, host: str = "127.0.0.1", port: int | None = None,
           share: bool = False, auth: list[tuple[str, str]] | None = None,
           max_upload_mb: int = 50, block: bool = True) -> gr.Blocks:
    """Serve the app (``block=False`` returns at once, for tests; close() stops it)."""
    app = build_app(service, max_upload_mb)
    app.queue(default_concurrency_limit=8).launch(
        server_name=host, server_port=port, share=share, auth=auth, i18n=app.i18n_words,
        max_file_size=f"{max_upload_mb}mb", css=CSS, theme=gr.themes.Soft(),
        footer_links=["api"], prevent_thread_lock=not block, quiet=not block)
    return app
