"""CBD-format JSON records: a single record, an array of records, or a JSON-lines dump.

A record has a ``header`` (``identifier``, ``schema``, ``languages``, optionally ``realm``),
``government.identifier`` (ISO 3166 alpha-2) and text fields as language maps ("lstrings"),
rich-text ones holding HTML. The title, the summary (``summary``/``description``/...) and all
other lstrings (joined as the record's text) become the Record's three text fields.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ingest.html_text import html_to_text
from ingest.sources import SourceError, SourceItem, Unparsed, read_file
from record_catalogue.realms import realm_catalog
from record_catalogue.record import Link, Record, normalise_record_id, record_id_problem
from record_catalogue.settings import get_settings

TITLE_KEYS = ("title", "name")
SUMMARY_KEYS = ("summary", "description", "shortDescription", "abstract", "purpose")
DATE_KEYS = (
    "updatedOn",
    "publishedOn",
    "dateOfIssuance",
    "adoptionDate",
    "date",
    "publicationDate",
    "entryIntoForce",
    "startDate",
    "createdOn",
)
LINK_KEYS = ("relevantDocuments", "links", "documentLinks", "websites")
LANGUAGE_KEY = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")


def is_lstring(value: Any) -> bool:
    """A language map: every key a language code, every value a string."""
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(k, str) and LANGUAGE_KEY.match(k) and isinstance(v, str) for k, v in value.items())
    )


def _text_map(value: dict[str, str]) -> dict[str, str]:
    return {lang: text for lang, raw in value.items() if (text := html_to_text(raw))}


def _merge(target: dict[str, str], addition: dict[str, str]) -> None:
    for lang, text in addition.items():
        target[lang] = f"{target[lang]}\n\n{text}" if lang in target else text


def _parse_date(doc: dict[str, Any]) -> date | None:
    for key in DATE_KEYS:
        value = doc.get(key) or (doc.get("header") or {}).get(key)
        if isinstance(value, str) and len(value) >= 10:
            try:
                return date.fromisoformat(value[:10])
            except ValueError:
                continue
    return None


def _terms(doc: dict[str, Any]) -> list[str]:
    """Identifiers of the terms a record refers to (``{"identifier": ...}`` values, in lists too)."""
    found: list[str] = []
    for key, value in doc.items():
        if key in ("header", "government"):
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict) and isinstance(item.get("identifier"), str):
                found.append(item["identifier"])
    return sorted(set(found))


def _links(doc: dict[str, Any]) -> list[Link]:
    found: list[Link] = []
    for key in LINK_KEYS:
        for item in doc.get(key) or []:
            if isinstance(item, dict) and isinstance(item.get("url"), str):
                name = item.get("name")
                found.append(Link(url=item["url"], name=name if isinstance(name, str) else None))
    return found


def record_from_json(doc: Any, source: str, position: str, realm_hint: str | None = None) -> Record | SourceError:
    """One CBD JSON document → a Record, or a SourceError saying exactly what is wrong."""
    if not isinstance(doc, dict):
        return SourceError(source, position, f"a record must be a JSON object, not {type(doc).__name__}")
    header = doc.get("header")
    if not isinstance(header, dict):
        return SourceError(source, position, "record has no header object")
    identifier = header.get("identifier")
    if not isinstance(identifier, str) or not identifier.strip():
        return SourceError(source, position, "record has no header.identifier")
    identifier = normalise_record_id(identifier.strip())
    if (problem := record_id_problem(identifier.replace("\x00", ""))) is not None:
        return SourceError(source, position, f"header.identifier: {problem}", identifier)
    schema = header.get("schema")
    if not isinstance(schema, str) or not schema.strip():
        return SourceError(source, position, "record has no header.schema", identifier)
    realm = header.get("realm") or doc.get("realm") or realm_hint
    if realm is not None:
        realm = str(realm).upper()
    try:
        info = realm_catalog().resolve(schema.strip(), realm)
    except ValueError as exc:
        return SourceError(source, position, str(exc), identifier)

    government = doc.get("government")
    gov_code = government.get("identifier") if isinstance(government, dict) else None
    if gov_code is not None:
        gov_code = str(gov_code).strip().lower()
        if not re.fullmatch(r"[a-z]{2}", gov_code):
            return SourceError(
                source, position, f"government.identifier {gov_code!r} is not an ISO 3166 alpha-2 code", identifier
            )

    title: dict[str, str] = {}
    summary: dict[str, str] = {}
    text: dict[str, str] = {}
    lstrings = {key: value for key, value in doc.items() if key not in ("header", "government") and is_lstring(value)}
    problem = size_problem(lstrings)
    if problem is not None:
        return SourceError(source, position, problem, identifier)
    for key, value in lstrings.items():
        if key in TITLE_KEYS and not title:
            title = _text_map(value)
        elif key in SUMMARY_KEYS and not summary:
            summary = _text_map(value)
        else:
            _merge(text, _text_map(value))

    declared = header.get("languages")
    declared_languages = [str(code) for code in declared] if isinstance(declared, list) else []
    if not (title or summary or text):
        return SourceError(
            source, position, "record has no text in any language (title, summary or other fields)", identifier
        )
    try:
        return Record(
            id=identifier,
            realm=info.realm,  # type: ignore[arg-type]
            schema_name=info.name,
            government=gov_code,
            title=title,
            summary=summary,
            text=text,
            declared_languages=declared_languages,
            date=_parse_date(doc),
            url=realm_catalog().record_url(info.realm, info.name, identifier),
            links=_links(doc),
            terms=_terms(doc),
            symbol=_symbol(doc),
            unique_identifier=_unique_identifier(doc),
            source=source,
            source_position=position,
        )
    except ValidationError as exc:
        return SourceError(source, position, validation_reason(exc), identifier)


def _symbol(doc: dict[str, Any]) -> str | None:
    """A meeting document's own symbol (``"symbol": "UNEP/CBD/COP/12/11"``): it names the document
    wherever it is listed, so copies of it are recognised (``record_catalogue.duplicates``)."""
    value = doc.get("symbol")
    if isinstance(value, str) and 0 < len(value.strip()) <= 100:
        return value.strip()
    return None


def _unique_identifier(doc: dict[str, Any]) -> str | None:
    """The clearing-house's own identifier (the BCH's ``"uniqueIdentifier": "MON-ØØ81Ø-6"``):
    what its readers call the record by, shown on cards instead of the GUID."""
    value = doc.get("uniqueIdentifier")
    if isinstance(value, str) and 0 < len(value.strip()) <= 100:
        return value.strip()
    return None


def validation_reason(exc: ValidationError) -> str:
    """The first problem pydantic found, as one readable line (``field: message``)."""
    first = exc.errors()[0]
    message = first["msg"].removeprefix("Value error, ")
    where = ".".join(map(str, first["loc"]))
    return f"{where}: {message}" if where else message


def size_problem(lstrings: dict[str, dict[str, str]]) -> str | None:
    """Whether a record's text fields (as given, before HTML is stripped) exceed the limits.

    Checked before any work is done on them: a field over ``CHM_MAX_FIELD_CHARS`` or a record
    over ``CHM_MAX_RECORD_CHARS`` in all is refused, the rest of the batch goes on."""
    settings = get_settings()
    total = 0
    for key, value in lstrings.items():
        for lang, text in value.items():
            if len(text) > settings.max_field_chars:
                return (
                    f"field {key}.{lang} holds {len(text):,} characters "
                    f"(limit {settings.max_field_chars:,}, CHM_MAX_FIELD_CHARS)"
                )
            total += len(text)
    if total > settings.max_record_chars:
        return (
            f"the record's text fields hold {total:,} characters in all "
            f"(limit {settings.max_record_chars:,}, CHM_MAX_RECORD_CHARS)"
        )
    return None


def load_json(content: str) -> tuple[Any, str | None]:
    """Parsed JSON, or why it cannot be: bad syntax, nesting too deep to read (Python's parser
    recurses: thousands of ``[`` raise RecursionError), a number too long to convert."""
    try:
        return json.loads(content), None
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    except RecursionError:
        return None, "invalid JSON: nested too deeply (arrays or objects inside each other beyond what can be read)"
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        return None, f"invalid JSON: {exc}"


def parse_item(item: SourceItem) -> Record | SourceError:
    """The record (or the error) an item stands for: ``Unparsed`` lines are parsed here."""
    if not isinstance(item, Unparsed):
        return item
    doc, problem = load_json(item.line)
    if problem is not None:
        return SourceError(item.source, item.position, problem.replace(" at line 1 column ", " at column "))
    return record_from_json(doc, item.source, item.position, item.realm_hint)


def read_cbd_json(path: Path, realm_hint: str | None = None, defer: bool = False) -> Iterator[SourceItem]:
    """Every record of a ``.json`` or ``.jsonl`` file; a broken line does not stop the rest.

    ``defer``: a JSON-lines file's lines come as ``Unparsed`` items, for the caller to parse
    (``parse_item``) where it suits it.
    """
    source = str(path)
    raw = read_file(path)
    if isinstance(raw, SourceError):
        yield raw
        return
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield SourceError(source, f"byte {exc.start}", "file is not UTF-8 text (JSON must be UTF-8)")
        return
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        for number, line in enumerate(content.splitlines(), start=1):
            if not line.strip():
                continue
            item = Unparsed(source, f"line {number}", line, realm_hint)
            yield item if defer else parse_item(item)
        return
    doc, problem = load_json(content)
    if problem is not None:
        found = re.search(r" at line (\d+) column", problem)
        yield SourceError(source, f"line {found.group(1)}" if found else "", problem)
        return
    if isinstance(doc, list):
        for index, item in enumerate(doc):
            yield record_from_json(item, source, f"item {index}", realm_hint)
    else:
        yield record_from_json(doc, source, "", realm_hint)
