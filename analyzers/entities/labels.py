"""Facet values as a reader sees them, in the reader's language.

A facet must always show something: unknown types, ids and languages fall back (to English, then
to the id) rather than fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from analyzers import gazetteer
from analyzers.entities.kinds import AICHI_TARGETS, GBF_TARGETS
from analyzers.entities.normalise import _primary
from analyzers.entities.references import _from_roman
from analyzers.entities.targets import entities_from_term_ids, keyword_entities
from record_catalogue.languages import UN_LANGUAGES

if TYPE_CHECKING:
    from record_catalogue.harvest_state import ThesaurusTermLabels

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


def entity_label(key: str, lang: str, thesaurus: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """How the facet value ``key`` reads in language ``lang`` ("country:br", "fr" -> "Brésil").

    ``thesaurus``: labels the clearing-houses' thesaurus gives entities (by key, then language;
    harvested, ``ingest.harvest.thesaurus``); they win where they have the language.
    Unknown types, ids and languages fall back (to English, then to the id) rather than fail: a
    facet must always show something.
    """
    kind, _, ident = key.partition(":")
    if not ident:
        return key
    lang = _primary(lang)
    if lang not in UN_LANGUAGES:
        lang = "en"
    if thesaurus is not None:
        given = thesaurus.get(key, {}).get(lang)
        if given:
            return given
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
    if label is None and thesaurus is not None:
        # A keyword has no label of our own: the thesaurus's in English, else in any language.
        given_labels = thesaurus.get(key, {})
        label = given_labels.get("en") or next((text for _lang, text in sorted(given_labels.items()) if text), None)
    return label or ident


# The domains whose terms are entity facets (``country:br``, ``target:aichi-11``, ``target:gbf-3``).
ENTITY_DOMAINS = ("countries", "AICHI-TARGETS", "GBF-TARGETS")
# A target's component (``AICHI-TARGET-01-C2``): it names part of the target, so it labels nothing.
_COMPONENT = re.compile(r"-C\d{1,2}$", re.IGNORECASE)


def thesaurus_facet_labels(terms: Iterable[ThesaurusTermLabels]) -> dict[str, dict[str, str]]:
    """Facet labels from the harvested thesaurus (``HarvestState.labelled_terms``), by entity key
    (``country:br`` -> ``{"en": "Brazil", ...}``, ``keyword:<id>`` -> the keyword's labels).

    Only a term that is the entity itself labels it: ``AICHI-TARGET-01`` labels ``target:aichi-1``,
    its component ``AICHI-TARGET-01-C2`` does not. Here, beside the labels made from the entity
    keys, rather than in the harvester that stores the terms: the API reads them for every
    facet, and has no use for the harvester's code."""
    out: dict[str, dict[str, str]] = {}
    for term in terms:
        if term.domain in ENTITY_DOMAINS:
            if _COMPONENT.search(term.identifier):
                continue
            keys = entities_from_term_ids([term.identifier])
            if len(keys) == 1:
                out[keys[0]] = term.labels
            continue
        for key in keyword_entities([term.identifier]):
            out.setdefault(key, term.labels)
    return out
