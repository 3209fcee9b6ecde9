"""Entities of a record: spaCy-tagged in every stored text, plus the term references it carries.

Adapts ``analyzers.entities.EntityTagger`` to what the pipeline stores (``EntityMention``), and
adds entities from CBD term ids (``aichiTargets: [{"identifier": "AICHI-TARGET-11"}]``) so that a
record pointing at a target by reference lands on the same facet value as one naming it.
"""

from __future__ import annotations

from collections.abc import Sequence

from analyzers.entities import EntityTagger, entities_from_term_ids
from record_catalogue.record import Record
from record_catalogue.store import EntityMention

TERMS_FIELD = "terms"


class RecordTagger:
    """Implements ``ingest.pipeline.Tagger``."""

    def __init__(self, languages: Sequence[str]) -> None:
        self.tagger = EntityTagger(languages)

    def mentions(self, record: Record, texts: Sequence[tuple[str, str, str]]) -> list[EntityMention]:
        found = self.tagger.tag_many([(text, lang) for _field, lang, text in texts])
        mentions = [
            EntityMention(field, lang, entity.type, entity.id, entity.text, entity.start, entity.end)
            for (field, lang, _text), entities in zip(texts, found, strict=True)
            for entity in entities
        ]
        for key in entities_from_term_ids(record.terms):
            kind, _, ident = key.partition(":")
            mentions.append(EntityMention(TERMS_FIELD, "", kind, ident, key, 0, 0))
        return mentions
