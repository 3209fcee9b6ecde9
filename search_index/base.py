"""The engine interface every backend implements, and the engine-neutral query and result types.

Why one interface: the index is derived data, so the engine is a deployment choice (embedded
Tantivy on one machine, Elasticsearch to scale out). Both backends pass the same contract suite
(``tests/contract``), so everything above this module is engine-agnostic.

The document shape (``IndexDocument`` below, typed; what ``documents.build_document`` produces,
what ``bulk`` takes; the codes are ``record_catalogue.codes``' enums, which serialise as these strings)::

    {
      "id": str, "realm": "CHM"|"ABS"|"BCH", "schema": str, "government": str|None,
      "original_language": str, "languages": [str],            # languages with a version
      "title": {lang: str}, "summary": {lang: str}, "text": {lang: str},
      "status": {lang: "original"|"machine"|"reviewed"|"pending"},
      "names": str,                                             # language-neutral: names, ids, symbols
      "entities": ["type:id"], "date": "YYYY-MM-DD"|None, "year": int|None,
      "url": str|None, "cbd_id": str|None,                      # the CBD's unique identifier
      "updated_at": ISO-8601 str,
      "realms": [str],                                          # every clearing-house listing it
      "sources": [{"id", "realm", "schema", "url"}],            # a duplicate group's records
    }

A record grouped under another as a copy of the same document is given as a marker,
``{"id": str, "merged_into": str}``: ``bulk`` removes its document (the group is one result).

Query semantics every engine gives (the contract suite checks them; ``query_plan`` decides them
once for all engines): the query's language is not the page's. The text is parsed into clauses
(words, ``"phrases"``, ``-exclusions``, ``a OR b``; never an engine's query parser); every clause
must occur somewhere in the record, in any language version of ``title``/``summary``/``text``
(original, reviewed or machine) or in ``names``, each field analysed with its own analyzer; a
typed word of five letters or more also matches one edit away; vocabulary terms match their own
language's fields; each translation of the query (``alternatives``) is another way to match, in its
language's fields. ``lang`` only ranks (the reader's language and records written in it first),
so one text gives one total on every page. Filters are OR within a facet and AND across facets,
entity types being facets of their own; a facet's own selection does not narrow its counts, and a
selected value is always listed. ``newest`` sorts by date descending, then id; ``relevance`` by
score, then id.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypedDict, TypeVar

from record_catalogue.codes import Realm, TranslationStatus
from record_catalogue.errors import Cause, Unavailable

if TYPE_CHECKING:
    from search_index.query_text import ParsedText


class SourceRef(TypedDict):
    """One record of a duplicate group: where the document is listed."""

    id: str
    realm: Realm
    schema: str
    url: str | None


class IndexDocument(TypedDict):
    """What the index holds for one record (``documents.build_document``; the shape is above)."""

    id: str
    realm: Realm
    schema: str
    government: str | None
    original_language: str
    languages: list[str]
    title: dict[str, str]
    summary: dict[str, str]
    text: dict[str, str]
    status: dict[str, TranslationStatus]
    names: str
    entities: list[str]
    date: str | None
    year: int | None
    url: str | None
    cbd_id: str | None
    updated_at: str
    realms: list[Realm]
    sources: list[SourceRef]


class MergedMarker(TypedDict):
    """A record shown through another of its duplicate group: its own document is removed."""

    id: str
    merged_into: str


Document = IndexDocument | MergedMarker


class EncodedDocument(NamedTuple):
    """A valid index document already in one engine's wire form (``body``), made by the function
    ``SearchBackend.document_encoder`` gives (``kind`` names it), in the process that built the
    document: ingest's worker processes, so that the per-document work that is Python's is done
    there, and the one writer only hands the engine what it takes."""

    id: str
    kind: str
    body: Any  # what the backend's encoder made; only that backend reads it


Indexable = Document | EncodedDocument
_T = TypeVar("_T")
DocumentEncoder = Callable[[Document], EncodedDocument | None]


def document_id(doc: Indexable) -> str:
    """The id of a document, encoded or not ("?" when it has none: it is reported, not indexed)."""
    if isinstance(doc, EncodedDocument):
        return doc.id
    return str(doc.get("id") or "?")


FACET_FIELDS: tuple[str, ...] = ("realm", "schema", "government", "original_language", "entity", "year")
FILTER_FIELDS: tuple[str, ...] = ("realm", "schema", "government", "original_language", "entity")
TEXT_FIELD_BOOSTS: tuple[tuple[str, float], ...] = (("title", 3.0), ("summary", 2.0), ("text", 1.0))
NAMES_BOOST = 1.0
ALTERNATIVE_BOOST = 0.8
SNIPPET_MAX_CHARS = 240
HIGHLIGHT_OPEN, HIGHLIGHT_CLOSE = "<mark>", "</mark>"


class IndexUnavailable(Unavailable):
    """The engine cannot be reached or its index cannot be opened; the message says what to try."""

    cause = Cause.SEARCH_UNAVAILABLE


class IndexBusy(IndexUnavailable):
    """Another process holds the embedded index's writer lock."""


