"""The metadata formats the OAI-PMH provider disseminates, built from catalogue rows.

- ``oai_dc``: simple Dublin Core, which every harvester reads. Each language version a reader
  would see (reviewed, else original, else machine) is its own ``dc:title``/``dc:description``
  with ``xml:lang``; Dublin Core has no place for provenance, so machine versions are marked only
  in the native format.
- ``chm``: the native format (schema ``search_api/static/chm-record-1.0.xsd``): every version of
  every field with its provenance (``original``; ``machine`` + engine, model, pivot; ``reviewed``
  + curator and time) and status, the record's links, entities, and the other records holding
  the same document. What a partner needs to mirror us.

Both are built with ``xml.etree`` (generation only; nothing here parses XML), so text is escaped
by the serializer; characters XML 1.0 cannot carry (control characters) are dropped.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from record_catalogue.codes import Provenance
from record_catalogue.languages import UN_LANGUAGES
from record_catalogue.models import FieldText, RecordRow
from record_catalogue.realms import REALM_NAMES, realm_catalog
from search_index.documents import best_texts

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XML_NS = "http://www.w3.org/XML/1998/namespace"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
CHM_NS = "urn:x-chm-search:record:1.0"
CHM_SCHEMA_FILE = "chm-record-1.0.xsd"
for _prefix, _uri in (("xsi", XSI_NS), ("oai_dc", OAI_DC_NS), ("dc", DC_NS), ("chm", CHM_NS)):
    ET.register_namespace(_prefix, _uri)

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    """``value`` without the characters XML 1.0 cannot hold."""
    return _NOT_XML.sub("", value)


def datestamp(value: dt.datetime | None) -> str:
    """A UTC datestamp at OAI-PMH's seconds granularity (catalogues without time zones store UTC)."""
    if value is None:
        value = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str | None) -> ET.Element:
    """A child element; attributes given as None are left out."""
    element = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        element.text = xml_text(text)
    return element


@dataclass(frozen=True)
class MetadataFormat:
    prefix: str
    schema: str
    namespace: str


def metadata_formats(base_url: str) -> list[MetadataFormat]:
    """The formats every record is disseminated in (``base_url``: the provider's own, for ``chm``)."""
    return [
        MetadataFormat("oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC_NS),
        MetadataFormat("chm", f"{base_url}/{CHM_SCHEMA_FILE}", CHM_NS),
    ]


def set_specs(row: RecordRow) -> list[str]:
    """The sets a record is in: its realm, and its record type within the realm."""
    return [row.realm, f"{row.realm}:{row.schema_name}"]


def set_name(spec: str) -> str:
    """A set's name as ListSets gives it (English; the native format carries the rest)."""
    realm, _, schema = spec.partition(":")
    realm_name = REALM_NAMES.get(realm, {}).get("en", realm)
    if not schema:
        return realm_name
    return f"{realm_name}: {realm_catalog().schema_label(realm, schema, 'en')}"


def oai_dc(row: RecordRow, identifier: str) -> ET.Element:
    """Simple Dublin Core: every language version a reader sees, each with ``xml:lang``."""
    root = ET.Element(
        q(OAI_DC_NS, "dc"),
        {q(XSI_NS, "schemaLocation"): f"{OAI_DC_NS} http://www.openarchives.org/OAI/2.0/oai_dc.xsd"},
    )
    chosen = best_texts(row.texts)
    lang_attr = q(XML_NS, "lang")
    for field, element in (("title", "title"), ("summary", "description")):
        for lang in sorted(chosen[field]):
            sub(root, q(DC_NS, element), chosen[field][lang].text, **{lang_attr: lang})
    publisher = REALM_NAMES.get(row.realm, {})
    for lang in UN_LANGUAGES:
        if lang in publisher:
            sub(root, q(DC_NS, "publisher"), publisher[lang], **{lang_attr: lang})
    if row.date is not None:
        sub(root, q(DC_NS, "date"), row.date.isoformat())
    sub(root, q(DC_NS, "type"), row.schema_name)
    for label_lang in UN_LANGUAGES:
        label = realm_catalog().schema_label(row.realm, row.schema_name, label_lang)
        if label != row.schema_name:
            sub(root, q(DC_NS, "type"), label, **{lang_attr: label_lang})
    sub(root, q(DC_NS, "identifier"), identifier)
    if row.url:
        sub(root, q(DC_NS, "identifier"), row.url)
    languages = sorted({t.language for t in row.texts if t.provenance == Provenance.ORIGINAL})
    for lang in [row.original_language, *[code for code in languages if code != row.original_language]]:
        sub(root, q(DC_NS, "language"), lang)
    if row.government:
        sub(root, q(DC_NS, "coverage"), row.government.upper())
    for link in row.links or []:
        if isinstance(link, dict) and link.get("url"):
            sub(root, q(DC_NS, "relation"), str(link["url"]))
    return root


def _version(parent: ET.Element, text: FieldText) -> None:
    sub(
        parent,
        q(CHM_NS, "version"),
        text.text,
        lang=text.language,
        provenance=text.provenance,
        status=text.status,
        statusReason=text.status_reason,
        declaredLanguage=text.declared_language,
        engine=text.engine,
        model=text.model,
        pivot=text.pivot,
        actor=text.actor,
        version=str(text.version),
        updated=datestamp(text.updated_at),
    )


def native(row: RecordRow, identifier: str, schema_url: str, sources: list[RecordRow] | None = None) -> ET.Element:
    """The native format: every version of every field with its provenance (see module doc)."""
    root = ET.Element(
        q(CHM_NS, "record"),
        {
            q(XSI_NS, "schemaLocation"): f"{CHM_NS} {schema_url}",
            "id": xml_text(row.id),
            "realm": row.realm,
            "schema": xml_text(row.schema_name),
            "originalLanguage": row.original_language,
            "changed": datestamp(row.changed_at),
        },
    )
    for name, value in (("identifier", identifier), ("government", row.government), ("url", row.url)):
        if value:
            sub(root, q(CHM_NS, name), value)
    if row.date is not None:
        sub(root, q(CHM_NS, "date"), row.date.isoformat())
    by_field: dict[str, list[FieldText]] = {}
    for text in sorted(row.texts, key=lambda t: (t.field, t.language, t.provenance, t.id)):
        by_field.setdefault(text.field, []).append(text)
    for field, texts in by_field.items():
        element = sub(root, q(CHM_NS, "field"), name=field)
        for text in texts:
            _version(element, text)
    for link in row.links or []:
        if isinstance(link, dict) and link.get("url"):
            sub(root, q(CHM_NS, "link"), url=str(link["url"]), name=link.get("name") or None)
    for key in sorted({(e.type, e.entity_id) for e in row.entities}):
        sub(root, q(CHM_NS, "entity"), type=key[0], id=key[1])
    for other in sources or []:
        sub(root, q(CHM_NS, "sameDocument"), id=other.id, realm=other.realm, schema=other.schema_name, url=other.url)
    return root
