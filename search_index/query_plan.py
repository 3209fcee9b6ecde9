"""What a search means, decided once for every engine: which fields, which boosts, which filters.

The semantics (the contract suite checks them on every engine):

- the text is parsed (:mod:`search_index.query_text`: words, ``"phrases"``, ``-exclusions``,
  ``OR``), never handed to an engine's query parser;
- every clause must match somewhere in the record: in any language version of the title,
  summary or text (original, reviewed or machine), or in the language-neutral ``names`` field;
  clauses may match in different fields and languages;
- a clause matches when one of its options does; an option (a word, or a phrase) is analysed by
  each field's own analyzer; a typed word of five letters or more also matches one edit away;
  vocabulary terms (with a language) only match that language's fields; an option of several
  words that is not a phrase (typed words the vocabulary recognised together) needs each word
  somewhere in the record, as the words typed alone would;
- Chinese is indexed as overlapping bigrams, and a reader types words without spaces: a run of
  four Chinese characters or more needs three quarters of its bigrams, not all (« 长江禁渔 »
  finds « 长江十年禁渔 »; the bigram « 江禁 » across two words is in no text);
- a country's ISO code (from the vocabulary) matches the record's government and country
  entities, and a clearing-house's code (``ABS``, ``BCH``, ``CHM``, from a concept such as
  « APA ») the records of that clearing-house, whose every record is about it;
- each translation of the query (``alternatives``) is another way to match: all its words in
  that language's fields;
- the page language never decides what is found, only ranking: the reader's language's fields
  weigh more, and records written in it come first among equals; a word typed with accents
  (« pêche ») also scores in the unfolded fields, so its exact form ranks above the forms that
  only fold to it (« péché », « peche »);
- filters are OR within a facet and AND across facets; entity filters are one facet per entity
  type (``country:br`` AND ``target:aichi-11``; two countries OR); a facet's own selection does not
  narrow its counts, and a selected value is always listed.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from analyzers.folding import is_han
from record_catalogue.languages import UN_LANGUAGES, UNDETERMINED
from record_catalogue.record import REALMS
from search_index.base import FILTER_FIELDS, NAMES_BOOST, TEXT_FIELD_BOOSTS, SearchQuery
from search_index.query_text import ParsedText, Term, parse_query_text

READER_LANGUAGE_BOOST = 1.5
ORIGINAL_LANGUAGE_BOOST = 1.0
FUZZY_MIN_LENGTH = 5
FUZZY_BOOST = 0.5
EXACT_FORM_BOOST = 2.0
# Chinese typed without spaces: the share of a word's bigrams a field must hold (rounded down).
HAN_BIGRAM_SHARE = 0.75
HAN_RELAXED_MIN_CHARS = 4
# The language versions a query runs over: the six, and text whose language was not determined.
SEARCHED_LANGUAGES: tuple[str, ...] = (*UN_LANGUAGES, UNDETERMINED)


@dataclass(frozen=True)
class TextField:
    """One field a query runs over: ``names``, or ``<name>`` in one language."""

    name: str
    lang: str | None
    boost: float


def text_fields(reader_lang: str, languages: tuple[str, ...] = SEARCHED_LANGUAGES) -> list[TextField]:
    """Every language version of every text field, and the neutral field, with their boosts."""
    fields = [
        TextField(name, lang, boost * (READER_LANGUAGE_BOOST if lang == reader_lang else 1.0))
        for lang in languages
        for name, boost in TEXT_FIELD_BOOSTS
    ]
    fields.append(TextField("names", None, NAMES_BOOST))
    return fields


def country_code(term: Term) -> str | None:
    """The ISO code a vocabulary term stands for (``und`` and two letters: the vocabulary adds it to
    every country name), or None."""
    if term.lang == "und" and len(term.text) == 2 and term.text.isascii() and term.text.isalpha():
        return term.text.lower()
    return None


def keyword_matches(term: Term) -> list[tuple[str, str]]:
    """``(facet, value)`` pairs a term also matches: a country is found by the record's
    government and its country entities, not only where its name is written; a clearing-house's
    code (written so, in capitals) by the records of that clearing-house."""
    code = country_code(term)
    if code:
        return [("government", code), ("entity", f"country:{code}")]
    if not term.phrase and term.text in REALMS:
        return [("realm", term.text)]
    return []


def words_of(term: Term) -> list[Term]:
    """The words of an option of several words that is not a phrase, each to be found somewhere
    in the record; ``[]`` for a phrase or a single word (matched as one)."""
    words = term.text.split()
    if term.phrase or len(words) < 2:
        return []
    return [Term(word, lang=term.lang) for word in words]


def has_accents(term: Term) -> bool:
    """Whether a typed word holds a Latin letter with an accent or another diacritic (which the
    folded fields lose): its exact form then also scores in the unfolded fields."""
    return (
        term.lang is None
        and not term.phrase
        and any(
            not char.isascii() and char.isalpha() and unicodedata.name(char, "").startswith("LATIN")
            for char in term.text
        )
    )


def han_bigrams_needed(term: Term, bigrams: int) -> int | None:
    """How many of a Chinese word's ``bigrams`` a field must hold when not all (a word of
    ``HAN_RELAXED_MIN_CHARS`` characters or more typed without spaces), else None: all."""
    text = term.text
    if term.phrase or len(text) < HAN_RELAXED_MIN_CHARS or bigrams < 3 or not all(is_han(char) for char in text):
        return None
    return max(2, math.floor(bigrams * HAN_BIGRAM_SHARE))


def fields_for(term: Term, fields: list[TextField]) -> list[TextField]:
    """The fields a term is matched against: a vocabulary term only in its own language's; a
    country code only in the keyword fields (``keyword_matches``), never as a two-letter word."""
    if country_code(term) is not None:
        return []
    if term.lang is None or term.lang == "und":
        return fields
    return [field for field in fields if field.lang == term.lang]


def fuzzy(term: Term) -> bool:
    """Whether a term also matches one edit away: typed words of five letters or more."""
    return not term.phrase and term.lang is None and len(term.text) >= FUZZY_MIN_LENGTH and " " not in term.text


def parsed(query: SearchQuery) -> ParsedText:
    """The query's parsed text (the API parses and expands it; engines parse plain text)."""
    if query.parsed is not None:
        return query.parsed
    return parse_query_text(query.text)


