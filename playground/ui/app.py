"""The web app: five tabs over one TrainingService, in English and Chinese.

``build_app`` makes the Blocks (tests drive it with gradio_client); ``launch`` serves it.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from playground.errors import PlaygroundError
from playground.service.jobs import TrainingService
from playground.service.prepare import preflight, prepare
from playground.ui import tab_data, tab_gallery, tab_model, tab_settings, tab_test, tab_train
from playground.ui.context import Context
from playground.ui.http_api import API_PREFIX, KEY_ENV, add_api_routes, needs_key
from playground.ui.logins import ClientAddress, Logins
from playground.ui.openai_api import OPENAI_PREFIX, add_openai_routes
from playground.ui.session import Session
from playground.ui.texts import error_for, i18n, lang_of, say
from playground.ui.visitor import browser_state, identify

BUNDLE_UPLOAD_MB = 1024  # the largest agent bundle the gallery takes
# Uploads and downloads pile up in gradio's temporary folder (505 MB in one afternoon):
# every hour, its files older than six hours go. A data file picked longer ago must then be
# uploaded again, which the Data tab says. Bundles and tables go once copied into a run.
DELETE_CACHE = (3600, 6 * 3600)

# The page keeps its width on every tab (a tab of short Chinese lines would shrink it).
# Upload boxes are 150 px high (height=150); gradio's drop prompt asks for 240, so it is
# let shrink and starts below the box's label. The model table breaks lines between words
# only (a narrow column would split "English" into "Engli sh"). Plots: see charts.CHART;
# round line ends draw a curve's first point, alone, as a dot. The chat scrolls below its
# label, not under it.
CSS = """
.gradio-container {max-width: 1200px !important; width: 100%; margin: auto;}
.upload-container > .wrap {min-height: 0; padding-top: 36px;}
#model-cards td, #model-cards th {word-break: normal !important; overflow-wrap: normal;}
#model-cards td:nth-child(2) {white-space: nowrap;}
#title p {font-size: 1.9em; font-weight: 700; margin: 0.2em 0 0 0;}
.card-title p {font-size: 1.2em; font-weight: 700; margin: 0;}
.chart {display: flex !important; flex-direction: column;}
.chart > div:not(.wrap) {flex: 1 1 0; min-height: 0;}
.chart .mark-line path {stroke-linecap: round; stroke-width: 2.5px;}
#chatbot .bubble-wrap {margin-top: 36px; height: calc(100% - 36px) !important;}
"""


def build_app(service: TrainingService, max_upload_mb: int = 50,
              api_locked: bool = False, web_calls: bool = True,
              admins: frozenset[str] = frozenset(), personal_logins: bool = False) -> gr.Blocks:
    """The page. ``admins`` are the logins that may stop and delete anyone's run;
    ``personal_logins`` says each person has their own login, so a run is its starter's
    from any browser (else it is the starting browser's)."""
    words = i18n()
    with gr.Blocks(title="Agent Playground", delete_cache=DELETE_CACHE) as app:
        ctx = Context(service=service, t=words, session=gr.State(Session()),
                      browser_run=browser_state(service.runs_dir, "playground-run"),
                      browser_key=browser_state(service.runs_dir, "playground-browser"),
                      visitor=gr.State(None), max_upload_mb=max_upload_mb,
                      api_locked=api_locked, web_calls=web_calls, admins=admins,
                      personal_logins=personal_logins)
        gr.Markdown(words("title"), elem_id="title", container=False)
        gr.Markdown(words("subtitle"))
        with gr.Tabs() as tabs:
            with gr.Tab(words("tab_gallery"), id="gallery"):
                gallery_tab = tab_gallery.build(ctx)
            with gr.Tab(words("tab_model"), id="model"):
                model_tab = tab_model.build(ctx)
            with gr.Tab(words("tab_data"), id="data"):
                data_tab = tab_data.build(ctx, model_tab)
            with gr.Tab(words("tab_settings"), id="settings"):
                settings_tab = tab_settings.build(ctx, model_tab.task)
            with gr.Tab(words("tab_train"), id="train"):
                train_tab = tab_train.build(ctx, model_tab, data_tab, settings_tab)
            with gr.Tab(words("tab_test"), id="test"):
                test_tab = tab_test.build(ctx)
        _wire_estimate(ctx, model_tab, data_tab, settings_tab)
        tab_gallery.wire(ctx, gallery_tab, tabs, train_tab.followed, ctx.browser_run,
                         test_tab.run, train_tab.finished)
        app.load(identify, ctx.browser_key, [ctx.browser_key, ctx.visitor],
                 api_name="identify")
        for function, inputs, outputs in ctx.on_load:
            app.load(function, inputs, outputs)
    app.i18n_words = words  # launch() passes it on
    return app


def _wire_estimate(ctx: Context, model_tab: Any, data_tab: Any, settings_tab: Any) -> None:
    """The preflight needs the model (tab 1), the data (tab 2) and the settings (tab 3)."""
    names = list(settings_tab.fields)

    def estimate(request: gr.Request, session: Session, choice: str, custom: str, task: str,
                 text_column: str | None, label_column: str | None, *settings: Any) -> str:
        lang = lang_of(request)
        if not session.data_path:
            return "❌ " + say(lang, "no_data")
        try:
            config = tab_settings.config_from_form(
                {**dict(zip(names, settings)), "model": tab_model.model_setting(choice, custom),
                 "task": task, "text_column": text_column, "label_column": label_column}, lang)
            prep = prepare(session.data_path, config)
            prep.raise_for_errors()
            return tab_settings.format_estimate(preflight(prep), lang)
        except gr.Error as exc:  # a setting out of range: said where the answer goes
            return f"❌ {exc.message}"
        except PlaygroundError as exc:
            return f"❌ {error_for(exc, lang).message}"

    def estimating(request: gr.Request) -> str:
        return say(lang_of(request), "estimating")

    settings_tab.estimate_button.click(estimating, None, settings_tab.estimate_text,
                                       show_progress="hidden").then(
        estimate, [ctx.session, model_tab.choice, model_tab.custom, model_tab.task,
                   data_tab.text_column,
                   data_tab.label_column, *settings_tab.fields.values()],
        settings_tab.estimate_text, api_name="estimate")


def launch(service: TrainingService, host: str = "127.0.0.1", port: int | None = None,
           share: bool = False, auth: list[tuple[str, str]] | None = None,
           max_upload_mb: int = 50, block: bool = True,
           api_key: str | None = None, web_calls: bool | None = None,
           admins: list[tuple[str, str]] | None = None) -> gr.Blocks:
    """Serve the app and its HTTP API (``block=False`` returns at once, for tests).

    ``auth`` are the room's logins (user, password); ``admins`` the host's, which may
    also stop and delete anyone's run. With several room logins each is one person's.

    The API needs a key whenever others can reach the app (another host, a share link,
    or a login): ``api_key``, else $PLAYGROUND_API_KEY, else a new one printed here.
    Agents' web calls (http actions) run from this server, so by default they are
    allowed only when the app serves this machine alone; ``web_calls`` decides otherwise.
    """
    logins = (auth or []) + (admins or [])
    shared = needs_key(host, share) or bool(logins)
    web_calls = not shared if web_calls is None else web_calls
    api_key = api_key or os.environ.get(KEY_ENV) or None
    if api_key is None and shared:
        api_key = secrets.token_urlsafe(18)
        print(f"API key for {API_PREFIX} and {OPENAI_PREFIX}: {api_key}  (set {KEY_ENV} to "
              "choose your own)",
              flush=True)
    app = build_app(service, max_upload_mb, api_locked=api_key is not None,
                    web_calls=web_calls, admins=frozenset(user for user, _ in admins or []),
                    personal_logins=len(auth or []) > 1)
    checked = Logins(logins) if logins else None  # with the wait after wrong passwords
    app.queue(default_concurrency_limit=8).launch(
        server_name=host, server_port=port, share=share,
        auth=checked.gradio_auth() if checked else None, i18n=app.i18n_words,
        # Agent bundles of a fine-tuned encoder are 90 MB and more; the data tab checks its
        # own, smaller limit (max_upload_mb) itself.
        max_file_size=f"{max(max_upload_mb, BUNDLE_UPLOAD_MB)}mb", css=CSS, theme=gr.themes.Soft(),
        # The login check counts wrong passwords per client address too: this says whose.
        app_kwargs={"middleware": [Middleware(ClientAddress)]},
        footer_links=["api"], prevent_thread_lock=True, quiet=True)
    add_api_routes(app.app, service, api_key, checked, web_calls)
    add_openai_routes(app.app, service, api_key, checked, web_calls)
    if block:  # gradio's own banner speaks of launch(share=True); say it for this command
        print(f"Agent Playground is on {app.local_url}"
              + (f" and {app.share_url}" if app.share_url else " (--share for a public link)"),
              flush=True)
        app.block_thread()
    return app
