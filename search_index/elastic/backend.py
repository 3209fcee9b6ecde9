"""The backend for the engines with Elasticsearch's API: Elasticsearch 9 and OpenSearch 2/3.

One body of logic: the mapping, query compiler, results, bulk writer and index versions of this
package are shared; only the client (``clients.py``) differs. This class sends what those
modules build and turns every engine error into ``IndexUnavailable`` with one line an operator
can act on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from record_catalogue.errors import InvalidCursor
from record_catalogue.settings import Settings
from search_index.base import (
    BulkResult,
    DocumentEncoder,
    Health,
    Indexable,
    IndexDocument,
    IndexUnavailable,
    SearchBackend,
    SearchQuery,
    SearchResults,
)
from search_index.elastic.bulk import BulkWriter, encode_document
from search_index.elastic.clients import (
    HEALTH_REQUEST_TIMEOUT,
    ApiFailure,
    EngineClient,
    Flavour,
    Unreachable,
    detect_flavour,
    encode_json,
    make_client,
    redacted_url,
)
from search_index.elastic.loading import FreshLoad, LiveLoad
from search_index.elastic.mapping import check_languages
from search_index.elastic.query_compiler import (
    PIT_KEEP_ALIVE,
    build_search_body,
    build_spelling_body,
    build_suggest_body,
    in_point_in_time,
)
from search_index.elastic.rebuilder import RETIRED_GRACE_SECONDS, IndexVersions
from search_index.elastic.results import distinct_completions, search_results, spelling_corrections
from search_index.query_plan import spelling_word

log = logging.getLogger(__name__)

ENGINE_NAMES: dict[str, str] = {"elasticsearch": "Elasticsearch", "opensearch": "OpenSearch"}


def resolve_flavour(settings: Settings) -> Flavour:
    """The flavour the settings name, or the one the node says it is."""
    if settings.es_flavour != "auto":
        return settings.es_flavour
    try:
        return detect_flavour(settings)
    except (ApiFailure, Unreachable) as exc:
        raise IndexUnavailable(
            f"cannot tell which engine {redacted_url(settings.es_url or '')} is ({exc}); "
            "check that the node is running, or set CHM_ES_FLAVOUR=elasticsearch|opensearch"
        ) from None


class ElasticBackend(SearchBackend):
    """Versioned indices ``<index_name>-v<timestamp>`` behind the alias ``<index_name>``."""

    def __init__(self, settings: Settings, client: EngineClient | None = None) -> None:
        if not settings.es_url and client is None:
            raise IndexUnavailable(
                "CHM_ES_URL is not set: point it at an Elasticsearch 9 or OpenSearch node, e.g. http://localhost:9200"
            )
        self.settings = settings
        self.alias = settings.index_name
        self.languages = check_languages(settings.languages)
        self.url = redacted_url(settings.es_url or "the configured client")
        if client is None:
            try:
                client = make_client(settings, resolve_flavour(settings))
            except ValueError as exc:
                raise IndexUnavailable(str(exc)) from None
        self.client = client
        self.engine = client.flavour
        self.name = ENGINE_NAMES[client.flavour]
        self.versions = IndexVersions(client, self.alias, self.languages, f"{self.name} at {self.url}")
        self.writer = BulkWriter(client, chunk_size=self.bulk_chunk_size)
        self._checked: set[str] = set()
        # Loads into the live version turn its refreshes off once they pass one bulk chunk.
        self.live_load = LiveLoad(client, threshold=self.bulk_chunk_size)

    # -- errors ------------------------------------------------------------------------------

    def _api_message(self, what: str, exc: ApiFailure) -> str:
        if exc.status == 401:
            return (
                f"{what}: {self.name} at {self.url} refused the credentials; "
                "check CHM_ES_USERNAME/CHM_ES_PASSWORD or CHM_ES_API_KEY"
            )
        if exc.status == 403:
            return (
                f"{what}: the {self.name} user lacks a privilege ({exc.reason}); "
                f"grant it on indices {self.alias} and {self.alias}-v*"
            )
        if exc.error_type == "index_not_found_exception":
            return (
                f"{what}: the search index {self.alias!r} does not exist yet on {self.url}; "
                "ingest records or rebuild the index to create it"
            )
        if exc.status == 413:
            return f"{what}: {self.name} at {self.url} refused a request as too large (413); lower the bulk chunk size"
        if exc.error_type in ("mapper_parsing_exception", "document_parsing_exception", "illegal_argument_exception"):
            return (
                f"{what}: {self.name} at {self.url} refused it: {exc.reason}; rebuild the index if the mapping changed"
            )
        return f"{what}: {self.name} at {self.url} answered {exc.status}: {exc.reason}"

    def _unreachable(self, exc: Unreachable) -> str:
        return f"{self.name} at {self.url} is unreachable: {exc.reason}; check CHM_ES_URL and that the node is running"

    @contextmanager
    def _calling(self, what: str) -> Iterator[None]:
        """Turn every engine error into ``IndexUnavailable`` with a one-line message."""
        try:
            yield
        except ApiFailure as exc:
            raise IndexUnavailable(self._api_message(what, exc)) from None
        except Unreachable as exc:
            raise IndexUnavailable(f"{what}: {self._unreachable(exc)}") from None

    # -- lifecycle ---------------------------------------------------------------------------

    def ensure_index(self) -> None:
        if self.current_version() is not None:
            return
        with self._calling("checking the index alias"):
            if self.versions.exists(self.alias):
                raise IndexUnavailable(
                    f"an index named {self.alias!r} exists on {self.url} where the alias should be "
                    "(probably auto-created by a write); delete it or choose another CHM_INDEX_NAME"
                )
        with self._calling("creating the first index version"):
            version = self.versions.create()
            # Another process may have created a first version meanwhile: the single alias call
            # leaves exactly one version behind the alias (the last one).
            self.versions.point_alias_at(version)
            targets = self.versions.alias_targets()
            if targets and targets[-1] != version:
                # A concurrent ensure_index won with a newer version: withdraw ours and drop it.
                if version in targets:
                    self.versions.withdraw(version)
                self.versions.drop(version)

    def health(self) -> Health:
        try:
            info = self.client.request("GET", "/", timeout=HEALTH_REQUEST_TIMEOUT)
            cluster = self.client.request("GET", "/_cluster/health", timeout=HEALTH_REQUEST_TIMEOUT)
            aliases = self.versions.alias_targets()
        except ApiFailure as exc:
            return Health(False, self._api_message("health check", exc), self.engine)
        except Unreachable as exc:
            return Health(False, self._unreachable(exc), self.engine)
        problem = self.client.supported_version(info)
        if problem is not None:
            return Health(False, f"{self.url}: {problem}", self.engine)
        number = str(info.get("version", {}).get("number", "?"))
        status = str(cluster.get("status", "?"))
        name = str(cluster.get("cluster_name", "?"))
        nodes = int(cluster.get("number_of_nodes", 0))
        if status == "red":
            return Health(
                False,
                f"{self.name} cluster {name!r} at {self.url} is red: some primary shards are unassigned; "
                "see GET _cluster/allocation/explain",
                self.engine,
            )
        if not aliases:
            return Health(
                False,
                f"the search index {self.alias!r} does not exist yet on {self.url}; "
                "ingest records or rebuild the index",
                self.engine,
            )
        if status == "yellow":
            unassigned = int(cluster.get("unassigned_shards", 0))
            return Health(
                True,
                f"{self.name} {number}, cluster {name!r} is yellow ({nodes} node(s), {unassigned} replica shard(s) "
                f"unassigned): searches answer, but one more lost node may lose data; {self.alias} -> {aliases[-1]}",
                self.engine,
                degraded=True,
            )
        return Health(
            True,
            f"{self.name} {number}, cluster {name!r} is {status} ({nodes} node(s)); {self.alias} -> {aliases[-1]}",
            self.engine,
        )

    def close(self) -> None:
        self.client.close()

    # -- versions ----------------------------------------------------------------------------

    def create_version(self) -> str:
        with self._calling("creating an index version"):
            return self.versions.create()

    def current_version(self) -> str | None:
        with self._calling("reading the index alias"):
            targets = self.versions.alias_targets()
        return targets[-1] if targets else None

    def list_versions(self) -> list[str]:
        with self._calling("listing index versions"):
            return self.versions.names()

    def swap(self, version: str) -> None:
        self.versions.check(version)
        with self._calling(f"swapping the alias to {version}"):
            if not self.versions.exists(version):
                raise ValueError(f"index version {version!r} does not exist")
            self.versions.point_alias_at(version)

    def drop_version(self, version: str) -> None:
        self.versions.check(version)
        with self._calling(f"dropping index version {version}"):
            self.versions.drop(version)

    def release_version(self, version: str) -> None:
        """After a rebuild: the old version stays for in-flight searches and cursors; versions
        retired longer ago than the grace period go."""
        with self._calling("dropping retired index versions"):
            self.versions.retire(version)
            self.versions.prune()

    def prune(self, grace_seconds: float | None = None) -> list[str]:
        with self._calling("dropping retired index versions"):
            return self.versions.prune(RETIRED_GRACE_SECONDS if grace_seconds is None else grace_seconds)

    def destroy(self) -> None:
        with self._calling(f"deleting every version of {self.alias}"):
            self.versions.destroy()

    # -- writes ------------------------------------------------------------------------------

    def _write_target(self, version: str | None) -> str:
        """The concrete index to write to; never the alias name, which a write would auto-create
        as an index with guessed mappings if the alias were missing."""
        if version is not None:
            self.versions.check(version)
            with self._calling(f"checking index version {version}"):
                if not self.versions.exists(version):
                    raise IndexUnavailable(f"index version {version!r} does not exist on {self.url}")
            target = version
        else:
            current = self.current_version()
            if current is None:
                # Never made here: an empty version would hide a lost index (deleted under a
                # running service) behind health's "ok". A first version is made on purpose, by
                # ``search_index.restore.ensure_index``, which rebuilds a lost one instead.
                raise IndexUnavailable(
                    f"the search index alias {self.alias!r} names no index on {self.url} (lost or never made); "
                    "writes are refused rather than starting an empty index: chm-search reindex rebuilds it "
                    "from the catalogue (ingest, translate and serve do so when they start)"
                )
            target = current
        if target not in self._checked:
            with self._calling(f"checking index version {target}"):
                self.versions.check_compatible(target)
            self._checked.add(target)
        return target

    @contextmanager
    def loading(self, version: str | None = None, *, fresh: bool = False) -> Iterator[None]:
        """Refreshes off while a large load runs (a fresh version: no replica either), the
        index's settings put back after it, on failure too (``search_index.elastic.loading``)."""
        load: LiveLoad | FreshLoad = self.live_load
        if fresh:
            load = FreshLoad(self.client, self.versions.check(version or ""))
            with self._calling(f"suspending refreshes and replicas of {version} while it is filled"):
                load.enter()
        else:
            self.live_load.enter()
        try:
            yield
        except BaseException:
            with self._calling("putting back the index settings after a failed load"):
                load.exit(failed=True)
            raise
        with self._calling("putting back the index settings after a load"):
            load.exit(failed=False)

    def document_encoder(self) -> DocumentEncoder:
        return encode_document

    def bulk(self, docs: Iterable[Indexable], version: str | None = None) -> BulkResult:
        target = self._write_target(version)
        if version is None:
            with self._calling(f"suspending refreshes of {target} for a bulk load"):
                self.live_load.before_bulk(target)
            # Live writes name the alias with require_alias: should the version be deleted after it
            # was looked up, the engine refuses each document instead of auto-creating an index
            # of that name with guessed mappings.
            result = self.writer.index(docs, self.alias, require_alias=True)
        else:
            result = self.writer.index(docs, target)
        self.live_load.after_bulk(result.indexed)
        return result

    def delete(self, ids: Sequence[str], version: str | None = None) -> None:
        if not ids:
            return
        if version is None and self.current_version() is None:
            return  # no index yet, so nothing to delete
        target = self._write_target(version)
        failures = self.writer.delete(ids, target)
        if failures:
            doc_id, reason = failures[0]
            raise IndexUnavailable(
                f"{len(failures)} document(s) could not be deleted from {target}, e.g. {doc_id}: {reason}"
            )

    def refresh(self, version: str | None = None) -> None:
        target = self.versions.check(version) if version is not None else self.alias
        with self._calling(f"refreshing {target}"):
            self.client.request("POST", f"/{target}/_refresh")

    # -- reads -------------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResults:
        if query.search_after is None:
            body = build_search_body(query, flavour=self.engine)
            with self._calling("searching"):
                answer = self.client.request("POST", f"/{self.alias}/_search", body=encode_json(body))
            return search_results(answer, query)
        return self._search_after(query)

    def _search_after(self, query: SearchQuery) -> SearchResults:
        """A cursor page, in a point in time: pages stay consistent across refreshes and swaps.

        The first cursor page opens the point in time; its id travels in the cursor. An expired
        one is reopened (the reader's paging goes on, at worst seeing the index as it is now).
        """
        body = build_search_body(query, flavour=self.engine)  # built (and checked) before a point in time is opened
        with self._calling("searching"):
            pit = query.point_in_time or self.client.open_point_in_time(self.alias, PIT_KEEP_ALIVE)
            try:
                answer = self._pit_search(body, pit)
            except ApiFailure as exc:
                if _pit_gone(exc) and query.point_in_time is not None:
                    pit = self.client.open_point_in_time(self.alias, PIT_KEEP_ALIVE)
                    answer = self._pit_search(body, pit)
                elif exc.status == 400 and _about_the_cursor(exc):
                    raise InvalidCursor(f"invalid cursor for this search: {exc.reason}") from None
                else:
                    raise
        results = search_results(answer, query)
        results.point_in_time = str(answer.get("pit_id") or pit)
        return results

    def _pit_search(self, body: Mapping[str, Any], pit: str) -> Mapping[str, Any]:
        answer: Mapping[str, Any] = self.client.request(
            "POST", "/_search", body=encode_json(in_point_in_time(body, pit))
        )
        return answer

    def suggest(self, prefix: str, lang: str, size: int = 10) -> list[str]:
        if not prefix.strip() or size <= 0:
            return []
        body = build_suggest_body(prefix, lang, size)
        with self._calling("suggesting"):
            answer = self.client.request("POST", f"/{self.alias}/_search", body=encode_json(body))
        return distinct_completions(answer["hits"]["hits"], lang, size)

    def spelling(self, words: Sequence[str]) -> dict[str, str]:
        chosen = [(word, low) for word in dict.fromkeys(words) if (low := spelling_word(word)) is not None]
        if not chosen:
            return {}
        body = build_spelling_body([low for _, low in chosen], self.languages)
        with self._calling("looking for spelling corrections"):
            answer = self.client.request("POST", f"/{self.alias}/_search", body=encode_json(body))
        return spelling_corrections(answer, [word for word, _ in chosen], [low for _, low in chosen])

    def get(self, doc_id: str) -> IndexDocument | None:
        with self._calling(f"reading document {doc_id}"):
            try:
                answer = self.client.request("GET", f"/{self.alias}/_doc/{_path_segment(doc_id)}")
            except ApiFailure as exc:
                if exc.status != 404 or exc.error_type is not None:  # the index, not the document, is missing
                    raise
                return None
        source: IndexDocument = answer["_source"]
        return source

    def count(self) -> int:
        with self._calling("counting documents"):
            answer = self.client.request("GET", f"/{self.alias}/_count")
        return int(answer["count"])


def _pit_gone(exc: ApiFailure) -> bool:
    return exc.status == 404 or "search_context_missing" in (exc.error_type or "") or "point in time" in exc.reason


def _about_the_cursor(exc: ApiFailure) -> bool:
    """Whether a 400 is the cursor's fault (its values do not fit the sort), not the request's."""
    reason = exc.reason.lower()
    return "search_after" in reason or "sort" in reason or "failed to parse" in reason


def _path_segment(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")