class IndexRetired(IndexBusy):
    """A rebuild swapped in a new version while this writer was writing to the old one, and
    dropped the old one: what was written must be written again, to the version now live."""


@dataclass(frozen=True)
class SearchQuery:
    """A validated search: built by the API from checked parameters, never from raw query syntax."""

    text: str = ""
    lang: str = "en"
    # The text translated into other languages ({"en": "forest"}): also matches those languages'
    # fields, but only of records that have no version in ``lang`` yet (cross-lingual search).
    alternatives: Mapping[str, str] = field(default_factory=dict)
    filters: Mapping[str, Sequence[str]] = field(default_factory=dict)
    year_from: int | None = None
    year_to: int | None = None
    sort: Literal["relevance", "newest"] = "relevance"
    offset: int = 0
    size: int = 10
    search_after: Sequence[Any] | None = None
    # The text as structure (``query_text``), with vocabulary expansions; None: engines parse ``text``.
    parsed: ParsedText | None = None
    # The engine's point in time a cursor's pages run in (engines that have one), from the
    # previous page's results; None opens one on the first cursor page.
    point_in_time: str | None = None
    facets: Sequence[str] = FACET_FIELDS
    facet_size: int = 50
    entity_facet_size: int = 500  # every entity type shares the one "entity" facet
    highlight: bool = True
    # Snippets are cut from this many leading characters of a text (a huge text is never re-analysed whole).
    snippet_window: int = 20_000

    def facet_limit(self, facet: str) -> int:
        """How many values a facet returns (the entity facet holds all types, so it gets more)."""
        return self.entity_facet_size if facet == "entity" else self.facet_size

    def __post_init__(self) -> None:
        unknown = set(self.filters) - set(FILTER_FIELDS)
        if unknown:
            raise ValueError(f"unknown filter field(s): {', '.join(sorted(unknown))}")
        unknown = set(self.facets) - set(FACET_FIELDS)
        if unknown:
            raise ValueError(f"unknown facet field(s): {', '.join(sorted(unknown))}")


@dataclass
class Hit:
    """One matching document with its stored source, score, highlighted snippet and sort key."""

    id: str
    score: float | None
    source: IndexDocument
    snippet: str | None = None
    sort: list[Any] = field(default_factory=list)
    # Each language's title, HTML-escaped with highlight tags around the words the query matched
    # (only languages where something matched): the API shows the one in the language it displays.
    title_highlights: dict[str, str] = field(default_factory=dict)


@dataclass
class SearchResults:
    """A page of hits, the total, and facet counts as ``{facet: [(value, count), ...]}``."""

    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]]
    took_ms: float = 0.0
    # Where the next cursor page must run (see ``SearchQuery.point_in_time``).
    point_in_time: str | None = None


@dataclass
class BulkResult:
    """What a bulk call did: how many documents were indexed and, per failed document, why."""

    indexed: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)

    def merge(self, other: BulkResult) -> None:
        self.indexed += other.indexed
        self.errors.extend(other.errors)


@dataclass(frozen=True)
class Health:
    """``ok`` or what is wrong, in words an operator can act on."""

    ok: bool
    detail: str
    engine: str
    # Answering, but with less redundancy than configured (a cluster that lost a node).
    degraded: bool = False


