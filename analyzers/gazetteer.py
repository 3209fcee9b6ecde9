"""The names entity tagging looks for, in the six UN languages, and the labels facets show.

Countries come from three sources so that every ISO 3166 country has a name in every language
without anyone typing 249 x 6 names: babel's CLDR territory names (the short names people write,
"Brésil", "Бразилия", "巴西"), pycountry's ISO names and their iso-codes translations (the long
official forms, "République fédérative du Brésil"), and a hand-written table
(``entity_data/countries.json``) for the countries CBD records talk about most, which adds what
neither library has: the UN's own official names, short forms, oblique forms that the Russian
normaliser cannot reach (``Египта``) and adjectives ("brésilien", "бразильский", "برازيلي").
Treaties and organisations are small hand-written gazetteers. Nothing here imports spaCy: the
labels are needed by the search API, which should not pay for loading pipelines.
"""

from __future__ import annotations

import gettext
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import babel
import pycountry

DATA_DIR = Path(__file__).with_name("entity_data")
BLOCK = "block"

# pycountry ships the iso-codes translations under these gettext locale names.
_PYCOUNTRY_LOCALES = {"ar": "ar", "es": "es", "fr": "fr", "ru": "ru", "zh": "zh_CN"}
_FLIP_TAIL = re.compile(r"\b(?:of|of the|de|du|del|des|de la|de l'|d')$", re.IGNORECASE)
_AL = "ال"


@dataclass(frozen=True)
class Phrase:
    """One surface form to match and what it means.

    ``cased``: the matched text must contain an upper-case letter; proper nouns are written so,
    and it keeps "turkey" the bird and "l'équateur" the line from becoming countries.
    ``adjective``: an adjective that may also name a language ("French", "español"); the tagger
    drops it in language contexts ("in French", "versión en español").
    ``exact``: match the characters exactly (acronyms: "CITES" is an organisation, "cites" a verb).
    """

    text: str
    key: str
    cased: bool = False
    adjective: bool = False
    exact: bool = False


@cache
def load_data(name: str) -> dict[str, Any]:
    """One JSON file of ``entity_data/`` (cached: the files never change while running)."""
    with (DATA_DIR / f"{name}.json").open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return {key: value for key, value in data.items() if not key.startswith("_")}


def _clean_generated(name: str) -> str | None:
    """A library name as it would be written in running text, or None when it never is.

    ISO names invert ("Korea, Republic of"): flip them when the tail ends in a preposition
    ("Republic of Korea"), drop the rest. CLDR disambiguators ("Congo - Kinshasa", "刚果（金）")
    never occur in text either.
    """
    name = " ".join(name.split())
    if " - " in name or "(" in name or "（" in name:
        return None
    if "," in name or "،" in name:
        head, _, tail = name.replace("،", ",").partition(",")
        tail = tail.strip()
        if not _FLIP_TAIL.search(tail):
            return None
        joiner = "" if tail.endswith("'") else " "
        name = f"{tail}{joiner}{head.strip()}"
    return name or None


def _variants(name: str, lang: str) -> list[str]:
    """Spelling variants of one name: both apostrophes, hyphen or space, Arabic with/without ال."""
    out = {name}
    for text in list(out):
        if "'" in text or "’" in text:
            out.add(text.replace("’", "'"))
            out.add(text.replace("'", "’"))
    for text in list(out):
        if "-" in text and lang != "zh":
            out.add(text.replace("-", " "))
    if lang == "ar":
        for text in list(out):
            first, _, rest = text.partition(" ")
            # "البرازيل" is also written "برازيل"; short remainders ("هند", "مغرب") are other words.
            if first.startswith(_AL) and len(first) - 2 >= 5:
                out.add((first[2:] + " " + rest).strip())
    return sorted(out)


def _adjective_forms(adjective: str, lang: str) -> list[str]:
    """Inflected forms of an adjective given in its dictionary form.

    French and Spanish adjectives agree in gender and number, so "brésilien" must also find
    "brésilienne(s)"; Arabic nisba adjectives take ال, the feminine ة and plural endings.
    Russian endings are left to the normaliser (it stems), English has at most a plural noun.
    """
    a = adjective
    forms = {a}
    if lang == "fr":
        if a.endswith(("ien", "éen")):
            forms |= {a + "ne", a + "s", a + "nes"}
        elif a.endswith("e"):
            forms |= {a + "s"}
        elif a.endswith(("s", "x")):
            forms |= {a + "e", a + "es"}
        elif a.endswith("al"):
            forms |= {a + "e", a[:-1] + "ux", a + "es"}
        else:
            forms |= {a + "e", a + "s", a + "es"}
    elif lang == "es":
        if a.endswith("o"):
            forms |= {a[:-1] + "a", a + "s", a[:-1] + "as"}
        elif a.endswith("és"):
            stem = a[:-2] + "es"
            forms |= {stem + "a", stem + "es", stem + "as"}
        elif a.endswith("án"):
            stem = a[:-2] + "an"
            forms |= {stem + "a", stem + "es", stem + "as"}
        elif a.endswith("í"):
            forms |= {a + "es", a + "s"}
        elif a.endswith(("e", "a")):
            forms |= {a + "s"}
        elif a.endswith("l"):
            forms |= {a + "a", a + "es", a + "as"}
        else:
            forms |= {a + "s"}
    elif lang == "en":
        if a.endswith(("an", "i")):
            forms.add(a + "s")
    elif lang == "ar":
        bare = a[2:] if a.startswith(_AL) else a
        for stem in (bare, _AL + bare):
            forms |= {stem, stem + "ة", stem + "ون", stem + "ين"}
    return sorted(forms)


