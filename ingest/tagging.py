"""Entities of a record: spaCy-tagged in every stored text, plus the term references it carries.

Adapts ``analyzers.entities.EntityTagger`` to what the pipeline stores (``EntityMention``), and
adds entities from CBD term ids (``aichiTargets: [{"identifier": "AICHI-TARGET-11"}]``) so that a
record pointing at a target by reference lands on the same facet value as one naming it; its
other terms (keywords, thematic areas) become ``keyword:<id>`` entities, whose thesaurus labels
``record_catalogue.term_labels`` adds once the thesaurus has given them.
"""

from __future__ import annotations

from collections.abc import Sequence

from analyzers.entities import EntityTagger, entities_from_term_ids, keyword_entities
from record_catalogue.record import Record
from record_catalogue.store import EntityMention

TERMS_FIELD = "terms"
_new_mention = tuple.__new__


class RecordTagger:
    """Implements ``ingest.pipeline.Tagger``."""

    def __init__(self, languages: Sequence[str]) -> None:
        self.tagger = EntityTagger(languages)

    def preload(self) -> None:
        """Build every language's pipeline now rather than on first use."""
        self.tagger.preload()

    def mentions_many(
        self, items: Sequence[tuple[Record, Sequence[tuple[str, str, str]]]]
    ) -> list[list[EntityMention]]:
        flat = [(text, lang) for _record, texts in items for _field, lang, text in texts]
        found = iter(self.tagger.tag_many(flat))
        out: list[list[EntityMention]] = []
        for record, texts in items:
            # An entity (type, id, text, start, end) is the tail of its mention: the tuple is made
            # whole, without the named tuple's keyword-taking constructor (a dozen a record, and
            # the constructor cost more than the rest of this loop).
            mentions = [
                _new_mention(EntityMention, (field, lang, *entity))
                for field, lang, _text in texts
                for entity in next(found)
            ]
            for key in entities_from_term_ids(record.terms):
                kind, _, ident = key.partition(":")
                mentions.append(EntityMention(TERMS_FIELD, "", kind, ident, key, 0, 0))
            for term in record.terms:  # the identifier as written, for its thesaurus labels (term_labels)
                for key in keyword_entities([term]):
                    kind, _, ident = key.partition(":")
                    mentions.append(EntityMention(TERMS_FIELD, "", kind, ident, term, 0, 0))
            out.append(mentions)
        return out
