"""Which model a run serves: the fine-tuned one or the classic one, by the validation rows.

On a small sheet the classic TF-IDF model often beats a fine-tuned transformer. Both are
scored on the same validation rows (the classic one fitted on the training rows only, so
neither has seen them) by the metric that picks the best checkpoint, and the better one
answers; a tie goes to the fine-tuned model the user asked for. The report says why in
a sentence, and whether the agent beats always answering the most common label.
"""

from __future__ import annotations

from typing import Any

METRIC_WORDS = {"accuracy": ("accuracy", "准确率"), "macro_f1": ("macro-F1", "宏平均 F1"),
                "f1": ("entity F1", "实体 F1"), "chrf": ("chrF", "chrF")}


def comparison_metric(best_metric: str) -> str:
    """The validation score the two models are compared by: the checkpoint's metric,
    except that a loss is not comparable across models, so accuracy stands in for it."""
    return "accuracy" if best_metric == "loss" else best_metric


def agent_choice(metric: str, finetuned: float | None, classic: float) -> dict[str, Any]:
    """report.json's "agent": the kind served, the validation scores and the reason.

    ``finetuned`` is None for a run of the classic model alone.
    """
    en_metric, zh_metric = METRIC_WORDS[metric]
    if finetuned is None:
        return {"kind": "classic", "metric": metric, "validation": {"classic": classic},
                "reason": f"You chose the classic model; it scored {classic:.0%} "
                          f"{en_metric} on your validation rows.",
                "reason_zh": f"你选择了经典模型；它在验证集上的{zh_metric}为 {classic:.0%}。"}
    kind = "classic" if classic > finetuned else "finetuned"
    if kind == "classic":
        reason = (f"The classic model scored higher on your validation rows ({en_metric} "
                  f"{classic:.0%} against {finetuned:.0%}), so the agent uses it; the "
                  "fine-tuned model is kept for comparison.")
        reason_zh = (f"经典模型在你的验证集上得分更高（{zh_metric} {classic:.0%} 对 "
                     f"{finetuned:.0%}），所以智能体使用经典模型；微调模型保留以供对比。")
    else:
        reason = (f"The fine-tuned model scored {finetuned:.0%} {en_metric} on your "
                  f"validation rows against the classic model's {classic:.0%}, so the "
                  "agent uses it.")
        reason_zh = (f"微调模型在你的验证集上的{zh_metric}为 {finetuned:.0%}，经典模型为 "
                     f"{classic:.0%}，所以智能体使用微调模型。")
    return {"kind": kind, "metric": metric,
            "validation": {"finetuned": finetuned, "classic": classic},
            "reason": reason, "reason_zh": reason_zh}


def verdict(served: float, majority: float) -> str:
    """"ok", or "no_better_than_majority" when the served agent's held-out headline score
    is not above always answering the most common label (not a success to show)."""
    return "ok" if served > majority else "no_better_than_majority"
