"""Entity tagging: what a CBD record talks about, found in any of the six UN languages.

Entities become facets (``entity=country:br``, ``entity=target:aichi-11``), so the one thing that
matters most is that the same thing gets the same id whatever language the text is in. Every
entity is ``type:id``:

- ``country:br``: ISO 3166-1 alpha-2, lower case (``eu`` for the European Union, a Party);
  PhraseMatcher on names and adjectives (:mod:`analyzers.gazetteer`).
- ``symbol:unep-cbd-wgri-5-3-add.1``: the document symbol, lower case, ``/`` -> ``-``;
  :data:`analyzers.symbols.DOCUMENT_SYMBOL`.
- ``decision:cop-xi-2``, ``decision:cp-ix-2``, ``decision:np-iii-1``: per-language keyword regexes.
- ``target:aichi-1`` .. ``target:aichi-20``, ``target:gbf-1`` .. ``target:gbf-23``: per-language
  regexes; other numbers are not targets.
- ``treaty:cbd``, ``treaty:cartagena``, ``treaty:nagoya``: PhraseMatcher (gazetteer).
- ``org:unep``, ``org:fao``, ...: PhraseMatcher (gazetteer); with a statistical model installed,
  its ORG entities too, with a slug of their text as id.
- ``species:zea-mays``: a conservative binomial regex (below).

Decisions are canonical in one form whatever the text wrote: the meeting number in lower-case
roman numerals. COP decisions were numbered ``XIII/5`` up to COP 13 and ``14/8`` from COP 14,
the Cartagena Protocol's ``BS-V/16`` then ``CP-VIII/1`` then ``CP-9/2``, the Nagoya Protocol's
``NP-3/1``; so ``décision 14/8`` is ``decision:cop-xiv-8`` and ``BS-V/16`` is ``decision:cp-v-16``.
:func:`entity_label` writes them back the way each body numbers them.

Why spaCy with blank pipelines: tokenisation that knows each language (French elision
``d'Aichi``, Chinese by character so that ``巴西`` is found in ``巴西政府``) and a PhraseMatcher
that matches thousands of names in one pass over the tokens, with no model download. Matching
is on a custom ``NORM`` computed once per vocabulary entry (so it costs nothing per token):
lower case without accents for en/es/fr; for Russian a light suffix stripper so that
``Бразилии``, ``Бразилию`` and ``Бразилия`` meet; for Arabic letter-variant folding (أ/إ/آ,
ى/ي, ة/ه, vowel marks) and clitic stripping (``وبالبرازيل`` -> ``البرازيل``) limited to words
the gazetteer knows. Numbers-with-context (symbols, decisions, targets) are regexes: they are
patterns, not names.

Species are accepted only with evidence, because "The maize" and "See annex" look like
binomials: a capitalised genus and a lower-case epithet count when the genus is in a small list
of genera common in CBD records, or the pair stands alone in parentheses ("maize (Zea mays)",
optionally with an authority, "(Solanum tuberosum L.)"), or in ``<i>``/``<em>`` markup; once a
binomial is accepted, its other occurrences in the same text count too.

Proper nouns must be written as such (the match may not be all lower case: "turkey" is a bird,
"l'équateur" a line); acronyms match case-sensitively ("CITES", not "cites"); an adjective that
is also a language name is dropped next to a language cue ("in French and Spanish", "versión en
español"). Chinese is matched character by character, which finds ``巴西`` inside ``巴西政府``
but also ``中国`` inside ``发展中国家``: such compounds are blockers.

Overlaps are resolved longest first ("Cartagena Protocol on Biosafety" is one treaty; "Papua
New Guinea" is not also Guinea); phrases such as "Indian Ocean" or "noix du Brésil" are
blockers that win and are then dropped.
"""

from __future__ import annotations

import bisect
import contextlib
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from analyzers import gazetteer
from analyzers.symbols import DOCUMENT_SYMBOL
from record_catalogue.languages import UN_LANGUAGES

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

__all__ = [
    "ENTITY_TYPES",
    "UN_LANGUAGES",
    "Entity",
    "EntityTagger",
    "entities_from_term_ids",
    "entity_label",
    "installed_ner_model",
]

ENTITY_TYPES = ("country", "symbol", "decision", "target", "treaty", "org", "species")
AICHI_TARGETS = range(1, 21)
GBF_TARGETS = range(1, 24)
# spaCy refuses texts over nlp.max_length (1,000,000) and a Doc costs ~100 bytes a token; texts
# are cut at a line or sentence end near this size, and the pieces tagged as one text.
CHUNK_CHARS = 100_000
BATCH_SIZE = 64
# The vocabulary and the tokenizer's cache grow with every new word, and are what make the
# tokenizer fast (several times faster on known words than with spaCy's memory zones, which
# forget them after each batch). A pipeline whose vocabulary passes this size is rebuilt (a
# fraction of a second), which bounds what a long ingest holds to about 60 MB per language
# (measured: ~580 bytes a lexeme with its strings and cache entry).
MAX_LEXEMES = 100_000
TOKENIZER_CACHE = 100_000
MEETINGS = range(1, 31)

# Among candidates of the same length the lower number wins.
_PRIORITY = {
    gazetteer.BLOCK: -1,
    "symbol": 0,
    "decision": 1,
    "target": 2,
    "treaty": 3,
    "org": 4,
    "country": 5,
    "species": 6,
}
_NER_PRIORITY = 9


class Entity(NamedTuple):
    """One mention of an entity: its type and canonical id, and where it is in the text.

    A named tuple: ingest makes about eleven per record, and a frozen dataclass costs several
    times as much to create."""

    type: str
    id: str
    text: str
    start: int
    end: int

    @property
    def key(self) -> str:
        """``type:id``, the value of the ``entity`` facet."""
        return f"{self.type}:{self.id}"


class _Candidate(NamedTuple):
    start: int
    end: int
    type: str
    id: str
    priority: int


# ---------------------------------------------------------------------------------------------
# Text folding (one character for one, so that offsets stay those of the input)


def _fold_table() -> dict[int, str]:
    table = {code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}  # full-width ASCII
    table.update({0x0660 + i: str(i) for i in range(10)})  # Arabic-Indic digits
    table.update({0x06F0 + i: str(i) for i in range(10)})  # extended Arabic-Indic digits
    for dash in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63":
        table[ord(dash)] = "-"
    table.update({0x2019: "'", 0x02BC: "'", 0x00A0: " ", 0x3000: " ", 0x202F: " "})
    return table


