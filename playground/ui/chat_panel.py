"""The chat of Test & chat. A language model's answer streams in, written as the chat
settings say, with the base model (before fine-tuning) answering the same message beside
it; other agents answer at once, with their three most likely labels or the entities
they found. Stop keeps what was written so far; Regenerate answers the last message
again, and the rest of the conversation stays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from playground import tasks
from playground.data.limits import MAX_TEXT_CHARS
from playground.errors import PlaygroundError
from playground.service.agents import (
    MAX_NEW_TOKENS,
    Sampling,
    agent_for,
    ask,
    compares_with_base,
    failed_answer,
    stream_reply,
)
from playground.ui.context import Context
from playground.ui.safe import inline_text, typed_text
from playground.ui.texts import error_for, lang_of, say

DEFAULT = Sampling()
SOURCE_WORDS = {"lookup": ("table lookup", "查表"), "model": ("the model", "模型"),
                "retrieval": ("retrieval", "检索"), "base": ("the base model", "基础模型"),
                "http": ("web call", "网络调用")}
History = list[dict[str, Any]]


@dataclass
class ChatPanel:
    chatbot: gr.Chatbot
    base_chatbot: gr.Chatbot
    message: gr.Textbox
    scores: gr.Label
    settings: gr.Accordion


def why_line(reply: Any, lang: str) -> str:
    """Under an answer: which label, how sure (a calibrated probability) and which rule
    or tool answered. A keyword rule's answer shows no probability: the model did not
    choose it."""
    zh = lang == "zh"
    detail = reply.detail_zh if zh and reply.detail_zh else reply.detail
    if reply.source == "rule":  # an agent without labels: its rule answered, not its model
        return say(lang, "answered_rule", rule=reply.label, detail=detail)
    if reply.source == "keyword":
        return say(lang, "answered_keyword", label=reply.label, detail=detail)
    if reply.source == "clarify":
        return say(lang, "answered_clarify", detail=detail)
    if reply.source == "entities":  # no label; its entities' confidences are not calibrated
        return say(lang, "answered_entities", detail=detail)
    if reply.source == "reply":  # its detail only repeats "reply template"
        return say(lang, "answered_reply", label=reply.label, confidence=reply.confidence)
    source = SOURCE_WORDS.get(reply.source, (reply.source, reply.source))[zh]
    if reply.confidence is None:  # a generated (or retrieved) answer: no label to be sure of
        return say(lang, "answered_generated", source=source, detail=detail)
    return say(lang, "answered_by", label=reply.label, confidence=reply.confidence,
               source=source, detail=detail)


def text_of(content: Any) -> str:
    """A chat message's text: the page sends it back as a list of parts."""
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content
                       if isinstance(part, dict) and part.get("type", "text") == "text")
    return str(content)


def conversation_of(history: History) -> list[dict[str, str]]:
    """The chat so far as messages a language model reads: the page's escaped text back
    to what was typed, without the line under each answer that says who answered (the
    only "<sub>" in a message: the words in it are escaped)."""
    return [{"role": m["role"],
             "content": typed_text(text_of(m["content"]).split("<sub>")[0].rstrip("\n"))}
            for m in history if m.get("role") in ("user", "assistant")]


# A chat page keeps its latest turns: a conversation sent back by a caller is bounded
# before it is read or shown again (a 40 MB one was echoed whole, after 36 s).
MAX_SHOWN_MESSAGES = 200
MAX_SHOWN_CHARS = 4 * MAX_TEXT_CHARS  # of one message: a page's own are far shorter


def kept(history: History | None) -> History:
    """The latest ``MAX_SHOWN_MESSAGES`` messages of ``history``, each cut to
    ``MAX_SHOWN_CHARS``."""
    kept_messages = []
    for message in (history or [])[-MAX_SHOWN_MESSAGES:]:
        text = text_of(message.get("content", "")) if isinstance(message, dict) else ""
        if len(text) > MAX_SHOWN_CHARS:
            message = {**message, "content": text[:MAX_SHOWN_CHARS] + "…"}
        kept_messages.append(message)
    return kept_messages


