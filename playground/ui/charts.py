"""Pictures and tables for the Test tab (matplotlib, drawn off-screen)."""

from __future__ import annotations

from typing import Any

import pandas as pd

# Labels may be Chinese: the first of these fonts that is installed draws them.
FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "Microsoft YaHei",
         "PingFang SC", "SimHei", "DejaVu Sans"]
AXES = {"predicted": ("predicted", "预测"), "true": ("true", "真实"),
        "confidence": ("confidence", "把握"), "texts": ("texts", "条数"),
        "label": ("label", "标签"), "examples": ("examples", "样本数"), "date": ("date", "日期"),
        "predicted_label": ("predicted label", "预测标签")}
# The Test tab's tables: their columns as the page's language names them (the files
# written keep the names a program reads: predicted_label, confidence).
COLUMN_WORDS = {"label": ("label", "标签"), "type": ("entity type", "实体类型"),
                "precision": ("precision", "精确率"), "recall": ("recall", "召回率"),
                "f1": ("F1", "F1"), "support": ("in the file", "文件中的数量"),
                "text": ("text", "文本"), "entities": ("entities", "实体"),
                "predicted": ("predicted", "预测"), "predicted_label": ("predicted label", "预测标签"),
                "confidence": ("confidence", "把握"), "answer": ("answer", "回答")}
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


def shown_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``frame`` as a page's table shows it: its known columns in the page's language, and
    no cell a spreadsheet would run as a formula (the table has a copy button)."""
    from playground.data.writing import safe_frame

    zh = lang == "zh"
    return safe_frame(frame.rename(columns={k: v[zh] for k, v in COLUMN_WORDS.items()}))


def trend_lines(trend: pd.DataFrame | None, lang: str):
    """The labels-per-day lines, shown only when the file has dates, axis from zero, with
    their titles in the page's language (as ``count_bars``)."""
    import gradio as gr

    if trend is None:
        return gr.update(visible=False)
    return gr.update(value=trend, y_lim=padded_lim(trend["texts"].max()), visible=True,
                     x_title=_word("date", lang), y_title=_word("texts", lang),
                     color_title=_word("label", lang))


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
    """Predicted labels per day when the file has a column of dates, else None. A label
    not seen on a day of the file counts 0 there, so its line goes down to the axis."""
    for column in frame.columns:
        values = frame[column].astype(str)
        if column in ("predicted_label", "confidence", "top3") or \
                values.str.fullmatch(r"\d+(\.\d+)?").mean() > 0.5:
            continue  # numbers (ids, scores, 0/1 labels) are not dates
        parsed = pd.to_datetime(values, errors="coerce", format="mixed")
        if parsed.notna().mean() > 0.8:
            days = parsed.dt.floor("D")
            return (frame.assign(date=days).dropna(subset=["date"])
                    .groupby(["date", "predicted_label"]).size().unstack(fill_value=0)
                    .stack().rename("texts").reset_index()
                    .rename(columns={"predicted_label": "label"}))
    return None
