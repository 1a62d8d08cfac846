"""JSON from a user's file: nesting too deep for Python is invalid JSON, not a crash.

``json.loads`` recurses once per level: 100,000 "[" raise RecursionError, which no
``except json.JSONDecodeError`` catches (a traceback on the command line, a bare "Error"
badge in the page).
"""

from __future__ import annotations

import json
from typing import Any


def loads(text: str | bytes) -> Any:
    """``json.loads(text)``; a JSONDecodeError ("nested too deeply") for too deep nesting."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", str(text[:0]), 0) from None
