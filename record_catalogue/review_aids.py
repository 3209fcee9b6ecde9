"""What the curators' page shows beside the review queue, read from the catalogue.

Three questions the queue itself does not answer, each one or two index-friendly queries:

- which values its filters can take (the languages of the memory's segments, the clearing-houses,
  record types and countries of the records), so that a curator picks from lists instead of typing
  internal codes;
- where a sentence sits: the original text of one field that contains it, so that its previous
  and next sentences can be shown for context (the caller splits the text into sentences: that
  is the translation package's rule, not the catalogue's);
- how long translations of a language pair usually are compared with their source, so that an
  output much shorter or longer than usual can be flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from record_catalogue.codes import TextStatus
from record_catalogue.db import Sessions
from record_catalogue.memory_models import TranslationMemoryEntry, TranslationUse
from record_catalogue.models import FieldText, RecordRow
from record_catalogue.segment_uses import original_of_use

_TM = TranslationMemoryEntry
_USE = TranslationUse

#: A pair's typical ratio is only trusted over this many translated sentences.
MIN_RATIO_SAMPLES = 20


@dataclass(frozen=True)
class FilterValues:
    """The values the review queue's filters can take in this catalogue."""

    source_languages: tuple[str, ...]
    target_languages: tuple[str, ...]
    realms: tuple[str, ...]
    schemas: tuple[tuple[str, str], ...]  # (realm, schema)
    governments: tuple[str, ...]


def read_filter_values(sessions: Sessions, segment_engine: str) -> FilterValues:
    """``filter_values`` in a session of its own (for the API's filters route)."""
    with sessions() as session:
        return filter_values(session, segment_engine)


def filter_values(session: Session, segment_engine: str) -> FilterValues:
    """Distinct languages of the memory's segments (rows of ``segment_engine``) and the realms,
    record types and countries of live records."""
    pairs = list(
        session.execute(select(_TM.source_language, _TM.target_language).where(_TM.engine == segment_engine).distinct())
    )
    live = RecordRow.deleted_at.is_(None)
    schemas = sorted(
        (str(realm), str(schema))
        for realm, schema in session.execute(select(RecordRow.realm, RecordRow.schema_name).where(live).distinct())
    )
    governments = sorted(
        str(code)
        for code in session.scalars(
            select(RecordRow.government).where(live, RecordRow.government.is_not(None)).distinct()
        )
        if code
    )
    return FilterValues(
        source_languages=tuple(sorted({str(source) for source, _target in pairs})),
        target_languages=tuple(sorted({str(target) for _source, target in pairs})),
        realms=tuple(sorted({realm for realm, _schema in schemas})),
        schemas=tuple(schemas),
        governments=tuple(governments),
    )


@dataclass(frozen=True)
class SentencePlace:
    """One record field containing a sentence: the field's original text in the sentence's language."""

    record_id: str
    field: str
    text: str


def sentence_places(
    sessions: Sessions, segments: Sequence[tuple[str, str, str]]
) -> dict[tuple[str, str, str], SentencePlace]:
    """For each ``(source_hash, source_language, target_language)``, the first (by record id and
    field) live record field that uses it, with that field's original text; segments used by no
    record are left out. Two queries whatever the number of segments."""
    wanted = list(dict.fromkeys(segments))
    if not wanted:
        return {}
    with sessions() as session:
        first = (
            select(
                _USE.source_hash,
                _USE.source_language,
                _USE.target_language,
                func.min(_USE.record_id).label("record_id"),
            )
            .where(_USE.source_hash.in_(sorted({digest for digest, _s, _t in wanted})))
            .group_by(_USE.source_hash, _USE.source_language, _USE.target_language)
        )
        records: dict[tuple[str, str, str], str] = {}
        for digest, source, target, record_id in session.execute(first):
            key = (str(digest), str(source), str(target))
            if key in wanted:
                records[key] = str(record_id)
        if not records:
            return {}
        fields = select(
            _USE.source_hash,
            _USE.source_language,
            _USE.target_language,
            _USE.record_id,
            _USE.field,
            FieldText.text,
        ).join(FieldText, original_of_use())
        fields = fields.where(
            _USE.record_id.in_(sorted(set(records.values()))),
            _USE.source_hash.in_(sorted({digest for digest, _s, _t in records})),
        ).order_by(_USE.record_id, _USE.field)
        places: dict[tuple[str, str, str], SentencePlace] = {}
        for digest, source, target, record_id, field, text in session.execute(fields):
            key = (str(digest), str(source), str(target))
            if records.get(key) == record_id and key not in places:
                places[key] = SentencePlace(str(record_id), str(field), str(text))
        return places


def pair_length_ratios(sessions: Sessions, segment_engine: str) -> dict[tuple[str, str], float]:
    """Per (source, target) language pair, the total length of current translations over the total
    length of their sources (characters), for pairs with at least MIN_RATIO_SAMPLES of them.

    Totals rather than a mean of ratios, so that a few one-word titles do not swing it.
    """
    stmt = (
        select(
            _TM.source_language,
            _TM.target_language,
            func.count(),
            func.sum(func.length(_TM.source_text)),
            func.sum(func.length(_TM.target_text)),
        )
        .where(_TM.engine == segment_engine, _TM.status == TextStatus.CURRENT)
        .group_by(_TM.source_language, _TM.target_language)
    )
    with sessions() as session:
        ratios: dict[tuple[str, str], float] = {}
        for source, target, count, source_length, target_length in session.execute(stmt):
            if int(count or 0) >= MIN_RATIO_SAMPLES and source_length:
                ratios[(str(source), str(target))] = float(target_length or 0) / float(source_length)
        return ratios