def highlighted(text: str, entities: list[dict[str, Any]]) -> dict[str, Any]:
    """The gr.HighlightedText value: each entity marked with its type and confidence."""
    return {"text": text, "entities": [
        {"entity": f"{e['type']} {e['confidence']:.0%}", "start": e["start"], "end": e["end"]}
        for e in entities]}


def _escaped(text: str) -> str:
    """The chatbot renders Markdown: the user's and the model's words are shown as text."""
    return inline_text(text)


def last_question(history: History) -> tuple[History, str]:
    """The conversation before the last user message, and that message as typed (what
    Regenerate asks again); the whole conversation and "" when there is none."""
    for i in range(len(history) - 1, -1, -1):
        if history[i].get("role") == "user":
            return history[:i], conversation_of([history[i]])[0]["content"]
    return history, ""


def _sampling(system: str | None, temperature: float, top_p: float,
              max_new_tokens: float) -> Sampling:
    return Sampling(system=system or "", temperature=temperature, top_p=top_p,
                    max_new_tokens=int(max_new_tokens))


def build(ctx: Context, run: gr.Dropdown) -> ChatPanel:
    """The chat area under the agent picker ``run``, with its events wired."""
    t = ctx.t
    with gr.Accordion(t("chat_settings"), open=False, visible=False,
                      elem_id="chat-settings") as settings:
        system = gr.Textbox("", label=t("system_prompt"), info=t("system_prompt_help"), lines=2,
                            max_length=MAX_TEXT_CHARS, elem_id="system-prompt")
        with gr.Row():
            temperature = gr.Slider(0.0, 2.0, value=DEFAULT.temperature, step=0.05,
                                    label=t("temperature"), info=t("temperature_help"),
                                    elem_id="temperature")
            top_p = gr.Slider(0.0, 1.0, value=DEFAULT.top_p, step=0.05, label=t("top_p"),
                              info=t("top_p_help"), elem_id="top-p")
            max_new = gr.Slider(1, MAX_NEW_TOKENS, value=DEFAULT.max_new_tokens, step=1,
                                precision=0, label=t("max_new_tokens"),
                                info=t("max_new_tokens_help"), elem_id="max-new-tokens")
        compare = gr.Checkbox(True, label=t("compare_base"), info=t("compare_base_help"),
                              elem_id="compare-base")
    with gr.Row():
        with gr.Column(scale=3):
            with gr.Row():
                chatbot = gr.Chatbot(label=t("chat_box"), height=320, elem_id="chatbot")
                base_chatbot = gr.Chatbot(label=t("base_chat_box"), height=320,
                                          elem_id="base-chatbot", visible=False)
            with gr.Row():
                message = gr.Textbox(label=t("message"), scale=4, lines=1, elem_id="chat-input")
                send = gr.Button(t("send"), variant="primary", scale=1)
            with gr.Row():
                stop = gr.Button(t("stop"), size="sm", variant="stop", elem_id="chat-stop")
                again = gr.Button(t("regenerate"), size="sm", elem_id="chat-regenerate")
                clear = gr.Button(t("clear_chat"), size="sm", elem_id="chat-clear")
        # a language model has no labels to rank: the whole column hides for it
        with gr.Column(scale=2) as side:
            scores = gr.Label(num_top_classes=3, label=t("top3"), elem_id="top3")
            entities = gr.HighlightedText(label=t("entities"), elem_id="entities",
                                          combine_adjacent=False, visible=False)
    knobs = [system, temperature, top_p, max_new]
    _wire(ctx, run, compare, knobs, chatbot, base_chatbot, message, side, settings, scores,
          entities, send, stop, again, clear)
    return ChatPanel(chatbot=chatbot, base_chatbot=base_chatbot, message=message,
                     scores=scores, settings=settings)


