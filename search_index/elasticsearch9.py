"""The Elasticsearch 9 backend: what production, and every deployment that outgrows one machine, uses.

Every request body is built by a pure function of this module from validated parameters
(``index_settings``, ``index_mappings``, ``build_search_body``, ``build_suggest_body``,
``bulk_actions``) so that the requests can be checked as data without a node; the backend class
only sends them and turns the answers into the engine-neutral types of :mod:`search_index.base`.

One module per Elasticsearch major (as Wagtail does): the official client must have the same
major version as the server, and mapping or query details drift between majors.

User text only ever reaches ``multi_match``/``match_bool_prefix`` queries, which analyse it per
field; it never reaches a query-string parser (``query_string``, ``simple_query_string``), so no
input can change the query's structure or raise a parse error.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from elasticsearch import ApiError, BadRequestError, Elasticsearch, NotFoundError, TransportError
from elasticsearch.helpers import streaming_bulk

from analyzers.analysis import NEUTRAL_ANALYZER, analyzer_name, elasticsearch_analysis
from record_catalogue.languages import UN_LANGUAGES, UNDETERMINED
from record_catalogue.settings import Settings
from search_index.base import (
    ALTERNATIVE_BOOST,
    FILTER_FIELDS,
    HIGHLIGHT_CLOSE,
    HIGHLIGHT_OPEN,
    NAMES_BOOST,
    SNIPPET_MAX_CHARS,
    TEXT_FIELD_BOOSTS,
    BulkResult,
    Document,
    Health,
    Hit,
    IndexUnavailable,
    SearchBackend,
    SearchQuery,
    SearchResults,
    chunked,
    validate_document,
)

log = logging.getLogger(__name__)

# Where each filter/facet of the query model lives in the index.
FILTER_TARGETS: dict[str, str] = {
    "realm": "realm",
    "schema": "schema",
    "government": "government",
    "original_language": "original_language",
    "entity": "entities",
}
FACET_TARGETS: dict[str, str] = {**FILTER_TARGETS, "year": "year"}

TEXT_FIELDS: tuple[str, ...] = tuple(name for name, _ in TEXT_FIELD_BOOSTS)
SUGGEST_SUBFIELD = "suggest"
KEYWORD_FIELDS: tuple[str, ...] = (
    "id",
    "realm",
    "schema",
    "government",
    "original_language",
    "languages",
    "entities",
)

# Transport defaults: a search must answer in seconds; a bulk chunk may take longer; health must
# never hang the health endpoint.
REQUEST_TIMEOUT = 30.0
BULK_REQUEST_TIMEOUT = 120.0
HEALTH_REQUEST_TIMEOUT = 5.0
TRANSPORT_RETRIES = 3
BULK_MAX_RETRIES = 5
BULK_INITIAL_BACKOFF = 1.0
BULK_MAX_BACKOFF = 60.0
# Well under http.max_content_length (100 MB by default), so that big PDFs never make a chunk
# that the node refuses as a whole.
BULK_MAX_CHUNK_BYTES = 20 * 1024 * 1024

# index.max_result_window: Elasticsearch refuses from + size beyond it; deeper pages use a cursor.
MAX_RESULT_WINDOW = 10_000

_LANG_RE = re.compile(r"^[a-z]{2,3}$")
_VERSION_DIGITS = 20  # YYYYmmddHHMMSSffffff


# -- index definition --------------------------------------------------------------------------


def index_settings() -> dict[str, Any]:
    """Settings of every index version.

    One primary shard: the corpus (all three clearing-houses) fits comfortably, and one shard keeps
    facet counts exact and scores independent of how documents were spread. ``auto_expand_replicas``
    gives no replica on a single node (so its health is green) and one replica on a cluster.
    """
    return {
        "number_of_shards": 1,
        "auto_expand_replicas": "0-1",
        "analysis": elasticsearch_analysis(),
    }


def _language_field(analyzer: str, suggest_analyzer: str) -> dict[str, Any]:
    # index_options=offsets lets the unified highlighter read offsets from the postings instead
    # of re-analysing the stored text: faster, and no index.highlight.max_analyzed_offset error
    # on records with more than a million characters of text.
    return {
        "type": "text",
        "analyzer": analyzer,
        "index_options": "offsets",
        "fields": {SUGGEST_SUBFIELD: {"type": "search_as_you_type", "analyzer": suggest_analyzer}},
    }


def _suggest_analyzer(lang: str) -> str:
    """The analyzer of the as-you-type subfield of a language.

    Not the stemming language analyzer: a half-typed word must not be stemmed ("conserva" stems
    to itself and would never be a prefix of "conserv", the stem of "conservation"). Chinese keeps
    its bigram analyzer, because the neutral tokenizer would turn a whole Chinese title into one
    token and only its first characters could be completed.
    """
    return analyzer_name(lang) if lang == "zh" else NEUTRAL_ANALYZER


def _check_languages(languages: Iterable[str]) -> list[str]:
    langs = list(dict.fromkeys(languages))
    unknown = [lang for lang in langs if lang not in UN_LANGUAGES]
    if unknown:
        raise ValueError(f"no analyzer for language(s) {', '.join(unknown)}; known: {', '.join(UN_LANGUAGES)}")
    if not langs:
        raise ValueError("at least one language is needed")
    return langs


def index_mappings(languages: Sequence[str]) -> dict[str, Any]:
    """Mappings of every index version, for the configured ``languages``.

    ``dynamic: false``: a field the mapping does not know (a language not configured, a field a
    later version of the document builder adds) is kept in ``_source`` but never guessed a type,
    so one odd document cannot change the mapping for all others. Text held under ``und``
    (language not determined) is indexed with the language-neutral analyzer.
    """
    langs = _check_languages(languages)
    per_language: dict[str, Any] = {
        lang: _language_field(analyzer_name(lang), _suggest_analyzer(lang)) for lang in langs
    }
    per_language[UNDETERMINED] = _language_field(NEUTRAL_ANALYZER, NEUTRAL_ANALYZER)
    properties: dict[str, Any] = {name: {"type": "keyword"} for name in KEYWORD_FIELDS}
    properties.update({name: {"type": "object", "properties": dict(per_language)} for name in TEXT_FIELDS})
    properties.update(
        {
            "names": {"type": "text", "analyzer": NEUTRAL_ANALYZER},
            "status": {
                "type": "object",
                "properties": {lang: {"type": "keyword"} for lang in [*langs, UNDETERMINED]},
            },
            "date": {"type": "date"},
            "year": {"type": "integer"},
            "url": {"type": "keyword", "index": False},
            "updated_at": {"type": "date"},
        }
    )
    return {"dynamic": False, "_source": {"enabled": True}, "properties": properties}


# -- searches ----------------------------------------------------------------------------------


def _check_lang(lang: str) -> str:
    # The language becomes part of field names; refuse anything that is not a plain code.
    if not _LANG_RE.match(lang):
        raise ValueError(f"invalid language code {lang!r}")
    return lang


def _boosted(field: str, boost: float) -> str:
    return f"{field}^{boost:g}"


def search_fields(lang: str) -> list[str]:
    """The fields a text query runs over, with their boosts (see ``base`` for the semantics)."""
    _check_lang(lang)
    return [_boosted(f"{name}.{lang}", boost) for name, boost in TEXT_FIELD_BOOSTS] + [_boosted("names", NAMES_BOOST)]


def build_text_query(text: str, lang: str, alternatives: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Every token in one of the fields (``operator: and``), best field scoring; nothing to
    match means browsing, so empty text matches everything. Each translation of the text
    (``alternatives``) matches its language's fields in records with no ``lang`` version yet."""
    fields = search_fields(lang)
    if not text.strip():
        return {"match_all": {}}
    primary = {"multi_match": {"query": text, "type": "best_fields", "operator": "and", "fields": fields}}
    options: list[dict[str, Any]] = [primary]
    for other, translated in (alternatives or {}).items():
        if other == lang or not translated.strip():
            continue
        _check_lang(other)
        other_fields = [_boosted(f"{name}.{other}", boost) for name, boost in TEXT_FIELD_BOOSTS]
        options.append(
            {
                "bool": {
                    "must": [
                        {
                            "multi_match": {
                                "query": translated,
                                "type": "best_fields",
                                "operator": "and",
                                "fields": other_fields,
                            }
                        }
                    ],
                    "must_not": [{"term": {"languages": lang}}],
                    "boost": ALTERNATIVE_BOOST,
                }
            }
        )
    if len(options) == 1:
        return primary
    return {"bool": {"should": options, "minimum_should_match": 1}}


