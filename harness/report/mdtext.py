"""Markdown text helpers: untrusted text made safe in paragraphs, table cells and code.

Inline text escapes `<` so it cannot become HTML and keeps line breaks as `<br>`; table cells
also escape `|`; code spans and fences grow longer than any backtick run inside them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from harness.report.view import printable

_NEWLINES = re.compile(r"\r\n|\r|\n")
_BACKTICKS = re.compile(r"`+")


def inline(text: str) -> str:
    """Text safe in a paragraph or list item: no raw HTML, line breaks kept as `<br>`."""
    return _NEWLINES.sub("<br>", printable(text).replace("<", "&lt;"))


def cell(text: str) -> str:
    """Text safe in a table cell: as `inline`, with `|` escaped."""
    return inline(text).replace("|", "\\|")


def code(text: str) -> str:
    """An inline code span that survives backticks and line breaks in `text`."""
    flat = _NEWLINES.sub(" ", printable(text))
    longest = max((len(run) for run in _BACKTICKS.findall(flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def fenced(text: str, lang: str = "") -> str:
    """A fenced code block whose fence is longer than any backtick run in `text`."""
    text = printable(text)
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text.rstrip()}\n{fence}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines
