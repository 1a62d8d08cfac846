"""A chat agent answers in the precision its held-out answers were scored in
(tasks/chat/agent.py, finetune.py, training/precision.py): a run records it
(labels.json ``precision``, report.json ``answer_precision``), the agent and the base
model beside it load in it and give the very answers the report scored; an agent saved
before it was recorded answers in fp32, as it was scored then."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import copy_run

from playground.errors import RunError
from playground.runfolder import LABELS, RunFolder
from playground.tasks.chat.agent import load
from playground.tasks.chat.generation import answer_room, answering_in, answers, prompt_of
from playground.tasks.chat.reading import read_split
from playground.training.precision import generation_precision


def _dtype(model) -> str:
    return str(next(model.parameters()).dtype)


def test_a_cpu_answers_in_bf16() -> None:
    assert generation_precision("cpu") == "bf16"  # measured faster, native bf16 or not


def test_the_agent_gives_the_answers_its_report_scored(tiny_chat_run: Path) -> None:
    run = RunFolder(tiny_chat_run)
    report = run.read_report()
    saved = json.loads((run.model_dir / LABELS).read_text(encoding="utf-8"))
    assert saved["precision"] == report["answer_precision"] == "bf16"
    assert "written in bf16" in report["metric"]
    agent = load(run.model_dir)
    tokenizer, base = agent._base()
    assert _dtype(agent._model) == _dtype(base) == "torch.bfloat16"
    test = read_split(run.conversation_split_path("test"))
    room = answer_room(tokenizer, test)  # the scored answers stop there
    for who, scores, asked in (("agent", report["scores"]["finetuned"], {}),
                               ("base", report["scores"]["majority"], {"base": True})):
        said = [agent.generate(prompt_of(c), max_new_tokens=room, **asked) for c in test]
        assert said[:20] == [e["answer"] for e in scores["examples"]], who


def test_answering_in_gives_the_model_back_as_it_was(tiny_chat_model_dir: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from playground.tasks.chat.generation import to_precision

    tokenizer = AutoTokenizer.from_pretrained(tiny_chat_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_chat_model_dir, dtype=torch.float32)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    asked = [[{"role": "user", "content": q}, {"role": "assistant", "content": "my name is ada"}]
             for q in ("hello", "what is your name", "lab")]
    with answering_in(model, "bf16"):
        assert _dtype(model) == "torch.bfloat16"
        said = answers(model, tokenizer, asked)
    after = model.state_dict()
    assert all(after[k].dtype == v.dtype and torch.equal(after[k], v) for k, v in before.items())
    cast = to_precision(AutoModelForCausalLM.from_pretrained(tiny_chat_model_dir,
                                                             dtype=torch.float32), "bf16")
    assert answers(cast, tokenizer, asked) == said  # the same numbers as a cast agent


def test_an_agent_saved_before_precision_was_recorded_answers_in_fp32(
        tiny_chat_run: Path, tmp_path: Path) -> None:
    run = copy_run(tiny_chat_run, tmp_path / "runs")
    labels = run.model_dir / LABELS
    saved = json.loads(labels.read_text(encoding="utf-8"))
    del saved["precision"]
    labels.write_text(json.dumps(saved), encoding="utf-8")
    agent = load(run.model_dir)
    assert agent.precision == "fp32"
    assert _dtype(agent._model) == _dtype(agent._base()[1]) == "torch.float32"
    labels.write_text(json.dumps({**saved, "precision": "fp8"}), encoding="utf-8")
    with pytest.raises(RunError, match="precision"):
        load(run.model_dir)
