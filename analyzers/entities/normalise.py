"""Word forms that let the gazetteer's names meet the text's, language by language.

Matching is on a custom ``NORM`` computed once per vocabulary entry (so it costs nothing per
token): lower case without accents for en/es/fr; for Russian a light suffix stripper so that
``Бразилии``, ``Бразилию`` and ``Бразилия`` meet; for Arabic letter-variant folding (أ/إ/آ,
ى/ي, ة/ه, vowel marks) and clitic stripping (``وبالبرازيل`` -> ``البرازيل``) limited to words
the gazetteer knows; for Chinese compatibility forms and case. Language tags (``fr-FR``) come
down to the primary subtag, which pipelines, patterns and labels are keyed by.

Before any of that, the whole text is folded one character for one (full-width ASCII,
Arabic-Indic digits, dashes, apostrophes, spaces), so that the regexes see one spelling and the
offsets found in the folded text are those of the input.
"""

from __future__ import annotations

import re
import unicodedata


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


def _primary(lang: str) -> str:
    return lang.replace("_", "-").split("-")[0].lower()
