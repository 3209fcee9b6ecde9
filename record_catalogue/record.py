"""The canonical ``Record``: what every source adapter produces and every stage consumes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Literal

from pydantic import BaseModel, Field, PrivateAttr, model_validator

Realm = Literal["CHM", "ABS", "BCH"]
REALMS: tuple[str, ...] = ("CHM", "ABS", "BCH")
TEXT_FIELDS: tuple[str, ...] = ("title", "summary", "text")
NUL = "\x00"
_PLAIN_FIELDS = ("id", "schema_name", "url", "source", "source_position")


class Link(BaseModel):
    """A link the record points to (its documents, web pages)."""

    url: str
    name: str | None = None


class Record(BaseModel):
    """One clearing-house record, source-independent.

    Text fields map a language code to the text in that language as the source gave it (the
    ``original`` versions); translations are never part of a Record, they live in the catalogue.
    """

    id: str = Field(min_length=1, max_length=200)
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
    source: str = ""
    source_position: str = ""
    _hash: str | None = PrivateAttr(default=None)
    _notes: list[str] = PrivateAttr(default_factory=list)

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
            payload = self.model_dump(mode="json", exclude={"source", "source_position"})
            raw = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
            self._hash = hashlib.sha256(raw).hexdigest()
        return self._hash
