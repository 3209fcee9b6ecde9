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
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"[\w\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed\u0640]+")
_MARKS = re.compile(r"[\u064b-\u0652\u0640]")
_LETTERS = str.maketrans(
    {"\u0622": "\u0627", "\u0623": "\u0627", "\u0625": "\u0627", "\u0649": "\u064a", "\u0629": "\u0647"}
)
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")

_PREFIXES = ("ال", "وال", "بال", "كال", "فال", "لل", "و")
_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ية", "ه", "ة", "ي")


def normalise(word: str) -> str:
    """Lucene's ArabicNormalizer (with its decimal-digit folding before it)."""
    return _MARKS.sub("", word.lower().translate(_DIGITS)).translate(_LETTERS)


def stem(word: str) -> str:
    """Lucene's ArabicStemmer on a normalised word."""
    for prefix in _PREFIXES:
        if len(prefix) == 1 and len(word) < 4:
            continue
        if len(word) >= len(prefix) + 2 and word.startswith(prefix):
            word = word[len(prefix) :]
            break
    for suffix in _SUFFIXES:
        if len(word) >= len(suffix) + 2 and word.endswith(suffix):
            word = word[: -len(suffix)]
    return word


def tokens(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, term)`` of every word of ``text`` (character offsets)."""
    found: list[tuple[int, int, str]] = []
    for match in _TOKEN.finditer(text):
        term = stem(normalise(match.group()))
        if term:
            found.append((match.start(), match.end(), term))
    return found


def terms(text: str) -> list[str]:
    """The index terms of ``text``."""
    return [term for _, _, term in tokens(text)]


def analysed(text: str) -> str:
    """``text`` as the embedded index stores it: its terms, space-separated."""
    return " ".join(terms(text))