_FOLD = _fold_table()
_FOLD_CHARS = {chr(code): folded for code, folded in _FOLD.items()}
_FOLDABLE = re.compile("[" + "".join(re.escape(char) for char in sorted(_FOLD_CHARS)) + "]")


def _fold_match(match: re.Match[str]) -> str:
    return _FOLD_CHARS[match.group()]


def _fold(text: str) -> str:
    """``text.translate(_FOLD)``, for a fraction of the cost.

    ``str.translate`` looks every character up in the table (~0.1 µs each outside ASCII), while
    most texts hold no character that folds, and the rest a few (a Chinese "，"): a regex finds
    them in one C pass, and ASCII text, which no entry folds, is not scanned at all.
    """
    if text.isascii():
        return text
    return _FOLDABLE.sub(_fold_match, text)


# ---------------------------------------------------------------------------------------------
# Per-language NORM: computed once per vocabulary entry


def _latin_norm(word: str) -> str:
    word = word.lower()
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


_RU_ENDINGS = tuple(
    sorted(
        [
            *("ами", "ями", "ого", "его", "ому", "ему", "ыми", "ими"),
            *("ая", "яя", "ое", "ее", "ой", "ей", "ую", "юю", "ые", "ие", "ых", "их", "ым", "им", "ый", "ий"),
            *("ом", "ем", "ах", "ях", "ам", "ям", "ов", "ев", "ью"),
            *("а", "я", "о", "е", "ы", "и", "у", "ю", "ь", "й"),
        ],
        key=len,
        reverse=True,
    )
)
_RU_MIN_STEM = 4


def _ru_norm(word: str) -> str:
    """Lower case, ё as е, and one case/number ending off when a stem of four letters remains.

    Crude on purpose: both the gazetteer and the text go through it, so all that matters is that
    the forms of one name meet ("Бразилия/Бразилии/Бразилией" -> "бразили") and that short
    indeclinable names ("Перу", "Мали") are left alone rather than shortened into other words.
    """
    w = word.lower().replace("ё", "е").replace("\u0301", "")  # stress marks in dictionaries
    if len(w) > _RU_MIN_STEM:
        for ending in _RU_ENDINGS:
            if w.endswith(ending) and len(w) - len(ending) >= _RU_MIN_STEM:
                return w[: -len(ending)]
    return w


_AR_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u0640]")
_AR_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})
_AR_PREFIXES = ("و", "ف", "ب", "ل", "ك", "وب", "ول", "فب", "فل", "وك", "فك")
_AR_LAM_LAM = ("لل", "ولل", "فلل")


def _ar_orth(word: str) -> str:
    return _AR_MARKS.sub("", word).translate(_AR_LETTERS)


def _ar_split(word: str, known: frozenset[str] | set[str]) -> tuple[int, str]:
    """(letters of clitic prefix to skip, normalised word) for an Arabic token.

    Conjunctions and prepositions are written attached ("وبالبرازيل" = and-in-the-Brazil); they
    are stripped only when what remains is a word the gazetteer knows, so ordinary words are
    never cut. ``لل`` is ل + ال with the alif dropped: it becomes ال again.
    """
    w = _ar_orth(word)
    if w in known:
        return 0, w
    for prefix in _AR_PREFIXES:
        if w.startswith(prefix) and w[len(prefix) :] in known:
            return len(prefix), w[len(prefix) :]
    for prefix in _AR_LAM_LAM:
        if w.startswith(prefix) and "ال" + w[len(prefix) :] in known:
            return len(prefix) - 2, "ال" + w[len(prefix) :]
    return 0, w


def _ar_skip(original: str, letters: int) -> int:
    """How many characters of ``original`` hold its first ``letters`` letters (marks ride along)."""
    seen = 0
    for index, char in enumerate(original):
        if _AR_MARKS.match(char):
            continue
        if seen == letters:
            return index
        seen += 1
    return len(original)


def _zh_norm(word: str) -> str:
    return unicodedata.normalize("NFKC", word).lower()


# Words around an adjective that make it a language name ("in French", "versión en español"),
# reached across lists of language names ("in English, French and Spanish").
_LANGUAGE_WORDS = {
    "en": {"english", "arabic", "chinese", "french", "russian", "spanish"},
    "fr": {"anglais", "anglaise", "arabe", "chinois", "chinoise", "français", "française", "russe", "espagnol"},
    "es": {"inglés", "inglesa", "árabe", "chino", "china", "francés", "francesa", "ruso", "rusa", "español"},
    "ru": {"английском", "арабском", "китайском", "французском", "русском", "испанском"},
    "ar": {"الإنكليزية", "الإنجليزية", "العربية", "الصينية", "الفرنسية", "الروسية", "الإسبانية"},
    "zh": set(),
}
_LIST_WORDS = {",", "/", "and", "or", "et", "ou", "y", "o", "e", "u", "и", "или", "و", "أو", "、"}
_LANGUAGE_CUES: dict[str, tuple[set[str], set[str]]] = {
    "en": ({"in", "into", "from"}, {"version", "versions", "translation", "translations", "language", "text"}),
    "fr": ({"en", "version", "versions", "traduction", "langue", "texte"}, set()),
    "es": ({"en", "versión", "versiones", "traducción", "idioma", "lengua", "texto"}, set()),
    "ru": ({"на", "с"}, {"язык", "языке", "языка", "языком", "версия", "версии", "перевод"}),
    "ar": ({"باللغة", "اللغة", "بلغة", "لغة", "النسخة", "الترجمة"}, set()),
    "zh": (set(), set()),
}


# ---------------------------------------------------------------------------------------------
# Regex extractors: symbols, decisions, targets, species

_ROMAN = re.compile(r"^M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
_ROMAN_VALUES = (
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
)


def _to_roman(number: int) -> str:
    out = []
    for value, letters in _ROMAN_VALUES:
        count, number = divmod(number, value)
        out.append(letters * count)
    return "".join(out)


def _from_roman(text: str) -> int | None:
    text = text.upper()
    if not text or not _ROMAN.match(text):
        return None
    total, previous = 0, 0
    for char in reversed(text):
        value = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}[char]
        total += -value if value < previous else value
        previous = max(previous, value)
    return total


