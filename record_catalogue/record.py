"""The canonical ``Record``: what every source adapter produces and every stage consumes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import unicodedata

from pydantic import BaseModel, Field, PrivateAttr, field_validator, model_validator

from record_catalogue.codes import Realm

REALMS: tuple[str, ...] = tuple(realm.value for realm in Realm)
TEXT_FIELDS: tuple[str, ...] = ("title", "summary", "text")
NUL = "\x00"
_PLAIN_FIELDS = ("id", "schema_name", "url", "source", "source_position", "symbol", "unique_identifier")
MAX_ID_CHARS = 200
# Characters that reorder how text is displayed (U+202A-U+202E, U+2066-U+2069) or are invisible
# marks: an id holding one can look like another id (or like a path) in a link or a log line.
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def record_id_problem(value: str) -> str | None:
    """Why ``value`` cannot be a record id, or None.

    Ids end up in URLs (``/records/{id}``, the clearing-house's own record link), in file-like
    places and in curators' screens: they must be printable (no control, format, bidi-override
    or unassigned character), hold no path separator and not be ``.`` or ``..``. Compare them
    after :func:`normalise_record_id` (NFC), as every stage does.
    """
    if not value:
        return "the record id is empty"
    if len(value) > MAX_ID_CHARS:
        return f"the record id has {len(value):,} characters (limit {MAX_ID_CHARS})"
    if value in (".", ".."):
        return f"the record id {value!r} is a path component, not an id"
    if value.isprintable() and "/" not in value and "\\" not in value:
        return None  # what _character_problem finds: bidi controls and lone surrogates are not printable
    return _character_problem(value)


def _character_problem(value: str) -> str | None:
    """The first character of ``value`` an id may not hold, said with its position; or None."""
    for position, char in enumerate(value, start=1):
        if char in "/\\":
            return f"the record id holds a path separator {char!r} at character {position}"
        if char in _BIDI_CONTROLS:
            return f"the record id holds a bidirectional control U+{ord(char):04X} at character {position}"
        if 0xD800 <= ord(char) <= 0xDFFF:
            return f"the record id holds a lone surrogate U+{ord(char):04X} at character {position}"
        if not char.isprintable():
            return f"the record id holds a non-printable character U+{ord(char):04X} at character {position}"
    return None


def normalise_record_id(value: str) -> str:
    """The id in Unicode NFC: "café" typed precomposed or decomposed is one record."""
    return unicodedata.normalize("NFC", value)


def surrogate_problem(value: str) -> int | None:
    """The position (from 1) of the first lone surrogate in ``value``: JSON's ``"\\ud800"``
    decodes to one, which no encoder (UTF-8, the catalogue's drivers) accepts; None if none."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start + 1
    return None


class Link(BaseModel):
    """A link the record points to (its documents, web pages)."""

    url: str
    name: str | None = None


class Record(BaseModel):
    """One clearing-house record, source-independent.

    Text fields map a language code to the text in that language as the source gave it (the
    ``original`` versions); translations are never part of a Record, they live in the catalogue.
    """

    id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    realm: Realm
    schema_name: str = Field(min_length=1, max_length=100)
    government: str | None = Field(default=None, pattern=r"^[a-z]{2}$")
    title: dict[str, str] = Field(default_factory=dict)
    summary: dict[str, str] = Field(default_factory=dict)
    text: dict[str, str] = Field(default_factory=dict)
    declared_languages: list[str] = Field(default_factory=list)
    date: dt.date | None = None
    url: str | None = None
    links: list[Link] = Field(default_factory=list)
    terms: list[str] = Field(default_factory=list, description="Identifiers of the thesaurus terms it refers to.")
    symbol: str | None = Field(
        default=None, max_length=100, description="The document's own UN symbol (``UNEP/CBD/COP/12/11``), if any."
    )
    unique_identifier: str | None = Field(
        default=None,
        max_length=100,
        description="The clearing-house's own identifier beside the GUID (the BCH's uniqueIdentifier: MON-ØØ81Ø-6).",
    )
    source: str = ""
    source_position: str = ""
    _hash: str | None = PrivateAttr(default=None)
    _notes: list[str] = PrivateAttr(default_factory=list)

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        value = normalise_record_id(value)
        if value and not value.replace(NUL, ""):
            raise ValueError("id holds nothing but NUL characters")
        problem = record_id_problem(value.replace(NUL, ""))  # NUL alone is removed, and noted, below
        if problem is not None:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _valid_unicode(self) -> Record:
        """No lone surrogate anywhere: the record could be neither hashed nor stored, and an
        import would stop on it; the record is refused saying where (the rest goes on)."""
        for name in ("source", "source_position"):  # where it came from: a file name need not be UTF-8
            value = getattr(self, name)
            if value and surrogate_problem(value) is not None:
                setattr(self, name, value.encode("utf-8", "backslashreplace").decode("utf-8"))
        for name in ("id", "schema_name", "url", "government"):
            value = getattr(self, name)
            if value and (at := surrogate_problem(value)) is not None:
                raise ValueError(f"{name} holds a lone surrogate (invalid Unicode) at character {at}")
        for name in TEXT_FIELDS:
            versions: dict[str, str] = getattr(self, name)
            for lang, value in versions.items():
                if (at := surrogate_problem(lang + value)) is not None:
                    where = f"{name}.{lang!r}" if at <= len(lang) else f"{name}.{lang}"
                    offset = at if at <= len(lang) else at - len(lang)
                    raise ValueError(f"{where} holds a lone surrogate (invalid Unicode) at character {offset}")
        for name in ("declared_languages", "terms"):
            for value in getattr(self, name):
                if surrogate_problem(value) is not None:
                    raise ValueError(f"{name} holds a lone surrogate (invalid Unicode): {value!r}")
        for link in self.links:
            if surrogate_problem(link.url + (link.name or "")) is not None:
                raise ValueError(f"links hold a lone surrogate (invalid Unicode): {link.url!r}")
        return self

    @model_validator(mode="after")
    def _without_nul(self) -> Record:
        """No NUL character (U+0000) anywhere: PostgreSQL's text cannot hold one (SQLite's can), so
        on every catalogue alike it is removed on input, and the record notes where (``notes``;
        ingest reports it against the record, which is stored all the same)."""
        where: list[str] = []
        for name in _PLAIN_FIELDS:
            value = getattr(self, name)
            if value and NUL in value:
                setattr(self, name, value.replace(NUL, ""))
                where.append(name)
        if not self.id:
            raise ValueError("id holds nothing but NUL characters")
        for name in TEXT_FIELDS:
            versions: dict[str, str] = getattr(self, name)
            if any(NUL in lang or NUL in value for lang, value in versions.items()):
                setattr(self, name, {lang.replace(NUL, ""): value.replace(NUL, "") for lang, value in versions.items()})
                where.append(name)
        for name in ("declared_languages", "terms"):
            values: list[str] = getattr(self, name)
            if any(NUL in value for value in values):
                setattr(self, name, [value.replace(NUL, "") for value in values])
                where.append(name)
        for link in self.links:
            if NUL in link.url or (link.name and NUL in link.name):
                link.url = link.url.replace(NUL, "")
                link.name = link.name.replace(NUL, "") if link.name else link.name
                where.append("links")
        if where:
            fields = ", ".join(dict.fromkeys(where))
            self._notes.append(f"NUL characters (U+0000) removed from {fields}: no catalogue stores them")
        return self

    @property
    def notes(self) -> list[str]:
        """What was changed on input (NUL characters removed), to report with the record."""
        return self._notes

    def texts(self) -> dict[str, dict[str, str]]:
        """The three text fields by name, skipping empty ones."""
        return {
            name: {lang: value for lang, value in getattr(self, name).items() if value.strip()} for name in TEXT_FIELDS
        }

    def content_hash(self) -> str:
        """A hash of everything a reader sees; unchanged input hashes the same and costs nothing.

        Computed once per record (ingest asks for it when screening and again when storing).
        """
        if self._hash is None:
            # ``symbol`` only when there is one: records without keep the hashes they had before it existed.
            # The same for ``unique_identifier``.
            exclude = {"source", "source_position"} | {
                name for name in ("symbol", "unique_identifier") if getattr(self, name) is None
            }
            payload = self.model_dump(mode="json", exclude=exclude)
            # surrogatepass: a Record is validated free of lone surrogates, but hashing must never
            # be the step that stops an import.
            raw = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogatepass")
            self._hash = hashlib.sha256(raw).hexdigest()
        return self._hash
