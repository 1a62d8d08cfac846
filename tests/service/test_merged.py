"""Save merged model: a chat agent's LoRA adapter merged into its base, written as a
plain transformers folder that loads with AutoModelForCausalLM alone and gives the
fp32 agent's greedy answers; the same from the command line and as the page's zip. Agents
with nothing to merge (retrieval, a classifier) get a sentence."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from chat_samples import QUESTIONS
from conftest import intent_rows

from playground.cli import main
from playground.config import RunConfig
from playground.errors import PlaygroundError
from playground.runfolder import RunFolder
from playground.service.merged import merged_zip, save_merged
from playground.service.prepare import create_run, prepare
from playground.training.job import run_job


@pytest.fixture(scope="module")
def lora_run(tiny_lora_run: Path) -> RunFolder:
    return RunFolder(tiny_lora_run)  # merging reads the run: the session's serves


def _plain_answer(folder: Path, question: str) -> str:
    """The greedy answer of the folder's model, with transformers alone (no peft)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder).eval()
    inputs = tokenizer.apply_chat_template([{"role": "user", "content": question}],
                                           add_generation_prompt=True, return_tensors="pt",
                                           return_dict=True)
    with torch.inference_mode():
        out = model.generate(**inputs, max_new_tokens=128, do_sample=False,
                             pad_token_id=tokenizer.pad_token_id)
    return tokenizer.decode(out[0, inputs["input_ids"].shape[1]:],
                            skip_special_tokens=True).strip()


def _agent_fp32(run: RunFolder, question: str) -> str:
    """The greedy answer of the agent's model (its adapter on its base) in fp32."""
    from transformers import AutoTokenizer

    from playground.tasks.chat.generation import generate
    from playground.tasks.chat.merge import load_model

    model = load_model(run.model_dir).eval()
    tokenizer = AutoTokenizer.from_pretrained(run.model_dir)
    return generate(model, tokenizer, [{"role": "user", "content": question}])


def test_the_merged_model_loads_alone_and_answers_as_the_agent(lora_run: RunFolder,
                                                               tmp_path: Path) -> None:
    assert (lora_run.model_dir / "adapter_config.json").exists()
    out = save_merged(lora_run.path, tmp_path / "merged")
    names = {p.name for p in out.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "chat_template.jinja"} <= names
    assert not any(name.startswith("adapter") for name in names)
    # saved in fp32: it answers as the agent's own model in fp32 (the agent answers in
    # bf16, as its scores were written; the merged weights round a little differently)
    assert [_plain_answer(out, q) for q in QUESTIONS] == [_agent_fp32(lora_run, q)
                                                          for q in QUESTIONS]
    with pytest.raises(PlaygroundError, match="already exists"):
        save_merged(lora_run.path, out)


def test_the_command_and_the_pages_zip_write_the_same_folder(lora_run: RunFolder, tmp_path: Path,
                                                             capsys) -> None:
    assert main(["merge", str(lora_run.path), str(tmp_path / "by-cli")]) == 0
    assert Path(capsys.readouterr().out.strip()) == tmp_path / "by-cli"
    assert main(["merge", str(lora_run.path), str(tmp_path / "by-cli")]) == 2
    assert "already exists" in capsys.readouterr().err
    bundle = merged_zip(lora_run.path, tmp_path / "agent-merged.zip")
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
    assert {f"agent-merged/{p.name}" for p in (tmp_path / "by-cli").iterdir()} == names
    assert not (tmp_path / "agent-merged").exists()  # only the zip stays


def test_agents_with_nothing_to_merge_say_so(tmp_path: Path) -> None:
    rows = [(f"how do I block my card {i}", "Open the app.") for i in range(20)] + \
           [(f"how do I renew my card {i}", "Call us.") for i in range(20)]
    pd.DataFrame(rows, columns=["question", "answer"]).to_csv(tmp_path / "qa.csv", index=False)
    pd.DataFrame(intent_rows(20), columns=["text", "intent"]).to_csv(tmp_path / "texts.csv",
                                                                     index=False)
    for data, task, message in (("qa.csv", "chat", "answers by retrieval"),
                                ("texts.csv", "text-classification", "nothing to merge")):
        prep = prepare(tmp_path / data, RunConfig(task=task, model="classic"))
        run = create_run(tmp_path / "runs", prep)
        run_job(run, time.time())
        run.update_status(state="succeeded")
        with pytest.raises(PlaygroundError, match=message) as caught:
            save_merged(run.path, tmp_path / f"{task}-merged")
        assert caught.value.zh and not (tmp_path / f"{task}-merged").exists()
