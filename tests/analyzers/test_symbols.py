"""Document symbols: ``find_symbols`` finds what the pattern's own scan finds."""

from __future__ import annotations

import random

from analyzers.symbols import DOCUMENT_SYMBOL, find_symbols


def _scanned(text: str) -> list[str]:
    """The plain definition: every distinct match of ``finditer``, in order."""
    return list(dict.fromkeys(match.group(0) for match in DOCUMENT_SYMBOL.finditer(text)))


def test_symbols_are_found_as_the_patterns_scan_finds_them_in_random_texts() -> None:
    """``find_symbols`` tries the pattern only where ``CBD/`` occurs: it must find what a scan of
    every position finds, in texts packed with near-symbols (``UNEP/`` glued to words or to the
    end of a symbol, symbols that run into each other, a ``CBD/`` inside a match, word characters
    before one)."""
    pieces = [
        *("UNEP/", "CBD/", "UNEP/CBD/", "CBD", "COP", "SBI", "/", "12", "3a"),
        *("U", "NEP/", "Add.1", "INF", "x", " ", "-"),
    ]
    rng = random.Random(15)
    for _ in range(5000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))
        assert find_symbols(text) == _scanned(text), repr(text)
    text = "See UNEP/CBD/COP/12/11, xCBD/COP/1/2, CBD/SBI/3/2/Add.1 and UNEP/CBD/COP/12/11 again."
    assert find_symbols(text) == ["UNEP/CBD/COP/12/11", "CBD/SBI/3/2/Add.1"] == _scanned(text)
    # A "UNEP/" whose U ends the symbol before it: the next symbol starts at "CBD/", as in a scan.
    text = "CBD/COP/12UNEP/CBD/SBI/3"
    assert find_symbols(text) == ["CBD/COP/12U", "CBD/SBI/3"] == _scanned(text)