_REF = r"(?:(?:COP|CP|NP|BS)[- ]?)?(?:[IVXL]{1,7}|\d{1,2})/\d{1,3}(?![\d/])"
_REF_PARTS = re.compile(r"(?:(COP|CP|NP|BS)[- ]?)?([IVXL]{1,7}|\d{1,2})/(\d{1,3})(?![\d/])")
_LIST_SEP = r"\s*(?:,|;|،|、|，|\band\b|\bet\b|\by\b|\bи\b|و|和|及|\bor\b|\bou\b|\bo\b|\bили\b)\s*"
_REF_LIST = rf"{_REF}(?:{_LIST_SEP}{_REF})*"
_NUMBER_PREFIX = r"(?:(?:No\.?|n[o°º]\.?|№)\s*)?"
_DECISION_WORDS = {
    "en": r"(?i:\bdecisions?)",
    "fr": r"(?i:\bd[ée]cisions?)",
    "es": r"(?i:\bdecisi(?:ón|on|ones))",
    "ru": r"(?i:\bрешени(?:ями|ях|ям|ем|е|я|и|ю|й))",
    "ar": r"(?:ال)?(?:مقرر(?:ات|ين|ان)?|قرار(?:ات)?)",
}
# The words each keyword pattern's matches begin with (see _find): lower case, one per spelling.
_DECISION_ANCHORS = {
    "en": ("decision",),
    "fr": ("décision", "decision"),
    "es": ("decisi",),
    "ru": ("решени",),
    "ar": ("المقرر", "القرار", "مقرر", "قرار"),
}
_DECISIONS: dict[str, list[tuple[re.Pattern[str], tuple[str, ...]]]] = {
    lang: [(re.compile(rf"{word}\s+{_NUMBER_PREFIX}(?P<refs>{_REF_LIST})"), _DECISION_ANCHORS[lang])]
    for lang, word in _DECISION_WORDS.items()
}
_DECISIONS["zh"] = [
    # Opens on "第" or on the reference itself (a digit, a numeral, a prefix): no anchors.
    (re.compile(rf"(?:第\s*)?(?P<refs>{_REF_LIST})\s*号\s*决定"), ()),
    (re.compile(rf"决定\s*(?:第\s*)?(?P<refs>{_REF_LIST})(?!\s*号)"), ("决定",)),
]
_PREFIXED_DECISION = re.compile(r"(?<![\w/\-])(?:CP|NP|BS)-(?:[IVXL]{1,7}|\d{1,2})/\d{1,3}(?![\d/])")
_PREFIXED_CUES = ("CP-", "NP-", "BS-")
_SYMBOL_ANCHORS = ("UNEP/CBD/", "CBD/")
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


# The same few hundred references recur from record to record; bounded all the same, since a text
# may hold any number of made-up ones.
@lru_cache(maxsize=4096)
def _decision_id(prefix: str | None, meeting: str, number: str) -> str | None:
    body = {"CP": "cp", "BS": "cp", "NP": "np"}.get(prefix or "", "cop")
    if meeting.isdigit():
        value: int | None = int(meeting)
        # COP decisions were numbered in roman numerals up to COP 13: "decision 5/3" is not one.
        if body == "cop" and value is not None and value < 14:
            return None
    else:
        value = _from_roman(meeting)
    n = int(number)
    if value is None or value not in MEETINGS or not 1 <= n <= 99:
        return None
    return f"{body}-{_to_roman(value).lower()}-{n}"


def _decisions(text: str, lang: str, lower: str | None) -> list[_Candidate]:
    """Decision references in ``text``; ``lower`` as :func:`_find` takes it."""
    out: list[_Candidate] = []
    for pattern, anchors in _DECISIONS.get(lang, []):
        for match in _find(pattern, text, lower, anchors):
            base, refs = match.start("refs"), match.group("refs")
            for index, ref in enumerate(_REF_PARTS.finditer(refs)):
                ident = _decision_id(ref.group(1), ref.group(2), ref.group(3))
                if ident is None:
                    continue
                # The first reference takes the keyword ("décision 14/8", "第14/8号决定").
                start = match.start() if index == 0 else base + ref.start()
                end = match.end() if index == 0 and ref.end() == len(refs) else base + ref.end()
                out.append(_Candidate(start, end, "decision", ident, _PRIORITY["decision"]))
    for match in _find(_PREFIXED_DECISION, text, text, _PREFIXED_CUES):
        parts = _REF_PARTS.fullmatch(match.group(0))
        if parts:
            ident = _decision_id(parts.group(1), parts.group(2), parts.group(3))
            if ident:
                out.append(_Candidate(match.start(), match.end(), "decision", ident, _PRIORITY["decision"]))
    return out


_ZH_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _number(text: str) -> int | None:
    """An Arabic-digit or Chinese number (一 .. 二十三)."""
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    tens, _, units = text.partition("十")
    if "十" not in text:
        return _ZH_DIGITS.get(text)
    value = (_ZH_DIGITS.get(tens, 0) if tens else 1) * 10
    if units:
        if units not in _ZH_DIGITS:
            return None
        value += _ZH_DIGITS[units]
    return value


_N = r"\d{1,2}(?!\d|[.,]\d|\s*%)"
_NZH = r"(?:\d{1,2}(?!\d|[.,]\d|\s*%)|[一二三四五六七八九十]{1,3})"
_TARGET_SEP = r"\s*(?:,|،|、|，|&|\band\b|\bet\b|\by\b|\bи\b|و|和|及|\bor\b|\bou\b|\bo\b|\bили\b)\s*"
_NL = rf"{_N}(?:{_TARGET_SEP}{_N})*"
_NLZ = rf"{_NZH}(?:{_TARGET_SEP}{_NZH})*"
_NUMBER_IN_LIST = re.compile(r"\d{1,2}|[一二三四五六七八九十]{1,3}")
_KM = r"Kunming[-\s]*Montr[eé]al"
_AICHI_AR = r"[اأإآ]ي(?:ت)?شي"
_KM_AR = r"كونم[يی]?ن[غج]\s*-?\s*مونتريال"