def _country_phrases(lang: str) -> list[Phrase]:
    table: dict[str, dict[str, Any]] = load_data("countries")
    excluded = {name.lower() for name in load_data("blockers")["exclude"].get(lang, [])}
    cased = lang in {"en", "es", "fr", "ru"}
    seen: dict[str, str] = {}
    out: list[Phrase] = []

    def add(name: str, code: str, *, adjective: bool = False, exact: bool = False) -> None:
        for text in _variants(name, lang) if not exact else [name]:
            folded = text if exact else text.lower()
            if folded in excluded or seen.get(folded, code) != code:
                continue  # an ordinary word, or already another country's name: never guess
            seen[folded] = code
            out.append(
                Phrase(
                    text,
                    f"country:{code}",
                    cased=cased and (not adjective or lang == "en") and not exact,
                    adjective=adjective,
                    exact=exact,
                )
            )

    # The hand table first: on a clash (a short name two libraries give two countries) it wins.
    for code, entry in table.items():
        for name in entry.get(lang, []):
            add(name, code)
        for adjective in entry.get(f"{lang}_adj", []):
            for form in _adjective_forms(adjective, lang):
                add(form, code, adjective=True)
        for acronym in entry.get(f"{lang}_acr", []):
            add(acronym, code, exact=True)
    territories = babel.Locale.parse(lang).territories
    translate = _pycountry_translator(lang)
    for country in pycountry.countries:
        code = country.alpha_2
        names = [territories.get(code, "")]
        for attribute in ("name", "official_name", "common_name"):
            value = getattr(country, attribute, None)
            if value:
                names.append(translate(value))
        for raw in names:
            name = _clean_generated(raw) if raw else None
            if name:
                add(name, code.lower())
    return out


def _pycountry_translator(lang: str) -> Any:
    if lang == "en":
        return lambda text: text
    locale = _PYCOUNTRY_LOCALES[lang]
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[locale], fallback=True).gettext


def _gazetteer_phrases(kind: str, data_name: str, lang: str) -> list[Phrase]:
    out: list[Phrase] = []
    for ident, entry in load_data(data_name).items():
        key = f"{kind}:{ident}"
        for name in entry["names"].get(lang, []):
            out.extend(Phrase(text, key) for text in _variants(name, lang))
        acronyms = entry.get("acronyms", [])
        if isinstance(acronyms, dict):  # treaty acronyms differ by language (CBD, CDB, КБР)
            acronyms = acronyms.get(lang, [])
        # Organisation acronyms are Latin or Cyrillic in every language's text ("FAO" in Chinese).
        out.extend(Phrase(acronym, key, exact=True) for acronym in acronyms)
    return out


@cache
def phrases(lang: str) -> tuple[Phrase, ...]:
    """Every phrase to match in texts written in ``lang`` (countries, treaties, organisations, blockers)."""
    out = _country_phrases(lang)
    out += _gazetteer_phrases("treaty", "treaties", lang)
    out += _gazetteer_phrases("org", "organizations", lang)
    out += [Phrase(text, f"{BLOCK}:") for text in load_data("blockers")["block"].get(lang, [])]
    return tuple(dict.fromkeys(out))


@cache
def _territory_names(lang: str) -> dict[str, str]:
    return dict(babel.Locale.parse(lang).territories)


def country_label(code: str, lang: str) -> str | None:
    """The name of country ``code`` in ``lang``: the UN form where the table has one, else CLDR's."""
    entry = load_data("countries").get(code)
    if entry and lang in entry.get("label", {}):
        return str(entry["label"][lang])
    name = _territory_names(lang).get(code.upper())
    if name:
        return name
    country = pycountry.countries.get(alpha_2=code.upper())
    return None if country is None else str(country.name)


def gazetteer_label(kind: str, ident: str, lang: str) -> str | None:
    """The label of a treaty (``kind="treaty"``) or an organisation (``"org"``) in ``lang``."""
    data = load_data("treaties" if kind == "treaty" else "organizations")
    entry = data.get(ident)
    if entry is None:
        return None
    labels: dict[str, str] = entry["label"]
    return labels.get(lang) or labels.get("en")