def _filter_clauses(query: SearchQuery) -> dict[str, dict[str, Any]]:
    """One filter clause per constrained facet, keyed by facet name (``year`` for the range)."""
    clauses: dict[str, dict[str, Any]] = {}
    for name in FILTER_FIELDS:
        values = list(dict.fromkeys(str(value) for value in query.filters.get(name, ())))
        if values:
            clauses[name] = {"terms": {FILTER_TARGETS[name]: values}}
    bounds: dict[str, int] = {}
    if query.year_from is not None:
        bounds["gte"] = int(query.year_from)
    if query.year_to is not None:
        bounds["lte"] = int(query.year_to)
    if bounds:
        clauses["year"] = {"range": {"year": bounds}}
    return clauses


def _all_of(clauses: list[dict[str, Any]]) -> dict[str, Any]:
    return {"bool": {"filter": clauses}} if clauses else {"match_all": {}}


def build_sort(sort: str) -> list[dict[str, Any]]:
    """Sort keys; ``id`` last so that the order is total and ``search_after`` cursors are exact."""
    if sort == "newest":
        return [{"date": {"order": "desc", "missing": "_last"}}, {"id": {"order": "asc"}}]
    if sort == "relevance":
        return [{"_score": {"order": "desc"}}, {"id": {"order": "asc"}}]
    raise ValueError(f"unknown sort {sort!r}; use relevance or newest")


