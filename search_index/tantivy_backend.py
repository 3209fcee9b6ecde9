"""The embedded engine: Tantivy on disk, in process, no server.

Versions are directories ``<index_dir>/v<timestamp>``; the file ``<index_dir>/CURRENT`` names the
one readers use (our alias). Swapping rewrites CURRENT atomically (write + rename), and readers
notice on their next search, so searches answer throughout a rebuild.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import shutil
import threading
import time
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, cast

import orjson
import tantivy

from analyzers import arabic
from analyzers.analysis import (
    NEUTRAL_ANALYZER,
    SPELLING_ANALYZER,
    SPELLING_LANGUAGES,
    analyzer_name,
    exact_analyzer_name,
    has_exact_form,
    preanalysed,
    tantivy_analyzer,
    tantivy_analyzers,
)
from record_catalogue.errors import InvalidCursor
from record_catalogue.languages import UN_LANGUAGES, UNDETERMINED
from search_index.base import (
    FILTER_FIELDS,
    SNIPPET_MAX_CHARS,
    TEXT_FIELD_BOOSTS,
    BulkResult,
    Document,
    DocumentEncoder,
    EncodedDocument,
    Health,
    Hit,
    Indexable,
    IndexBusy,
    IndexDocument,
    IndexRetired,
    IndexUnavailable,
    SearchBackend,
    SearchQuery,
    SearchResults,
    chunked,
    document_id,
    merged_into,
    validate_document,
    versions,
)
from search_index.documents import snippet_languages
from search_index.query_plan import (
    SEARCHED_LANGUAGES,
    SPELLING_PREFIX,
    closest_word,
    entity_kind,
    filter_groups,
    max_edits,
    spelling_word,
)
from search_index.snapshot_memo import SnapshotMemo
from search_index.snippets import cut_at_word, highlight, with_ellipsis
from search_index.tantivy_query import (
    SPELLING_SOURCES,
    NearOnlyItself,
    TantivyQueryCompiler,
    analyse,
    exact_field_name,
    field_name,
    near_query,
    spelling_field_name,
)

POINTER = "CURRENT"
# Written into each version: an index built with other analysis cannot answer today's queries.
ANALYSIS_MARKER = "ANALYSIS"
ANALYSIS_VERSION = "4"
KEYWORD_FIELDS = ("realm", "schema", "government", "original_language", "languages", "entity")
FILTER_TO_FIELD = {name: name for name in FILTER_FIELDS}
NO_DATE = -(10**9)  # sorts after every real date under "newest"
WRITER_HEAP = 64_000_000
# A cursor's pages run on the searcher (a snapshot of the index) its first page used, for as long
# as the reader keeps paging; at most this many snapshots are held at once, oldest dropped first.
POINT_IN_TIME_SECONDS = 300.0
POINT_IN_TIME_LIMIT = 64
# A cursor holds the position of the last hit; a deeper position is refused, not allocated.
MAX_CURSOR_POSITION = 1_000_000
TOTAL_AGGREGATION = "_total"
# Facet counts and totals kept per index snapshot (one entry: a query's every facet, at most a few
# hundred values): a query asked again, or asked with one of its filters left out, costs no pass.
COUNT_MEMO_ENTRIES = 512

# Per snapshot, (field, word) pairs whose typo tolerance finds nothing more than the word does.
NEAR_MEMO_ENTRIES = 65536

FacetCounts = tuple[dict[str, dict[str, int]], int]  # {facet: {value: count}}, total


def build_schema() -> tantivy.Schema:
    """One schema for every version: per-language text fields, neutral names, keyword facets."""
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw", fast=True)
    for name in KEYWORD_FIELDS:
        builder.add_text_field(name, tokenizer_name="raw", fast=True)
    for name, _boost in TEXT_FIELD_BOOSTS:
        for lang in UN_LANGUAGES:
            builder.add_text_field(field_name(name, lang), tokenizer_name=analyzer_name(lang))
            if has_exact_form(lang):
                # Ranks words typed with their accents: frequencies, no positions.
                builder.add_text_field(
                    exact_field_name(name, lang), tokenizer_name=exact_analyzer_name(lang), index_option="freq"
                )
        # Text whose language was not determined, analysed as names are.
        builder.add_text_field(field_name(name, UNDETERMINED), tokenizer_name=NEUTRAL_ANALYZER)
    builder.add_text_field("names", tokenizer_name=NEUTRAL_ANALYZER)
    for lang in SPELLING_LANGUAGES:
        builder.add_text_field(spelling_field_name(lang), tokenizer_name=SPELLING_ANALYZER, index_option="basic")
    builder.add_integer_field("year", indexed=True, fast=True)
    builder.add_integer_field("date_days", indexed=True, fast=True)
    builder.add_bytes_field("source", stored=True)
    return builder.build()


def _date_days(value: str | None) -> int:
    if not value:
        return NO_DATE
    return date.fromisoformat(value[:10]).toordinal()


# A Tantivy document as plain data: (field, value) of every text value in the order added, a value
# either a string or, for text stored already analysed (Arabic), the text and its tokens as
# (term, position, start, end); the integer fields; the stored JSON. See ``tantivy_plan``.
PreTokenized = tuple[str, list[tuple[str, int, int, int]]]
TantivyPlan = tuple[list[tuple[str, str | PreTokenized]], list[tuple[str, int]], bytes]
TANTIVY_PLAN = "tantivy-plan"  # EncodedDocument.kind of encode_document's documents


def _text_target(name: str, lang: str) -> tuple[str, bool, str | None, str | None]:
    """Where the version of text field ``name`` in ``lang`` goes: its field, whether it is stored
    already analysed (Arabic), its exact-form twin and the spelling field it feeds, if any."""
    return (
        field_name(name, lang),
        preanalysed(lang),
        exact_field_name(name, lang) if has_exact_form(lang) else None,
        spelling_field_name(lang) if name in SPELLING_SOURCES and lang in SPELLING_LANGUAGES else None,
    )


# ``_text_target`` of every field in every language the schema has fields for (the six, and
# ``und``), worked out once: ``tantivy_plan`` asks for every version of every document.
_TEXT_TARGETS = {
    (name, lang): _text_target(name, lang) for name, _boost in TEXT_FIELD_BOOSTS for lang in SEARCHED_LANGUAGES
}


def tantivy_plan(doc: IndexDocument) -> TantivyPlan:
    """What ``to_tantivy`` adds to the Tantivy document of ``doc``, as plain data.

    Why apart: everything per document that is Python's work (choosing the fields, analysing
    Arabic, serialising the stored JSON) happens here, and this is made where the document is
    made, in ingest's worker processes (``encode_document``); the index's one writer only turns
    it into Tantivy's document (``_from_plan``). Plain tuples and strings cross between processes
    cheaply, where a Tantivy document (pickled through Python values) costs more than making it.
    """
    texts: list[tuple[str, str | PreTokenized]] = [("id", doc["id"])]
    for name in ("schema", "government", "original_language"):
        if doc.get(name):
            texts.append((name, str(doc[name])))
    for realm in doc.get("realms") or [doc["realm"]]:  # a document several clearing-houses list
        texts.append(("realm", str(realm)))
    for lang in doc.get("languages") or []:
        texts.append(("languages", lang))
    for entity in doc.get("entities") or []:
        texts.append(("entity", entity))
    for name, _boost in TEXT_FIELD_BOOSTS:
        for lang, value in versions(doc, name).items():
            if not value:
                continue
            target = _TEXT_TARGETS.get((name, lang))
            if target is None:  # a language the index has no fields for
                continue
            field, analysed, exact, spelling = target
            texts.append((field, (value, _arabic_terms(value)) if analysed else value))
            if exact is not None:
                texts.append((exact, value))
            if spelling is not None:
                texts.append((spelling, value))
    if doc.get("names"):
        texts.append(("names", doc["names"]))
    integers: list[tuple[str, int]] = []
    year = doc.get("year")
    if year is not None:
        integers.append(("year", int(year)))
    integers.append(("date_days", _date_days(doc.get("date"))))
    # orjson: the same JSON as json.dumps(ensure_ascii=False) reads back, in a quarter of the time.
    return texts, integers, orjson.dumps(doc)


def _from_plan(plan: TantivyPlan) -> tantivy.Document:
    """The Tantivy document a ``tantivy_plan`` describes."""
    texts, integers, source = plan
    tdoc = tantivy.Document()
    for name, value in texts:
        if isinstance(value, str):
            tdoc.add_text(name, value)
        else:
            text, terms = value
            tdoc.add_pre_tokenized_text(name, tantivy.PreTokenizedString(text, [tantivy.Token(*t) for t in terms]))
    for name, number in integers:
        tdoc.add_integer(name, number)
    tdoc.add_bytes("source", source)
    return tdoc


def to_tantivy(doc: IndexDocument) -> tantivy.Document:
    """The Tantivy document for one index document (its JSON kept whole in ``source``)."""
    return _from_plan(tantivy_plan(doc))


def encode_document(doc: Document) -> EncodedDocument | None:
    """``doc`` as ``TantivyBackend.bulk`` takes it from another process (a ``tantivy_plan``); None
    for a marker or a document that cannot be indexed, which ``bulk`` handles (and reports) itself.
    A value Tantivy refuses (a number where a string goes) is refused, and reported, by ``bulk``."""
    if merged_into(doc) is not None or validate_document(doc) is not None:
        return None
    try:
        plan = tantivy_plan(cast(IndexDocument, doc))
    except (ValueError, TypeError, OverflowError):
        return None
    return EncodedDocument(str(doc["id"]), TANTIVY_PLAN, plan)


def _arabic_terms(text: str) -> list[tuple[str, int, int, int]]:
    """The tokens of ``arabic_tokens(text)`` as (term, position, start, end)."""
    return [
        (term, position, start, end)
        for position, (start, end, terms) in enumerate(arabic.tokens(text))
        for term in terms
    ]


def arabic_tokens(text: str) -> tantivy.PreTokenizedString:
    """Arabic text as the embedded index holds it: :mod:`analyzers.arabic`'s terms, the two terms
    of a word starting with و at one position (as the server engines' multiplexer puts them)."""
    return tantivy.PreTokenizedString(text, [tantivy.Token(*t) for t in _arabic_terms(text)])


class TantivyBackend(SearchBackend):
    """Versioned Tantivy indexes in a directory, with the pointer file as the alias."""

    engine = "tantivy"

    def __init__(self, index_dir: Path) -> None:
        self.root = Path(index_dir)
        self.schema = build_schema()
        self._lock = threading.RLock()
        self._indexes: dict[str, tantivy.Index] = {}
        self._writers: dict[str, tantivy.IndexWriter] = {}
        self._reader_version: str | None = None
        self._points_in_time: dict[str, tuple[float, tantivy.Searcher]] = {}
        self._pointer: tuple[tuple[int, int, int], str | None] | None = None  # (stat key, version)
        self._snapshot: tuple[str, int, int, int] | None = None  # the last commit readers were moved to
        self._via_alias: set[str] = set()  # versions written through the alias since the last refresh
        self.counts: SnapshotMemo[FacetCounts] = SnapshotMemo(COUNT_MEMO_ENTRIES)
        self.near_terms: SnapshotMemo[bool] = SnapshotMemo(NEAR_MEMO_ENTRIES)

    # -- versions ----------------------------------------------------------------------------
    def _open(self, version: str) -> tantivy.Index:
        with self._lock:
            index = self._indexes.get(version)
            if index is None:
                path = self.root / version
                try:
                    exists = tantivy.Index.exists(str(path))
                except ValueError:  # the directory itself is gone
                    exists = False
                if not exists:
                    raise IndexUnavailable(
                        f"embedded index version {version} is missing under {self.root}; run `chm-search reindex`"
                    )
                marker = path / ANALYSIS_MARKER
                made_with = marker.read_text(encoding="utf-8").strip() if marker.is_file() else "1"
                if made_with != ANALYSIS_VERSION:
                    raise IndexUnavailable(
                        f"embedded index at {path} was built by another version of chm-search (analysis "
                        f"{made_with}, this one needs {ANALYSIS_VERSION}); run `chm-search reindex`"
                    )
                try:
                    index = tantivy.Index(self.schema, path=str(path), reuse=True)
                except ValueError as exc:
                    raise IndexUnavailable(
                        f"embedded index at {path} cannot be opened ({exc}); run `chm-search reindex`"
                    ) from None
                for name, analyzer in tantivy_analyzers().items():
                    index.register_tokenizer(name, analyzer)
                self._indexes[version] = index
            return index

    def create_version(self) -> str:
        with self._lock:
            self.root.mkdir(parents=True, exist_ok=True)
            while True:
                version = "v" + time.strftime("%Y%m%d%H%M%S") + f"{time.time_ns() % 1_000_000_000:09d}"
                path = self.root / version
                if not path.exists():
                    break
            path.mkdir()
            (path / ANALYSIS_MARKER).write_text(ANALYSIS_VERSION + "\n", encoding="utf-8")
            index = tantivy.Index(self.schema, path=str(path), reuse=False)
            for name, analyzer in tantivy_analyzers().items():
                index.register_tokenizer(name, analyzer)
            self._indexes[version] = index
            return version

    def current_version(self) -> str | None:
        # Read again only when the pointer file changed (a swap replaces it: a new inode), so a
        # search costs one stat, not an open and a read.
        pointer = self.root / POINTER
        try:
            stat = pointer.stat()
            key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
            if self._pointer is not None and self._pointer[0] == key:
                return self._pointer[1]
            version = pointer.read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            self._pointer = None
            return None
        self._pointer = (key, version)
        return version

    def list_versions(self) -> list[str]:
        if not self.root.exists():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and p.name.startswith("v"))

    def swap(self, version: str) -> None:
        if not (self.root / version).is_dir():
            raise ValueError(f"no index version {version}")
        tmp = self.root / f".{POINTER}.{os.getpid()}.tmp"
        tmp.write_text(version, encoding="utf-8")
        os.replace(tmp, self.root / POINTER)

    def drop_version(self, version: str) -> None:
        with self._lock:
            if version == self.current_version():
                raise ValueError(f"refusing to drop {version}: the alias points at it")
            writer = self._writers.pop(version, None)
            if writer is not None:
                writer.rollback()
                del writer
            self._indexes.pop(version, None)
            shutil.rmtree(self.root / version, ignore_errors=True)

    def destroy(self) -> None:
        with self._lock:
            self.close()
            self._reader_version = None
            shutil.rmtree(self.root, ignore_errors=True)

    def ensure_index(self) -> None:
        with self._lock:
            current = self.current_version()
            if current is None or not (self.root / current).is_dir():
                self.swap(self.create_version())

    def _target(self, version: str | None) -> str:
        target = version or self.current_version()
        if target is None:
            raise IndexUnavailable(f"no embedded index under {self.root}; run `chm-search reindex`")
        return target

    # -- writes ------------------------------------------------------------------------------
    def _writer(self, version: str) -> tantivy.IndexWriter:
        with self._lock:
            writer = self._writers.get(version)
            if writer is None:
                try:
                    writer = self._open(version).writer(heap_size=WRITER_HEAP, num_threads=1)
                except ValueError as exc:
                    if "lock" in str(exc).lower():
                        raise IndexBusy(
                            f"the embedded index {version} is being written by another process ({exc}); "
                            "wait for it to finish, or stop it"
                        ) from None
                    raise IndexUnavailable(f"cannot write the embedded index: {exc}") from None
                self._writers[version] = writer
            return writer

    def document_encoder(self) -> DocumentEncoder:
        return encode_document

    def bulk(self, docs: Iterable[Indexable], version: str | None = None) -> BulkResult:
        target = self._target(version)
        self._writer(target)  # busy or unavailable: say so before reading any document
        if version is None:
            self._via_alias.add(target)
        result = BulkResult()
        for batch in chunked(docs, self.bulk_chunk_size):
            with self._lock:
                # Taken under the lock, batch by batch: another thread's refresh commits (and so
                # consumes) the writer, and the next batch goes to a new one.
                writer = self._writer(target)
                for doc in batch:
                    if isinstance(doc, EncodedDocument):
                        doc_id = doc.id
                        if doc.kind != TANTIVY_PLAN:
                            result.errors.append((doc_id, f"encoded as {doc.kind}, not for the embedded index"))
                            continue
                        plan = cast(TantivyPlan, doc.body)
                    else:
                        doc_id = document_id(doc)
                        if merged_into(doc) is not None:  # shown through its group's document: its own goes
                            writer.delete_documents_by_term("id", doc_id)
                            result.indexed += 1
                            continue
                        reason = validate_document(doc)
                        if reason is not None:
                            result.errors.append((doc_id, reason))
                            continue
                        try:
                            plan = tantivy_plan(cast(IndexDocument, doc))  # not a marker, and valid
                        except (ValueError, TypeError, OverflowError) as exc:
                            result.errors.append((doc_id, f"cannot be indexed: {exc}"))
                            continue
                    try:
                        tdoc = _from_plan(plan)
                    except (ValueError, TypeError, OverflowError) as exc:
                        result.errors.append((doc_id, f"cannot be indexed: {exc}"))
                        continue
                    writer.delete_documents_by_term("id", doc_id)
                    writer.add_document(tdoc)
                    result.indexed += 1
        return result

    def delete(self, ids: Sequence[str], version: str | None = None) -> None:
        target = self._target(version)
        with self._lock:
            writer = self._writer(target)  # under the lock: a refresh may have consumed the last one
            if version is None:
                self._via_alias.add(target)
            for doc_id in ids:
                writer.delete_documents_by_term("id", doc_id)

    def refresh(self, version: str | None = None) -> None:
        target = self._target(version)
        with self._lock:
            retired: list[str] = []
            if version is None:  # writes made through the alias to a version a rebuild has since retired
                retired = sorted(v for v in self._via_alias if v != target and v in self._writers)
                self._via_alias.clear()
            for old in retired:
                stale = self._writers.pop(old)
                with contextlib.suppress(ValueError):  # its folder may be gone already
                    stale.rollback()
                self._indexes.pop(old, None)
            writer = self._writers.pop(target, None)
            try:
                if writer is not None:
                    writer.commit()
                    writer.wait_merging_threads()
                self._open(target).reload()
            except ValueError as exc:
                # A rebuild in another process may swap the alias and delete this version while
                # we commit to it (tantivy then cannot read back the files it just wrote).
                self._indexes.pop(target, None)
                if version is None and self.current_version() != target:
                    raise IndexRetired(
                        f"embedded index version {target} was replaced by a rebuild while being written ({exc})"
                    ) from None
                raise IndexUnavailable(f"cannot commit the embedded index {target}: {exc}") from None
            if retired:
                raise IndexRetired(
                    f"embedded index version {', '.join(retired)} was replaced by a rebuild while being written"
                )

    def close(self) -> None:
        with self._lock:
            for writer in self._writers.values():
                writer.rollback()
            self._writers.clear()
            self._indexes.clear()

    # -- reads -------------------------------------------------------------------------------
    def _reader(self) -> tantivy.Index:
        """The index the alias points at, reopened when a swap happened since the last search."""
        return self._reader_at()[0]

    def _reader_at(self) -> tuple[tantivy.Index, tuple[str, int, int, int] | None]:
        """The index the alias points at and its snapshot token (see ``_follow``), reopened when a
        swap happened since the last search.

        A swap may retire the version we just read from the pointer before we open it (another
        thread or process rebuilt the index): then the pointer has moved on, so read it again.
        """
        for _attempt in range(5):
            version = self._target(None)
            try:
                index = self._open(version)
            except IndexUnavailable:
                if self.current_version() != version:
                    continue
                raise
            with self._lock:
                if version != self._reader_version:
                    old = self._reader_version
                    self._reader_version = version
                    if old is not None and old not in self._writers:
                        self._indexes.pop(old, None)
            return index, self._follow(version, index)
        raise IndexUnavailable(f"the embedded index under {self.root} keeps changing; try again")

    def snapshot(self) -> tuple[str, int, int, int] | None:
        """The version behind the pointer and its last commit (see ``_follow``)."""
        version = self.current_version()
        if version is None:
            return None
        try:
            return self._follow(version, self._open(version))
        except IndexUnavailable:
            return None

    def _follow(self, version: str, index: tantivy.Index) -> tuple[str, int, int, int] | None:
        """Load the last commit of ``version`` into its readers if they have not seen it: Tantivy's
        readers follow a commit (by any process: it replaces ``meta.json``) only after a delay,
        and a search made after another writer's refresh must see what it wrote. Costs a stat a
        search; returns the commit's token (None if it cannot be read)."""
        try:
            meta = (self.root / version / "meta.json").stat()
        except OSError:
            return None
        key = (version, meta.st_ino, meta.st_mtime_ns, meta.st_size)
        if key != self._snapshot:
            with self._lock:
                if key != self._snapshot:
                    try:
                        index.reload()
                    except ValueError:
                        return None
                    self._snapshot = key
        return key

    def health(self) -> Health:
        try:
            index = self._reader()
            docs = index.searcher().num_docs
        except IndexUnavailable as exc:
            return Health(False, str(exc), self.engine)
        except Exception as exc:  # an unreadable index is a health finding, not a crash
            return Health(False, f"embedded index unreadable: {exc}", self.engine)
        return Health(True, f"ok ({docs} documents, version {self._reader_version})", self.engine)

    def count(self) -> int:
        return int(self._reader().searcher().num_docs)

    def get(self, doc_id: str) -> IndexDocument | None:
        index = self._reader()
        searcher = index.searcher()
        hits = searcher.search(tantivy.Query.term_query(self.schema, "id", doc_id), 1).hits
        if not hits:
            return None
        return self._source(searcher.doc(hits[0][1]))

    @staticmethod
    def _source(tdoc: tantivy.Document) -> IndexDocument:
        raw = tdoc.get_first("source")
        if raw is None:
            raise IndexUnavailable("embedded index holds a document without its source; run `chm-search reindex`")
        loaded: IndexDocument = orjson.loads(bytes(raw))
        return loaded

    # -- query compilation -------------------------------------------------------------------
    def _filters(self, query: SearchQuery) -> dict[str, tantivy.Query]:
        """One filter per constrained facet (entity types apart); the year range counts as the year facet's."""
        filters = {
            key: tantivy.Query.term_set_query(self.schema, FILTER_TO_FIELD[name], values)
            for key, (name, values) in filter_groups(query).items()
        }
        if query.year_from is not None or query.year_to is not None:
            filters["year"] = tantivy.Query.range_query(
                self.schema,
                "year",
                tantivy.FieldType.Integer,
                query.year_from if query.year_from is not None else -(2**62),
                query.year_to if query.year_to is not None else 2**62,
            )
        return filters

    def _compose(self, base: tantivy.Query | None, filters: list[tantivy.Query]) -> tantivy.Query:
        clauses = [(tantivy.Occur.Must, q) for q in ([base] if base is not None else []) + filters]
        if not clauses:
            return tantivy.Query.all_query()
        if base is None:
            clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
        return tantivy.Query.boolean_query(clauses)

    # -- search ------------------------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchResults:
        started = time.perf_counter()
        # The token is taken before the searcher: what is remembered under it was counted on that
        # state or a newer one.
        index, snapshot = self._reader_at()
        point_in_time = None
        if query.search_after is not None:
            point_in_time, searcher = self._point_in_time(query.point_in_time, index)
            snapshot = None  # a cursor's pages may run on an older snapshot: counted afresh
        else:
            searcher = index.searcher()
        near: NearOnlyItself | None = None
        if snapshot is not None and self.near_terms.max_entries > 0:  # else asking each time costs more

            def near(name: str, token: str) -> bool:
                return self._near_only_itself(searcher, snapshot, name, token)

        compiled = TantivyQueryCompiler(self.schema, near).compile(query)
        base = compiled.query
        if compiled.no_tokens:
            return SearchResults(0, [], {name: [] for name in query.facets}, (time.perf_counter() - started) * 1000)
        filters = self._filters(query)
        full = self._compose(base, list(filters.values()))

        offset = query.offset
        if query.search_after is not None:
            offset = _cursor_position(query.search_after) + 1
        # The top hits without counting every match (Tantivy can then skip the blocks that cannot
        # make the top); the total comes from the facets' aggregation, which visits every match.
        found: list[tuple[Any, tantivy.DocAddress]] = []
        if query.size > 0:
            if query.sort == "newest":
                found = searcher.search(full, query.size, order_by_field="date_days", offset=offset).hits
            else:
                found = searcher.search(full, query.size, offset=offset).hits

        hits: list[Hit] = []
        marks = _Highlighter(self.schema, searcher, full, compiled.highlight_terms)
        for position, (score, address) in enumerate(found, start=offset):
            source = self._source(searcher.doc(address))
            snippet = None
            titles: dict[str, str] = {}
            if query.highlight and base is not None and query.text.strip():
                snippet = marks.snippet(source, query.lang, query.snippet_window)
                titles = marks.titles(source)
            hits.append(
                Hit(
                    id=source["id"],
                    score=float(score) if query.sort == "relevance" else None,
                    source=source,
                    snippet=snippet,
                    sort=[position],
                    title_highlights=titles,
                )
            )
        facets, total = self._facets(searcher, base, filters, query, snapshot)
        return SearchResults(total, hits, facets, (time.perf_counter() - started) * 1000, point_in_time)

    def _point_in_time(self, token: str | None, index: tantivy.Index) -> tuple[str, tantivy.Searcher]:
        """The snapshot a cursor's pages run on: the one ``token`` names, or a new one."""
        now = time.monotonic()
        with self._lock:
            for old, (at, _) in list(self._points_in_time.items()):
                if now - at > POINT_IN_TIME_SECONDS:
                    del self._points_in_time[old]
            held = self._points_in_time.get(token) if token is not None else None
            if token is not None and held is not None:
                self._points_in_time[token] = (now, held[1])
                return token, held[1]
            while len(self._points_in_time) >= POINT_IN_TIME_LIMIT:
                del self._points_in_time[next(iter(self._points_in_time))]
            new_token = os.urandom(12).hex()
            searcher = index.searcher()
            self._points_in_time[new_token] = (now, searcher)
            return new_token, searcher

    def _facets(
        self,
        searcher: tantivy.Searcher,
        base: tantivy.Query | None,
        filters: dict[str, tantivy.Query],
        query: SearchQuery,
        snapshot: tuple[str, int, int, int] | None,
    ) -> tuple[dict[str, list[tuple[str, int]]], int]:
        """Facet counts, and the total of matches (counted in the same pass over them as the
        facets that take every filter); a facet (an entity type) with a selection is counted
        without its own filter (multi-select), and a selected value is always listed.

        Each pass (the query under some of its filters) is remembered for the snapshot
        (``self.counts``): the same query asked again costs no pass, and a selected facet's counts
        come from its query's pass without the selection when that query was asked before (a
        reader's search, then a facet clicked)."""
        spec = tuple((name, query.facet_limit(name)) for name in query.facets)

        def counts(keep: Sequence[str], only: str | None = None) -> FacetCounts:
            """The facets' counts and the total of ``base`` under the filters ``keep``: every
            facet, or ``only`` one (unless every facet is already known)."""
            composed = self._compose(base, [filters[k] for k in keep])
            key = _query_key(composed)
            if only is not None:
                known = self.counts.peek(snapshot, ("facets", key, spec))
                if known is not None:
                    return known
            wanted = spec if only is None else tuple((name, limit) for name, limit in spec if name == only)

            def aggregate() -> FacetCounts:
                aggs: dict[str, Any] = {
                    name: {"terms": {"field": FILTER_TO_FIELD.get(name, name), "size": limit}} for name, limit in wanted
                }
                # Every document has date_days (NO_DATE when undated): a count of the matches.
                aggs[TOTAL_AGGREGATION] = {"value_count": {"field": "date_days"}}
                raw = dict(searcher.aggregate(composed, aggs))
                total = int(raw.get(TOTAL_AGGREGATION, {}).get("value") or 0)
                return {name: _buckets(raw, name) for name, _limit in wanted}, total

            return self.counts.get(snapshot, ("facets", key, wanted), aggregate)

        main, total = counts(list(filters))
        counted: dict[str, dict[str, int]] = {name: dict(main.get(name, {})) for name in query.facets}
        for key in filters:
            kind = entity_kind(key)
            facet = "entity" if kind is not None else key
            if facet not in query.facets:
                continue
            values = counts([k for k in filters if k != key], only=facet)[0].get(facet, {})
            if kind is None:
                counted[facet] = dict(values)
                continue
            counted[facet] = {v: c for v, c in counted[facet].items() if not v.startswith(f"{kind}:")}
            counted[facet].update({v: c for v, c in values.items() if v.startswith(f"{kind}:")})
        groups = filter_groups(query)
        for key, (name, selected) in groups.items():
            facet = "entity" if entity_kind(key) is not None else name
            if facet not in query.facets:
                continue
            for value in selected:
                if value not in counted[facet]:
                    others = [q for k, q in filters.items() if k != key]
                    chosen = tantivy.Query.term_set_query(self.schema, FILTER_TO_FIELD[name], [value])
                    counted[facet][value] = self._count(searcher, self._compose(base, [*others, chosen]), snapshot)
        ordered = {
            name: sorted(values.items(), key=lambda pair: (-pair[1], pair[0])) for name, values in counted.items()
        }
        return ordered, total

    def _near_only_itself(
        self, searcher: tantivy.Searcher, snapshot: tuple[str, int, int, int], name: str, token: str
    ) -> bool:
        """Whether no record holds a term one edit from ``token`` in field ``name`` but not the
        token itself (then typo tolerance there matches what the token does): asked once per
        snapshot, a search of the records the fuzzy query finds and the term does not."""

        def ask() -> bool:
            extra = tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Must, near_query(self.schema, name, token)),
                    (tantivy.Occur.MustNot, tantivy.Query.term_query(self.schema, name, token)),
                ]
            )
            return not searcher.search(extra, 1, count=False).hits

        return self.near_terms.get(snapshot, (name, token), ask)

    def _count(
        self, searcher: tantivy.Searcher, query: tantivy.Query, snapshot: tuple[str, int, int, int] | None
    ) -> int:
        """How many records ``query`` matches, remembered for the snapshot."""

        def count() -> FacetCounts:
            return {}, int(getattr(searcher.search(query, 1, count=True), "count", 0) or 0)

        return self.counts.get(snapshot, ("count", _query_key(query)), count)[1]

    def spelling(self, words: Sequence[str]) -> dict[str, str]:
        """Corrections from the spelling fields' term dictionaries (terms sharing the word's first
        letter, their document counts summed over languages), for words no field holds."""
        searcher = self._reader().searcher()
        corrections: dict[str, str] = {}
        for word in dict.fromkeys(words):
            lowered = spelling_word(word)
            if lowered is None or self._known(searcher, word):
                continue
            limit = max_edits(lowered)
            counts: dict[str, int] = {}
            for lang in SPELLING_LANGUAGES:
                for term, count in searcher.terms_with_prefix(spelling_field_name(lang), lowered[:SPELLING_PREFIX]):
                    if abs(len(term) - len(lowered)) <= limit:
                        counts[term] = counts.get(term, 0) + count
            best = closest_word(lowered, counts.items())
            if best is not None:
                corrections[word] = best
        return corrections

    def _known(self, searcher: tantivy.Searcher, word: str) -> bool:
        """Whether some field holds every term of ``word`` as a query analyses it there."""
        fields = [(field_name(name, lang), lang) for lang in SEARCHED_LANGUAGES for name, _ in TEXT_FIELD_BOOSTS]
        for name, lang in [*fields, ("names", None)]:
            positions = analyse(word, lang)
            if positions and all(any(searcher.doc_freq(name, term) for term in terms) for terms in positions):
                return True
        return False

    def suggest(self, prefix: str, lang: str, size: int = 10) -> list[str]:
        words = prefix.split()
        if not words:
            return []
        # Earlier words match as analysed terms; the last, still being typed, as a prefix of its
        # stem (the index holds stems, and a word's stem is a prefix of the word).
        field = field_name("title", lang)
        if preanalysed(lang):
            # Arabic: a stem drops the article, so the typed prefix drops it too (« الت »).
            heads = list(itertools.islice(itertools.product(*arabic.positions(" ".join(words[:-1]))), 16))
            tails = list(arabic.prefix_forms(words[-1]))
        else:
            analyzer = tantivy_analyzer(analyzer_name(lang))
            heads = [tuple(analyzer.analyze(" ".join(words[:-1])))]
            tails = analyzer.analyze(words[-1])[:1]
        if not tails:
            return []
        ways = [tantivy.Query.phrase_prefix_query(self.schema, field, [*h, tail]) for h in heads for tail in tails]
        query = ways[0] if len(ways) == 1 else tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in ways])
        searcher = self._reader().searcher()
        seen: dict[str, None] = {}
        for _score, address in searcher.search(query, size * 3).hits:
            title = (self._source(searcher.doc(address)).get("title") or {}).get(lang)
            if title:
                seen.setdefault(title, None)
            if len(seen) >= size:
                break
        return list(seen)


