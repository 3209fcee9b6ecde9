"""Source adapters: each turns one kind of input into Records or errors with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from record_catalogue.record import Record


@dataclass(frozen=True)
class SourceError:
    """An input that could not become a Record: where it is and why."""

    source: str
    position: str
    reason: str
    record_id: str | None = None


@dataclass(frozen=True, slots=True)
class Unparsed:
    """One line of a JSON-lines dump, read but not yet parsed (``cbd_json.parse_item`` parses it).

    Parsing (JSON, HTML stripping, validation, hashing) is most of what reading a dump costs; a
    big ingest hands lines over as they are so that its worker processes parse them, next to the
    detection and tagging they do anyway, instead of the one process that must store and index.
    """

    source: str
    position: str
    line: str
    realm_hint: str | None = None


SourceItem = Record | SourceError | Unparsed
UNKNOWN_ENCODING = "file is not UTF-8 or UTF-16 text (unknown encoding); convert it to UTF-8"
BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def read_file(path: Path) -> bytes | SourceError:
    """A file's bytes, or the error saying why it cannot be read or is empty."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return SourceError(str(path), "", f"cannot read file: {exc.strerror or exc}")
    if not raw.strip():
        return SourceError(str(path), "", "file is empty")
    return raw


def read_text_file(path: Path, max_chars: int | None = None) -> str | SourceError:
    """A text file's content (UTF-8, or UTF-16 with a BOM), or why it cannot be had.

    ``max_chars``: a file bigger than that many characters could take (4 bytes each at most in
    UTF-8) is refused before it is read."""
    if max_chars is not None:
        try:
            size = path.stat().st_size
        except OSError as exc:
            return SourceError(str(path), "", f"cannot read file: {exc.strerror or exc}")
        if size > 4 * max_chars:
            return SourceError(
                str(path), "", f"file has {size:,} bytes: more text than a record may hold (CHM_MAX_RECORD_CHARS)"
            )
    raw = read_file(path)
    if isinstance(raw, SourceError):
        return raw
    content = decode_text(raw)
    if content is None:
        return SourceError(str(path), "", UNKNOWN_ENCODING)
    return content


def decode_text(raw: bytes) -> str | None:
    """Text in UTF-8 (or a BOM-marked UTF-16); None for any other encoding rather than mojibake."""
    for bom, encoding in BOMS:
        if raw.startswith(bom):
            return raw.decode(encoding)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
