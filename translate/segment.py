"""Split text into sentences per language, and put translated sentences back together.

Why our own splitter: translation memory and batching work on sentences, so the split must be
deterministic (the same text always gives the same segments, or the memory misses) and must not
download anything (Argos' own splitters need Stanza or MiniSBD models fetched at run time).
Rules are per language: Latin and Cyrillic scripts end a sentence at ``. ! ? …`` followed by a
space and a capital, digit or opening quote, except after known abbreviations and initials;
Chinese ends at ``。！？；…`` with no space needed; Arabic at ``. ! ? ؟ ؛ ۔``. Paragraph breaks
always split. A sentence longer than ``max_chars`` (models truncate long inputs) is cut at the
last clause punctuation, else the last space, before the limit.

A text becomes a list of :class:`Piece`: the sentences to translate and, between them, the
exact whitespace (or nothing) that separated them, so joining the pieces gives back the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CHARS = 400


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that end with a period without ending a sentence (lower case, without the final period).
ABBREVIATIONS: dict[str, frozenset[str]] = {
    "en": _words(
        "mr mrs ms dr prof st no nos vol vols art arts para paras fig figs e.g i.e etc cf al approx dept "
        "inc ltd co corp jan feb mar apr jun jul aug sep sept oct nov dec rev sec ed eds p pp op ca"
    ),
    "fr": _words("m mm mme mlle dr pr st ste no art al p pp éd cf env etc ex vol chap fig p.ex n°"),
    "es": _words("sr sra srta dr dra lic ud uds art núm no p pp etc ej p.ej vol cap fig aprox dña"),
    "ru": _words("г гг т.е т.д т.п др пр см ст п пп рис им ул д тыс млн млрд руб"),
}
_OPENERS = "\"'“‘«(¿¡["
_CLOSERS = "\"'”’»)]"
_LATIN_END = re.compile(rf"[.!?…]+[{re.escape(_CLOSERS)}]*(?=\s+(?:[{re.escape(_OPENERS)}]\s*)*(\w))")
_ARABIC_END = re.compile(rf"[.!?؟؛۔]+[{re.escape(_CLOSERS)}]*(?=\s+\S)")
_CJK_END = re.compile(r"[。！？；…]+[”’」』）)]*|[.!?]+(?=\s+\S)")
_CLAUSE = re.compile(r"[,;:،，、；]\s*")
_PARAGRAPH = re.compile(r"(\s*\n\s*)")


@dataclass(frozen=True)
class Piece:
    """A sentence to translate (``translate=True``) or the separator kept as it is."""

    text: str
    translate: bool


def split_text(text: str, language: str, max_chars: int = MAX_CHARS) -> list[Piece]:
    """The pieces of ``text``: ``"".join(p.text for p in pieces) == text`` always holds."""
    pieces: list[Piece] = []
    for part in _PARAGRAPH.split(text):
        if not part:
            continue
        if not part.strip():
            pieces.append(Piece(part, False))
            continue
        lead = part[: len(part) - len(part.lstrip())]
        trail = part[len(part.rstrip()) :]
        if lead:
            pieces.append(Piece(lead, False))
        for index, sentence in enumerate(split_sentences(part.strip(), language)):
            if index:
                gap_end = len(sentence) - len(sentence.lstrip())
                if gap_end:
                    pieces.append(Piece(sentence[:gap_end], False))
                sentence = sentence[gap_end:]
            for chunk_index, chunk in enumerate(chunk_long(sentence, max_chars, language)):
                if chunk_index:
                    gap_end = len(chunk) - len(chunk.lstrip())
                    if gap_end:
                        pieces.append(Piece(chunk[:gap_end], False))
                    chunk = chunk[gap_end:]
                if chunk:
                    pieces.append(Piece(chunk, True))
        if trail:
            pieces.append(Piece(trail, False))
    return pieces


def split_sentences(paragraph: str, language: str) -> list[str]:
    """Sentences of one paragraph; each after the first keeps its leading whitespace."""
    if language == "zh":
        pattern = _CJK_END
    elif language == "ar":
        pattern = _ARABIC_END
    else:
        pattern = _LATIN_END
    abbreviations = ABBREVIATIONS.get(language, frozenset())
    sentences: list[str] = []
    start = 0
    for match in pattern.finditer(paragraph):
        end = match.end()
        if pattern is _LATIN_END:
            following = match.group(1)
            if not (following.isupper() or following.isdigit()):
                continue  # "e.g. the", "approx. five": a sentence starts with a capital or a number
            if _is_abbreviation(paragraph[start : match.start() + 1], abbreviations):
                continue
        if end >= len(paragraph):
            break
        sentences.append(paragraph[start:end])
        start = end
    sentences.append(paragraph[start:])
    return [s for s in sentences if s.strip()]


def _is_abbreviation(text: str, abbreviations: frozenset[str]) -> bool:
    """Whether the period ending ``text`` ends an abbreviation or an initial, not a sentence."""
    if not text.endswith("."):
        return False
    words = text[:-1].split()
    if not words:
        return False
    word = words[-1].lstrip(_OPENERS).lower()
    if len(word) == 1 and word.isalpha():
        return True  # an initial: "J. Smith", "p. 4"
    return word in abbreviations or word.replace(".", "") in abbreviations


def chunk_long(sentence: str, max_chars: int, language: str) -> list[str]:
    """Cut a sentence longer than ``max_chars`` into chunks (each after the first keeps its space)."""
    chunks: list[str] = []
    rest = sentence
    while len(rest) > max_chars:
        window = rest[:max_chars]
        cut = 0
        for match in _CLAUSE.finditer(window):
            if match.end() >= max_chars // 3:
                cut = match.end()
        if not cut and language != "zh":
            space = window.rfind(" ")
            cut = space if space > max_chars // 3 else 0
        if not cut:
            cut = max_chars
        head, rest = rest[:cut], rest[cut:]
        chunks.append(head.rstrip())
        rest = head[len(head.rstrip()) :] + rest
    chunks.append(rest)
    return [c for c in chunks if c.strip()]


def join_pieces(pieces: list[Piece], translations: list[str], target_language: str) -> str:
    """Put a text back together, each translatable piece replaced by its translation in order.

    Chinese is written without spaces between sentences: a plain-space separator between two
    translated sentences is dropped when the target is Chinese (line breaks are kept).
    """
    out: list[str] = []
    values = iter(translations)
    for index, piece in enumerate(pieces):
        if piece.translate:
            out.append(next(values))
        elif (
            target_language == "zh"
            and "\n" not in piece.text
            and 0 < index < len(pieces) - 1
            and pieces[index - 1].translate
            and pieces[index + 1].translate
        ):
            continue
        else:
            out.append(piece.text)
    return "".join(out)
