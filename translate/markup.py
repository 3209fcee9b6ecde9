"""Rich text: translate the text between HTML tags and leave the markup exactly as it was.

Why not an HTML parser that rebuilds the document: re-serialising changes attribute quoting,
entities and whitespace, and the markup must come back byte for byte. So the text is cut into
tags (kept verbatim), raw elements whose content is never prose (``script``, ``style``,
``code``, ``pre``, comments; kept verbatim) and text runs, whose entities are decoded before
translation and re-escaped after it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

_TAG = re.compile(
    r"<!--.*?-->"  # comments
    r"|<(script|style|code|pre)\b[^>]*>.*?</\1\s*>"  # elements whose content is not prose
    r"|<!?/?[a-zA-Z][^<>]*>",  # any other tag, doctype
    re.DOTALL | re.IGNORECASE,
)
_LOOKS_LIKE_HTML = re.compile(r"<(/?[a-zA-Z][a-zA-Z0-9]*)(\s[^<>]*)?/?>")


@dataclass(frozen=True)
class Run:
    """A piece of a rich text: markup kept as it is, or text to translate.

    ``raw`` is the piece as it was written; ``text`` is what to translate (entities decoded).
    """

    raw: str
    markup: bool

    @property
    def text(self) -> str:
        return self.raw if self.markup else html.unescape(self.raw)


def looks_like_html(text: str) -> bool:
    """Whether ``text`` carries HTML tags (plain text with a stray ``<`` does not)."""
    return _LOOKS_LIKE_HTML.search(text) is not None


def split_markup(text: str) -> list[Run]:
    """Tags and text runs in order; joining ``render`` of them gives back ``text``."""
    runs: list[Run] = []
    position = 0
    for match in _TAG.finditer(text):
        if match.start() > position:
            runs.append(Run(text[position : match.start()], False))
        runs.append(Run(match.group(0), True))
        position = match.end()
    if position < len(text):
        runs.append(Run(text[position:], False))
    return runs


def render(run: Run, value: str | None = None) -> str:
    """The run as HTML: verbatim, or its translation ``value`` escaped."""
    if run.markup or value is None:
        return run.raw
    return html.escape(value, quote=False)