# For each language: (kind, anchors, pattern) in order; GBF first, so that a number it claims is
# not read again as an Aichi target by a looser pattern. The anchors are the words, in lower case,
# that every match of the pattern begins with (see _find).
_TARGET_SOURCES: dict[str, list[tuple[str, tuple[str, ...], str]]] = {
    "en": [
        (
            "gbf",
            ("km", "gbf", "kunming", "global"),
            rf"\b(?:KM-?GBF|GBF|{_KM}\s+(?:Global\s+Biodiversity\s+Framework|GBF|Framework)|Global\s+Biodiversity"
            rf"\s+Framework)(?:'s)?\s+(?:Action\s+)?Targets?\s+{_NUMBER_PREFIX}(?P<nums>{_NL})",
        ),
        (
            "gbf",
            ("action", "target"),
            rf"\b(?:Action\s+)?Targets?\s+(?P<nums>{_NL})\s+(?:of|in|under)\s+the\s+(?:{_KM}\s+(?:Global\s+"
            rf"Biodiversity\s+Framework|GBF)|Global\s+Biodiversity\s+Framework|KM-?GBF|GBF)",
        ),
        ("aichi", ("aichi",), rf"\bAichi\s+(?:Biodiversity\s+)?Targets?\s+{_NUMBER_PREFIX}(?P<nums>{_NL})"),
        ("aichi", ("target",), rf"\bTargets?\s+(?P<nums>{_NL})\s+of\s+the\s+Aichi\s+(?:Biodiversity\s+)?Targets"),
    ],
    "fr": [
        (
            "gbf",
            ("cible", "objectif"),
            rf"\b(?:cibles?|objectifs?)\s+{_NUMBER_PREFIX}(?P<nums>{_NL})\s+du\s+(?:Cadre\s+mondial(?:\s+(?:de|pour)"
            rf"\s+la\s+biodiversit[ée])?(?:\s+de\s+{_KM})?|Cadre\s+de\s+{_KM}|CMB(?:KM)?)",
        ),
        (
            "aichi",
            ("objectif",),
            rf"\bobjectifs?\s+{_NUMBER_PREFIX}(?P<nums>{_NL})\s+(?:des\s+objectifs\s+)?d'\s?Aichi(?:\s+(?:pour|"
            rf"relatifs?\s+à)\s+la\s+(?:biodiversit[ée]|diversit[ée]\s+biologique))?",
        ),
        (
            "aichi",
            ("objectif",),
            rf"\bobjectifs?\s+d'\s?Aichi(?:\s+(?:pour|relatifs?\s+à)\s+la\s+(?:biodiversit[ée]|diversit[ée]\s+"
            rf"biologique))?\s+{_NUMBER_PREFIX}(?P<nums>{_NL})",
        ),
    ],
    "es": [
        (
            "gbf",
            ("meta",),
            rf"\bmetas?\s+{_NUMBER_PREFIX}(?P<nums>{_NL})\s+del\s+(?:Marco\s+(?:Mundial|Global)(?:\s+(?:de|para)\s+"
            rf"(?:la\s+)?(?:Biodiversidad|Diversidad\s+Biol[óo]gica))?(?:\s+de\s+{_KM})?|Marco\s+de\s+{_KM}|MMB(?:KM)?)",
        ),
        (
            "aichi",
            ("meta",),
            rf"\bmetas?\s+{_NUMBER_PREFIX}(?P<nums>{_NL})\s+de\s+Aichi(?:\s+para\s+la\s+(?:Diversidad\s+Biol[óo]gica|"
            rf"biodiversidad))?",
        ),
        (
            "aichi",
            ("meta",),
            rf"\bmetas?\s+de\s+Aichi(?:\s+para\s+la\s+(?:Diversidad\s+Biol[óo]gica|biodiversidad))?\s+"
            rf"{_NUMBER_PREFIX}(?P<nums>{_NL})",
        ),
    ],
    "ru": [
        (
            "gbf",
            ("целев", "задач"),
            rf"(?:\bцелев\w*\s+)?\bзадач\w*\s+{_NUMBER_PREFIX}(?P<nums>{_NL})\s+(?:Куньминско[-\s]*Монреальск\w*"
            rf"(?:\s+глобальн\w*)?(?:\s+рамочн\w*\s+программ\w*)?|глобальн\w*\s+рамочн\w*\s+программ\w*|ГРПБ)"
            rf"(?:\s+в\s+области\s+биоразнообразия)?",
        ),
        (
            "aichi",
            ("айтинск",),
            rf"\bАйтинск\w*\s+(?:целев\w*\s+)?задач\w*(?:\s+в\s+области\s+(?:сохранения\s+)?биоразнообразия|\s+по\s+"
            rf"сохранению\s+и\s+устойчивому\s+использованию\s+биоразнообразия)?\s+{_NUMBER_PREFIX}(?P<nums>{_NL})",
        ),
        (
            "aichi",
            ("целев", "задач"),
            rf"(?:\bцелев\w*\s+)?\bзадач\w*\s+{_NUMBER_PREFIX}(?P<nums>{_NL})[^.;\d]{{0,100}}?\bАйти\w*",
        ),
    ],
    "zh": [
        (
            "gbf",
            ("《", "昆明", "全球", "昆蒙"),
            rf"(?:《\s*)?(?:(?:昆明\s*-\s*蒙特利尔\s*)?全球生物多样性框架|昆蒙框架)(?:\s*》)?\s*(?:的)?\s*(?:行动)?目标\s*"
            rf"(?:第\s*)?(?P<nums>{_NLZ})(?:\s*项)?",
        ),
        ("aichi", ("爱知",), rf"爱知(?:生物多样性)?目标\s*(?:第\s*)?(?P<nums>{_NLZ})(?:\s*项)?"),
        ("aichi", ("第",), rf"第\s*(?P<nums>{_NLZ})\s*项\s*爱知(?:生物多样性)?目标"),
    ],
    "ar": [
        (
            "gbf",
            ("الهدف", "الغاية", "هدف", "غاية"),
            rf"(?:ال)?(?:هدف|غاية)\s+(?:رقم\s+)?(?P<nums>{_NL})\s+(?:من|في)\s+(?:[إا]طار\s+{_KM_AR}(?:\s+العالمي)?|"
            rf"ال[إا]طار\s+العالمي)(?:\s+للتنوع\s+البيولوجي)?",
        ),
        (
            "aichi",
            ("الهدف", "هدف"),
            rf"(?:ال)?هدف\s+(?:رقم\s+)?(?P<nums>{_NL})\s+من\s+(?:[أا]هداف\s+)?{_AICHI_AR}(?:\s+للتنوع\s+البيولوجي)?",
        ),
        (
            "aichi",
            ("الهدف", "الأهداف", "الاهداف", "هدف", "أهداف", "اهداف"),
            rf"(?:ال)?(?:هدف|[أا]هداف)\s+{_AICHI_AR}(?:\s+للتنوع\s+البيولوجي)?\s+(?:رقم\s+)?(?P<nums>{_NL})",
        ),
    ],
}
_TARGETS: dict[str, list[tuple[str, tuple[str, ...], re.Pattern[str]]]] = {
    lang: [(kind, anchors, re.compile(source, re.IGNORECASE)) for kind, anchors, source in sources]
    for lang, sources in _TARGET_SOURCES.items()
}


