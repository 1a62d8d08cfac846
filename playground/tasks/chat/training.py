"""Chat, as the one job flow (``training/job.py``) trains it.

The parts are lists of conversations (message lists ending with the assistant's
answer); outputs are the greedy answers to each prompt and the loss on the answers. The
floor is the base model before fine-tuning; the classic model is retrieval (the answer
of the most similar training question). Scores: chrF of the answers against the
references (0..1, works for Chinese too), exact match, the answers' loss and perplexity.
"""

from __future__ import annotations

from typing import Any

from playground.runfolder import SPLITS, RunFolder
from playground.tasks.chat.classic import RetrievalModel, question_of
from playground.tasks.chat.generation import perplexity, reference_of
from playground.tasks.chat.reading import read_split
from playground.training.choice import agent_choice
from playground.training.engine import Tuned

Messages = list[dict[str, str]]
Parts = dict[str, list[Messages]]


def read_splits(run: RunFolder) -> Parts:
    return {name: read_split(run.conversation_split_path(name)) for name in SPLITS}


def finetune(run: RunFolder, spec: dict[str, Any], splits: Parts, started_at: float,
             announce: Any) -> Tuned:
    from playground.tasks.chat.finetune import recipe
    from playground.training.engine import finetune as train

    config = spec["config"]
    model = spec["model"]
    return train(run, config, started_at,
                 recipe(config, model["location"], splits, model["id"]), announce)


def join(*parts: list[Messages]) -> list[Messages]:
    return [conversation for part in parts for conversation in part]


def floor(splits: Parts, spec: dict[str, Any]) -> dict[str, Any]:
    """The base model's scores, before any fine-tuning: what the agent has to beat. A run
    of retrieval alone ("classic") has no base model: its floor is answering nothing."""
    from playground.catalog import CLASSIC
    from playground.tasks.chat.finetune import answer_precision, load_for_chat, outputs_of

    if spec["model"]["id"] == CLASSIC:
        return {"label": "no answer", **score(splits["test"], {
            "answers": [""] * len(splits["test"]), "loss": None}, spec)}
    tokenizer, model = load_for_chat(spec["model"]["location"], spec["model"]["id"])
    # in the agent's precision: the base answers beside the agent in it (agent.py)
    return {"label": "base model", **score(splits["test"], outputs_of(
        model, tokenizer, splits["test"], spec["config"]["max_length"],
        answer_precision()), spec)}


def fit_classic(part: list[Messages], spec: dict[str, Any],
                progress: Any = None) -> RetrievalModel:
    return RetrievalModel.fit(part)


def classic_outputs(classic: RetrievalModel, part: list[Messages],
                    spec: dict[str, Any]) -> dict[str, Any]:
    return {"answers": [answer for answer, _ in classic.nearest([question_of(c) for c in part])],
            "loss": None}


def score(part: list[Messages], outputs: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """chrF (0..1) and exact match of the answers against the references; the loss on
    the references and its perplexity (None for retrieval, which has no probabilities)."""
    from sacrebleu.metrics import CHRF

    references = [reference_of(c) for c in part]
    said = outputs["answers"]
    chrf = CHRF().corpus_score(said, [references]).score / 100 if part else 0.0
    exact = sum(a.strip() == r.strip() for a, r in zip(said, references)) / max(len(part), 1)
    return {"chrf": round(chrf, 4), "exact_match": round(exact, 4), "loss": outputs["loss"],
            "perplexity": perplexity(outputs["loss"]),
            "examples": [{"question": question_of(c), "reference": r, "answer": a}
                         for c, r, a in list(zip(part, references, said))[:20]]}


def summary(scores: dict[str, Any]) -> dict[str, Any]:
    return {key: scores[key] for key in ("chrf", "exact_match", "loss", "perplexity")}


def choose(splits: Parts, spec: dict[str, Any], tuned: Tuned | None,
           progress: Any = None) -> dict[str, Any]:
    """Retrieval fitted on the training conversations alone against the fine-tuned model
    (when there is one), by chrF on the validation ones."""
    validation = splits["validation"]
    alone = fit_classic(splits["train"], spec)
    classic_chrf = score(validation, classic_outputs(alone, validation, spec), spec)["chrf"]
    tuned_chrf = None if tuned is None else \
        score(validation, tuned.outputs["validation"], spec)["chrf"]
    files = {"labels": [], "task": spec["config"]["task"],
             "base_model": spec["model"]["location"], "base_model_id": spec["model"]["id"]}
    if tuned is not None:  # the agent answers in the precision its answers were scored in
        files["precision"] = tuned.outputs["test"]["precision"]
    return {"agent": agent_choice("chrf", tuned_chrf, classic_chrf), "files": files,
            "tuned_files": files}


def report(spec: dict[str, Any], splits: Parts, outputs: dict[str, Any],
           model_scores: dict[str, Any], chosen: dict[str, Any]) -> dict[str, Any]:
    """The report's chat entries: what the scores are and, but for a run of retrieval
    alone, the precision the language models' greedy answers (the fine-tuned model's and
    the base model's) were written in, the one the agent answers in (the report's
    ``precision`` is the training's)."""
    from playground.catalog import CLASSIC
    from playground.tasks.chat.finetune import answer_precision

    answered = None if spec["model"]["id"] == CLASSIC else answer_precision()
    written = f" written in {answered}, as the agent answers" if answered else ""
    return {"labels": [], "base_model": spec["model"]["name"],
            **({"answer_precision": answered} if answered else {}),
            "metric": f"chrF (character n-gram F-score, 0..1) and exact match of greedy "
                      f"answers{written}; loss and perplexity on the reference answers "
                      f"(in fp32)"}
