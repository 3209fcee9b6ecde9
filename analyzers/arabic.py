"""Arabic analysis for the embedded engine, the same as Elasticsearch's and OpenSearch's.

Why in Python: Tantivy has no Arabic normaliser, and its Snowball Arabic stemmer treats a word
with and without the article differently (``بيولوجي`` loses its first letter as if it were the
preposition "bi-", ``البيولوجي`` does not), so « تنوع بيولوجي » missed « التنوع البيولوجي ». The
server engines run Lucene's ``arabic_normalization`` and ``arabic_stem`` filters; this module does
what those two do, rule for rule, so one query finds the same records on every engine:

- normalisation: hamza and madda forms of alef to bare alef, alef maksura to ya, ta marbuta to
  ha, tatweel and the short-vowel marks (tashkeel) removed;
- light stemming: one prefix (the article ال and its attached forms وال بال كال فال لل, or و on
  words of four letters or more), then the suffixes ها ان ات ون ين يه ية ه ة ي, each once, in that
  order, never leaving fewer than two letters.

One addition on both engines (:func:`stems`): Lucene strips a leading و ("and") from every word
of four letters or more, but و is also the first letter of many words (``وطنية`` "national",
``وزارة`` "ministry"): ``وطنية`` stemmed to ``طن`` while ``الوطنية`` stemmed to ``وطن``, so « لجنة
وطنية » missed « اللجنة الوطنية ». A word starting with و (not وال) therefore gets two terms at
the same position: Lucene's stem and the stem with its و kept. A query word gets both too, as
alternatives, so each spelling meets the other whichever way its و is read. The server engines
do it with a ``multiplexer`` filter (:func:`analyzers.analysis.elasticsearch_analysis`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

_TOKEN = re.compile(r"[\w\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed\u0640]+")
_MARKS = re.compile(r"[\u064b-\u0652\u0640]")
_LETTERS = str.maketrans(
    {"\u0622": "\u0627", "\u0623": "\u0627", "\u0625": "\u0627", "\u0649": "\u064a", "\u0629": "\u0647"}
)
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")

WAW = "و"
_WAW_ARTICLE = "وال"
_PREFIXES = ("ال", _WAW_ARTICLE, "بال", "كال", "فال", "لل", WAW)
_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ية", "ه", "ة", "ي")


def normalise(word: str) -> str:
    """Lucene's ArabicNormalizer (with its decimal-digit folding before it)."""
    return _MARKS.sub("", word.lower().translate(_DIGITS)).translate(_LETTERS)


def _suffixes(word: str) -> str:
    for suffix in _SUFFIXES:
        if len(word) >= len(suffix) + 2 and word.endswith(suffix):
            word = word[: -len(suffix)]
    return word


def stem(word: str) -> str:
    """Lucene's ArabicStemmer on a normalised word."""
    for prefix in _PREFIXES:
        if len(prefix) == 1 and len(word) < 4:
            continue
        if len(word) >= len(prefix) + 2 and word.startswith(prefix):
            word = word[len(prefix) :]
            break
    return _suffixes(word)


def stems(word: str) -> tuple[str, ...]:
    """The terms of a normalised word at its position: Lucene's stem, then, for a word starting
    with و (not وال), the stem with its و kept (only when it differs)."""
    lucene = stem(word)
    if not word.startswith(WAW) or word.startswith(_WAW_ARTICLE):
        return (lucene,) if lucene else ()
    kept = _suffixes(word)
    return tuple(dict.fromkeys(term for term in (lucene, kept) if term))


@lru_cache(maxsize=65536)
def word_terms(word: str) -> tuple[str, ...]:
    """The terms of one word as written (normalised, then :func:`stems`); kept, since the same
    words come back in every text and query."""
    return stems(normalise(word))


def iter_tokens(text: str) -> Iterator[tuple[int, int, tuple[str, ...]]]:
    """``(start, end, terms)`` of each word of ``text`` in turn (character offsets; one or two terms)."""
    for match in _TOKEN.finditer(text):
        terms = word_terms(match.group())
        if terms:
            yield match.start(), match.end(), terms


def tokens(text: str) -> list[tuple[int, int, tuple[str, ...]]]:
    """``(start, end, terms)`` of every word of ``text``."""
    return list(iter_tokens(text))


def positions(text: str) -> list[tuple[str, ...]]:
    """The index terms of ``text``, position by position (each position one or two terms)."""
    return [terms for _, _, terms in tokens(text)]


def terms(text: str) -> list[str]:
    """Every index term of ``text`` (both terms of a two-term position)."""
    return [term for _, _, found in tokens(text) for term in found]


ARTICLES = ("وال", "بال", "كال", "فال", "لل", "ال")


def prefix_forms(word: str) -> tuple[str, ...]:
    """What a word still being typed may begin an index term with (completions as you type): the
    normalised word without its article, not stemmed (the rest of the word is still coming:
    « الت » begins « تقرير », the term of « التقرير »), and its terms as if it were complete."""
    normalised = normalise(word)
    bare = normalised
    for article in ARTICLES:
        if normalised.startswith(article) and len(normalised) > len(article):
            bare = normalised[len(article) :]
            break
    return tuple(dict.fromkeys(form for form in (bare, *stems(normalised)) if form))
