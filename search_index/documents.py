"""From catalogue rows to index documents: which version of each field a reader sees.

Per language the display choice is reviewed > original > machine (current ones only); stale,
failed and rejected texts never reach readers. ``status`` tells, per UN language, which kind
the reader gets, and ``pending`` where nothing is there yet.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from analyzers.symbols import find_symbols
from record_catalogue.codes import DISPLAY_PRIORITY, Provenance, Realm, TextStatus, TranslationStatus
from record_catalogue.languages import UN_LANGUAGES
from record_catalogue.record import TEXT_FIELDS
from search_index.base import Document, SourceRef

KEYWORD = "keyword"  # the entity type of a thesaurus keyword (``analyzers.entities.keyword_entities``)


class TextLike(Protocol):
    """One language version of a field (a ``FieldText`` row, or a freshly stored copy)."""

    @property
    def field(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def provenance(self) -> str: ...
    @property
    def status(self) -> str: ...


class EntityLike(Protocol):
    """An entity of a record: ``type:id`` is the facet value; a keyword's rows in a language carry
    its thesaurus label as ``text`` (``record_catalogue.term_labels``), which the document makes
    searchable."""

    @property
    def type(self) -> str: ...
    @property
    def entity_id(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def text(self) -> str: ...


class RecordLike(Protocol):
    """What a document is built from: a ``RecordRow``, or the plain copy ingest keeps of a new one
    (building ORM objects for tens of thousands of new records costs more than storing them)."""

    @property
    def id(self) -> str: ...
    @property
    def realm(self) -> Realm: ...
    @property
    def schema_name(self) -> str: ...
    @property
    def government(self) -> str | None: ...
    @property
    def original_language(self) -> str: ...
    @property
    def date(self) -> dt.date | None: ...
    @property
    def url(self) -> str | None: ...
    @property
    def updated_at(self) -> dt.datetime: ...
    @property
    def texts(self) -> Sequence[TextLike]: ...
    @property
    def entities(self) -> Sequence[EntityLike]: ...


def best_texts(texts: Sequence[TextLike]) -> dict[str, dict[str, TextLike]]:
    """For each field and language, the version a reader should see."""
    chosen: dict[str, dict[str, TextLike]] = {name: {} for name in TEXT_FIELDS}
    for text in texts:
        if text.status != TextStatus.CURRENT or text.provenance not in DISPLAY_PRIORITY or text.field not in chosen:
            continue
        current = chosen[text.field].get(text.language)
        if current is None or DISPLAY_PRIORITY[text.provenance] < DISPLAY_PRIORITY[current.provenance]:
            chosen[text.field][text.language] = text
    return chosen


def reader_language(kinds: Mapping[str, str], lang: str) -> str | None:
    """The language whose version a reader of ``lang`` sees, given each language's kind of version.

    The one display policy (search results, the record API and page, the widget): the reader's own
    language when it has a version; otherwise a reviewed translation, then an original (English
    before other originals: the most readers read it), then a machine translation; ties in the
    order of ``UN_LANGUAGES``. ``kinds`` maps a language to ``reviewed``, ``original`` or
    ``machine``; anything else (``pending``) is not shown.
    """
    # ``display_order``'s first, without sorting: every card of every search asks this twice.
    if kinds.get(lang) in DISPLAY_PRIORITY:
        return lang
    return min(_shown(kinds), key=lambda code: _rank(kinds, code, lang), default=None)


def display_order(kinds: Mapping[str, str], lang: str) -> list[str]:
    """Every shown language of ``kinds``, the one ``reader_language`` picks first, then the others
    in the order the same policy would fall back to them."""
    return sorted(_shown(kinds), key=lambda code: _rank(kinds, code, lang))


def _shown(kinds: Mapping[str, str]) -> list[str]:
    """The languages of ``kinds`` whose version a reader may see (not ``pending``)."""
    return [code for code, kind in kinds.items() if kind in DISPLAY_PRIORITY]


_UN_ORDER = {code: index for index, code in enumerate(UN_LANGUAGES)}


def _rank(kinds: Mapping[str, str], code: str, lang: str) -> tuple[bool, int, bool, int, str]:
    """Where ``code`` comes in the display policy's order for a reader of ``lang`` (lowest first)."""
    return (code != lang, DISPLAY_PRIORITY[kinds[code]], code != "en", _UN_ORDER.get(code, len(_UN_ORDER)), code)


def version_kinds(source: Mapping[str, Any], field: str) -> dict[str, str]:
    """Each language version of an index document's ``field``: original, reviewed or machine."""
    values = source.get(field) or {}
    status = source.get("status") or {}
    original = source.get("original_language")
    return {
        code: TranslationStatus.ORIGINAL if code == original else status.get(code, TranslationStatus.MACHINE)
        for code, text in values.items()
        if text
    }


def snippet_languages(source: Mapping[str, Any], lang: str) -> list[str]:
    """The languages a result's snippet is looked for in: the reader's, then the one the card shows
    (the summary's, else the title's, by the display policy) and its fallbacks, then any other.
    A reader without a version of their own reads the snippet in the card's language, not in
    whichever other language the query also matched."""
    kinds = version_kinds(source, "summary") or version_kinds(source, "title")
    return list(dict.fromkeys([lang, *display_order(kinds, lang), *UN_LANGUAGES]))


