"""Plain-text documents (``.txt``): one file, one record of the CHM.

A file named like a CBD document symbol (``UNEP-CBD-COP-12-11.txt``) is a meeting document;
anything else is a library resource. The first non-empty line is the title.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ingest.html_text import normalise_space
from ingest.sources import SourceError, SourceItem
from record_catalogue.realms import realm_catalog
from record_catalogue.record import Record

SYMBOL_FILENAME = re.compile(r"^(?:UNEP-)?CBD-[A-Z]", re.IGNORECASE)
BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
MAX_TITLE = 300


def decode_text(raw: bytes) -> str | None:
    """Text in UTF-8 (or a BOM-marked UTF-16); None for any other encoding rather than mojibake."""
    for bom, encoding in BOMS:
        if raw.startswith(bom):
            return raw.decode(encoding)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def read_plain_text(path: Path, realm_hint: str | None = None) -> Iterator[SourceItem]:
    """The record of one text file."""
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        yield SourceError(source, "", f"cannot read file: {exc.strerror or exc}")
        return
    content = decode_text(raw)
    if content is None:
        yield SourceError(source, "", "file is not UTF-8 or UTF-16 text (unknown encoding); convert it to UTF-8")
        return
    text = normalise_space(content.replace("\x00", ""))
    if not text:
        yield SourceError(source, "", "file is empty")
        return
    is_document = bool(SYMBOL_FILENAME.match(path.stem))
    schema = "meetingDocument" if is_document else "resource"
    realm = realm_hint or "CHM"
    try:
        info = realm_catalog().resolve(schema, realm)
    except ValueError as exc:
        yield SourceError(source, "", str(exc))
        return
    first_line = next(line for line in text.splitlines() if line.strip()).strip()
    symbol = path.stem.replace("-", "/") if is_document else None
    title = f"{symbol}: {first_line}" if symbol else first_line
    record_id = re.sub(r"[^A-Za-z0-9_.\-]+", "-", path.stem).strip("-") or "document"
    # The language is not declared: "und" marks it for detection in the pipeline.
    yield Record(
        id=record_id,
        realm=info.realm,  # type: ignore[arg-type]
        schema_name=info.name,
        title={"und": title[:MAX_TITLE]},
        text={"und": text},
        url=realm_catalog().record_url(info.realm, info.name, record_id),
        source=source,
        source_position="",
    )
