"""The three clearing-houses and their record types, from the Secretariat's realm configurations.

The files in ``record_catalogue/data/`` are the clearing-houses' own configurations (see
``samples/SOURCES.md``); a schema name decides the realm unless it exists in several realms.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from urllib.parse import quote

from record_catalogue.languages import UN_LANGUAGES

REALM_FILES = {
    "ABS": "realm-configuration-abs.json",
    "BCH": "realm-configuration-bch.json",
    "CHM": "realm-configuration-chm.json",
}

REALM_NAMES: dict[str, dict[str, str]] = {
    "CHM": {
        "ar": "آلية غرفة تبادل المعلومات",
        "en": "Clearing-House Mechanism",
        "es": "Mecanismo de facilitación",
        "fr": "Centre d'échange",
        "ru": "Механизм посредничества",
        "zh": "信息交换所机制",
    },
    "ABS": {
        "ar": "غرفة تبادل المعلومات بشأن الحصول وتقاسم المنافع",
        "en": "Access and Benefit-Sharing Clearing-House",
        "es": "Centro de Intercambio de Información sobre APB",
        "fr": "Centre d'échange sur l'APA",
        "ru": "Механизм посредничества для регулирования доступа и совместного использования выгод",
        "zh": "获取和惠益分享信息交换所",
    },
    "BCH": {
        "ar": "غرفة تبادل معلومات السلامة الأحيائية",
        "en": "Biosafety Clearing-House",
        "es": "Centro de Intercambio de Información sobre Seguridad de la Biotecnología",
        "fr": "Centre d'échange pour la prévention des risques biotechnologiques",
        "ru": "Механизм посредничества по биобезопасности",
        "zh": "生物安全信息交换所",
    },
}


@dataclass(frozen=True)
class SchemaInfo:
    """One record type of one realm."""

    realm: str
    name: str
    short_code: str
    kind: str
    titles: dict[str, str] = field(default_factory=dict)

    def label(self, lang: str) -> str:
        """The schema's title in ``lang``, falling back to English, then to its name."""
        return self.titles.get(lang) or self.titles.get("en") or self.name


@dataclass(frozen=True)
class RealmCatalog:
    """Schemas by realm, with the base URL of each realm's public record pages."""

    schemas: dict[str, dict[str, SchemaInfo]]
    base_urls: dict[str, str]

    def realms_of(self, schema: str) -> list[str]:
        """Every realm that defines ``schema``."""
        return [realm for realm, by_name in self.schemas.items() if schema in by_name]

    def resolve(self, schema: str, realm: str | None = None) -> SchemaInfo:
        """The schema in the given realm, or the only realm that has it; ValueError says why not."""
        if realm is not None:
            if realm not in self.schemas:
                raise ValueError(f"unknown realm {realm!r}; known: {', '.join(sorted(self.schemas))}")
            info = self.schemas[realm].get(schema)
            if info is None:
                raise ValueError(f"unknown schema {schema!r} in realm {realm}")
            return info
        realms = self.realms_of(schema)
        if not realms:
            raise ValueError(f"unknown schema {schema!r} (not in the ABS, BCH or CHM realm configurations)")
        if len(realms) > 1:
            raise ValueError(
                f"schema {schema!r} exists in several realms ({', '.join(realms)}): give header.realm or --realm"
            )
        return self.schemas[realms[0]][schema]

    def schema_label(self, realm: str, schema: str, lang: str) -> str:
        """A schema's title in ``lang`` (its name when the configuration has none)."""
        info = self.schemas.get(realm, {}).get(schema)
        return info.label(lang) if info else schema

    def record_url(self, realm: str, schema: str, record_id: str) -> str:
        """The public page of a record on its clearing-house; the id is one encoded path segment
        (an id holding ``/``, ``..`` or ``?`` cannot point the link anywhere else)."""
        info = self.schemas[realm][schema]
        segment = quote(record_id, safe="")
        if segment in (".", ".."):
            segment = segment.replace(".", "%2E")
        return f"{self.base_urls[realm]}/database/{info.short_code}/{segment}"


def _titles(raw: object) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    return {k: v for k, v in raw.items() if k in UN_LANGUAGES and isinstance(v, str)}


@lru_cache(maxsize=1)
def realm_catalog() -> RealmCatalog:
    """Load the realm configurations shipped with the catalogue package (once)."""
    data = resources.files("record_catalogue") / "data"
    schemas: dict[str, dict[str, SchemaInfo]] = {}
    base_urls: dict[str, str] = {}
    for realm, filename in REALM_FILES.items():
        config = json.loads((data / filename).read_text(encoding="utf-8"))[0]
        base_urls[realm] = config["baseURL"]
        schemas[realm] = {
            name: SchemaInfo(realm, name, spec.get("shortCode", name), spec.get("type", ""), _titles(spec.get("title")))
            for name, spec in config["schemas"].items()
        }
    # The Secretariat's own record types (news, notifications, meeting documents) are served by the
    # CHM; their six-language titles fill in where the CHM configuration has English only.
    for name, spec in json.loads((data / "schema-name.json").read_text(encoding="utf-8")).items():
        titles = _titles(spec.get("title"))
        known = schemas["CHM"].get(name)
        if known is None:
            schemas["CHM"][name] = SchemaInfo(
                "CHM", name, spec.get("shortCode", name.upper()), spec.get("type", "scbd"), titles
            )
        else:
            schemas["CHM"][name] = SchemaInfo("CHM", name, known.short_code, known.kind, {**titles, **known.titles})
    # Curated titles fill the languages the configurations lack (and correct a garbled one), so
    # that every record type has a label in every UN language.
    # A type several realms define takes a language it lacks from another realm's own title first
    # (one record type, one name), and only then from the curated file.
    official: dict[str, dict[str, str]] = {}
    for by_name in schemas.values():
        for name, info in by_name.items():
            official[name] = {**info.titles, **official.get(name, {})}
    curated = json.loads((data / "schema-titles.json").read_text(encoding="utf-8"))
    for by_name in schemas.values():
        for name, info in list(by_name.items()):
            fills, corrections = _titles(curated["titles"].get(name)), _titles(curated["corrections"].get(name))
            titles = {**fills, **official[name], **info.titles, **corrections}
            if titles != info.titles:
                by_name[name] = SchemaInfo(info.realm, name, info.short_code, info.kind, titles)
    return RealmCatalog(schemas=schemas, base_urls=base_urls)
