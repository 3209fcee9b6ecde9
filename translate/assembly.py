"""Cutting a text into the segments translation works on, and putting translated segments back.

Why a module of its own: the translator assembles a text from what the memory and the model
answered, and curation assembles the same text again later from the memory alone (after a
curator corrected one of its sentences). Both must cut and join in exactly the same way, or a
correction would not find its sentence: the same text always gives the same segments.

A text is first cut into runs (HTML tags are kept as they are, only text between them is
translated), then each text run into pieces (:mod:`translate.segment`): sentences to translate
and the separators between them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from translate.markup import Run, looks_like_html, render, split_markup
from translate.segment import Piece, join_pieces, split_text


def needs_model(text: str) -> bool:
    """Whether a segment has anything to translate (a letter); numbers and codes do not."""
    return any(char.isalpha() for char in text)


@dataclass(frozen=True)
class Layout:
    """How one text is cut up: runs of markup or text, and text runs into pieces."""

    html: bool
    units: tuple[tuple[Run, tuple[Piece, ...] | None], ...]

    @classmethod
    def of(cls, text: str, source: str, html: bool | None = None) -> Layout:
        """The layout of ``text`` written in ``source``: HTML when ``html`` says so, or (None)
        when the text carries tags; a caller that knows the format (a translator's tool sending
        ``format=text``) says it, so that plain text mentioning ``<b>`` stays plain."""
        html = looks_like_html(text) if html is None else html
        runs = split_markup(text) if html else [Run(text, False)]
        units: list[tuple[Run, tuple[Piece, ...] | None]] = []
        for run in runs:
            if run.markup or not run.text.strip():
                units.append((run, None))
            else:
                units.append((run, tuple(split_text(run.text, source))))
        return cls(html, tuple(units))

    def segments(self) -> list[str]:
        """The distinct sentences that need a translation, in order of first appearance."""
        found: dict[str, None] = {}
        for _run, pieces in self.units:
            for piece in pieces or ():
                if piece.translate and needs_model(piece.text):
                    found[piece.text] = None
        return list(found)

    @property
    def translatable(self) -> int:
        """How many pieces are translated (sentences, with those that are only numbers or codes)."""
        return sum(1 for _run, pieces in self.units for piece in pieces or () if piece.translate)

    def fill(self, target: str, value: Callable[[str], str]) -> tuple[str, str]:
        """The text with every sentence replaced by ``value(sentence)``, and its plain text.

        Pieces without a letter are kept as they are; the plain text (runs of text only, without
        markup) is what the language check reads.
        """
        parts: list[str] = []
        plain: list[str] = []
        for run, pieces in self.units:
            if pieces is None:
                parts.append(render(run) if self.html else run.text)
                continue
            values = [value(p.text) if needs_model(p.text) else p.text for p in pieces if p.translate]
            joined = join_pieces(list(pieces), values, target)
            plain.append(joined)
            parts.append(render(run, joined) if self.html else joined)
        return "".join(parts), " ".join(plain)


def segments_of(text: str, source: str, html: bool | None = False) -> list[str]:
    """The distinct sentences of ``text`` that a translation is made of.

    Plain text unless ``html`` says otherwise: the catalogue's texts (what curation and TMX
    imports cut) are plain, and must be cut as the worker cut them, even when they mention a tag.
    """
    if not text.strip():
        return []
    return Layout.of(text, source, html).segments()