def _targets(text: str, lang: str, lower: str | None) -> list[_Candidate]:
    """Target references in ``text``; ``lower`` as :func:`_find` takes it."""
    out: list[_Candidate] = []
    claimed: set[int] = set()  # offsets of numbers already read as a target
    for kind, anchors, pattern in _TARGETS.get(lang, []):
        valid = GBF_TARGETS if kind == "gbf" else AICHI_TARGETS
        for match in _find(pattern, text, lower, anchors):
            base = match.start("nums")
            first = True
            for number in _NUMBER_IN_LIST.finditer(match.group("nums")):
                offset = base + number.start()
                value = _number(number.group(0))
                if offset in claimed or value is None or value not in valid:
                    first = False
                    continue
                claimed.add(offset)
                # The first number takes the whole phrase ("objectif 11 d'Aichi"), the others
                # their own digits, so that a list gives one span per target.
                start = match.start() if first else offset
                end = match.end() if first and number.end() == len(match.group("nums")) else base + number.end()
                out.append(_Candidate(start, end, "target", f"{kind}-{value}", _PRIORITY["target"]))
                first = False
    return out


# A capital not preceded by a letter, then the rest of the genus: the look-behind comes after the
# capital, not before it, because a pattern that opens on a character class lets re skip to the
# next capital in C instead of trying the pattern at every offset (twice as fast, same matches).
_BINOMIAL = re.compile(r"([A-Z](?<![A-Za-zÀ-ÿ][A-Z])[a-z]{2,})\s([a-z]{3,})(?![A-Za-zÀ-ÿ\-])")
_AUTHORITY_THEN_CLOSE = re.compile(r"\s*(?:[A-Z][A-Za-z]*\.?(?:\s*(?:&|et|ex)\s*[A-Z][A-Za-z]*\.?)?\s*)?\)")
_LATIN_EPITHET = re.compile(r"(?:a|ae|i|ii|us|um|is|es|ns|x|os|on|or|er|ys|as|ix|ax|ex|ens|ans)$")
_ITALIC_OPEN = re.compile(r"<(?:i|em)>\s*$", re.IGNORECASE)


def _species(text: str) -> list[_Candidate]:
    genera, stop_genus, stop_epithet = _species_sets()
    matches = [m for m in _BINOMIAL.finditer(text) if m.group(1) not in stop_genus and m.group(2) not in stop_epithet]
    if not matches:
        return []
    accepted: set[tuple[str, str]] = set()
    for match in matches:
        genus, epithet = match.group(1), match.group(2)
        if genus in genera:
            accepted.add((genus, epithet))
            continue
        before = text[max(0, match.start() - 8) : match.start()]
        latin = bool(_LATIN_EPITHET.search(epithet))
        in_parentheses = before.rstrip().endswith("(") and _AUTHORITY_THEN_CLOSE.match(text, match.end())
        if latin and (in_parentheses or _ITALIC_OPEN.search(before)):
            accepted.add((genus, epithet))
    return [
        _Candidate(m.start(), m.end(), "species", f"{m.group(1).lower()}-{m.group(2)}", _PRIORITY["species"])
        for m in matches
        if (m.group(1), m.group(2)) in accepted
    ]


@cache
def _species_sets() -> tuple[set[str], set[str], set[str]]:
    data = gazetteer.load_data("species")
    return set(data["genera"]), set(data["stop_genus"]), set(data["stop_epithet"])


# Words without which a regex cannot match, looked for in the lower-cased text first: a
# substring test is far cheaper than a case-insensitive regex scan, and most texts have none.
_DECISION_CUES = {
    "en": ("decision",),
    "fr": ("cision",),
    "es": ("decisi",),
    "ru": ("решени",),
    "ar": ("قرار", "مقرر"),
    "zh": ("决定",),
}
_TARGET_CUES = {
    "en": ("target",),
    "fr": ("objectif", "cible"),
    "es": ("meta",),
    "ru": ("задач",),
    "ar": ("هدف", "هداف", "غاية"),
    "zh": ("目标",),
}


def _regex_candidates(text: str, lang: str) -> list[_Candidate]:
    out: list[_Candidate] = []
    if "CBD/" in text:
        out += [
            _Candidate(m.start(), m.end(), "symbol", m.group(0).lower().replace("/", "-"), _PRIORITY["symbol"])
            for m in _find(DOCUMENT_SYMBOL, text, text, _SYMBOL_ANCHORS)
        ]
    lower = text.lower()
    decisions = any(cue in lower for cue in _DECISION_CUES.get(lang, ())) or any(cue in text for cue in _PREFIXED_CUES)
    targets = any(cue in lower for cue in _TARGET_CUES.get(lang, ()))
    if decisions or targets:
        haystack = _lower_haystack(text, lower)
        if decisions:
            out += _decisions(text, lang, haystack)
        if targets:
            out += _targets(text, lang, haystack)
    out += _species(text)
    return out


# ---------------------------------------------------------------------------------------------
# spaCy pipelines (built once per process and language)


_WHITESPACE_RUN = re.compile(r"(\s+)")


class _ChineseCharTokenizer:
    """spaCy's Chinese tokenizer with its default "char" segmentation: the same Docs, faster.

    ``spacy.lang.zh`` makes a token of each character, then finds each one again in the text with
    ``util.get_words_and_spaces``, which copies the rest of the text once per character: ~80 µs for
    a 150-character text, and quadratic (0.25 s for a 100,000-character chunk). Splitting at
    whitespace runs gives the same words and spaces in one pass: each character that is not
    whitespace is a token, a single " " after one is its trailing space, and the rest of a
    whitespace run is a token of its own.
    """

    def __init__(self, vocab: Any) -> None:
        from spacy.tokens import Doc

        self.vocab = vocab
        self._doc = Doc

    def __call__(self, text: str) -> Doc:
        words: list[str] = []
        spaces: list[bool] = []
        parts = _WHITESPACE_RUN.split(text)  # characters, whitespace, characters, ..., characters
        for index in range(0, len(parts), 2):
            chars = parts[index]
            words.extend(chars)
            spaces.extend([False] * len(chars))
            if index + 1 < len(parts):
                run = parts[index + 1]
                if chars and run[0] == " ":
                    spaces[-1] = True
                    run = run[1:]
                if run:
                    words.append(run)
                    spaces.append(False)
        return self._doc(self.vocab, words=words, spaces=spaces)

    def pipe(self, texts: Iterable[str]) -> Iterator[Doc]:
        for text in texts:
            yield self(text)


