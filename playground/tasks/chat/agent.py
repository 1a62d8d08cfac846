"""A trained chat agent: a language model (its LoRA adapter on the base model it names,
or whole weights) that answers, streams, and labels a file with answers; or, when
retrieval scored higher on the validation conversations, the retrieval model."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from playground.data.columns import text_column_of
from playground.data.limits import cut
from playground.errors import PlaygroundError, RunError
from playground.runfolder import LABELS, RUN_CONFIG, read_json
from playground.tasks.chat.classic import FILE_JSON, RetrievalModel, last_question, saved_fault
from playground.tasks.chat.reading import QUESTION_NAMES

CLASSIC_FILES = (FILE_JSON, FILE_JSON)  # retrieval keeps its questions and answers in one
OUTPUTS = ""  # a language model has no output per label: nothing to count


def classic_fault(meta: dict, labels: list[str]) -> str | None:
    """The first part of a saved retrieval model the playground never writes, or None."""
    return saved_fault(meta)


# The base model beside an agent is a copy of its own, loaded once and shared by every
# agent on that base. PEFT's ``disable_adapter()`` would spare the copy, but an agent is
# cached and shared by every user's thread (service/agents.py): switching its adapter
# off while another request generates would make that answer come from the base model,
# and a lock around it would make every chat wait for every comparison. A full
# fine-tune has no adapter to switch off anyway. The copy is read-only, so any number of
# threads may generate with it at once; it costs the base's size once (about 540 MB for
# the embedded 135M model in bf16). It answers in the agent's precision, as it did when
# the report scored it beside the agent.
_BASE_LOCK = threading.Lock()


@functools.lru_cache(maxsize=2)
def _base_model(model_id: str, location: str, precision: str) -> tuple[Any, Any]:
    from playground.tasks.chat.finetune import load_for_chat
    from playground.tasks.chat.generation import to_precision

    tokenizer, model = load_for_chat(location, model_id)
    return tokenizer, to_precision(model, precision).eval()


def base_model(model_id: str, location: str, precision: str = "fp32") -> tuple[Any, Any]:
    """(tokenizer, model) of a base model before fine-tuning, in ``precision``, loaded on
    first use; a RunError with a sentence when it cannot be loaded (an id that is not
    cached here)."""
    with _BASE_LOCK:  # two first requests at once load it once
        try:
            return _base_model(model_id, location, precision)
        except PlaygroundError:
            raise
        except Exception as exc:  # whatever transformers raises for a missing model
            # no name: a local base model's name is a folder on the server
            raise RunError(f"This agent's base model cannot be loaded here "
                           f"({type(exc).__name__}), so it cannot answer beside the agent.",
                           "Turn the comparison with the base model off, or make the model "
                           "available on this machine.",
                           zh=f"无法在本机加载这个智能体的基础模型（{type(exc).__name__}），"
                              "因此它不能在智能体旁边回答。请关闭与基础模型的对比，"
                              "或让本机能够使用这个模型。") from exc


def _messages(text: str | list[dict[str, str]], system: str = "") -> list[dict[str, str]]:
    messages = [{"role": "user", "content": text}] if isinstance(text, str) else list(text)
    if system and not any(m["role"] == "system" for m in messages):
        messages.insert(0, {"role": "system", "content": system})
    return messages


def answer_precision_of(saved: dict[str, Any]) -> str:
    """The precision labels.json says the agent answers in: fp32 when it names none (an
    agent saved before it was recorded); a RunError for a value training never writes."""
    from playground.training.precision import DTYPES

    precision = saved.get("precision", "fp32")
    if precision not in DTYPES:
        shown = json.dumps(precision, ensure_ascii=False)[:40]
        raise RunError(f"This agent's labels.json names the precision {shown}, which is "
                       f"not one of {', '.join(DTYPES)}.",
                       "Set it back to the one its report names, or train the agent again.",
                       zh=f"这个智能体的 labels.json 写的精度是 {shown}，不是 "
                          f"{'、'.join(DTYPES)} 之一。请改回报告中写的精度，或重新训练这个智能体。")
    return precision


class ChatAgent:
    """Answers a conversation with a fine-tuned language model, or by retrieval."""

    task = "chat"
    file_kind = "answers"  # a labelled file is saved as NAME.answers.csv

    def __init__(self, model_dir: Path) -> None:
        self.model_dir = model_dir
        saved = json.loads((model_dir / LABELS).read_text(encoding="utf-8"))
        self.labels: list[str] = []
        self.base_model: str = saved.get("base_model", "")
        self.base_model_id: str = saved.get("base_model_id", "")
        self.kind = "classic" if RetrievalModel.is_saved_in(model_dir) else "transformer"
        # a run of retrieval alone names the classic model: it has no base to compare
        from playground.catalog import CLASSIC

        self.has_base = self.base_model_id not in ("", CLASSIC)
        # The precision its scores were measured in (bf16 on a CPU: it writes tokens
        # faster, training/precision.py); an agent saved before it was recorded was
        # scored in fp32.
        self.precision: str = answer_precision_of(saved)
        if self.kind == "classic":
            self._retrieval = RetrievalModel.load(model_dir)
            return
        from transformers import AutoTokenizer

        from playground.tasks.chat.generation import to_precision
        from playground.tasks.chat.merge import load_model

        self._tokenizer = AutoTokenizer.from_pretrained(model_dir, trust_remote_code=False)
        # LoRA: the adapter on its base, cast to the precision its held-out answers were
        # written in, so it answers as its report says
        self._model = to_precision(load_model(model_dir), self.precision).eval()
        self._max_length = read_json(model_dir / RUN_CONFIG)["config"]["max_length"]

    def generate(self, text: str | list[dict[str, str]], *, system: str = "",
                 max_new_tokens: int = 128, temperature: float = 0.0,
                 top_p: float = 1.0, base: bool = False) -> str:
        """The answer to a question or a conversation (greedy at temperature 0); the base
        model's, before fine-tuning, when ``base``."""
        messages = _messages(text, system)
        if base:
            from playground.tasks.chat.generation import generate

            tokenizer, model = self._base()
            return generate(model, tokenizer, messages, max_new_tokens, temperature, top_p)
        if self.kind == "classic":
            return self._nearest([messages])[0]
        from playground.tasks.chat.generation import generate

        return generate(self._model, self._tokenizer, messages, max_new_tokens, temperature,
                        top_p)

    def scored_answers(self, conversations: list[list[dict[str, str]]], *,
                       base: bool = False) -> list[str]:
        """Greedy answers to each conversation's prompt (all but its last message, the
        reference), written in batches as the report's were; the base model's when
        ``base``."""
        from playground.tasks.chat.generation import answers, prompt_of

        if base:
            tokenizer, model = self._base()
            return answers(model, tokenizer, conversations)
        if self.kind == "classic":
            return self._nearest([prompt_of(c) for c in conversations])
        return answers(self._model, self._tokenizer, conversations)

    def _nearest(self, prompts: list[list[dict[str, str]]]) -> list[str]:
        """Retrieval's answer to each prompt's last user message (as the report asks)."""
        asked = [last_question(p) for p in prompts]
        return [answer for answer, _ in self._retrieval.nearest(asked)]

    def stream(self, text: str | list[dict[str, str]], *, system: str = "",
               max_new_tokens: int = 256, temperature: float = 0.7,
               top_p: float = 0.9, base: bool = False) -> Iterator[str]:
        """The answer piece by piece as the model writes it (retrieval: in one piece);
        the base model's, before fine-tuning, when ``base``."""
        if base:
            from playground.tasks.chat.generation import stream

            tokenizer, model = self._base()
            yield from stream(model, tokenizer, _messages(text, system), max_new_tokens,
                              temperature, top_p)
            return
        if self.kind == "classic":
            yield self.generate(text, system=system)
            return
        from playground.tasks.chat.generation import stream

        yield from stream(self._model, self._tokenizer, _messages(text, system),
                          max_new_tokens, temperature, top_p)

    def _base(self) -> tuple[Any, Any]:
        if not self.has_base:
            raise RunError("This agent answers by retrieval alone: it has no base model to "
                           "compare with.", "Ask the agent itself.",
                           zh="这个智能体只靠检索回答，没有可对比的基础模型。请直接问智能体。")
        return base_model(self.base_model_id, self.base_model, self.precision)

    def answer(self, text: str) -> dict[str, Any]:
        """The greedy answer, as plain data."""
        return {"text": self.generate(cut([text])[0])}

    @staticmethod
    def answer_lines(answer: dict[str, Any]) -> list[str]:
        return [answer["text"]]

    def reply(self, text: str) -> dict[str, Any]:
        """A chat reply of its own: the model's (or retrieval's) answer."""
        said = self.answer(text)["text"]
        source = "retrieval" if self.kind == "classic" else "model"
        return {"text": said, "label": "", "confidence": None, "source": source,
                "detail": "the fine-tuned model" if self.kind != "classic"
                else "the answer of the most similar training question",
                "detail_zh": "微调后的模型" if self.kind != "classic" else "最相似训练问题的答案",
                "probabilities": {}, "entities": []}

    def label_frame(self, frame, text_column: str | None = None):
        """``frame`` with an ``answer`` column (greedy), and the question column read."""
        named = {str(c).strip().lower(): c for c in frame.columns}
        asked = next((named[n] for n in QUESTION_NAMES if n in named), None)
        column = text_column_of(frame, text_column or asked)
        out = frame.copy()
        prompts = [_messages(t) for t in cut(frame[column].astype(str).tolist())]
        if self.kind == "classic":
            out["answer"] = self._nearest(prompts)
        else:
            from playground.tasks.chat.generation import prompt_answers

            out["answer"] = prompt_answers(self._model, self._tokenizer, prompts)
        return out, column


def load(model_dir: Path) -> ChatAgent:
    """The agent saved in a run's model folder."""
    return ChatAgent(model_dir)


def save_merged(model_dir: Path, out: Path) -> Path:
    """The agent's language model as one transformers folder (adapter merged) in ``out``."""
    from playground.tasks.chat.merge import save_merged as merged

    return merged(model_dir, out)
