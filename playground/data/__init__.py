"""Reading the user's files and what every task's checks share (problems, language).

Import cost stays low on purpose: pandas only, charset_normalizer is imported inside the
functions that use it, and nothing here imports torch. Each task's own checks and splits
live in its folder under ``playground/tasks/``.
"""

from playground.data.columns import ColumnGuess, guess_columns
from playground.data.reading import detect_encoding, read_table, sniff_delimiter
from playground.data.report import DataReport, Problem, detect_language, estimate_tokens

__all__ = [
    "ColumnGuess",
    "DataReport",
    "Problem",
    "detect_encoding",
    "detect_language",
    "estimate_tokens",
    "guess_columns",
    "read_table",
    "sniff_delimiter",
]