class _MatchInfo(NamedTuple):
    type: str
    id: str
    cased: bool
    adjective: bool
    exact: bool


class _Pipeline:
    """A tokenizer-only spaCy pipeline for one language with the gazetteer's PhraseMatchers."""

    def __init__(self, lang: str) -> None:
        import spacy  # here, not at module level: labels and term ids must not pay for loading spaCy
        from spacy.attrs import NORM  # type: ignore[import-not-found]  # Cython module without stubs
        from spacy.matcher import PhraseMatcher

        self.lang = lang
        # Held while a batch is processed: tokenising adds to the vocabulary and the tokenizer's
        # cache, which are not made for concurrent writers.
        self.lock = threading.RLock()
        nlp: Language = spacy.blank(lang)
        if lang == "zh" and getattr(nlp.tokenizer, "segmenter", None) == "char":
            nlp.tokenizer = _ChineseCharTokenizer(nlp.vocab)
        tokenizer: Any = nlp.tokenizer  # spacy.tokenizer is a Cython module without stubs
        # Kept whole by these, URLs and listed hyphenated words would only be split elsewhere;
        # the gazetteer is tokenised the same way, and French tokenises 2.5 times faster without
        # its exception regex.
        tokenizer.token_match = None
        tokenizer.url_match = None
        # spaCy caches the tokens of 10,000 whitespace-separated chunks, then stops caching;
        # CBD text has more distinct chunks than that, and a cached chunk is ~5x cheaper.
        tokenizer.max_cache_size = TOKENIZER_CACHE
        self.nlp = nlp
        self.known: set[str] = set()
        self.normaliser = self._make_normaliser()
        nlp.vocab.lex_attr_getters[NORM] = self.normaliser  # type: ignore[attr-defined]  # not in vocab.pyi
        phrases = gazetteer.phrases(lang)
        docs = list(tokenizer.pipe(_fold(phrase.text) for phrase in phrases))
        if lang == "ar":
            self.known.update(_ar_orth(token.text) for doc in docs for token in doc)
        # Lexemes made before the normaliser was complete (pattern words, tokenizer exceptions)
        # get their NORM again.
        for lexeme in nlp.vocab:
            lexeme.norm_ = self.normaliser(lexeme.orth_)
        self.info: dict[int, _MatchInfo] = {}
        groups: dict[tuple[str, bool, bool, bool], list[Doc]] = {}
        for phrase, doc in zip(phrases, docs, strict=True):
            if len(doc):
                groups.setdefault((phrase.key, phrase.cased, phrase.adjective, phrase.exact), []).append(doc)
        self.norm_matcher = PhraseMatcher(nlp.vocab, attr="NORM")
        self.exact_matcher = PhraseMatcher(nlp.vocab, attr="ORTH")
        for (key, cased, adjective, exact), pattern_docs in groups.items():
            match_key = f"{key}|{int(cased)}{int(adjective)}{int(exact)}"
            kind, _, ident = key.partition(":")
            self.info[nlp.vocab.strings.add(match_key)] = _MatchInfo(kind, ident, cased, adjective, exact)
            (self.exact_matcher if exact else self.norm_matcher).add(match_key, pattern_docs)
        before, after = _LANGUAGE_CUES.get(lang, (set(), set()))
        self.cues_before = {self.normaliser(word) for word in before}
        self.cues_after = {self.normaliser(word) for word in after}
        self.passable = {self.normaliser(word) for word in _LIST_WORDS | _LANGUAGE_WORDS.get(lang, set())}

    def zone(self) -> AbstractContextManager[object]:
        """No memory zone: see :data:`MAX_LEXEMES` for how the vocabulary is kept bounded."""
        return contextlib.nullcontext()

    def _make_normaliser(self) -> Callable[[str], str]:
        if self.lang == "ru":
            return _ru_norm
        if self.lang == "zh":
            return _zh_norm
        if self.lang == "ar":
            known = self.known
            return lambda word: _ar_split(word, known)[1]
        return _latin_norm

    def candidates(self, doc: Doc, text: str, offset: int) -> list[_Candidate]:
        out: list[_Candidate] = []
        for matcher in (self.norm_matcher, self.exact_matcher):
            for match_id, first, last in matcher(doc):
                info = self.info[match_id]
                start = doc[first].idx
                end = doc[last - 1].idx + len(doc[last - 1])
                if info.cased and text[start:end].islower():
                    continue
                if info.adjective and self._language_context(doc, first, last):
                    continue
                if self.lang == "zh" and not _zh_boundaries(text, start, end):
                    continue
                if self.lang == "ar" and not info.exact:
                    letters = _ar_split(doc[first].text, self.known)[0]
                    if letters:
                        start += _ar_skip(doc[first].text, letters)
                out.append(_Candidate(start + offset, end + offset, info.type, info.id, _PRIORITY[info.type]))
        return out

    def _language_context(self, doc: Doc, first: int, last: int, reach: int = 8) -> bool:
        """Is this adjective a language name? A cue word before or after it, across a list."""
        for index, step, cues in ((first - 1, -1, self.cues_before), (last, 1, self.cues_after)):
            for _ in range(reach):
                if not 0 <= index < len(doc):
                    break
                norm = doc[index].norm_
                if norm in cues:
                    return True
                if norm not in self.passable:
                    break
                index += step
        return False


def _zh_boundaries(text: str, start: int, end: int) -> bool:
    """In Chinese (one token per character) a Latin acronym must not sit inside a Latin word."""

    def latin(char: str) -> bool:
        return char.isascii() and char.isalnum()

    if latin(text[start]) and start > 0 and latin(text[start - 1]):
        return False
    return not (latin(text[end - 1]) and end < len(text) and latin(text[end]))


_PIPELINES: dict[str, _Pipeline] = {}
_MODELS: dict[str, _NerModel] = {}
_BUILD_LOCK = threading.Lock()


