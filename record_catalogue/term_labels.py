"""Thesaurus labels of the keywords records refer to, kept beside them so that they are indexed.

A CBD record names its keywords, thematic areas and other thesaurus terms by identifier (a GUID);
ingest makes each one a ``keyword:<id>`` entity (``analyzers.entities.keyword_entities``), the
row's text the identifier as the record wrote it. The labels come later, from the harvested
thesaurus (``thesaurus_terms``, ``ingest.harvest.thesaurus``). This module writes them as entity
rows of the record (``field`` ``terms``, the label's language, its text), so that the index
document, built from the record's rows alone, carries them: searchable in the language-neutral
field, while the facet stays one value per keyword.

Run after records are stored (the pipeline, for the records of each batch that have keywords)
and after the thesaurus gives new labels (a harvest, for the records referring to those terms).
Only records whose labels changed are written and marked for indexing; the caller re-indexes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from record_catalogue.db import in_chunks, retrying
from record_catalogue.dialect import lock_record_writers
from record_catalogue.languages import UN_LANGUAGES
from record_catalogue.models import RecordEntity, RecordRow, ThesaurusTerm
from record_catalogue.store import Catalogue

KEYWORD = "keyword"
TERMS_FIELD = "terms"

Labels = dict[tuple[str, str], str]  # (entity id, language) -> label


def apply_term_labels(
    catalogue: Catalogue, *, record_ids: Sequence[str] = (), term_ids: Iterable[str] = ()
) -> list[str]:
    """Give the keyword entities of ``record_ids``, and of every record referring to ``term_ids``
    (thesaurus identifiers), the thesaurus's labels; the ids of the records whose labels changed
    (marked ``needs_index``)."""
    keys = sorted({term.lower() for term in term_ids})
    if not record_ids and not keys:
        return []
    return retrying(lambda: _apply(catalogue, sorted(set(record_ids)), keys))


def thesaurus_has_labels(catalogue: Catalogue) -> bool:
    """Whether the catalogue holds any thesaurus term (none before a first harvest: nothing to apply)."""
    with catalogue.sessions() as session:
        return session.scalar(select(ThesaurusTerm.identifier).limit(1)) is not None


def _apply(catalogue: Catalogue, record_ids: list[str], keys: list[str]) -> list[str]:
    changed: list[str] = []
    with catalogue.sessions.begin() as session:
        lock_record_writers(session)
        referring = _keyword_rows(session, record_ids, keys)
        if not referring:
            return []
        identifiers = {text for rows in referring.values() for (entity_id, lang), text in rows.items() if not lang}
        labels = _labels(session, sorted(identifiers))
        for record_id in sorted(referring):
            rows = referring[record_id]
            wanted: Labels = {}
            for (entity_id, lang), text in rows.items():
                if not lang:
                    for label_lang, label in labels.get(text, {}).items():
                        wanted[(entity_id, label_lang)] = label
            held = {key: text for key, text in rows.items() if key[1]}
            if wanted == held:
                continue
            session.execute(
                delete(RecordEntity).where(
                    RecordEntity.record_id == record_id, RecordEntity.type == KEYWORD, RecordEntity.language != ""
                )
            )
            session.add_all(
                RecordEntity(
                    record_id=record_id,
                    field=TERMS_FIELD,
                    language=lang,
                    type=KEYWORD,
                    entity_id=entity_id,
                    text=label[:500],
                    start=0,
                    end=0,
                )
                for (entity_id, lang), label in sorted(wanted.items())
            )
            changed.append(record_id)
        for chunk in in_chunks(changed):
            session.execute(update(RecordRow).where(RecordRow.id.in_(chunk)).values(needs_index=True))
    return changed


def _keyword_rows(session: Session, record_ids: list[str], keys: list[str]) -> dict[str, Labels]:
    """The keyword entity rows of the records asked for, by record: (entity id, language) -> text
    (language ``""``: the reference itself, its text the identifier as written)."""
    found: dict[str, Labels] = {}
    wanted_records: set[str] = set(record_ids)
    for chunk in in_chunks(keys):
        referring = select(RecordEntity.record_id).where(
            RecordEntity.type == KEYWORD, RecordEntity.language == "", RecordEntity.entity_id.in_(chunk)
        )
        wanted_records.update(session.scalars(referring))
    live = select(RecordRow.id).where(RecordRow.deleted_at.is_(None))
    for chunk in in_chunks(sorted(wanted_records)):
        stmt = select(RecordEntity.record_id, RecordEntity.entity_id, RecordEntity.language, RecordEntity.text).where(
            RecordEntity.type == KEYWORD, RecordEntity.record_id.in_(chunk), RecordEntity.record_id.in_(live)
        )
        for record_id, entity_id, lang, text in session.execute(stmt):
            found.setdefault(record_id, {})[(entity_id, lang)] = text
    return found  # a record whose references are gone has labels only: they are removed


def _labels(session: Session, identifiers: Sequence[str]) -> dict[str, dict[str, str]]:
    """The thesaurus's labels in the six languages, by identifier as records write it."""
    out: dict[str, dict[str, str]] = {}
    lowered = {identifier.lower(): identifier for identifier in identifiers}
    for chunk in in_chunks(sorted(identifiers)):
        for row in session.scalars(select(ThesaurusTerm).where(ThesaurusTerm.identifier.in_(chunk))):
            labels = {lang: text for lang, text in (row.labels or {}).items() if lang in UN_LANGUAGES and text}
            out[lowered.get(row.identifier.lower(), row.identifier)] = labels
    return out
