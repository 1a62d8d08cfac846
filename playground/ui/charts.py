"""Pictures and tables for the Test tab (matplotlib, drawn off-screen)."""

from __future__ import annotations

from typing import Any

import pandas as pd

# Labels may be Chinese: the first of these fonts that is installed draws them.
FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "Microsoft YaHei",
         "PingFang SC", "SimHei", "DejaVu Sans"]
AXES = {"predicted": ("predicted", "预测"), "true": ("true", "真实"),
        "confidence": ("confidence", "把握"), "texts": ("texts", "条数"),
        "label": ("label", "标签"), "examples": ("examples", "样本数")}
# The class of every gradio plot: app.CSS fits the chart below the plot's label (gradio
# sizes the chart to the whole block, and the block clips the legend and the x-axis).
CHART = ["chart"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.sans-serif"] = FONTS
    plt.rcParams["axes.unicode_minus"] = False
    return plt


def _word(key: str, lang: str) -> str:
    return AXES[key][lang == "zh"]


def padded_lim(top: float) -> list[float]:
    """An axis from 0 to a little above ``top``: bars and lines start at zero and end
    inside the chart."""
    return [0, max(1, round(top * 1.1 + 0.5))]


def count_bars(counts: pd.DataFrame, lang: str, y: str = "texts"):
    """A bar chart's value (label -> count) with its axis from zero. The axis titles come
    with it: a bar chart shows a translation key given at build time as raw text."""
    import gradio as gr

    return gr.update(value=counts, y_lim=padded_lim(counts[y].max() if len(counts) else 1),
                     x_title=AXES["label"][lang == "zh"],
                     y_title=AXES["examples" if y == "examples" else "texts"][lang == "zh"],
                     visible=True)


def trend_lines(trend: pd.DataFrame | None):
    """The labels-per-day lines, shown only when the file has dates, axis from zero."""
    import gradio as gr

    if trend is None:
        return gr.update(visible=False)
    return gr.update(value=trend, y_lim=padded_lim(trend["texts"].max()), visible=True)


def confusion_figure(confusion: dict[str, Any], lang: str = "en"):
    """A heat map of true (rows) against predicted (columns) labels."""
    plt = _pyplot()
    labels, matrix = confusion["labels"], confusion["matrix"]
    size = min(2 + 0.35 * len(labels), 12)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel(_word("predicted", lang))
    ax.set_ylabel(_word("true", lang))
    if len(labels) <= 20:
        for i, row in enumerate(matrix):
            for j, value in enumerate(row):
                if value:
                    ax.text(j, i, str(value), ha="center", va="center", fontsize=7)
    fig.tight_layout()
    plt.close(fig)
    return fig


def confidence_histogram(confidence: pd.Series, lang: str = "en"):
    """How sure the agent was over a file's texts (calibrated probabilities, 0 to 1)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    ax.hist(confidence, bins=20, range=(0, 1), color="#4f7cac")
    ax.set_xlim(0, 1)
    ax.set_xlabel(_word("confidence", lang))
    ax.set_ylabel(_word("texts", lang))
    ax.margins(y=0.1)
    fig.tight_layout(pad=1.2)
    plt.close(fig)
    return fig


def trend_frame(frame: pd.DataFrame) -> pd.DataFrame | None:
    """Predicted labels per day when the file has a column of dates, else None."""
    for column in frame.columns:
        values = frame[column].astype(str)
        if column in ("predicted_label", "confidence", "top3") or \
                values.str.fullmatch(r"\d+(\.\d+)?").mean() > 0.5:
            continue  # numbers (ids, scores, 0/1 labels) are not dates
        parsed = pd.to_datetime(values, errors="coerce", format="mixed")
        if parsed.notna().mean() > 0.8:
            days = parsed.dt.floor("D")
            return (frame.assign(date=days).dropna(subset=["date"])
                    .groupby(["date", "predicted_label"]).size()
                    .rename("texts").reset_index().rename(columns={"predicted_label": "label"}))
    return None