def _pipeline(lang: str) -> _Pipeline:
    pipeline = _PIPELINES.get(lang)
    if pipeline is None or len(pipeline.nlp.vocab) > MAX_LEXEMES:
        with _BUILD_LOCK:
            pipeline = _PIPELINES.get(lang)
            if pipeline is None or len(pipeline.nlp.vocab) > MAX_LEXEMES:
                pipeline = _Pipeline(lang)
                _PIPELINES[lang] = pipeline
    return pipeline


# Official spaCy packages with an NER component, per language, in order of preference (the
# transformers last: an order of magnitude slower on CPU; es/fr_dep_news_trf have no NER).
# xx_ent_wiki_sm is trained on WikiNER, which has en, es, fr and ru among its languages; there is
# no official Arabic pipeline.
OFFICIAL_NER_MODELS: dict[str, tuple[str, ...]] = {
    "en": ("en_core_web_lg", "en_core_web_md", "en_core_web_sm", "en_core_web_trf", "xx_ent_wiki_sm"),
    "es": ("es_core_news_lg", "es_core_news_md", "es_core_news_sm", "xx_ent_wiki_sm"),
    "fr": ("fr_core_news_lg", "fr_core_news_md", "fr_core_news_sm", "xx_ent_wiki_sm"),
    "ru": ("ru_core_news_lg", "ru_core_news_md", "ru_core_news_sm", "xx_ent_wiki_sm"),
    "zh": ("zh_core_web_lg", "zh_core_web_md", "zh_core_web_sm", "zh_core_web_trf"),
    "ar": (),
}
_ORG_LABELS = {"ORG", "ORGANIZATION"}
_NER_KEEP = {"ner", "entity_ruler", "tok2vec", "transformer"}
_SLUG = re.compile(r"[^\w]+")


@cache
def installed_ner_model(lang: str) -> str | None:
    """The official spaCy NER package installed for ``lang``, if any (checked once, never downloaded)."""
    import spacy.util

    for name in OFFICIAL_NER_MODELS.get(lang, ()):
        if spacy.util.is_package(name):
            return name
    return None


class _NerModel:
    """A statistical (or any saved) spaCy pipeline whose ORG entities become ``org:`` entities."""

    def __init__(self, name: str) -> None:
        import spacy

        self.lock = threading.RLock()
        nlp: Language = spacy.load(name)
        unused = [component for component in nlp.pipe_names if component not in _NER_KEEP]
        if unused:
            nlp.select_pipes(disable=unused)
        self.nlp = nlp

    def zone(self) -> AbstractContextManager[object]:
        """A memory zone: a model is slow anyway, and its vocabulary must not grow for ever."""
        return self.nlp.memory_zone()

    def candidates(self, doc: Doc, text: str, offset: int) -> list[_Candidate]:
        del text  # the entities carry their own offsets
        out: list[_Candidate] = []
        for ent in doc.ents:
            if ent.label_ in _ORG_LABELS:
                slug = _SLUG.sub("-", ent.text.lower()).strip("-")[:80].rstrip("-")  # facet ids stay short
                if slug:
                    out.append(_Candidate(ent.start_char + offset, ent.end_char + offset, "org", slug, _NER_PRIORITY))
        return out


def _model(name: str) -> _NerModel:
    model = _MODELS.get(name)
    if model is None:
        with _BUILD_LOCK:
            model = _MODELS.get(name)
            if model is None:
                model = _NerModel(name)
                _MODELS[name] = model
    return model


# ---------------------------------------------------------------------------------------------
# The tagger


def _chunks(text: str, size: int = CHUNK_CHARS) -> list[tuple[int, str]]:
    """``text`` cut into pieces of at most ``size`` characters, at a line, sentence or word end."""
    if len(text) <= size:
        return [(0, text)]
    out: list[tuple[int, str]] = []
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            floor = start + size // 2
            for separator in ("\n", "。", ". ", " "):
                cut = text.rfind(separator, floor, end)
                if cut != -1:
                    end = cut + len(separator)
                    break
        out.append((start, text[start:end]))
        start = end
    return out


def _resolve(text: str, candidates: Iterable[_Candidate]) -> list[Entity]:
    """Non-overlapping entities, longest first, then by type priority; blockers dropped."""
    ordered = sorted(set(candidates), key=lambda c: (c.start - c.end, c.priority, c.start, c.id))
    starts: list[int] = []
    ends: list[int] = []
    chosen: list[_Candidate] = []
    for candidate in ordered:
        index = bisect.bisect_right(starts, candidate.start)
        if index > 0 and ends[index - 1] > candidate.start:
            continue
        if index < len(starts) and starts[index] < candidate.end:
            continue
        starts.insert(index, candidate.start)
        ends.insert(index, candidate.end)
        chosen.append(candidate)
    return [
        Entity(c.type, c.id, text[c.start : c.end], c.start, c.end)
        for c in sorted(chosen, key=lambda c: c.start)
        if c.type != gazetteer.BLOCK
    ]


def _primary(lang: str) -> str:
    return lang.replace("_", "-").split("-")[0].lower()


