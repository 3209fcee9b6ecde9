"""Decision and document-symbol references: patterns with numbers, not names.

Decisions are canonical in one form whatever the text wrote: the meeting number in lower-case
roman numerals. COP decisions were numbered ``XIII/5`` up to COP 13 and ``14/8`` from COP 14,
the Cartagena Protocol's ``BS-V/16`` then ``CP-VIII/1`` then ``CP-9/2``, the Nagoya Protocol's
``NP-3/1``; so ``décision 14/8`` is ``decision:cop-xiv-8`` and ``BS-V/16`` is ``decision:cp-v-16``.
:func:`analyzers.entities.labels.entity_label` writes them back the way each body numbers them.
"""

from __future__ import annotations

import re
from functools import lru_cache

from analyzers.entities.anchors import _find
from analyzers.entities.kinds import _PRIORITY, MEETINGS, _Candidate

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