def _query_key(query: tantivy.Query) -> bytes:
    """A short key naming a query exactly: a digest of Tantivy's own description of it (every
    clause, field, term, boost and bound)."""
    return hashlib.blake2b(repr(query).encode("utf-8"), digest_size=16).digest()


def _buckets(raw: dict[str, Any], name: str) -> dict[str, int]:
    return {
        _bucket_key(b["key"]): int(b["doc_count"]) for b in raw.get(name, {}).get("buckets", []) if b["doc_count"] > 0
    }


def arabic_matches(text: str, wanted: set[str]) -> list[tuple[int, int]]:
    """The character ranges of the words of Arabic ``text`` whose terms are wanted."""
    return [(start, end) for start, end, terms in arabic.tokens(text) if not wanted.isdisjoint(terms)]


class _Highlighter:
    """The query's matched words in one page of hits: Tantivy's snippet generators (one a field and
    fragment size, made on first use) and the terms the query matched in each field."""

    def __init__(
        self, schema: tantivy.Schema, searcher: tantivy.Searcher, query: tantivy.Query, terms: dict[str, set[str]]
    ) -> None:
        self.schema = schema
        self.searcher = searcher
        self.query = query
        self.terms = terms
        self.generators: dict[str, tantivy.SnippetGenerator] = {}

    def _generator(self, field: str, max_chars: int) -> tantivy.SnippetGenerator:
        key = f"{field}:{max_chars}"
        generator = self.generators.get(key)
        if generator is None:
            generator = tantivy.SnippetGenerator.create(self.searcher, self.query, self.schema, field)
            generator.set_max_num_chars(max_chars)
            self.generators[key] = generator
        return generator

    def _highlighted(self, field: str, value: str, max_chars: int) -> tuple[int, int, list[tuple[int, int]]] | None:
        """Where Tantivy's best fragment of ``value`` lies (start and end, in characters) and the
        matched words in it (character ranges in ``value``), or None if nothing matched."""
        generator = self._generator(field, max_chars)
        tdoc = tantivy.Document()
        tdoc.add_text(field, value)
        snippet = generator.snippet_from_doc(tdoc)
        fragment = snippet.fragment()
        byte_ranges = [(r.start, r.end) for r in snippet.highlighted()]
        if not byte_ranges or not fragment:
            return None
        # Tantivy gives byte offsets inside the fragment; the fragment is a slice of the value.
        raw = value.encode("utf-8")
        at = raw.find(fragment.encode("utf-8"))
        if at < 0:
            return None

        def char(offset: int) -> int:
            return len(raw[:offset].decode("utf-8", "ignore"))

        ranges = [(char(at + start), char(at + end)) for start, end in byte_ranges]
        return char(at), char(at + len(fragment.encode("utf-8"))), ranges

    def snippet(self, source: IndexDocument, lang: str, window: int) -> str | None:
        """A highlighted fragment from the text, summary or title: in the reader's language first,
        then in the language the card shows, then in any other language version the query matched;
        ellipses where it was cut. Cut from the first ``window`` characters of each (re-analysing a
        huge text whole would cost seconds a hit)."""
        languages = snippet_languages(source, lang)
        for code, name in ((code, name) for code in languages for name in ("text", "summary", "title")):
            whole = versions(source, name).get(code) or ""
            value = whole[:window]
            field = field_name(name, code)
            if not value or not self.terms.get(field):
                continue
            if preanalysed(code):
                fragment = arabic_snippet(value, self.terms[field])
                if fragment is not None:
                    return fragment
                continue
            found = self._highlighted(field, value, SNIPPET_MAX_CHARS)
            if found is not None:
                start, end, ranges = found
                if not any(char.isalnum() for char in whole[end:]):
                    end = len(whole.rstrip())  # only the closing "." is left: the text's end, with it
                shifted = [(a - start, b - start) for a, b in ranges]
                return with_ellipsis(highlight(whole[start:end], shifted), start == 0, end >= len(whole.rstrip()))
        return None

    def titles(self, source: IndexDocument) -> dict[str, str]:
        """Each language's whole title with the words the query matched highlighted."""
        titles: dict[str, str] = {}
        for code, value in (source.get("title") or {}).items():
            field = field_name("title", code)
            if not value or not self.terms.get(field):
                continue
            if preanalysed(code):
                ranges = arabic_matches(value, self.terms[field])
            else:
                found = self._highlighted(field, value, max(len(value) * 4, 64))
                ranges = found[2] if found is not None else []
            if ranges:
                titles[code] = highlight(value, ranges)
        return titles