def build_highlight(lang: str, alternatives: Sequence[str] = ()) -> dict[str, Any]:
    """Snippets in the reader's language (and in the languages the query was translated into);
    ``encoder: html`` escapes the text so that only the highlight tags are markup."""
    languages = [_check_lang(code) for code in dict.fromkeys([lang, *alternatives])]
    per_field = {"fragment_size": SNIPPET_MAX_CHARS, "number_of_fragments": 1}
    return {
        "pre_tags": [HIGHLIGHT_OPEN],
        "post_tags": [HIGHLIGHT_CLOSE],
        "encoder": "html",
        "fields": {f"{name}.{code}": dict(per_field) for code in languages for name in ("text", "summary", "title")},
    }


def build_search_body(query: SearchQuery) -> dict[str, Any]:
    """The search request for a validated query.

    Multi-select facets: every filter goes in ``post_filter`` (it narrows the hits, not the
    aggregations), and each facet's aggregation sits in a ``filter`` aggregation holding the
    filters of the *other* facets, so a facet's own selection never hides its other values.
    """
    clauses = _filter_clauses(query)
    body: dict[str, Any] = {
        "query": build_text_query(query.text, query.lang, query.alternatives),
        "sort": build_sort(query.sort),
        "size": int(query.size),
        "track_total_hits": True,
    }
    if query.search_after is not None:
        # Elasticsearch refuses a non-zero ``from`` together with ``search_after``.
        body["search_after"] = list(query.search_after)
    else:
        if query.offset + query.size > MAX_RESULT_WINDOW:
            raise ValueError(
                f"offset + size may not exceed {MAX_RESULT_WINDOW}; page deeper with a cursor (search_after)"
            )
        body["from"] = int(query.offset)
    if clauses:
        body["post_filter"] = _all_of(list(clauses.values()))
    aggs: dict[str, Any] = {}
    for facet in query.facets:
        others = [clause for name, clause in clauses.items() if name != facet]
        aggs[facet] = {
            "filter": _all_of(others),
            "aggs": {
                "values": {
                    "terms": {
                        "field": FACET_TARGETS[facet],
                        "size": int(query.facet_limit(facet)),
                        "order": [{"_count": "desc"}, {"_key": "asc"}],
                    }
                }
            },
        }
    if aggs:
        body["aggs"] = aggs
    if query.highlight and query.text.strip():
        body["highlight"] = build_highlight(query.lang, list(query.alternatives))
    return body


