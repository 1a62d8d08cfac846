"""Pictures and tables for the Test tab (matplotlib, drawn off-screen)."""

from __future__ import annotations

from typing import Any

import pandas as pd


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def confusion_figure(confusion: dict[str, Any]):
    """A heat map of true (rows) against predicted (columns) labels."""
    plt = _pyplot()
    labels, matrix = confusion["labels"], confusion["matrix"]
    size = min(2 + 0.35 * len(labels), 12)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if len(labels) <= 20:
        for i, row in enumerate(matrix):
            for j, value in enumerate(row):
                if value:
                    ax.text(j, i, str(value), ha="center", va="center", fontsize=7)
    fig.tight_layout()
    plt.close(fig)
    return fig


def confidence_histogram(confidence: pd.Series):
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.hist(confidence, bins=20, range=(0, 1), color="#4f7cac")
    ax.set_xlabel("confidence")
    ax.set_ylabel("texts")
    fig.tight_layout()
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
