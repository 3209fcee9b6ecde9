"""What the reader typed, as structure: words, phrases, exclusions and ``OR`` (never engine syntax).

The search box accepts a small, forgiving language, and nothing typed is ever handed to an
engine's query parser; the engines build their queries from a :class:`ParsedText`:

- whitespace (any Unicode space, the ideographic space included) separates words; the text is
  NFC-normalised first, and invisible characters (bidi marks, zero-width spaces, soft hyphens,
  lone surrogates, control characters) are dropped or read as spaces;
- ``"exact phrase"`` is a phrase: these words, adjacent, in this order. Straight quotes, curly
  quotes (“…”, ”…”, „…“), guillemets («…», »…«), full-width quotes and corner brackets
  (「…」, 『…』) all work. A quote with no closing partner is dropped (to ``ignored``) and the
  rest read as ordinary words;
- ``-word`` and ``-"a phrase"`` exclude: no record containing them. A lone ``-`` is ignored, and
  a ``-`` inside a word (``MON-ØØ81Ø-6``, ``co-operation``) is part of it;
- ``a OR b`` (upper-case ``OR``, between two words or phrases) is one clause with both options;
  ``a OR b OR c`` chains. An ``OR`` with nothing on one side (leading, trailing, doubled, next to
  an exclusion) is ignored; lower-case ``or`` is an ordinary word;
- a word with no letter and no digit (``*``, ``:``, ``&&``, ``()``, an emoji) is ignored: no
  analyzer would make a token of it. Symbols with letters or digits stay (``XI/2``, ``COP-15``,
  ``UNEP/CBD/COP/12/11``);
- stop words are kept: the engines decide what to do with a query of only stop words.

A query of more than ``max_clauses`` terms raises :class:`QueryTextError` (a ``ValueError``: the
API answers 422). What counts is every term the engines must match: each option of each clause
(``a OR b`` is two) and each exclusion. No other input raises.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from record_catalogue.errors import BadInput

DEFAULT_MAX_CLAUSES = 32

# An opening quote and the characters that close it.
_QUOTES: dict[str, str] = {
    '"': '"“”＂',
    "＂": '"“”＂',
    "“": '”“"',
    "”": '”“"',
    "„": '“”"',
    "«": "»",
    "»": "«»",
    "「": "」",
    "『": "』",
}
_DASHES = "-−－"  # hyphen-minus, minus sign, full-width hyphen-minus
_OR = "OR"
_KEEP_FORMAT = frozenset("\u200c\u200d")


class QueryTextError(BadInput, ValueError):
    """The text cannot be searched as typed (too many terms); the message says what to change."""

    error_code = "invalid_query"


@dataclass(frozen=True)
class Term:
    """A word, or the words of a phrase / vocabulary term, as typed or as in the vocabulary."""

    text: str
    phrase: bool = False  # True: these words adjacent and in this order
    lang: str | None = None  # the term's language when known (vocabulary terms); None: typed by the reader


@dataclass(frozen=True)
class Clause:
    """One thing the record must contain: at least one of ``options``."""

    options: tuple[Term, ...]
    typed: str  # what the reader typed for this clause (for ``interpretation``)


@dataclass(frozen=True)
class ParsedText:
    """The query text as structure: every required clause must match, no excluded term may."""

    required: tuple[Clause, ...]
    excluded: tuple[Term, ...] = ()
    ignored: tuple[str, ...] = ()  # operators/pieces dropped: a lone "-", an unbalanced quote, a trailing OR


def _clean(text: str) -> str:
    """NFC, with control characters and lone surrogates as spaces and invisible format characters
    dropped (a zero-width space separates words)."""
    if not text.isascii():
        text = "".join(_clean_char(ch) for ch in text)
        text = unicodedata.normalize("NFC", text)
    elif not text.isprintable():
        text = "".join(_clean_char(ch) for ch in text)
    return text


def _clean_char(ch: str) -> str:
    if ch.isprintable() or ch.isspace() or ch in _KEEP_FORMAT:
        return ch
    if ch == "\u200b":
        return " "
    category = unicodedata.category(ch)
    if category == "Cf":
        return ""
    return " "  # Cc, Cs (lone surrogates), Co, Cn


def _searchable(text: str) -> bool:
    """Whether an analyzer would make a token of ``text``: it holds a letter or a digit."""
    return any(ch.isalnum() for ch in text)


@dataclass
class _Unit:
    kind: str  # "term" | "not" | "or" | "ignored"
    term: Term | None
    typed: str


def _lex(text: str) -> list[_Unit]:
    units: list[_Unit] = []

    def ignore(piece: str) -> None:
        units.append(_Unit("ignored", None, piece))

    n = len(text)
    pos = 0
    hopeless: dict[str, int] = {}
    while pos < n:
        ch = text[pos]
        if ch.isspace():
            pos += 1
            continue
        negate = False
        dash = ""
        if ch in _DASHES:
            end = pos
            while end < n and text[end] in _DASHES:
                end += 1
            if end == n or text[end].isspace():
                ignore(text[pos:end])  # a lone "-"
                pos = end
                continue
            negate, dash, pos, ch = True, text[pos:end], end, text[end]
        if ch in _QUOTES:
            close = _closing(text, pos, hopeless)
            if close >= 0:
                inner = " ".join(text[pos + 1 : close].split())
                typed = text[pos : close + 1]
                pos = close + 1
                if _searchable(inner):
                    units.append(_Unit("not" if negate else "term", Term(inner, phrase=True), dash + typed))
                else:
                    ignore(dash + typed)
                continue
            ignore(ch)  # an unbalanced quote: the rest is ordinary words
            pos += 1
            if negate and (pos == n or text[pos].isspace() or text[pos] in _QUOTES):
                ignore(dash)
                continue
        start = pos
        while pos < n and not text[pos].isspace() and text[pos] not in _QUOTES:
            pos += 1
        word = text[start:pos]
        if not word:
            continue
        if word == _OR and not negate:
            units.append(_Unit("or", None, word))
        elif not _searchable(word):
            ignore(dash + word)
        else:
            units.append(_Unit("not" if negate else "term", Term(word), dash + word))
    return units


_CLOSERS = {opener: re.compile("[" + re.escape(closers) + "]") for opener, closers in _QUOTES.items()}


def _closing(text: str, start: int, hopeless: dict[str, int]) -> int:
    """The index of the quote closing the one at ``start``, or -1.

    ``hopeless`` remembers, per opening quote, a position after which no closing quote exists, so
    that a text of thousands of unbalanced quotes is still read in linear time.
    """
    opener = text[start]
    if start >= hopeless.get(opener, len(text) + 1):
        return -1
    found = _CLOSERS[opener].search(text, start + 1)
    if found is None:
        hopeless[opener] = start
        return -1
    return found.start()


def parse_query_text(text: str, max_clauses: int = DEFAULT_MAX_CLAUSES) -> ParsedText:
    """The structure of what the reader typed (see the module docstring for the rules).

    Raises :class:`QueryTextError` when the text holds more than ``max_clauses`` terms.
    """
    ignored: list[str] = []
    units = _lex(_clean(text or ""))
    clauses: list[tuple[list[Term], list[str]]] = []
    excluded: list[Term] = []
    after_term = False  # the previous unit was a word or phrase (an OR may follow)
    pending_or: int | None = None  # where in ``ignored`` an OR waiting for its right-hand unit goes if dropped
    for unit in units:
        if unit.kind == "ignored":
            ignored.append(unit.typed)
            continue
        if unit.kind == "or":
            if after_term and pending_or is None:
                pending_or = len(ignored)
            else:
                ignored.append(unit.typed)
            continue
        assert unit.term is not None
        if unit.kind == "not":
            if pending_or is not None:
                ignored.insert(pending_or, _OR)
                pending_or = None
            excluded.append(unit.term)
            after_term = False
            continue
        if pending_or is not None:
            options, typed = clauses[-1]
            if unit.term not in options:
                options.append(unit.term)
                typed.append(unit.typed)
            pending_or = None
        else:
            clauses.append(([unit.term], [unit.typed]))
        after_term = True
    if pending_or is not None:
        ignored.insert(pending_or, _OR)
    terms = sum(len(options) for options, _typed in clauses) + len(excluded)
    if terms > max_clauses:
        raise QueryTextError(
            f"the query has {terms} search terms; at most {max_clauses} are allowed "
            "(each word, phrase, OR alternative and -exclusion counts): shorten it"
        )
    return ParsedText(
        required=tuple(Clause(tuple(options), " OR ".join(typed)) for options, typed in clauses),
        excluded=tuple(dict.fromkeys(excluded)),
        ignored=tuple(ignored),
    )