def retrieves_answers(agent: Any) -> bool:
    """Whether a streaming agent picks its answers from its training sheet (retrieval
    served: it scored best on validation) rather than writing them."""
    return tasks.spec(agent.task).streams and getattr(agent, "kind", "") == "classic"


def agent_of(ctx: Context, run_id: str | None, lang: str) -> Any:
    """The picked run's agent, or a gr.Error saying why there is none."""
    if not run_id:
        raise gr.Error(say(lang, "no_run"))
    try:
        return agent_for(ctx.service.run(run_id).path)
    except PlaygroundError as exc:
        raise error_for(exc, lang) from exc


def _wire(ctx: Context, run, compare, knobs, chatbot, base_chatbot, message, side, settings,
          scores, entities, send, stop, again, clear) -> None:
    def turn(run_id: str | None, text: str, history: History, sampling: Sampling, lang: str):
        """One turn, as (conversation, labels box, entities box): the answer appears as it
        is written when the agent's task streams (a language model), at once otherwise."""
        history = kept(history)
        if tasks.spec(agent_of(ctx, run_id, lang).task).streams:
            for said in streamed(run_id, text, history, sampling, lang, base=False):
                yield said, gr.update(value=None, visible=False), gr.update(visible=False)
            return
        try:
            reply = ask(ctx.service.run(run_id), text, ctx.web_calls)
        except PlaygroundError as exc:
            raise error_for(exc, lang) from exc
        said = reply.text
        if reply.source == "entities" and not reply.entities:
            said = say(lang, "no_entities_found")
        why = _escaped(why_line(reply, lang))
        history = history + [{"role": "user", "content": _escaped(text)},
                             {"role": "assistant", "content": f"{_escaped(said)}\n\n<sub>{why}</sub>"}]
        top = dict(list(reply.probabilities.items())[:3])
        yield (history, gr.update(value=top or None, visible=bool(top)),
               gr.update(value=highlighted(text, reply.entities), visible=bool(reply.entities)))

    def streamed(run_id: str, text: str, history: History, sampling: Sampling, lang: str,
                 base: bool):
        """The conversation so far and the new message, answered piece by piece by the
        agent, or by its base model when ``base``."""
        history = kept(history)
        asked = {"role": "user", "content": _escaped(text)}
        messages = conversation_of(history) + [{"role": "user", "content": text}]
        # the message shows at once; and Stop pressed before the first word leaves the
        # chat as it was, where a stopped event that showed nothing would read "Error"
        yield history + [asked]
        said = ""
        try:
            answer = stream_reply(ctx.service.run(run_id), messages, sampling,
                                  web_calls=ctx.web_calls, base=base)
        except PlaygroundError as exc:
            raise error_for(exc, lang) from exc
        try:  # Stop closes this generator: the model stops at its next token
            for piece in answer:
                said += piece
                yield history + [asked, {"role": "assistant", "content": _escaped(said)}]
        except PlaygroundError as exc:
            raise error_for(exc, lang) from exc
        except Exception as exc:  # a library's failure while writing: a sentence
            raise error_for(failed_answer(run_id, exc), lang) from exc
        finally:
            answer.close()
        how = "base" if base else "retrieval" if retrieves_answers(
            agent_of(ctx, run_id, lang)) else "model"
        why = _escaped(why_line(answer.rule, lang) if answer.rule else say(
            lang, "answered_generated", source=SOURCE_WORDS[how][lang == "zh"],
            detail=say(lang, {"base": "streamed_base", "model": "streamed",
                              "retrieval": "retrieved"}[how])))
        yield history + [asked, {"role": "assistant",
                                 "content": f"{_escaped(said)}\n\n<sub>{why}</sub>"}]

    def chat(run_id: str | None, text: str, history: History, system: str,
             temperature: float, top_p: float, max_new_tokens: float, request: gr.Request):
        lang = lang_of(request)
        if not (text or "").strip():
            yield history, "", gr.update(), gr.update()
            return
        sampling = _sampling(system, temperature, top_p, max_new_tokens)
        for said, top, marked in turn(run_id, text, history, sampling, lang):
            yield said, "", top, marked

    def regenerate(run_id: str | None, history: History, system: str, temperature: float,
                   top_p: float, max_new_tokens: float, request: gr.Request):
        """The last answer dropped and the last message answered again."""
        before, text = last_question(history or [])
        if not text.strip():
            yield history, gr.update(), gr.update()
            return
        yield from turn(run_id, text, before, _sampling(system, temperature, top_p,
                                                        max_new_tokens), lang_of(request))

    def beside(run_id: str | None, text: str, history: History, compare: bool,
               sampling: Sampling, lang: str):
        if not (compare and run_id and (text or "").strip()):
            yield gr.skip()
            return
        try:
            if not compares_with_base(ctx.service.run(run_id)):
                yield gr.skip()
                return
        except PlaygroundError as exc:
            raise error_for(exc, lang) from exc
        yield from streamed(run_id, text, history, sampling, lang, base=True)

    def chat_base(run_id: str | None, text: str, history: History, compare: bool,
                  system: str, temperature: float, top_p: float, max_new_tokens: float,
                  request: gr.Request):
        """The same message answered by the base model, in its own conversation."""
        yield from beside(run_id, text, history, compare,
                          _sampling(system, temperature, top_p, max_new_tokens),
                          lang_of(request))

    def regenerate_base(run_id: str | None, history: History, compare: bool, system: str,
                        temperature: float, top_p: float, max_new_tokens: float,
                        request: gr.Request):
        before, text = last_question(history or [])
        yield from beside(run_id, text, before, compare,
                          _sampling(system, temperature, top_p, max_new_tokens),
                          lang_of(request))

    def mode(run_id: str | None, compare: bool, request: gr.Request):
        """The chat's parts for the picked agent: settings and the base model for a
        language model, the labels box for the others."""
        lang = lang_of(request)
        streams = has_base = retrieves = False
        if run_id:
            try:
                run = ctx.service.run(run_id)
                agent = agent_for(run.path)
                streams, retrieves = tasks.spec(agent.task).streams, retrieves_answers(agent)
                has_base = compares_with_base(run)
            except PlaygroundError:
                pass  # not an agent yet: the chat says why when asked
        label = say(lang, ("retrieval_chat_box" if retrieves else "agent_chat_box")
                    if has_base and compare else "chat_box")
        return (gr.update(visible=streams), gr.update(visible=has_base and compare),
                gr.update(visible=not streams), gr.update(label=label),
                gr.update(visible=not streams))

    inputs = [run, message, chatbot, *knobs]
    # the labels box hides with its column; its own update lets an API caller see it
    shown = [settings, base_chatbot, side, chatbot, scores]
    run.change(mode, [run, compare], shown, api_name="chat_mode")
    compare.change(mode, [run, compare], shown, api_name=False)
    base_inputs = [run, message, base_chatbot, compare, *knobs]
    said = [chatbot, message, scores, entities]
    # the base model answers in an event of its own, so both stream at once; Send names
    # the endpoints, Enter does the same
    events = [send.click(chat_base, base_inputs, base_chatbot, api_name="chat_base"),
              send.click(chat, inputs, said, api_name="chat"),
              message.submit(chat_base, base_inputs, base_chatbot, api_name=False),
              message.submit(chat, inputs, said, api_name=False)]
    events.append(again.click(regenerate, [run, chatbot, *knobs], [chatbot, scores, entities],
                              api_name="regenerate"))
    events.append(again.click(regenerate_base, [run, base_chatbot, compare, *knobs],
                              base_chatbot, api_name="regenerate_base"))
    # the answers stay as far as they were written; the next message continues from there
    stop.click(None, None, None, cancels=events)
    clear.click(lambda: ([], []), None, [chatbot, base_chatbot], api_name=False)
