"""One folding of text for matching, the same for what a reader types and for vocabulary terms.

``fold(text, lang)`` returns the text's words, folded and joined by single spaces; two texts
"mean the same words" when their folds are equal. The rules are chosen by each character's
script, not by ``lang``, because a typed query's language is unknown while a vocabulary term's is
known, and both sides must fold alike: ``fold(x, "fr") == fold(x, None)`` for every ``x``. The
``lang`` argument is there so that each language's analyzer can call the same function (and so
that a rule needing the language can be added without changing callers); today it changes
nothing.

In order:

1. Unicode NFKC (full-width forms, ligatures, Arabic presentation forms to plain letters), then
   invisible format characters removed (bidi marks, zero-width space, soft hyphen, BOM).
2. The text is split into words at whitespace. A word holding a decimal digit (any script's
   digits count and become ASCII, and in such a word ``Ø``/``ø`` is the digit zero, as in
   biosafety unique identifiers) is an **identifier** and becomes a single token: case-folded,
   accents removed, every character that is not a letter or digit dropped, so that ``COP-15``,
   ``cop15`` and ``COP 15``'s parts joined meet, and ``XI/2`` is ``xi2``. An OECD unique
   identifier (``MON-ØØ81Ø-6``: a letter and one or two more letters or digits, ``-``, 5-6 letters
   or digits, ``-``, one check digit) folds to its prefix and its event code without leading zeros and without the
   check digit (``mon810``), which is how events are named in text (``MON810``): so
   ``MON-ØØ81Ø-6``, ``MON-00810-6`` and ``MON810`` all fold to ``mon810``. (Events whose common
   name is not formed so, ``NK603`` for ``MON-ØØ6Ø3-6``, need a vocabulary entry.) Numbers lose
   their separators too (``1.5`` and ``15`` meet): harmless for vocabulary matching.
3. Any other word: French elision dropped (``l'``, ``d'``, ``qu'``… before a letter:
   ``d'Aichi`` is ``aichi``), then case-folded and, character by character:

   - Latin letters lose their accents and diacritics (``é``→``e``, ``ñ``→``n``, ``ç``→``c``) and
     the letters with no decomposition are spelled in ASCII (``ø``→``o``, ``æ``→``ae``,
     ``œ``→``oe``, ``ß``→``ss``, ``ł``→``l``, ``đ``→``d``, ``ı``→``i``, ``þ``→``th``);
   - Cyrillic: ``ё``→``е`` (``й`` stays: it is another letter);
   - Arabic: tashkeel (short vowels, shadda, sukun, superscript alef: every combining mark) and
     tatweel removed; ``أ إ آ ٱ``→``ا``; ``ى``→``ي`` (alef maksura to ya); ``ة``→``ه`` (ta marbuta
     to ha); Persian ``ی``→``ي`` and ``ک``→``ك``;
   - Chinese (and every other script): unchanged;
   - apostrophes are removed (``country's``→``countrys``); every other punctuation or symbol
     character separates tokens (``benefit-sharing``→``benefit sharing``, ``and/or``→``and or``).

   Then each Arabic token loses the article and the prepositions attached to it (``وال فال بال
   كال لل ال``, longest first) when two letters or more remain: ``التنوع`` and ``تنوع`` are
   ``تنوع``, ``للتنوع`` too. A lone ``و`` is left (``وزارة`` is a word), and nothing is stemmed.
4. Tokens of Chinese characters separated by punctuation or spaces are joined (Chinese is
   written without spaces: ``昆明-蒙特利尔`` and ``昆明蒙特利尔`` meet).

The engines' analyzers mirror these rules where they can; keep them few and keep the tests
(``tests/analyzers/test_folding.py``) in step with this list.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Letters with no canonical decomposition, spelled the way an ASCII keyboard would (after casefold).
_LATIN_SPECIAL = {
    "ø": "o",
    "æ": "ae",
    "œ": "oe",
    "ß": "ss",
    "ł": "l",
    "đ": "d",
    "ð": "d",
    "ħ": "h",
    "ı": "i",
    "þ": "th",
    "ŀ": "l",
    "ŧ": "t",
}
_ARABIC_LETTERS = {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ی": "ي", "ک": "ك"}
_ARABIC_PREFIXES = ("وال", "فال", "بال", "كال", "لل", "ال")
_APOSTROPHES = frozenset("'’ʼ‘`´")
_ELISION = re.compile(r"^(?:[ldjmnstc]|qu|lorsqu|puisqu|jusqu)['’ʼ](?=\w)", re.IGNORECASE)
_UNIQUE_IDENTIFIER = re.compile(r"^([a-z][a-z0-9]{1,2})-([a-z0-9]{5,6})-([0-9])$")
_ZERO_LIKE = str.maketrans({"Ø": "0", "ø": "0"})
_TATWEEL = "\u0640"
# Invisible format characters (Unicode category Cf, but the zero-width joiners, which shape some
# scripts' words) and lone surrogates: removed. The zero-width space becomes a space first.
_FORMAT = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b\u200e\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f\ud800-\udfff]"
)


def is_han(char: str) -> bool:
    """Whether ``char`` is a Chinese character (CJK unified or compatibility ideograph)."""
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x3134F
        or code == 0x3007  # 〇
    )


def _is_arabic(char: str) -> bool:
    code = ord(char)
    return 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0x08A0 <= code <= 0x08FF


class _CharTable(dict[int, str]):
    """``str.translate`` table computed one character at a time and kept (the set of characters
    a process sees is small)."""

    def __missing__(self, code: int) -> str:
        value = _fold_char(chr(code))
        self[code] = value
        return value


def _fold_char(char: str) -> str:
    """One (case-folded) character as step 3 of the module docstring folds it; ' ' separates."""
    if char in _APOSTROPHES:
        return ""
    if char == _TATWEEL:
        return ""
    category = unicodedata.category(char)
    if category == "Nd":
        return str(unicodedata.decimal(char))
    if category in {"Mn", "Me"}:
        return ""  # tashkeel, and any mark left alone by NFKC (``i̇`` from casefolding ``İ``)
    if category[0] not in "LNM":
        return " "
    if char in _LATIN_SPECIAL:
        return _LATIN_SPECIAL[char]
    if char in _ARABIC_LETTERS:
        return _ARABIC_LETTERS[char]
    if char == "ё":
        return "е"
    if char.isascii() or category[0] != "L":
        return char
    if unicodedata.name(char, "").startswith("LATIN"):
        base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
        return "".join(_LATIN_SPECIAL.get(c, c) for c in base)
    return char


_TABLE = _CharTable()


def _strip_format(text: str) -> str:
    if text.isascii():
        return text
    return _FORMAT.sub("", text.replace("\u200b", " "))


def _identifier(word: str) -> str:
    parts = word.translate(_ZERO_LIKE).casefold().translate(_TABLE).split()
    unique = _UNIQUE_IDENTIFIER.match("-".join(parts))
    if unique:
        prefix, event, _check = unique.groups()
        return prefix + (event.lstrip("0") or "0")
    return "".join(parts)


def _strip_arabic_prefix(token: str) -> str:
    if not token or not _is_arabic(token[0]):
        return token
    for prefix in _ARABIC_PREFIXES:
        if token.startswith(prefix) and len(token) - len(prefix) >= 2:
            return token[len(prefix) :]
    return token


_DIGIT = re.compile(r"\d")  # any script's decimal digits, as str.isdecimal


def _has_digit(word: str) -> bool:
    return _DIGIT.search(word) is not None


@lru_cache(maxsize=65536)
def fold_word(word: str) -> tuple[str, ...]:
    """The tokens of one whitespace-free word (already NFKC-normalised, format characters removed)."""
    if _has_digit(word):
        token = _identifier(word)
        return (token,) if token else ()
    word = _ELISION.sub("", word)
    tokens = [_strip_arabic_prefix(token) for token in word.casefold().translate(_TABLE).split()]
    return tuple(_join_han(tokens))


def _join_han(tokens: list[str]) -> list[str]:
    out: list[str] = []
    for token in tokens:
        if out and is_han(out[-1][-1]) and is_han(token[0]):
            out[-1] += token
        else:
            out.append(token)
    return out


def normalise(text: str) -> str:
    """Step 1: NFKC with invisible format characters (and lone surrogates) removed."""
    return _strip_format(unicodedata.normalize("NFKC", _strip_format(text)))


def fold_tokens(text: str, lang: str | None = None) -> tuple[str, ...]:
    """The folded tokens of ``text`` (``fold`` without the final join)."""
    del lang  # the rules go by script: see the module docstring
    tokens: list[str] = []
    for word in normalise(text).split():
        tokens.extend(fold_word(word))
    return tuple(_join_han(tokens))


def fold(text: str, lang: str | None = None) -> str:
    """``text`` folded for matching (see the module docstring); tokens joined by single spaces.

    ``lang`` is the text's language when known (``None``: typed by a reader); the result does not
    depend on it.
    """
    return " ".join(fold_tokens(text, lang))
