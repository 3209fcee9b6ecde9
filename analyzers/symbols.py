"""CBD document symbols (``UNEP/CBD/COP/12/11``, ``CBD/SBI/3/2``): names that no stemmer may touch."""

from __future__ import annotations

import re

DOCUMENT_SYMBOL = re.compile(
    r"\b(?:UNEP/CBD|CBD)(?:/[A-Z][A-Za-z\-]*)+(?:/(?:[0-9]+[A-Za-z]?|INF|(?:Add|Rev|Corr)\.[0-9]+))+",
)


def find_symbols(text: str) -> list[str]:
    """Every distinct document symbol in ``text``, in order of appearance: what
    ``DOCUMENT_SYMBOL.finditer(text)`` finds.

    Every match begins with ``UNEP/CBD/`` or ``CBD/``, so the pattern is tried only where one
    begins (``str.find``, a C scan), in the order ``finditer`` would try those places, and not
    at every character of the text (the scan cost three quarters of building an index document's
    names; tests/analyzers/test_symbols.py holds this to ``finditer``)."""
    found: dict[str, None] = {}
    end = 0  # where the last match ended: finditer's matches do not overlap
    at = text.find("CBD/")
    while at != -1:
        start = at - 5 if at >= 5 and text.startswith("UNEP/", at - 5) else at
        match = None
        if start >= end:
            match = DOCUMENT_SYMBOL.match(text, start)
        if match is None and start != at:
            match = DOCUMENT_SYMBOL.match(text, at)
        if match is not None:
            found[match.group(0)] = None
            end = match.end()
        at = text.find("CBD/", max(at + 4, end))
    return list(found)