def arabic_snippet(text: str, wanted: set[str]) -> str | None:
    """A fragment of Arabic ``text`` around its first word whose term is wanted, highlighted and
    HTML-escaped (the embedded index holds Arabic analysed in Python, so Tantivy cannot place it),
    cut between words, with ellipses where the text goes on."""
    # Words are read only as far as the fragment reaches: a long text is not analysed whole.
    words: list[tuple[int, int]] = []
    begin, stop = 0, len(text)
    for start, end, terms in arabic.iter_tokens(text):
        if start >= stop:
            break
        if wanted.isdisjoint(terms):
            continue
        if not words:
            begin = max(0, start - SNIPPET_MAX_CHARS // 3)
            begin, stop = cut_at_word(text, begin, min(len(text), begin + SNIPPET_MAX_CHARS), keep=start)
        words.append((start, end))
    if not words:
        return None
    inside = [(start - begin, end - begin) for start, end in words if start >= begin and end <= stop]
    return with_ellipsis(highlight(text[begin:stop], inside), begin == 0, not text[stop:].strip())


def _cursor_position(search_after: Sequence[Any]) -> int:
    """The position a cursor continues after; anything else is an invalid cursor, never an offset."""
    if len(search_after) != 1 or type(search_after[0]) is not int or not 0 <= search_after[0] < MAX_CURSOR_POSITION:
        raise InvalidCursor("invalid cursor for this search")
    return int(search_after[0])


def _bucket_key(key: object) -> str:
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)
