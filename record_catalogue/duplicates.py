"""One document, several records: recognising copies and grouping them, never merging them.

The same document reaches us more than once: a reference record that several clearing-houses
list, a meeting document ingested as a file and as its CBD record, identical resources pushed to
ABS and to BCH under different ids. Each source record stays in the catalogue as it came; what
changes is that records sharing a *document key* form a group (``records.group_id``), shown as one
search result by its primary record, listing every clearing-house and link of the group.

Keys (``document_keys``):

- ``symbol:UNEP/CBD/COP/12/11``: the document's own UN symbol (a meeting document's ``symbol``;
  a file named like one). Symbols merely mentioned in a text are not keys: a note cites dozens.
- ``cbd:VLR-SCBD-237429``: a CBD unique id without its realm prefix and revision
  (``BCH-VLR-SCBD-237429-1``, as record id or as the last part of the record's URL): the
  clearing-houses' identifier rule for one document published in several realms.
- ``content:<sha256>``: the normalised text of every original field (case, spacing and
  Unicode forms folded, languages ignored) and the record's country, for the same content under
  two ids; only for records with a title and enough text that a match is not a coincidence.

Groups are the connected components of records sharing keys, among records that are neither
deleted nor split off by a curator (``group_split``: "not the same document"). The primary is
the record with the most languages, then the most fields, then the smallest id.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from record_catalogue.codes import Provenance
from record_catalogue.db import in_chunks
from record_catalogue.models import Base, DocumentKey, FieldText, RecordRow
from record_catalogue.record import TEXT_FIELDS, Record

CBD_UNIQUE_ID = re.compile(r"^(?:ABSCH|BCH|CHM|SCBD)-([A-Z0-9]+)-([A-Z]{2}|SCBD)-(\d+)(?:-\d+)?$", re.IGNORECASE)
MIN_FINGERPRINT_CHARS = 40
# A component larger than this is not a set of copies but keys gone wrong (a boilerplate text
# shared by thousands): its records are left ungrouped rather than hidden behind one of them.
MAX_GROUP = 50
_SPACE = re.compile(r"\s+")


def _normal(text: str) -> str:
    """``text`` with its Unicode forms and case folded and its spacing collapsed: the same as
    ``" ".join(unicodedata.normalize("NFKC", text).casefold().split())``."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    # Most texts are spaced already, but for their line breaks: those made single spaces (a
    # whitespace run replaced by a space splits the same), a printable text with no space at
    # either end and never two in a row is its own collapsed form (the only whitespace character
    # that is printable is " "), without the list of its words that split() makes (the most
    # costly step here; tests/publish/test_duplicates.py holds this to the plain definition).
    spaced = folded.replace("\n\n", " ").replace("\n", " ") if "\n" in folded else folded
    if spaced.isprintable() and "  " not in spaced and not spaced.startswith(" ") and not spaced.endswith(" "):
        return spaced
    # str.split() splits where the regex \s+ matches (both take str.isspace()'s whitespace), at a
    # third of the regex's cost.
    return " ".join(folded.split())


def document_keys(record: Record) -> set[str]:
    """The keys that identify the document ``record`` is about (see the module doc)."""
    keys: set[str] = set()
    if record.symbol:
        keys.add("symbol:" + _SPACE.sub("", record.symbol).upper())
    for candidate in (record.id, (record.url or "").rstrip("/").rsplit("/", 1)[-1]):
        match = CBD_UNIQUE_ID.match(candidate)
        if match:
            keys.add(f"cbd:{match.group(1)}-{match.group(2)}-{match.group(3)}".upper())
    texts = record.texts()
    if texts.get("title"):
        parts = sorted(f"{name}\x1f{_normal(value)}" for name in TEXT_FIELDS for value in texts.get(name, {}).values())
        if sum(len(part) for part in parts) >= MIN_FINGERPRINT_CHARS:
            # The country is part of the content: the same words from two governments (a target
            # or report written to a template) are two documents, not copies of one.
            parts.insert(0, f"government\x1f{(record.government or '').lower()}")
            keys.add("content:" + hashlib.sha256("\x1e".join(parts).encode("utf-8")).hexdigest())
    return keys


def key_rows(record_id: str, keys: Iterable[str]) -> list[dict[str, str]]:
    return [{"record_id": record_id, "key": key[:300]} for key in sorted(keys)]


def replace_keys(session: Session, record_id: str, keys: Iterable[str]) -> None:
    """A changed record's keys, in place of those it had."""
    session.execute(delete(DocumentKey).where(DocumentKey.record_id == record_id))
    rows = key_rows(record_id, keys)
    if rows:
        session.execute(Base.metadata.tables[DocumentKey.__tablename__].insert(), rows)


# One statement per column, built once: every batch ingest stores asks both for hundreds of values,
# and a statement built per call had SQLAlchemy coerce each value of its IN list again.
_KEY_ROWS = {
    column.key: select(DocumentKey.record_id, DocumentKey.key).where(column.in_(bindparam("values", expanding=True)))
    for column in (DocumentKey.record_id, DocumentKey.key)
}