def translation_terms(text: str) -> list[Term]:
    """The words of a machine translation of the query, each required in its language."""
    return [option for clause in parse_query_text(text, max_clauses=1000).required for option in clause.options[:1]]


def filter_groups(query: SearchQuery) -> dict[str, tuple[str, list[str]]]:
    """Each constrained facet as ``key -> (filter field, values)``; entity values one group per
    type (``entity.country``), so types combine with AND and values of one type with OR."""
    groups: dict[str, tuple[str, list[str]]] = {}
    for name in FILTER_FIELDS:
        values = list(dict.fromkeys(str(value) for value in query.filters.get(name, ())))
        if not values:
            continue
        if name == "entity":
            for value in values:
                kind = value.partition(":")[0]
                groups.setdefault(f"entity.{kind}", ("entity", []))[1].append(value)
        else:
            groups[name] = (name, values)
    return groups


def entity_kind(key: str) -> str | None:
    """``country`` for the group key ``entity.country``."""
    return key.partition(".")[2] if key.startswith("entity.") else None


# -- did you mean -----------------------------------------------------------------------------

SPELLING_MIN_LETTERS = 4  # shorter words are not corrected
SPELLING_PREFIX = 1  # the first letter is taken as typed (as the server engines' term suggester does)


def spelling_word(word: str) -> str | None:
    """A typed word as the spelling fields hold words (lower case), or None when it is not one to
    correct: shorter than ``SPELLING_MIN_LETTERS``, or holding anything but letters."""
    lowered = word.lower()
    if len(lowered) < SPELLING_MIN_LETTERS or not all(char.isalpha() for char in lowered):
        return None
    return lowered


def max_edits(word: str) -> int:
    """How far a correction may be: one edit up to five letters, two from six."""
    return 1 if len(word) <= 5 else 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (an adjacent swap is one edit), or ``limit + 1`` once
    it is certain to exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            cost = 0 if char_a == char_b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def closest_word(word: str, candidates: Iterable[tuple[str, int]]) -> str | None:
    """The best correction of ``word`` (lower case) among ``(term, document count)`` pairs from
    the index: the fewest edits within ``max_edits``, then the most documents, then the first in
    alphabetical order; None when none is near. Both engines choose with this one function."""
    limit = max_edits(word)
    best: tuple[int, int, str] | None = None
    for term, count in candidates:
        if term == word or count <= 0 or term[:SPELLING_PREFIX] != word[:SPELLING_PREFIX]:
            continue
        distance = edit_distance(word, term, limit)
        if distance > limit:
            continue
        key = (distance, -count, term)
        if best is None or key < best:
            best = key
    return best[2] if best is not None else None