def suggest_fields(lang: str) -> list[str]:
    """The as-you-type fields of a language: the field and its shingle subfields (the prefix
    subfield is used by ``bool_prefix`` on its own)."""
    base = f"title.{_check_lang(lang)}.{SUGGEST_SUBFIELD}"
    return [base, f"{base}._2gram", f"{base}._3gram"]


def build_suggest_body(prefix: str, lang: str, size: int) -> dict[str, Any]:
    """Titles whose words start with what the reader typed: every typed word must appear, the last
    one as a prefix; in ``lang``, in undetermined-language titles, or through a document's
    language-neutral names (e.g. a decision symbol) with its title in ``lang``.

    ``size`` asks for more documents than completions wanted, because several documents can share
    one title and completions are distinct.
    """
    fetch = min(max(int(size) * 5, 20), 100)
    should: list[dict[str, Any]] = [
        {"multi_match": {"query": prefix, "type": "bool_prefix", "operator": "and", "fields": fields}}
        for fields in (suggest_fields(lang), suggest_fields(UNDETERMINED))
    ]
    should.append({"match_bool_prefix": {"names": {"query": prefix, "operator": "and"}}})
    return {
        "query": {"bool": {"should": should, "minimum_should_match": 1}},
        "size": fetch,
        "sort": build_sort("relevance"),
        "_source": {"includes": [f"title.{lang}", f"title.{UNDETERMINED}"]},
        "track_total_hits": False,
    }


def _json_default(value: object) -> str:
    # Mirrors what the client's serializer accepts beyond plain JSON.
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def bulk_actions(docs: Iterable[Document], index_name: str) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """Index actions for the valid documents and ``(id, reason)`` for the others, which are not sent.

    The document id is the Elasticsearch ``_id``: re-indexing a record replaces it.
    """
    actions: list[dict[str, Any]] = []
    errors: list[tuple[str, str]] = []
    for doc in docs:
        doc_id = str(doc.get("id") or "?") if isinstance(doc, Mapping) else "?"
        reason = validate_document(doc) if isinstance(doc, dict) else "document is not a mapping"
        if reason is None:
            try:
                json.dumps(doc, default=_json_default)
            except (TypeError, ValueError) as exc:
                reason = f"document {doc_id} cannot be serialised: {exc}"
        if reason is not None:
            errors.append((doc_id, reason))
            continue
        actions.append({"_op_type": "index", "_index": index_name, "_id": doc["id"], "_source": doc})
    return actions, errors


def delete_actions(ids: Iterable[str], index_name: str) -> list[dict[str, Any]]:
    """Delete actions by document id."""
    return [{"_op_type": "delete", "_index": index_name, "_id": str(doc_id)} for doc_id in ids]


# -- responses ---------------------------------------------------------------------------------


def _bulk_item_reason(item: Mapping[str, Any]) -> str:
    error = item.get("error")
    if isinstance(error, Mapping):
        reason = f"{error.get('type', 'error')}: {error.get('reason', '')}".strip()
        caused_by = error.get("caused_by")
        if isinstance(caused_by, Mapping) and caused_by.get("reason"):
            reason += f" ({caused_by['reason']})"
        return reason
    if error:
        return str(error)
    return f"status {item.get('status', '?')}"


def parse_facets(aggregations: Mapping[str, Any], facets: Iterable[str]) -> dict[str, list[tuple[str, int]]]:
    """Facet counts as ``(value, count)``, most frequent first, ties by value."""
    result: dict[str, list[tuple[str, int]]] = {}
    for facet in facets:
        buckets = aggregations.get(facet, {}).get("values", {}).get("buckets", [])
        pairs = [(str(b.get("key_as_string", b["key"])), int(b["doc_count"])) for b in buckets]
        result[facet] = sorted(pairs, key=lambda pair: (-pair[1], pair[0]))
    return result


def snippet_of(highlight: Mapping[str, Sequence[str]], lang: str, alternatives: Sequence[str] = ()) -> str | None:
    """The first fragment from the text, then the summary, then the title; the reader's language
    first, then the languages the query was translated into."""
    for code in dict.fromkeys([lang, *alternatives]):
        for name in ("text", "summary", "title"):
            fragments = highlight.get(f"{name}.{code}")
            if fragments:
                return str(fragments[0])
    return None


