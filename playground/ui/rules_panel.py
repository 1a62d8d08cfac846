"""The reply-rules editor in the Test & chat tab: a table with one row per label, the
threshold, and the lookup tables; for an agent without labels (a language model), a table
of named rules (keywords and a reply, a lookup, a web call) that answer before the model.
Saving writes the run's agent.json; the next chat message uses it."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from playground import tasks
from playground.errors import PlaygroundError
from playground.service.agents import agent_for, entity_agent_choices, rules_for
from playground.service.replies import AgentRules, LabelRule, save_rules
from playground.service.tables import add_tool_table, tool_tables
from playground.ui.context import Context
from playground.ui.texts import error_for, lang_of, say

COLUMNS = ["label", "reply", "keywords", "action", "tool", "key"]
HEADERS_ZH = ["标签", "回复", "关键词", "动作", "工具", "键"]
# An agent without labels: rules named by the user, read as "when keywords, then reply".
NAMED_COLUMNS = ["rule", "keywords", "reply", "action", "tool"]
NAMED_HEADERS_ZH = ["规则", "关键词", "回复", "动作", "工具"]
BLANK_ROWS = 3  # empty rows to type new rules into


def headers(lang: str, named: bool = False) -> list[str]:
    """The table's column titles in the page's language (the columns are read by place)."""
    if named:
        return NAMED_HEADERS_ZH if lang == "zh" else NAMED_COLUMNS
    return HEADERS_ZH if lang == "zh" else COLUMNS


def rules_frame(rules: AgentRules, labels: list[str], lang: str = "en") -> pd.DataFrame:
    """One row per label, in the agent's label order; with no labels, one row per named
    rule and a few empty ones."""
    if not labels:
        rows = [[r.label, ", ".join(r.keywords), r.reply, r.action, r.tool]
                for r in rules.rules] + [[""] * len(NAMED_COLUMNS)] * BLANK_ROWS
        return pd.DataFrame(rows, columns=headers(lang, named=True))
    rows = []
    for label in labels:
        rule = rules.rule(label)
        rows.append([label, rule.reply, ", ".join(rule.keywords), rule.action, rule.tool,
                     rule.key])
    return pd.DataFrame(rows, columns=headers(lang))


def _named_row(row: dict[str, str], keywords: list[str]) -> dict[str, str] | None:
    """A named rule's row, with a name taken from its first keyword or its table when it
    has none; None for an empty row."""
    if not any(v.strip() for v in row.values()):
        return None
    name = row["rule"].strip() or (keywords[0] if keywords else row["tool"].strip())
    return {**row, "label": name}


def with_lookup_row(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """A table of named rules with a lookup rule for ``table`` (named after it) in its
    first empty row, unless a rule already uses the table."""
    frame = frame.fillna("").astype(str)
    if (frame.iloc[:, NAMED_COLUMNS.index("tool")].str.strip() == table).any():
        return frame
    row = [table, "", "", "lookup", table]
    empty = [i for i, values in enumerate(frame.itertuples(index=False))
             if not any(v.strip() for v in values)]
    if empty:
        frame.iloc[empty[0]] = row
    else:
        frame.loc[len(frame)] = row
    return frame


def missing_tables(rules: AgentRules, tables: list[str]) -> list[str]:
    """The lookup tables the rules name that are not uploaded."""
    return sorted({r.tool for r in rules.rules if r.action == "lookup"} - set(tables))


def rules_from_frame(frame: pd.DataFrame, threshold: float, clarify: str, not_found: str,
                     allow_http: bool, timeout_s: float, entity_run: str | None,
                     named: bool = False) -> dict[str, Any]:
    """The form's values as agent.json holds them (checked by AgentRules.from_dict);
    ``named``: the table of an agent without labels (``NAMED_COLUMNS``)."""
    rules = []
    columns = NAMED_COLUMNS if named else COLUMNS
    frame = frame.set_axis(columns[:len(frame.columns)], axis=1)
    for row in frame.fillna("").astype(str).to_dict("records"):
        row = {name: row.get(name, "") for name in columns}
        keywords = [k.strip() for k in re.split(r"[,，、]", row["keywords"]) if k.strip()]
        if named:
            row = _named_row(row, keywords)
        if row is None or not row["label"].strip():
            continue
        rules.append({"label": row["label"].strip(), "reply": row["reply"],
                      "keywords": keywords, "action": row["action"].strip() or "reply",
                      "tool": row["tool"].strip(), "key": row.get("key", "").strip() or "text"})
    return {"rules": rules, "threshold": float(threshold), "clarify": clarify or "",
            "not_found": not_found or "", "allow_http": bool(allow_http),
            # An emptied number box sends None: the check then names the setting.
            "http_timeout_s": float(timeout_s) if timeout_s is not None else 0.0,
            "entity_run": entity_run or ""}


def _tables_line(names: list[str], lang: str) -> str:
    return say(lang, "tables_now", names=", ".join(names)) if names else say(lang, "no_tables")


def build(ctx: Context, run: gr.Dropdown) -> None:
    t = ctx.t
    blank = AgentRules(rules=[LabelRule("")])
    with gr.Accordion(t("rules"), open=False, elem_id="rules-panel"):
        help_labels = gr.Markdown(t("rules_help"))
        help_named = gr.Markdown(t("rules_help_named"), visible=False)
        table = gr.Dataframe(pd.DataFrame(columns=COLUMNS), headers=COLUMNS,
                             interactive=True, wrap=True, elem_id="rules-table",
                             static_columns=[0])
        with gr.Row():
            threshold = gr.Slider(0, 1, value=blank.threshold, step=0.05, label=t("threshold"))
            allow_http = gr.Checkbox(value=False, label=t("allow_http"),
                                     info=None if ctx.web_calls else t("web_calls_off"))
            timeout = gr.Number(value=blank.http_timeout_s, label=t("http_timeout"),
                                minimum=0.5, maximum=60)
        with gr.Row():
            clarify = gr.Textbox(value=blank.clarify, label=t("clarify"))
            not_found = gr.Textbox(value=blank.not_found, label=t("not_found"))
        entity_run = gr.Dropdown([], value="", label=t("entity_run"), allow_custom_value=True)
        with gr.Row():
            upload = gr.File(label=t("tables"),
                             height=150, scale=3)
            save = gr.Button(t("save_rules"), variant="primary", scale=1, elem_id="save-rules")
        tables_note = gr.Markdown()
    settings = [threshold, clarify, not_found, allow_http, timeout, entity_run]

    def load(run_id: str | None, request: gr.Request):
        lang = lang_of(request)
        if not run_id:
            return [gr.skip()] * (len(settings) + 4)
        try:
            folder = ctx.service.run(run_id)
            agent = agent_for(folder.path)
            spec = tasks.spec(agent.task)
            if not (spec.has_rules or spec.rules_first):
                return (pd.DataFrame(columns=headers(lang)), *[gr.skip()] * (len(settings) - 1),
                        gr.update(choices=[], value=""), spec.no_rules[lang == "zh"],
                        gr.skip(), gr.skip())
            rules, labels = rules_for(folder), agent.labels
        except PlaygroundError as exc:
            raise error_for(exc, lang) from exc
        entity_agents = [("", "")] + entity_agent_choices(ctx.service)
        labelled = bool(labels)  # without labels: no threshold, no asking back, no slots
        return (gr.update(value=rules_frame(rules, labels, lang),
                          static_columns=[0] if labelled else []),
                gr.update(value=rules.threshold, visible=labelled),
                gr.update(value=rules.clarify, visible=labelled), rules.not_found,
                rules.allow_http, rules.http_timeout_s,
                gr.update(choices=entity_agents, value=rules.entity_run, visible=labelled),
                _tables_line(tool_tables(folder), lang),
                gr.update(visible=labelled), gr.update(visible=not labelled))

    def save_clicked(request: gr.Request, run_id: str | None, frame: pd.DataFrame,
                     *values: Any) -> None:
        lang = lang_of(request)
        if not run_id:
            raise gr.Error(say(lang, "no_run"))
        try:
            folder = ctx.service.run(run_id)
            agent = agent_for(folder.path)
            spec = tasks.spec(agent.task)
            if not (spec.has_rules or spec.rules_first):
                raise gr.Error(spec.no_rules[lang == "zh"])
            labels = agent.labels
            rules = AgentRules.from_dict(rules_from_frame(frame, *values, named=not labels),
                                         labels)
            missing = missing_tables(rules, tool_tables(folder))
            if missing:  # a lookup would never find a row: say so now, not in the chat
                raise gr.Error(html.escape(say(lang, "table_missing",
                                               names=", ".join(missing))))
            save_rules(folder, rules, labels)
        except PlaygroundError as exc:
            raise error_for(exc, lang) from exc
        gr.Info(say(lang, "rules_saved"))

    def upload_table(run_id: str | None, path: str | None, frame: pd.DataFrame,
                     request: gr.Request):
        """Store the table; for an agent without labels, also a lookup rule for it in the
        table on the page (saved with the rules)."""
        lang = lang_of(request)
        if not run_id or not path:
            raise gr.Error(say(lang, "no_run" if not run_id else "no_file_here"))
        try:
            folder = ctx.service.run(run_id)
            name = add_tool_table(folder, path)
            named = tasks.spec(agent_for(folder.path).task).rules_first
        except PlaygroundError as exc:
            raise error_for(exc, lang) from exc
        finally:  # copied into the run's tools/, or refused: the upload has served
            Path(path).unlink(missing_ok=True)
        note = _tables_line(tool_tables(folder), lang)
        if not named:
            return note, None, gr.skip()
        return (f"{note}\n\n{say(lang, 'table_rule_added', name=name)}", None,
                with_lookup_row(frame, name))

    def empty_table(request: gr.Request) -> pd.DataFrame:
        return pd.DataFrame(columns=headers(lang_of(request)))

    ctx.on_load.append((empty_table, [], [table]))
    run.change(load, run, [table, *settings, tables_note, help_labels, help_named],
               api_name="rules")
    save.click(save_clicked, [run, table, *settings], None, api_name="save_rules")
    upload.upload(upload_table, [run, upload, table], [tables_note, upload, table],
                  api_name="add_table")
