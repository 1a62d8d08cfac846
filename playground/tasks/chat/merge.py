"""A chat agent's language model as one plain transformers folder ("Save merged model"):
its LoRA adapter merged into the base model's weights (peft's ``merge_and_unload``), or
its whole fine-tuned weights, saved as safetensors with the tokenizer and chat template.
The folder loads anywhere with ``AutoModelForCausalLM.from_pretrained``, no peft and no
playground needed.

The weights are saved in fp32, a plain model to fine-tune further or convert, whatever
precision the agent answers in: loaded as saved, it gives the fp32 agent's greedy
answers. An agent that answers in bf16 (labels.json ``precision``, the CPU's default)
casts its base and adapter apart; the merged weights rounded to bf16 are close to that
but not the same numbers, so a few greedy answers may differ from the agent's.
"""

from __future__ import annotations

import json
from pathlib import Path

from playground.errors import ModelError
from playground.runfolder import ADAPTER_CONFIG, LABELS
from playground.tasks.chat.classic import RetrievalModel


def base_location(model_dir: Path) -> str:
    """Where the base model of the adapter in ``model_dir`` is, on this machine."""
    from playground.tasks.chat.finetune import model_location

    saved = json.loads((model_dir / LABELS).read_text(encoding="utf-8"))
    return model_location(saved.get("base_model_id", ""), saved.get("base_model", ""))


def load_model(model_dir: Path):
    """The agent's language model in fp32: the adapter on its base (unmerged), or the
    whole fine-tuned model (the agent casts it to the precision it answers in)."""
    import torch
    from transformers import AutoModelForCausalLM

    if (model_dir / ADAPTER_CONFIG).exists():
        from peft import PeftModel

        base = AutoModelForCausalLM.from_pretrained(
            base_location(model_dir), trust_remote_code=False, dtype=torch.float32)
        return PeftModel.from_pretrained(base, model_dir)
    return AutoModelForCausalLM.from_pretrained(model_dir, trust_remote_code=False,
                                                dtype=torch.float32)


def save_merged(model_dir: Path, out: Path) -> Path:
    """Write the agent's model, adapter merged, to the new folder ``out``; return it.
    Raises ModelError for an agent that answers by retrieval (it has no model)."""
    from transformers import AutoTokenizer

    if RetrievalModel.is_saved_in(model_dir):
        raise ModelError("This agent answers by retrieval (the answer of the most similar "
                         "training question), so it has no language model to save.",
                         "Save the merged model of a run whose fine-tuned model serves "
                         "as the agent.",
                         zh="该智能体靠检索回答（最相似训练问题的答案），没有可保存的语言模型。"
                            "请保存由微调模型担任智能体的训练记录的合并模型。")
    model = load_model(model_dir)
    if (model_dir / ADAPTER_CONFIG).exists():
        model = model.merge_and_unload()
    model.save_pretrained(out)  # safetensors, with the generation config
    AutoTokenizer.from_pretrained(model_dir, trust_remote_code=False).save_pretrained(out)
    return out
