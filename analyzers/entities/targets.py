"""Aichi and GBF target references, in text and in term ids, on one facet value.

The table below is language data: for each language, the phrasings that name a target with its
number. It stays Python rather than a data file because the patterns are built from shared
pieces (number lists, "Kunming-Montreal" spellings) that a data file would have to spell out in
every entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pycountry

from analyzers.entities.anchors import _find
from analyzers.entities.kinds import _PRIORITY, AICHI_TARGETS, GBF_TARGETS, _Candidate
from analyzers.entities.references import _NUMBER_PREFIX

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


# Words without which a target pattern cannot match, looked for first (as _DECISION_CUES are).
_TARGET_CUES = {
    "en": ("target",),
    "fr": ("objectif", "cible"),
    "es": ("meta",),
    "ru": ("задач",),
    "ar": ("هدف", "هداف", "غاية"),
    "zh": ("目标",),
}


_COUNTRY_TERM = re.compile(r"^[a-z]{2}$")  # the thesaurus's country terms are ISO 3166 codes, lower case
# A target's components (``AICHI-TARGET-01-C2``) count as the target.
_TERM_ID = re.compile(r"^(AICHI|GBF)-TARGET-0*(\d{1,2})(?:-C\d{1,2})?$", re.IGNORECASE)


def entities_from_term_ids(ids: Iterable[str]) -> list[str]:
    """Entity keys for CBD term identifiers (``AICHI-TARGET-11`` and its components such as
    ``AICHI-TARGET-11-C2`` -> ``target:aichi-11``; ``br``, a country term -> ``country:br``).

    Records point at targets by term id (``aichiTargets``, ``globalTargets``) as well as naming
    them in text; both must land on the same facet value. Unknown ids are skipped.
    """
    out: list[str] = []
    for raw in ids:
        match = _TERM_ID.match(raw.strip())
        if not match:
            if _COUNTRY_TERM.match(raw) and (raw == "eu" or pycountry.countries.get(alpha_2=raw.upper())):
                out.append(f"country:{raw}")
            continue
        kind, value = match.group(1).lower(), int(match.group(2))
        if value in (AICHI_TARGETS if kind == "aichi" else GBF_TARGETS):
            out.append(f"target:{kind}-{value}")
    return list(dict.fromkeys(out))


# A thesaurus keyword's identifier (a GUID or an upper-case slug); a reference to another record
# (``GUID@2``) is not one.
_KEYWORD_TERM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-.]{0,127}$")
_TARGET_SERIES = re.compile(r"^(AICHI|GBF)-TARGET", re.IGNORECASE)


def keyword_entities(ids: Iterable[str]) -> list[str]:
    """Entity keys (``keyword:<identifier, lower case>``) of the thesaurus terms a record refers to
    that are neither countries nor targets: its keywords, thematic areas and other terms, a
    facet of their own (``entity_keyword``) labelled and searchable by their thesaurus labels."""
    out: list[str] = []
    for raw in ids:
        term = raw.strip()
        if _COUNTRY_TERM.match(term) or _TARGET_SERIES.match(term) or not _KEYWORD_TERM.match(term):
            continue
        out.append(f"keyword:{term.lower()}")
    return list(dict.fromkeys(out))
