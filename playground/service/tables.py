"""Lookup tables the agent's tools read: an FAQ or an order-status sheet, kept as CSV in
the run's ``tools/`` folder (so a bundle carries them)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from playground.data import read_table
from playground.errors import DataError
from playground.runfolder import RunFolder

MAX_TABLE_ROWS = 100_000


def read_tool_table(path: Path) -> pd.DataFrame:
    """A table as text cells; its first column is the key, its second the answer."""
    table = read_table(path)
    if table.shape[1] < 2:
        raise DataError(f"The table {path.name} needs at least two columns: a key and an "
                        "answer.", "Put the key (a word, a code, a name) in the first column "
                        "and the answer in the second.",
                        zh=f"表格 {path.name} 至少需要两列：键和答案。"
                           "请把键（一个词、编码或名字）放在第一列，答案放在第二列。")
    if len(table) > MAX_TABLE_ROWS:
        raise DataError(f"The table {path.name} has {len(table):,} rows; the limit is "
                        f"{MAX_TABLE_ROWS:,}.", "Keep the rows the agent needs.",
                        zh=f"表格 {path.name} 有 {len(table):,} 行，上限是 {MAX_TABLE_ROWS:,}。"
                           "请只保留智能体需要的行。")
    return table.astype(str)


def add_tool_table(run: RunFolder, upload: str | Path) -> str:
    """Check an uploaded table, store it as CSV in the run's tools/ and return its name."""
    upload = Path(upload)
    table = read_tool_table(upload)
    name = re.sub(r"[^\w\-. ]", "_", upload.stem).strip(" .") or "table"
    run.tools_dir.mkdir(exist_ok=True)
    table.to_csv(run.tools_dir / f"{name}.csv", index=False)
    return f"{name}.csv"


def tool_tables(run: RunFolder) -> list[str]:
    return sorted(p.name for p in run.tools_dir.glob("*.csv")) if run.tools_dir.exists() else []
