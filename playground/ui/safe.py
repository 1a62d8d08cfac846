"""Strings from files, bundles and users, made safe to show in the page.

Names, file names, labels and reasons come from whoever wrote the file: in HTML they are
escaped; in Markdown the marks that would format them are escaped as well, so a name
shows as itself and never as markup or script.
"""

from __future__ import annotations

import html
import re
from typing import Any

# ":" and "." too: a bare "http://x" or "www.x" in a name would become a link (GFM's
# autolinks need neither brackets nor marks).
_MARKDOWN_MARKS = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>:])")


def md_text(value: Any) -> str:
    """``value`` as literal text inside Markdown."""
    return _MARKDOWN_MARKS.sub(r"\\\1", html.escape(str(value), quote=False))


# The marks that make Markdown bold, italic, code, struck, a heading, a link or an image.
# Words inside a line (a chat message, a sentence quoting a label) escape these alone, so
# their "." and "(" stay as typed in the page's source and in a copy.
_FORMATTING_MARKS = re.compile(r"([\\`*_\[\]~#])")
_ESCAPED_MARK = re.compile(r"\\([\\`*_\[\]~#])")


def inline_text(value: str) -> str:
    """Words inside a line of Markdown (a chat message, a sentence quoting a label) as
    typed: never bold, a link or an image."""
    return _FORMATTING_MARKS.sub(r"\\\1", html.escape(value, quote=False))


def typed_text(shown: str) -> str:
    """What was typed, from ``inline_text``'s output."""
    return html.unescape(_ESCAPED_MARK.sub(r"\1", shown))