def _key_rows(session: Session, column: InstrumentedAttribute[str], values: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(record id, key) of every document key whose ``column`` holds one of ``values``."""
    statement = _KEY_ROWS[column.key]
    for chunk in in_chunks(sorted(set(values))):
        yield from session.execute(statement, {"values": list(chunk)})


def _keys_of(session: Session, ids: Iterable[str]) -> dict[str, set[str]]:
    """The keys of each record."""
    found: dict[str, set[str]] = {}
    for record_id, key in _key_rows(session, DocumentKey.record_id, ids):
        found.setdefault(record_id, set()).add(key)
    return found


def _holders(session: Session, keys: Iterable[str]) -> dict[str, set[str]]:
    """The records holding each key."""
    found: dict[str, set[str]] = {}
    for record_id, key in _key_rows(session, DocumentKey.key, keys):
        found.setdefault(key, set()).add(record_id)
    return found


def _primary(session: Session, members: Sequence[str]) -> str:
    """The record shown for a group: most languages, then most fields, then smallest id."""
    languages: dict[str, set[str]] = {m: set() for m in members}
    fields: dict[str, set[str]] = {m: set() for m in members}
    stmt = select(FieldText.record_id, FieldText.field, FieldText.language).where(
        FieldText.record_id.in_(list(members)), FieldText.provenance == Provenance.ORIGINAL
    )
    for record_id, field, language in session.execute(stmt):
        languages[record_id].add(language)
        fields[record_id].add(field)
    return min(members, key=lambda m: (-len(languages[m]), -len(fields[m]), m))


# Which of some keys more than one record holds (built once, as ``_KEY_ROWS``).
_SHARED_KEYS = (
    select(DocumentKey.key)
    .where(DocumentKey.key.in_(bindparam("keys", expanding=True)))
    .group_by(DocumentKey.key)
    .having(func.count() > 1)
)


def regroup_inserted(session: Session, keys: Mapping[str, Iterable[str]]) -> set[str]:
    """``regroup`` for records just inserted (so in no group yet), given the document keys each
    was inserted with. Usually no other record holds any of their keys: then none of them joins
    a group, nothing changes, and one query per 500 keys says so, where ``regroup`` reads every
    record's row and keys and every key's holders first. Else, ``regroup``."""
    for chunk in in_chunks(sorted({key for held in keys.values() for key in held})):
        if session.execute(_SHARED_KEYS, {"keys": list(chunk)}).first() is not None:
            return regroup(session, list(keys))
    return set()


def regroup(session: Session, ids: Iterable[str]) -> set[str]:
    """Recompute the groups of ``ids`` (records just stored, changed, deleted or split) and of the
    records they were or are now grouped with; flag for indexing every record whose group, or
    whose group's shown document, changed. Returns those ids (live ones; deleted ones leave the
    index by their own path)."""
    start = set(ids)
    if not start:
        return set()
    records = Base.metadata.tables[RecordRow.__tablename__]
    before: dict[str, str | None] = {}
    eligible: set[str] = set()
    deleted: set[str] = set()

    def load(batch: set[str]) -> None:
        for chunk in in_chunks(sorted(batch - set(before))):
            stmt = select(records.c.id, records.c.group_id, records.c.deleted_at, records.c.group_split).where(
                records.c.id.in_(chunk)
            )
            for record_id, group_id, deleted_at, split in session.execute(stmt):
                before[record_id] = group_id
                if deleted_at is not None:
                    deleted.add(record_id)
                elif not split:
                    eligible.add(record_id)

    load(start)
    # Records that shared a group with these before: the group may dissolve or change primary.
    old_groups = {g for g in before.values() if g is not None}
    for chunk in in_chunks(sorted(old_groups)):
        load(set(session.scalars(select(records.c.id).where(records.c.group_id.in_(chunk)))))
    # Everything reachable through shared keys, among eligible records.
    keys: dict[str, set[str]] = {}
    frontier = {r for r in before if r in eligible}
    while frontier and len(keys) <= MAX_GROUP * 4:
        found = _keys_of(session, frontier)
        for record_id in frontier:
            keys[record_id] = found.get(record_id, set())
        holders = _holders(session, {k for record_id in frontier for k in keys[record_id]})
        reached = {r for held in holders.values() for r in held} - set(keys)
        load(reached)
        frontier = {r for r in reached if r in eligible}
    # Connected components (union-find over shared keys).
    parent = {r: r for r in keys}

    def find(r: str) -> str:
        while parent[r] != r:
            parent[r] = parent[parent[r]]
            r = parent[r]
        return r

    first_holder: dict[str, str] = {}
    for record_id in sorted(keys):
        for key in keys[record_id]:
            if key in first_holder:
                parent[find(record_id)] = find(first_holder[key])
            else:
                first_holder[key] = record_id
    components: dict[str, list[str]] = {}
    for record_id in keys:
        components.setdefault(find(record_id), []).append(record_id)
    after: dict[str, str | None] = {r: None for r in before}
    for members in components.values():
        if 1 < len(members) <= MAX_GROUP:
            primary = _primary(session, sorted(members))
            for member in members:
                after[member] = primary
    changed = {r for r in before if before[r] != after[r]}
    for record_id in sorted(changed):
        session.execute(update(records).where(records.c.id == record_id).values(group_id=after[record_id]))
    # A group's shown document holds its members' texts: its primary is rebuilt when a member
    # changes, joins or leaves; a record whose group changed gets its own document or marker.
    primaries = {g for r in changed | start for g in (before.get(r), after.get(r)) if g is not None}
    result = sorted((changed | primaries) - deleted)
    for chunk in in_chunks(result):
        session.execute(update(records).where(records.c.id.in_(chunk)).values(needs_index=True))
    return set(result)
