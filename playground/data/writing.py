"""Write a table a user will open in a spreadsheet, with no cell that runs as a formula.

A spreadsheet runs a cell that begins with =, +, -, @, a tab or a carriage return as a
formula (CSV injection): a text such as ``=HYPERLINK("http://evil", "click")`` in an
uploaded file would come back live in the labelled file. As OWASP advises, such a cell
(and such a column name) gets a leading single quote, which spreadsheets show as text.
A plain number (-3, +1.5) is left as it is: it runs nothing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """``value``, with a leading quote when it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) \
            and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names run nothing in a spreadsheet."""
    safe = frame.apply(lambda column: column if pd.api.types.is_numeric_dtype(column)
                       else column.map(safe_cell))
    safe.columns = [safe_cell(str(name)) for name in frame.columns]
    return safe


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as UTF-8 CSV for a user to open, formulas neutralised."""
    safe_frame(frame).to_csv(path, index=False)
    return Path(path)