def language_status(chosen: dict[str, dict[str, TextLike]], original_language: str) -> dict[str, TranslationStatus]:
    """What a reader of each UN language gets: original, reviewed, machine or pending."""
    status: dict[str, TranslationStatus] = {}
    for lang in UN_LANGUAGES:
        kinds = {field[lang].provenance for field in chosen.values() if lang in field}
        if not kinds:
            status[lang] = TranslationStatus.PENDING
        elif Provenance.ORIGINAL in kinds or lang == original_language:
            status[lang] = TranslationStatus.ORIGINAL
        elif kinds == {Provenance.REVIEWED}:
            status[lang] = TranslationStatus.REVIEWED
        else:
            status[lang] = TranslationStatus.MACHINE
    return status


# A clearing-house GUID (what harvested records are keyed by): an address, not a name readers know.
_GUID = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")


SYMBOL_SCAN_CHARS = 5000  # where cbd_identifier looks for a symbol in each text


def cbd_identifier(row: RecordLike, symbols: Mapping[str, list[str]] | None = None) -> str | None:
    """The identifier readers of the clearing-house know the record by: the clearing-house's own
    (the BCH's uniqueIdentifier, kept by the catalogue), else its document symbol (the first in
    its original title, then summary, then text), else its id unless that is a GUID.

    ``symbols``: ``find_symbols`` of texts already scanned whole (``build_document`` has them),
    used for texts no longer than the part scanned here, rather than scanning them again."""
    own = getattr(row, "unique_identifier", None)  # a RecordRow or StoredRecord has it
    if own:
        return str(own)
    originals = [t for t in row.texts if t.provenance == Provenance.ORIGINAL and t.text]
    known = symbols or {}
    for field in TEXT_FIELDS:
        for text in originals:
            if text.field != field:
                continue
            found = known.get(text.text) if len(text.text) <= SYMBOL_SCAN_CHARS else None
            if found is None:
                found = find_symbols(text.text[:SYMBOL_SCAN_CHARS])
            if found:
                return found[0]
    return None if _GUID.match(row.id) else row.id


def group_members(row: RecordLike) -> list[RecordLike]:
    """The other records of the duplicate group ``row`` is the primary of, when the catalogue
    loaded them with it (``Catalogue.iter_records``); none otherwise. Read from the instance's
    own state, never loaded on access: a row detached from its session must not query."""
    loaded = getattr(row, "__dict__", {}).get("group_members") or ()
    return [m for m in loaded if m.id != row.id and getattr(m, "deleted_at", None) is None]


def build_document(row: RecordLike) -> Document:
    """The index document of one record (see ``search_index.base`` for its shape).

    A record grouped under another as a copy of one document (``group_id``, see
    ``record_catalogue.duplicates``) gives a marker, ``{"id", "merged_into"}``: the engines
    remove its own document, for the group is shown once, by its primary. The primary's document
    takes what its members add: the languages and fields it lacks, every realm (so the realm
    facet counts the document in each), entities, names, and ``sources``, every record with its
    clearing-house and link.
    """
    group_id = getattr(row, "group_id", None)
    if group_id is not None and group_id != row.id:
        return {"id": row.id, "merged_into": group_id}
    members = group_members(row)
    chosen = best_texts(row.texts)
    for member in members:
        for name, by_lang in best_texts(member.texts).items():
            for lang, version in by_lang.items():
                chosen[name].setdefault(lang, version)
    fields = {
        name: {lang: t.text for lang, t in by_lang.items() if lang in UN_LANGUAGES} for name, by_lang in chosen.items()
    }
    every = [row, *members]
    originals = [t.text for record in every for t in record.texts if t.provenance == Provenance.ORIGINAL]
    symbols: list[str] = []
    found: dict[str, list[str]] = {}  # each text scanned once; cbd_identifier reuses them
    for text in originals:
        in_text = found.get(text)
        if in_text is None:
            in_text = found[text] = find_symbols(text)
        symbols.extend(in_text)
    # Keywords' thesaurus labels, in every language the thesaurus has: found whatever the reader's
    # language, and never a language version of the record (they do not make it "translated").
    keywords = [e.text for record in every for e in record.entities if e.type == KEYWORD and e.language]
    # A term reference is a keyword facet once the thesaurus has labelled it: records also refer to
    # other records and meetings by identifier, which the thesaurus does not know (no GUID facets).
    labelled = {e.entity_id for record in every for e in record.entities if e.type == KEYWORD and e.language}
    names = " ".join(dict.fromkeys([*(r.id for r in every), *fields["title"].values(), *symbols, *keywords]))
    languages = sorted({lang for by_lang in fields.values() for lang in by_lang})
    return {
        "id": row.id,
        "realm": row.realm,
        "schema": row.schema_name,
        "government": row.government,
        "original_language": row.original_language,
        "languages": languages,
        "title": fields["title"],
        "summary": fields["summary"],
        "text": fields["text"],
        "status": language_status(chosen, row.original_language),
        "names": names,
        "entities": sorted(
            {
                f"{e.type}:{e.entity_id}"
                for record in every
                for e in record.entities
                if e.type != KEYWORD or e.entity_id in labelled
            }
        ),
        "date": row.date.isoformat() if row.date else None,
        "year": row.date.year if row.date else None,
        "url": row.url,
        "cbd_id": cbd_identifier(row, found),
        "updated_at": row.updated_at.isoformat(),
        "realms": sorted({r.realm for r in every}),
        "sources": [SourceRef(id=r.id, realm=r.realm, schema=r.schema_name, url=r.url) for r in every if members],
    }
