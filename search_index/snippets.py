"""Snippets and highlighted titles as readers see them, the same from every engine.

A snippet is a piece of a longer text: a reader must see where it was cut, so a fragment that
does not start at the text's start gets a leading ellipsis and one that does not reach its end a
trailing one. Engines cut at token boundaries (never mid-word); :func:`cut_at_word` does the same
for the fragments made here. Everything is HTML-escaped with ``<mark>`` as the only markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from search_index.base import HIGHLIGHT_CLOSE, HIGHLIGHT_OPEN

ELLIPSIS = "…"
# How much of a text's start and end is enough to tell whether a fragment touches it.
EDGE_CHARS = 64
_MARKS = re.compile(f"{re.escape(HIGHLIGHT_OPEN)}|{re.escape(HIGHLIGHT_CLOSE)}")


def plain(fragment_html: str) -> str:
    """The text of a highlighted fragment: marks removed, entities decoded."""
    return html.unescape(_MARKS.sub("", fragment_html))


def _core(text: str) -> str:
    """``text`` without the spaces and punctuation around it (a tokenizer drops them from a fragment's
    edges: "forests." ends the text even when the fragment ends at "forests")."""
    start, end = 0, len(text)
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return text[start:end]


def touches(fragment_text: str, head: str, tail: str) -> tuple[bool, bool]:
    """Whether a fragment starts where the text starts and ends where it ends, from the text's
    first and last characters (``head`` and ``tail``; the whole text serves as both)."""
    core = _core(fragment_text)
    if not core:
        return True, True
    return _core(head).startswith(core[:EDGE_CHARS]), _core(tail).endswith(core[-EDGE_CHARS:])


def with_ellipsis(fragment_html: str, at_start: bool, at_end: bool) -> str:
    """The fragment with an ellipsis on each side where the text goes on."""
    fragment_html = fragment_html.strip()
    return f"{'' if at_start else ELLIPSIS}{fragment_html}{'' if at_end else ELLIPSIS}"


def bounded(fragment_html: str, text: str) -> str:
    """A highlighted fragment of ``text`` with ellipses where it was cut."""
    return with_ellipsis(fragment_html, *touches(plain(fragment_html), text, text))


def highlight(text: str, ranges: Sequence[tuple[int, int]]) -> str:
    """``text`` HTML-escaped, with the character ranges (start, end) wrapped in highlight tags."""
    out: list[str] = []
    cursor = 0
    for start, end in sorted(ranges):
        if start < cursor or end <= start:
            continue
        out.append(html.escape(text[cursor:start]))
        out.append(HIGHLIGHT_OPEN + html.escape(text[start:end]) + HIGHLIGHT_CLOSE)
        cursor = end
    out.append(html.escape(text[cursor:]))
    return "".join(out)


def cut_at_word(text: str, begin: int, stop: int, keep: int | None = None) -> tuple[int, int]:
    """``begin`` moved forward and ``stop`` back to the nearest space, so no word is cut in two
    (a span without a space inside is kept as it is: a text in a script written without spaces);
    ``begin`` never moves past ``keep`` (the word the fragment is for)."""
    if begin > 0 and not text[begin - 1].isspace():
        space = text.find(" ", begin, stop if keep is None else keep)
        if space >= 0:
            begin = space + 1
    if stop < len(text) and not text[stop].isspace():
        space = text.rfind(" ", begin, stop)
        if space > begin:
            stop = space
    return begin, stop
