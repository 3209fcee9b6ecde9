"""The kinds of entity, and the one shape every finder reports a mention in.

Entities become facets (``entity=country:br``, ``entity=target:aichi-11``), so the one thing that
matters most is that the same thing gets the same id whatever language the text is in. Every
entity is ``type:id``:

- ``country:br``: ISO 3166-1 alpha-2, lower case (``eu`` for the European Union, a Party);
  PhraseMatcher on names and adjectives (:mod:`analyzers.gazetteer`, :mod:`.matcher`).
- ``symbol:unep-cbd-wgri-5-3-add.1``: the document symbol, lower case, ``/`` -> ``-``;
  :data:`analyzers.symbols.DOCUMENT_SYMBOL`.
- ``decision:cop-xi-2``, ``decision:cp-ix-2``, ``decision:np-iii-1``: per-language keyword regexes
  (:mod:`.references`).
- ``target:aichi-1`` .. ``target:aichi-20``, ``target:gbf-1`` .. ``target:gbf-23``: per-language
  regexes (:mod:`.targets`); other numbers are not targets.
- ``treaty:cbd``, ``treaty:cartagena``, ``treaty:nagoya``: PhraseMatcher (gazetteer).
- ``org:unep``, ``org:fao``, ...: PhraseMatcher (gazetteer); with a statistical model installed,
  its ORG entities too, with a slug of their text as id (:mod:`.ner`).
- ``species:zea-mays``: a conservative binomial regex (:mod:`.species`).
- ``keyword:5b6177dd-5e5e-434e-8cb7-d63d67d5ebed``: a thesaurus term a CBD record refers to by
  identifier (keywords, thematic areas), not found in text; labelled from the harvested
  thesaurus (:func:`.targets.keyword_entities`).

Every finder proposes candidates of one shape with a priority, so that overlaps between what
different finders saw are settled in one place (:mod:`.overlaps`).
"""

from __future__ import annotations

from typing import NamedTuple

from analyzers import gazetteer

ENTITY_TYPES = ("country", "symbol", "decision", "target", "treaty", "org", "species", "keyword")
AICHI_TARGETS = range(1, 21)
GBF_TARGETS = range(1, 24)
MEETINGS = range(1, 31)

# Among candidates of the same length the lower number wins.
_PRIORITY = {
    gazetteer.BLOCK: -1,
    "symbol": 0,
    "decision": 1,
    "target": 2,
    "treaty": 3,
    "org": 4,
    "country": 5,
    "species": 6,
}
_NER_PRIORITY = 9


class Entity(NamedTuple):
    """One mention of an entity: its type and canonical id, and where it is in the text.

    A named tuple: ingest makes about eleven per record, and a frozen dataclass costs several
    times as much to create."""

    type: str
    id: str
    text: str
    start: int
    end: int

    @property
    def key(self) -> str:
        """``type:id``, the value of the ``entity`` facet."""
        return f"{self.type}:{self.id}"


class _Candidate(NamedTuple):
    start: int
    end: int
    type: str
    id: str
    priority: int
