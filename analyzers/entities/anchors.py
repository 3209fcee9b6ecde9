"""Where the reference and target regexes are tried: only where a word they begin with occurs.

Kept apart from the patterns because what makes this find what a plain scan finds is a property
every pattern here must keep (each match begins with one of its anchor words, none matches the
empty string): :func:`_find` says why that is enough, and the tests check it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Characters that re.IGNORECASE takes for a letter of an anchor but that str.lower() does not
# turn into it ("ſ" for "s", dotless "ı" for "i", old Cyrillic "ᲃ" for "с"), or turns into two
# characters ("İ"), which would shift every offset after it: a text holding one is scanned whole.
# The tests check this list against every code point and every anchor letter.
_CASE_TRAPS = re.compile("[\u0130\u0131\u017f\u1c80-\u1c88]")


def _find_all(haystack: str, anchors: Sequence[str]) -> list[int]:
    """Every offset at which one of ``anchors`` begins in ``haystack`` (overlaps too), in order."""
    found: list[int] = []
    for anchor in anchors:
        at = haystack.find(anchor)
        while at != -1:
            found.append(at)
            at = haystack.find(anchor, at + 1)
    return sorted(set(found)) if len(anchors) > 1 else found


def _find(pattern: re.Pattern[str], text: str, haystack: str | None, anchors: Sequence[str]) -> list[re.Match[str]]:
    """``list(pattern.finditer(text))``, with the pattern tried only where one of ``anchors`` begins.

    Why: a pattern that opens on ``\\b``, an optional group or a case-insensitive letter gives
    ``re`` no prefix to skip ahead with, so ``finditer`` runs the whole pattern at every offset of
    the text, several patterns per text (measured: over a third of the cost of tagging). Every
    match of these patterns begins with one of a few words, which ``str.find`` locates in a
    fraction of the time. The result is the same: ``pattern.match(text, start)`` sees the text
    before ``start`` (``\\b``, look-behinds) and after the match (look-aheads) as the scan does,
    the scan could only have matched at an anchor, and going on from the end of each match is what
    ``finditer`` does (no pattern here matches the empty string).

    ``haystack`` is ``text``, or for a case-insensitive pattern with lower-case anchors
    ``text.lower()`` (see :func:`_lower_haystack`); None, or no anchors, is the plain scan.
    """
    if haystack is None or not anchors:
        return list(pattern.finditer(text))
    found: list[re.Match[str]] = []
    end = 0
    for start in _find_all(haystack, anchors):
        if start >= end:
            match = pattern.match(text, start)
            if match:
                found.append(match)
                end = match.end()
    return found


def _lower_haystack(text: str, lower: str) -> str | None:
    """``lower`` (``text.lower()``) if case-insensitive anchors can be looked for in it; else None."""
    if len(lower) != len(text) or _CASE_TRAPS.search(text):
        return None
    return lower
