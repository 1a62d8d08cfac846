"""The worker's phase events: what it is doing now, in English and Chinese.

Each phase is announced as it starts, so a waiting user sees the run move before the
first loss point: ``{"type": "phase", "phase": ..., "message": ..., "message_zh": ...}``.
"""

from __future__ import annotations

from typing import Any

PHASES = ("loading", "tokenizing", "training", "baselines", "calibrating", "saving")

# phase or phase/variant -> (English, Chinese); {model} is the model's name.
MESSAGES: dict[str, tuple[str, str]] = {
    "loading": ("Loading the data and the model.", "正在加载数据和模型。"),
    "loading/classic": ("Loading the data.", "正在加载数据。"),
    "tokenizing": ("Turning the texts into tokens.", "正在把文本切分为词元。"),
    "training": ("Fine-tuning {model}.", "正在微调 {model}。"),
    "training/classic": ("Fitting the classic model.", "正在训练经典模型。"),
    "baselines": ("Scoring the majority label and the classic model.",
                  "正在计算“总答最常见标签”和经典模型的得分。"),
    "calibrating": ("Calibrating the confidence on the validation rows.",
                    "正在用验证集校准置信度。"),
    "saving": ("Saving the agent and its report.", "正在保存智能体及其报告。"),
    # The classic model's progress, in whichever phase fits it (classic_plan.py).
    "classic-vectorizing": ("Reading the character n-grams of {rows:,} of {all_rows:,} texts "
                            "for the classic model.",
                            "正在为经典模型读取 {all_rows:,} 条文本中 {rows:,} 条的字符 n-gram。"),
    "classic-fitting": ("Fitting the classic model on {rows:,} texts and {features:,} n-grams: "
                        "{step:,} of at most {steps:,} steps done.",
                        "正在用 {rows:,} 条文本和 {features:,} 个 n-gram 拟合经典模型："
                        "已完成 {step:,} 步（最多 {steps:,} 步）。"),
}


def phase_event(phase: str, variant: str = "",
                words: dict[str, tuple[str, str]] | None = None, **values: Any) -> dict[str, Any]:
    """The event announcing ``phase`` (its message picked by ``variant`` when given: one
    of this phase, else one any phase may show; a task's own ``words`` for a phase come
    before the general ones)."""
    assert phase in PHASES, phase
    words = words or {}
    en, zh = (MESSAGES.get(f"{phase}/{variant}") or MESSAGES.get(variant)
              or words.get(phase) or MESSAGES[phase])
    return {"type": "phase", "phase": phase, "message": en.format(**values),
            "message_zh": zh.format(**values)}