def chunked(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    """Split an iterable into lists of at most ``size`` items."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def versions(doc: Mapping[str, Any], name: str) -> dict[str, str]:
    """The language versions of text field ``name`` (title, summary, text) in a document; none
    when the engine returned the document without it (results never show the full text)."""
    value = doc.get(name)
    return value if isinstance(value, dict) else {}


def merged_into(doc: Mapping[str, Any]) -> str | None:
    """The group a marker document says its record is shown through (see the module doc), or None."""
    value = doc.get("merged_into")
    return value if isinstance(value, str) and value else None


def validate_document(doc: Mapping[str, Any]) -> str | None:
    """Why a document cannot be indexed, or None; both engines reject the same documents (any
    mapping: what reaches ``bulk`` is checked, whoever built it)."""
    doc_id = doc.get("id")
    if not isinstance(doc_id, str) or not doc_id:
        return "document has no id"
    for name in ("realm", "schema", "original_language"):
        if not isinstance(doc.get(name), str) or not doc[name]:
            return f"document {doc_id} has no {name}"
    for name in ("title", "summary", "text", "status"):
        value = doc.get(name, {})
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            return f"document {doc_id}: {name} must map language codes to strings"
    year = doc.get("year")
    if year is not None and (not isinstance(year, int) or isinstance(year, bool)):
        return f"document {doc_id}: year must be an integer, not {year!r}"
    return None


class SearchBackend(abc.ABC):
    """A search engine holding versioned indexes behind one alias (or pointer).

    Writes go to the version the alias points at unless a version is named (rebuilds); reads
    always go through the alias, so searches keep answering while a rebuild fills a new version.
    """

    engine: str = "?"
    bulk_chunk_size: int = 500

    # -- lifecycle ---------------------------------------------------------------------------
    @abc.abstractmethod
    def ensure_index(self) -> None:
        """Create a first version and point the alias at it if there is none."""

    @abc.abstractmethod
    def health(self) -> Health:
        """Whether the engine answers and the alias points at an index."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections and locks."""

    # -- versions ----------------------------------------------------------------------------
    @abc.abstractmethod
    def create_version(self) -> str:
        """Create an empty index version (not yet behind the alias) and return its name."""

    @abc.abstractmethod
    def current_version(self) -> str | None:
        """The version the alias points at."""

    @abc.abstractmethod
    def list_versions(self) -> list[str]:
        """Every version that exists, oldest first."""

    @abc.abstractmethod
    def swap(self, version: str) -> None:
        """Point the alias at ``version`` atomically."""

    @abc.abstractmethod
    def drop_version(self, version: str) -> None:
        """Delete a version that the alias no longer points at."""

    @abc.abstractmethod
    def destroy(self) -> None:
        """Delete the alias and every version (tests, and operators starting over)."""

    # -- writes ------------------------------------------------------------------------------
    @abc.abstractmethod
    def bulk(self, docs: Iterable[Indexable], version: str | None = None) -> BulkResult:
        """Index (insert or replace by id) documents; failures are reported per document. An
        ``EncodedDocument`` must come from this backend's ``document_encoder``."""

    def document_encoder(self) -> DocumentEncoder | None:
        """A module-level function (picklable: another process runs it) that turns a document
        into this engine's ``EncodedDocument``, or returns None for one it leaves as it is (a
        marker, an invalid document: ``bulk`` reports it); None when the engine has none."""
        return None

    @abc.abstractmethod
    def delete(self, ids: Sequence[str], version: str | None = None) -> None:
        """Remove documents by id."""

    @abc.abstractmethod
    def refresh(self, version: str | None = None) -> None:
        """Make everything written so far visible to searches."""

    def loading(self, version: str | None = None, *, fresh: bool = False) -> AbstractContextManager[None]:
        """Writes of a large load follow, to ``version`` (None: the version behind the alias), which
        is ``fresh`` when no reader sees it yet (a rebuild's). An engine may suspend meanwhile what
        only readers need (Elasticsearch's periodic refresh, a new version's replicas), and puts it
        back however the block ends; whoever loads refreshes where readers must see the records."""
        return nullcontext()

    def index(self, doc: Document) -> BulkResult:
        """Index one document and make it visible."""
        result = self.bulk([doc])
        self.refresh()
        return result

    def rebuild(self, docs: Iterable[Document], keep_old: bool = False) -> tuple[str, BulkResult]:
        """Fill a new version from ``docs`` and swap the alias only once it is complete.

        If filling fails part-way, the new version is dropped and the alias still points at the
        old, complete one: readers never see a half-built index.
        """
        old = self.current_version()
        version = self.create_version()
        try:
            with self.loading(version, fresh=True):
                result = self.bulk(docs, version=version)
            self.refresh(version)
        except BaseException:
            self.drop_version(version)
            raise
        self.swap(version)
        if old is not None and not keep_old:
            self.release_version(old)
        return version, result

    def release_version(self, version: str) -> None:
        """What becomes of the version a rebuild replaced: dropped here; engines whose searches
        can still be running on it (cursors, in-flight requests) keep it for a grace period."""
        self.drop_version(version)

    def prune(self, grace_seconds: float | None = None) -> list[str]:
        """Drop versions a rebuild replaced longer ago than ``grace_seconds``; the names dropped."""
        return []

    # -- reads -------------------------------------------------------------------------------
    @abc.abstractmethod
    def search(self, query: SearchQuery) -> SearchResults:
        """Run a search: hits, total and facet counts."""

    def snapshot(self) -> Hashable | None:
        """A token naming what searches see now, which changes whenever that changes (a commit,
        a swap); None when the engine cannot tell. Whoever caches an answer under it (the API's
        counts of its vocabulary widenings) takes the token before searching: a search made after
        ``snapshot`` returned sees that state or a newer one."""
        return None

    @abc.abstractmethod
    def suggest(self, prefix: str, lang: str, size: int = 10) -> list[str]:
        """Title completions for what a reader has typed so far, in ``lang`` or language-neutral."""

    def spelling(self, words: Sequence[str]) -> dict[str, str]:
        """For each word that matches nothing in the index, the closest word the index holds
        (its titles and summaries, per language; ``query_plan.closest_word`` decides), if one is
        near; known words and words with no near neighbour are left out ("did you mean")."""
        return {}

    @abc.abstractmethod
    def get(self, doc_id: str) -> IndexDocument | None:
        """The stored document with this id, or None."""

    @abc.abstractmethod
    def count(self) -> int:
        """How many documents the alias's version holds."""
