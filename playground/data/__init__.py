"""Reading, checking and splitting the user's labelled table.

Import cost stays low on purpose: pandas only, sklearn and charset_normalizer are
imported inside the functions that use them, and nothing here imports torch.
"""

from playground.data.checks import (
    DataReport,
    Problem,
    check_dataset,
    check_eval_table,
    detect_language,
    estimate_tokens,
)
from playground.data.columns import ColumnGuess, guess_columns
from playground.data.reading import detect_encoding, read_table, sniff_delimiter
from playground.data.splits import Splits, make_splits

__all__ = [
    "ColumnGuess",
    "DataReport",
    "Problem",
    "Splits",
    "check_dataset",
    "check_eval_table",
    "detect_encoding",
    "detect_language",
    "estimate_tokens",
    "guess_columns",
    "make_splits",
    "read_table",
    "sniff_delimiter",
]
