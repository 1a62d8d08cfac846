"""Strings from files, bundles and users, made safe to show in the page.

Names, file names, labels and reasons come from whoever wrote the file: in HTML they are
escaped; in Markdown the marks that would format them are escaped as well, so a name
shows as itself and never as markup or script.
"""

from __future__ import annotations

import html
import re
from typing import Any

_MARKDOWN_MARKS = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def md_text(value: Any) -> str:
    """``value`` as literal text inside Markdown."""
    return _MARKDOWN_MARKS.sub(r"\\\1", html.escape(str(value), quote=False))
