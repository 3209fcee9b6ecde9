"""CBD document symbols (``UNEP/CBD/COP/12/11``, ``CBD/SBI/3/2``): names that no stemmer may touch."""

from __future__ import annotations

import re

DOCUMENT_SYMBOL = re.compile(
    r"\b(?:UNEP/CBD|CBD)(?:/[A-Z][A-Za-z\-]*)+(?:/(?:[0-9]+[A-Za-z]?|INF|(?:Add|Rev|Corr)\.[0-9]+))+",
)


def find_symbols(text: str) -> list[str]:
    """Every distinct document symbol in ``text``, in order of appearance."""
    if "CBD/" not in text:  # every symbol has it; a substring test is far cheaper than the scan
        return []
    return list(dict.fromkeys(match.group(0) for match in DOCUMENT_SYMBOL.finditer(text)))