def distinct_completions(hits: Iterable[Mapping[str, Any]], lang: str, size: int) -> list[str]:
    """Titles from suggest hits, each once (compared case- and space-insensitively)."""
    seen: set[str] = set()
    completions: list[str] = []
    for hit in hits:
        titles = hit.get("_source", {}).get("title", {})
        title = titles.get(lang) or titles.get(UNDETERMINED)
        if not isinstance(title, str) or not title.strip():
            continue
        key = " ".join(title.split()).casefold()
        if key in seen:
            continue
        seen.add(key)
        completions.append(title)
        if len(completions) >= size:
            break
    return completions


def _as_kwargs(body: Mapping[str, Any]) -> dict[str, Any]:
    """A request body as the client's keyword arguments (``from`` is a Python keyword)."""
    renames = {"from": "from_", "_source": "source"}
    return {renames.get(key, key): value for key, value in body.items()}


def redacted_url(url: str) -> str:
    """The URL without any credentials in it, for messages."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _transport_reason(exc: TransportError) -> str:
    """The innermost cause of a transport error, e.g. ``[Errno 111] Connection refused``."""
    inner: BaseException = exc
    while isinstance(inner, TransportError) and inner.errors:
        inner = inner.errors[0]
    text = str(inner.message) if isinstance(inner, TransportError) else str(inner)
    return " ".join(text.split()) or type(inner).__name__


def _api_reason(exc: ApiError) -> str:
    body = exc.body
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping):
            return f"{error.get('type', 'error')}: {error.get('reason', '')}".strip()
        if error:
            return str(error)
    return str(exc.message)


def _error_type(exc: ApiError) -> str | None:
    body = exc.body
    if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
        return str(body["error"].get("type"))
    return None


# -- the backend -------------------------------------------------------------------------------


class ElasticsearchBackend(SearchBackend):
    """Versioned indices ``<index_name>-v<timestamp>`` behind the alias ``<index_name>``.

    Reads always go through the alias; writes go to the version the alias points at unless a
    version is named (a rebuild filling its new version).
    """

    engine = "elasticsearch"

    def __init__(self, settings: Settings, client: Elasticsearch | None = None) -> None:
        if not settings.es_url and client is None:
            raise IndexUnavailable(
                "CHM_ES_URL is not set: point it at an Elasticsearch 9 node, e.g. http://localhost:9200"
            )
        self.settings = settings
        self.alias = settings.index_name
        self.languages = _check_languages(settings.languages)
        self.url = redacted_url(settings.es_url or "the configured client")
        self._version_re = re.compile(rf"^{re.escape(self.alias)}-v\d{{{_VERSION_DIGITS}}}$")
        self._client = client if client is not None else self._connect(settings)

    def _connect(self, settings: Settings) -> Elasticsearch:
        url = settings.es_url or ""
        options: dict[str, Any] = {
            "request_timeout": REQUEST_TIMEOUT,
            "max_retries": TRANSPORT_RETRIES,
            "retry_on_timeout": True,
        }
        if settings.es_api_key:
            options["api_key"] = settings.es_api_key
        elif settings.es_username:
            options["basic_auth"] = (settings.es_username, settings.es_password or "")
        # TLS options are only valid (and only meaningful) for an https URL.
        if urlsplit(url).scheme == "https":
            options["verify_certs"] = settings.es_verify_certs
            if settings.es_ca_certs is not None:
                if not settings.es_ca_certs.is_file():
                    # Otherwise the first request fails with a TLS error that does not name the file.
                    raise IndexUnavailable(
                        f"CHM_ES_CA_CERTS names {settings.es_ca_certs}, which is not a readable file; "
                        "give the CA certificate (PEM) that signed the node's HTTP certificate"
                    )
                options["ca_certs"] = str(settings.es_ca_certs)
            if not settings.es_verify_certs:
                options["ssl_show_warn"] = False
                log.warning("TLS certificates of %s are not verified (CHM_ES_VERIFY_CERTS=false)", self.url)
        try:
            return Elasticsearch(url, **options)
        except (ValueError, TypeError, OSError) as exc:
            raise IndexUnavailable(
                f"cannot configure the Elasticsearch client for {self.url}: {exc}; check the CHM_ES_* settings"
            ) from None

    # -- errors ------------------------------------------------------------------------------

    def _unreachable(self, exc: TransportError) -> str:
        return (
            f"Elasticsearch at {self.url} is unreachable: {_transport_reason(exc)}; "
            "check CHM_ES_URL and that the node is running"
        )

    def _api_message(self, what: str, exc: ApiError) -> str:
        status = exc.meta.status
        if status == 401:
            return (
                f"{what}: Elasticsearch at {self.url} refused the credentials; "
                "check CHM_ES_USERNAME/CHM_ES_PASSWORD or CHM_ES_API_KEY"
            )
        if status == 403:
            return (
                f"{what}: the Elasticsearch user lacks a privilege ({_api_reason(exc)}); "
                f"grant it on indices {self.alias} and {self.alias}-v*"
            )
        if _error_type(exc) == "index_not_found_exception":
            return (
                f"{what}: the search index {self.alias!r} does not exist yet on {self.url}; "
                "ingest records or rebuild the index to create it"
            )
        return f"{what}: Elasticsearch at {self.url} answered {status}: {_api_reason(exc)}"

    @contextmanager
    def _calling(self, what: str) -> Iterator[None]:
        """Turn every client error into ``IndexUnavailable`` with a one-line message."""
        try:
            yield
        except ApiError as exc:
            raise IndexUnavailable(self._api_message(what, exc)) from None
        except TransportError as exc:
            raise IndexUnavailable(f"{what}: {self._unreachable(exc)}") from None

    # -- lifecycle ---------------------------------------------------------------------------

    def ensure_index(self) -> None:
        if self.current_version() is not None:
            return
        with self._calling("checking the index alias"):
            if self._client.indices.exists(index=self.alias):
                raise IndexUnavailable(
                    f"an index named {self.alias!r} exists on {self.url} where the alias should be "
                    "(probably auto-created by a write); delete it or choose another CHM_INDEX_NAME"
                )
        version = self.create_version()
        with self._calling("pointing the alias at the first index version"):
            # Another process may have created a first version meanwhile: the single
            # update_aliases call leaves exactly one version behind the alias (the last one).
            actions = [{"remove": {"index": old, "alias": self.alias}} for old in self._alias_targets()]
            actions.append({"add": {"index": version, "alias": self.alias}})
            self._client.indices.update_aliases(actions=actions)
        with self._calling("checking the index alias"):
            targets = self._alias_targets()
            if targets and targets[-1] != version:
                # A concurrent ensure_index won with a newer version: withdraw ours and drop it.
                if version in targets:
                    self._client.indices.update_aliases(actions=[{"remove": {"index": version, "alias": self.alias}}])
                self.drop_version(version)

    def health(self) -> Health:
        try:
            client = self._client.options(request_timeout=HEALTH_REQUEST_TIMEOUT, max_retries=0)
            info = client.info().body
            cluster = client.cluster.health().body
            aliases = self._alias_targets(client)
        except ApiError as exc:
            return Health(False, self._api_message("health check", exc), self.engine)
        except TransportError as exc:
            return Health(False, self._unreachable(exc), self.engine)
        number = str(info.get("version", {}).get("number", "?"))
        status = str(cluster.get("status", "?"))
        name = str(cluster.get("cluster_name", "?"))
        if not number.startswith("9."):
            return Health(
                False,
                f"Elasticsearch at {self.url} is version {number}; this backend needs 9.x "
                "(the client's major version must match the server's)",
                self.engine,
            )
        if status == "red":
            return Health(
                False,
                f"Elasticsearch cluster {name!r} at {self.url} is red: some primary shards are unassigned; "
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
        return Health(
            True,
            f"Elasticsearch {number}, cluster {name!r} is {status}; {self.alias} -> {aliases[-1]}",
            self.engine,
        )

    def close(self) -> None:
        self._client.close()

    # -- versions ----------------------------------------------------------------------------

    def _alias_targets(self, client: Elasticsearch | None = None) -> list[str]:
        """The indices the alias points at (normally one), oldest first."""
        if client is None:
            client = self._client
        try:
            resp = client.indices.get_alias(name=self.alias)
        except NotFoundError:
            return []
        return sorted(resp.body)

    def _check_version(self, version: str) -> str:
        # Never let a name reach a delete or an alias action unless it is one of our versions.
        if not self._version_re.match(version):
            raise ValueError(f"{version!r} is not a version of index {self.alias!r}")
        return version

    def _next_version_name(self, existing: Sequence[str]) -> str:
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
        name = f"{self.alias}-v{stamp}"
        if existing and name <= existing[-1]:
            # The clock went back or two versions were created within a microsecond: keep the
            # names unique and in creation order.
            number = int(existing[-1].rsplit("-v", 1)[1]) + 1
            name = f"{self.alias}-v{number:0{_VERSION_DIGITS}d}"
        return name

    def create_version(self) -> str:
        with self._calling("creating an index version"):
            existing = self.list_versions()
            for _ in range(5):
                version = self._next_version_name(existing)
                try:
                    self._client.indices.create(
                        index=version, settings=index_settings(), mappings=index_mappings(self.languages)
                    )
                except ApiError as exc:
                    if _error_type(exc) != "resource_already_exists_exception":
                        raise
                    existing = [*existing, version]
                    continue
                return version
        raise IndexUnavailable(f"could not find a free index version name for {self.alias!r} on {self.url}")

    def current_version(self) -> str | None:
        with self._calling("reading the index alias"):
            targets = self._alias_targets()
        return targets[-1] if targets else None

    def list_versions(self) -> list[str]:
        with self._calling("listing index versions"):
            resp = self._client.indices.get(
                index=f"{self.alias}-v*", features="aliases", allow_no_indices=True, ignore_unavailable=True
            )
        return sorted(name for name in resp.body if self._version_re.match(name))

    def swap(self, version: str) -> None:
        self._check_version(version)
        with self._calling(f"swapping the alias to {version}"):
            if not self._client.indices.exists(index=version):
                raise ValueError(f"index version {version!r} does not exist")
            actions: list[dict[str, Any]] = [
                {"remove": {"index": old, "alias": self.alias}} for old in self._alias_targets() if old != version
            ]
            actions.append({"add": {"index": version, "alias": self.alias}})
            # One call: Elasticsearch applies all actions atomically, so no search ever finds
            # the alias missing or pointing at two versions.
            self._client.indices.update_aliases(actions=actions)

    def drop_version(self, version: str) -> None:
        self._check_version(version)
        with self._calling("reading the index alias"):
            behind_alias = version in self._alias_targets()
        if behind_alias:
            raise ValueError(f"{version!r} is the version the alias {self.alias!r} points at; swap first")
        # suppress() is the inner context: a version already gone is not an error (idempotent drop).
        with self._calling(f"dropping index version {version}"), suppress(NotFoundError):
            self._client.indices.delete(index=version)

    def destroy(self) -> None:
        # Deleting an index removes it from the alias too; the pattern stays within our versions.
        with self._calling(f"deleting every version of {self.alias}"):
            self._client.indices.delete(index=f"{self.alias}-v*", allow_no_indices=True, ignore_unavailable=True)

    # -- writes ------------------------------------------------------------------------------

    def _write_target(self, version: str | None) -> str:
        """The concrete index to write to; never the alias name, which a write would auto-create
        as an index with guessed mappings if the alias were missing."""
        if version is not None:
            self._check_version(version)
            with self._calling(f"checking index version {version}"):
                if not self._client.indices.exists(index=version):
                    raise IndexUnavailable(f"index version {version!r} does not exist on {self.url}")
            return version
        current = self.current_version()
        if current is None:
            self.ensure_index()
            current = self.current_version()
        if current is None:
            raise IndexUnavailable(f"no index version behind alias {self.alias!r} on {self.url}")
        return current

    def bulk(self, docs: Iterable[Document], version: str | None = None) -> BulkResult:
        target = self._write_target(version)
        result = BulkResult()
        client = self._client.options(request_timeout=BULK_REQUEST_TIMEOUT)
        with self._calling(f"bulk indexing into {target}"):
            for batch in chunked(docs, self.bulk_chunk_size):
                actions, errors = bulk_actions(batch, target)
                result.errors.extend(errors)
                if not actions:
                    continue
                for ok, item in streaming_bulk(
                    client,
                    actions,
                    chunk_size=self.bulk_chunk_size,
                    max_chunk_bytes=BULK_MAX_CHUNK_BYTES,
                    raise_on_error=False,
                    max_retries=BULK_MAX_RETRIES,
                    initial_backoff=BULK_INITIAL_BACKOFF,
                    max_backoff=BULK_MAX_BACKOFF,
                ):
                    info = next(iter(item.values()))
                    if ok:
                        result.indexed += 1
                    else:
                        result.errors.append((str(info.get("_id", "?")), _bulk_item_reason(info)))
        return result

    def delete(self, ids: Sequence[str], version: str | None = None) -> None:
        if not ids:
            return
        if version is None and self.current_version() is None:
            return  # no index yet, so nothing to delete
        target = self._write_target(version)
        failures: list[tuple[str, str]] = []
        client = self._client.options(request_timeout=BULK_REQUEST_TIMEOUT)
        with self._calling(f"deleting documents from {target}"):
            for ok, item in streaming_bulk(
                client,
                delete_actions(ids, target),
                chunk_size=self.bulk_chunk_size,
                raise_on_error=False,
                max_retries=BULK_MAX_RETRIES,
                initial_backoff=BULK_INITIAL_BACKOFF,
                max_backoff=BULK_MAX_BACKOFF,
                ignore_status=404,  # already gone is what we wanted
            ):
                info = next(iter(item.values()))
                if not ok and info.get("status") != 404:
                    failures.append((str(info.get("_id", "?")), _bulk_item_reason(info)))
        if failures:
            doc_id, reason = failures[0]
            raise IndexUnavailable(
                f"{len(failures)} document(s) could not be deleted from {target}, e.g. {doc_id}: {reason}"
            )

    def refresh(self, version: str | None = None) -> None:
        target = self._check_version(version) if version is not None else self.alias
        with self._calling(f"refreshing {target}"):
            self._client.indices.refresh(index=target)

    # -- reads -------------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResults:
        body = build_search_body(query)
        with self._calling("searching"):
            try:
                resp = self._client.search(index=self.alias, **_as_kwargs(body)).body
            except BadRequestError as exc:
                if query.search_after is None:
                    raise
                # The only part of a request a caller can get wrong is the cursor.
                raise ValueError(f"invalid cursor for this search: {_api_reason(exc)}") from None
        hits: list[Hit] = []
        for raw in resp["hits"]["hits"]:
            score = raw.get("_score")
            hits.append(
                Hit(
                    id=str(raw["_id"]),
                    score=float(score) if score is not None else None,
                    source=raw.get("_source", {}),
                    snippet=snippet_of(raw.get("highlight", {}), query.lang, list(query.alternatives)),
                    sort=list(raw.get("sort", [])),
                )
            )
        total = resp["hits"]["total"]
        return SearchResults(
            total=int(total["value"] if isinstance(total, Mapping) else total),
            hits=hits,
            facets=parse_facets(resp.get("aggregations", {}), query.facets),
            took_ms=float(resp.get("took", 0)),
        )

    def suggest(self, prefix: str, lang: str, size: int = 10) -> list[str]:
        if not prefix.strip() or size <= 0:
            return []
        body = build_suggest_body(prefix, lang, size)
        with self._calling("suggesting"):
            resp = self._client.search(index=self.alias, **_as_kwargs(body)).body
        return distinct_completions(resp["hits"]["hits"], lang, size)

    def get(self, doc_id: str) -> Document | None:
        with self._calling(f"reading document {doc_id}"):
            try:
                resp = self._client.get(index=self.alias, id=doc_id).body
            except NotFoundError as exc:
                if _error_type(exc) is not None:  # the index, not the document, is missing
                    raise
                return None
        source: Document = resp["_source"]
        return source

    def count(self) -> int:
        with self._calling("counting documents"):
            resp = self._client.count(index=self.alias).body
        return int(resp["count"])