class EntityTagger:
    """Finds entities in texts written in any of ``languages``.

    Cheap to create: the spaCy pipelines are built on first use and shared by every tagger in the
    process (thread-safe). A text in a language outside ``languages`` still gets the
    language-neutral entities (document symbols, ``CP-9/2``-style decisions, species).

    ``ner_models`` maps a language to a spaCy package name or a saved pipeline directory whose
    ``ORG`` entities are added as organisations; by default the official package installed for
    each language, if any (:func:`installed_ner_model`); ``{}`` for none.
    """

    def __init__(
        self,
        languages: Sequence[str] = UN_LANGUAGES,
        *,
        ner_models: Mapping[str, str | Path] | None = None,
    ) -> None:
        self.languages = tuple(_primary(lang) for lang in languages)
        unknown = [lang for lang in self.languages if lang not in UN_LANGUAGES]
        if unknown:
            raise ValueError(f"no entity pipeline for {unknown}; known: {list(UN_LANGUAGES)}")
        self._ner_models: dict[str, str] | None = (
            None if ner_models is None else {_primary(k): str(v) for k, v in ner_models.items()}
        )

    def preload(self) -> None:
        """Build every pipeline now (a server may prefer the cost at start-up to the first request)."""
        for lang in self.languages:
            _pipeline(lang)
            name = self.ner_model(lang)
            if name:
                _model(name)

    def ner_model(self, lang: str) -> str | None:
        """The statistical model used for ``lang``, if any."""
        if self._ner_models is not None:
            return self._ner_models.get(lang)
        return installed_ner_model(lang)

    def tag(self, text: str, lang: str) -> list[Entity]:
        """The entities of one text, in order of appearance, with offsets into ``text``."""
        return self.tag_many([(text, lang)])[0]

    def tag_many(self, items: Sequence[tuple[str, str]]) -> list[list[Entity]]:
        """The entities of each ``(text, lang)`` pair; texts of one language go through nlp.pipe together."""
        results: list[list[Entity]] = [[] for _ in items]
        by_language: dict[str, list[int]] = {}
        for index, (text, lang) in enumerate(items):
            if text and not text.isspace():
                by_language.setdefault(_primary(lang), []).append(index)
        for lang, indexes in by_language.items():
            folded = [_fold(items[index][0]) for index in indexes]
            found = [_regex_candidates(text, lang) for text in folded]
            if lang in self.languages:
                pieces = [
                    (owner, offset, chunk) for owner, text in enumerate(folded) for offset, chunk in _chunks(text)
                ]
                self._run(_pipeline(lang), pieces, found)
                name = self.ner_model(lang)
                if name:
                    self._run(_model(name), pieces, found)
            for owner, index in enumerate(indexes):
                results[index] = _resolve(items[index][0], found[owner])
        return results

    @staticmethod
    def _run(
        pipeline: _Pipeline | _NerModel, pieces: list[tuple[int, int, str]], found: list[list[_Candidate]]
    ) -> None:
        nlp = pipeline.nlp
        with pipeline.lock, pipeline.zone():
            docs = nlp.pipe((chunk for _, _, chunk in pieces), batch_size=BATCH_SIZE)
            for (owner, offset, chunk), doc in zip(pieces, docs, strict=True):
                found[owner].extend(pipeline.candidates(doc, chunk, offset))


# ---------------------------------------------------------------------------------------------
# Term references and labels

_TERM_ID = re.compile(r"^(AICHI|GBF)-TARGET-0*(\d{1,2})$", re.IGNORECASE)


def entities_from_term_ids(ids: Iterable[str]) -> list[str]:
    """Entity keys for CBD term identifiers (``AICHI-TARGET-11`` -> ``target:aichi-11``).

    Records point at targets by term id (``aichiTargets``, ``globalTargets``) as well as naming
    them in text; both must land on the same facet value. Unknown ids are skipped.
    """
    out: list[str] = []
    for raw in ids:
        match = _TERM_ID.match(raw.strip())
        if not match:
            continue
        kind, value = match.group(1).lower(), int(match.group(2))
        if value in (AICHI_TARGETS if kind == "aichi" else GBF_TARGETS):
            out.append(f"target:{kind}-{value}")
    return list(dict.fromkeys(out))


_TARGET_LABELS = {
    "aichi": {
        "en": "Aichi Biodiversity Target {n}",
        "fr": "Objectif {n} d'Aichi",
        "es": "Meta {n} de Aichi",
        "ru": "Целевая задача {n} Айти",
        "ar": "الهدف {n} من أهداف أيشي",
        "zh": "爱知生物多样性目标{n}",
    },
    "gbf": {
        "en": "GBF Target {n}",
        "fr": "Cible {n} du Cadre mondial de la biodiversité",
        "es": "Meta {n} del Marco Mundial de Biodiversidad",
        "ru": "Целевая задача {n} Глобальной рамочной программы в области биоразнообразия",
        "ar": "الهدف {n} من الإطار العالمي للتنوع البيولوجي",
        "zh": "全球生物多样性框架目标{n}",
    },
}
_DECISION_LABELS = {
    "en": "decision {ref}",
    "fr": "décision {ref}",
    "es": "decisión {ref}",
    "ru": "решение {ref}",
    "ar": "المقرر {ref}",
    "zh": "第{ref}号决定",
}
_SYMBOL_SUFFIXES = re.compile(r"/(ADD|REV|CORR)\.", re.IGNORECASE)


def _decision_reference(ident: str) -> str | None:
    """``cop-xi-2`` -> ``XI/2``, ``cop-xiv-8`` -> ``14/8``, ``cp-v-16`` -> ``BS-V/16``, ``np-iii-1`` -> ``NP-3/1``."""
    body, _, rest = ident.partition("-")
    roman, _, number = rest.partition("-")
    meeting = _from_roman(roman)
    if meeting is None or not number.isdigit():
        return None
    upper = roman.upper()
    if body == "cop":
        return f"{upper if meeting < 14 else meeting}/{number}"
    if body == "cp":
        if meeting <= 7:
            return f"BS-{upper}/{number}"
        return f"CP-{upper if meeting == 8 else meeting}/{number}"
    if body == "np":
        return f"NP-{meeting}/{number}"
    return None


def _symbol_label(ident: str) -> str:
    symbol = ident.upper().replace("-", "/").replace("COP/MOP", "COP-MOP")
    return _SYMBOL_SUFFIXES.sub(lambda m: "/" + m.group(1).capitalize() + ".", symbol)


def entity_label(key: str, lang: str) -> str:
    """How the facet value ``key`` reads in language ``lang`` ("country:br", "fr" -> "Brésil").

    Unknown types, ids and languages fall back (to English, then to the id) rather than fail: a
    facet must always show something.
    """
    kind, _, ident = key.partition(":")
    if not ident:
        return key
    lang = _primary(lang)
    if lang not in UN_LANGUAGES:
        lang = "en"
    label: str | None = None
    if kind == "country":
        label = gazetteer.country_label(ident, lang)
    elif kind in {"treaty", "org"}:
        label = gazetteer.gazetteer_label(kind, ident, lang)
    elif kind == "target":
        series, _, number = ident.partition("-")
        templates = _TARGET_LABELS.get(series)
        valid = AICHI_TARGETS if series == "aichi" else GBF_TARGETS
        if templates and number.isdigit() and int(number) in valid:
            label = templates[lang].format(n=int(number))
    elif kind == "decision":
        reference = _decision_reference(ident)
        if reference:
            label = _DECISION_LABELS[lang].format(ref=reference)
    elif kind == "symbol":
        label = _symbol_label(ident)
    elif kind == "species":
        genus, _, epithet = ident.partition("-")
        label = f"{genus.capitalize()} {epithet}" if epithet else None
    return label or ident
