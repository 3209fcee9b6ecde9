"""The Elasticsearch/OpenSearch backend's requests, checked as data: no node is needed.

The behaviour against a real node is the contract suite's job (``tests/contract``, on OpenSearch
always and on Elasticsearch when ``CHM_ES_URL`` names a node). Here: that the bodies say what the
design asks (per-language analysis, no query-string parser, multi-select facets, cursors, escaped
highlights), that both clients send the very same bytes, and that an unreachable node gives a
clear error, through the real clients against a closed port.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from analyzers.analysis import NEUTRAL_ANALYZER, analyzer_name, elasticsearch_analysis
from record_catalogue.languages import UN_LANGUAGES, UNDETERMINED
from record_catalogue.settings import load_settings
from search_index.base import EncodedDocument, IndexUnavailable, SearchQuery
from search_index.elastic.backend import ElasticBackend
from search_index.elastic.bulk import delete_lines, encode_document, index_action
from search_index.elastic.clients import redacted_url
from search_index.elastic.mapping import index_mappings, index_settings
from search_index.elastic.query_compiler import build_search_body, build_suggest_body
from search_index.elastic.results import distinct_completions, parse_facets, snippet_of

HOSTILE = 'title:foo OR "bar AND (baz* NOT ~qux^10) \\ / {"query_string": 1} <script>'
CLOSED_PORT_URL = "http://127.0.0.1:1"


def make_doc(doc_id: str = "chm-1", **changes: object) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": doc_id,
        "realm": "CHM",
        "schema": "nationalReport",
        "government": "br",
        "original_language": "en",
        "languages": ["en", "fr"],
        "title": {"en": "Sixth national report", "fr": "Sixième rapport national"},
        "summary": {"en": "Progress towards the Aichi Biodiversity Targets"},
        "text": {"en": "Brazil reports on Aichi Target 11 and decision XI/2."},
        "status": {"en": "original", "fr": "machine"},
        "names": "Brazil UNEP/CBD/COP/12/11",
        "entities": ["country:br", "target:aichi-11"],
        "date": "2019-03-01",
        "year": 2019,
        "url": "https://chm.cbd.int/database/record/1",
        "updated_at": "2024-01-02T03:04:05+00:00",
    }
    doc.update(changes)
    return doc


def analyzers_used(node: object) -> set[str]:
    """Every analyzer named anywhere in a mapping."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("analyzer", "search_analyzer") and isinstance(value, str):
                found.add(value)
            else:
                found |= analyzers_used(value)
    elif isinstance(node, list):
        for item in node:
            found |= analyzers_used(item)
    return found


def post_filter_clauses(body: dict[str, Any]) -> list[dict[str, Any]]:
    clauses: list[dict[str, Any]] = body["post_filter"]["bool"]["filter"]
    return clauses


def agg_filter_clauses(body: dict[str, Any], facet: str) -> list[dict[str, Any]]:
    agg_filter = body["aggs"][facet]["filter"]
    if "match_all" in agg_filter:
        return []
    clauses: list[dict[str, Any]] = agg_filter["bool"]["filter"]
    return clauses


# -- index definition --------------------------------------------------------------------------


def test_settings_carry_the_shared_analysis() -> None:
    settings = index_settings()
    assert settings["analysis"] == elasticsearch_analysis()
    assert settings["number_of_shards"] == 1


def test_mappings_have_per_language_fields_with_their_analyzers() -> None:
    properties = index_mappings(list(UN_LANGUAGES))["properties"]
    for name in ("title", "summary", "text"):
        fields = properties[name]["properties"]
        for lang in UN_LANGUAGES:
            assert fields[lang]["type"] == "text"
            assert fields[lang]["analyzer"] == analyzer_name(lang)
        assert fields[UNDETERMINED]["analyzer"] == NEUTRAL_ANALYZER
    assert properties["names"] == {"type": "text", "analyzer": NEUTRAL_ANALYZER}


def test_mappings_have_keyword_date_and_number_fields() -> None:
    mappings = index_mappings(list(UN_LANGUAGES))
    properties = mappings["properties"]
    for name in ("id", "realm", "schema", "government", "original_language", "languages", "entities"):
        assert properties[name]["type"] == "keyword", name
    assert all(spec["type"] == "keyword" for spec in properties["status"]["properties"].values())
    assert properties["date"]["type"] == "date"
    assert properties["updated_at"]["type"] == "date"
    assert properties["year"]["type"] == "integer"
    assert properties["url"]["type"] == "keyword"
    assert properties["url"]["index"] is False
    assert mappings["_source"] == {"enabled": True}
    assert mappings["dynamic"] is False


def test_titles_have_an_as_you_type_subfield() -> None:
    title = index_mappings(["en", "zh"])["properties"]["title"]["properties"]
    assert title["en"]["fields"]["suggest"]["type"] == "search_as_you_type"
    # Half-typed words must not be stemmed; Chinese keeps its bigrams.
    assert title["en"]["fields"]["suggest"]["analyzer"] == NEUTRAL_ANALYZER
    assert title["zh"]["fields"]["suggest"]["analyzer"] == analyzer_name("zh")


def test_every_analyzer_in_the_mappings_is_defined_in_the_settings() -> None:
    defined = set(index_settings()["analysis"]["analyzer"])
    assert analyzers_used(index_mappings(list(UN_LANGUAGES))) <= defined


def test_mappings_follow_the_configured_languages() -> None:
    title = index_mappings(["en", "fr"])["properties"]["title"]["properties"]
    assert set(title) == {"en", "fr", UNDETERMINED}
    with pytest.raises(ValueError, match="xx"):
        index_mappings(["en", "xx"])


# -- search ------------------------------------------------------------------------------------


def keys_in(node: object) -> set[str]:
    """Every key anywhere in a request body (user text only ever appears as values)."""
    if isinstance(node, dict):
        return set(node) | {key for value in node.values() for key in keys_in(value)}
    if isinstance(node, list):
        return {key for item in node for key in keys_in(item)}
    return set()


def test_each_word_is_a_multi_match_over_every_language_version_and_names() -> None:
    body = build_search_body(SearchQuery(text="abs targets", lang="fr"))
    clauses = body["query"]["bool"]["must"][0]["bool"]["must"]
    assert [clause["multi_match"]["query"] for clause in clauses] == ["abs", "targets"]
    match = clauses[1]["multi_match"]
    assert (match["type"], match["operator"], match["fuzziness"]) == ("best_fields", "and", "AUTO:5,1000")
    assert "fuzziness" not in clauses[0]["multi_match"]  # five letters and more only
    fields = match["fields"]
    assert "title.fr^4.5" in fields and "title.en^3" in fields and "text.zh^1" in fields and "names^1" in fields
    assert "summary.und^2" in fields and len(fields) == 7 * 3 + 1
    # Records written in the reader's language first among equals; the page never filters.
    assert body["query"]["bool"]["should"] == [{"term": {"original_language": {"value": "fr", "boost": 1.0}}}]
    assert body["track_total_hits"] is True


def test_phrases_exclusions_and_alternatives() -> None:
    body = build_search_body(SearchQuery(text='"genetic resources" -maize permit OR licence', lang="en"))
    way = body["query"]["bool"]["must"][0]["bool"]
    phrase, either = way["must"]
    assert phrase["multi_match"]["type"] == "phrase" and phrase["multi_match"]["query"] == "genetic resources"
    assert [option["multi_match"]["query"] for option in either["bool"]["should"]] == ["permit", "licence"]
    assert way["must_not"][0]["multi_match"]["query"] == "maize"
    assert "fuzziness" not in way["must_not"][0]["multi_match"]


@pytest.mark.parametrize("text", [HOSTILE, 'title:foo OR "bar', "*:*", "a AND b", "\\"])
def test_user_text_never_reaches_a_query_string_parser(text: str) -> None:
    body = build_search_body(SearchQuery(text=text, lang="en", filters={"realm": [text]}))
    suggest = build_suggest_body(text, "en", 5)
    for request in (body, suggest):
        assert not {"query_string", "simple_query_string"} & keys_in(request)


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_text_browses_everything_without_highlight(text: str) -> None:
    body = build_search_body(SearchQuery(text=text))
    assert body["query"] == {"match_all": {}}
    assert "highlight" not in body


def test_language_codes_are_checked_before_becoming_field_names() -> None:
    with pytest.raises(ValueError, match="language"):
        build_search_body(SearchQuery(text="x", lang="en^100,names"))
    with pytest.raises(ValueError, match="language"):
        build_suggest_body("x", "*", 5)


def test_no_filter_means_no_post_filter_and_unfiltered_facets() -> None:
    body = build_search_body(SearchQuery(text="x"))
    assert "post_filter" not in body
    for facet in ("realm", "schema", "government", "original_language", "entity", "year"):
        assert body["aggs"][facet]["filter"] == {"match_all": {}}


def test_filters_are_or_within_a_facet_and_across_facets_in_the_post_filter() -> None:
    query = SearchQuery(
        text="x",
        filters={"realm": ["CHM", "ABS"], "schema": ["decision"], "entity": ["country:br"], "government": []},
    )
    clauses = post_filter_clauses(build_search_body(query))
    assert {"terms": {"realm": ["CHM", "ABS"]}} in clauses
    assert {"terms": {"schema": ["decision"]}} in clauses
    assert {"terms": {"entities": ["country:br"]}} in clauses
    assert len(clauses) == 3  # an empty selection is no constraint


def test_multi_select_a_facets_own_selection_does_not_narrow_its_counts() -> None:
    body = build_search_body(SearchQuery(text="x", filters={"realm": ["CHM"], "schema": ["decision"]}))
    realm_terms = {"terms": {"realm": ["CHM"]}}
    schema_terms = {"terms": {"schema": ["decision"]}}
    assert agg_filter_clauses(body, "realm") == [schema_terms]
    assert agg_filter_clauses(body, "schema") == [realm_terms]
    for facet in ("government", "original_language", "entity", "year"):
        assert agg_filter_clauses(body, facet) == [realm_terms, schema_terms]
    assert post_filter_clauses(body) == [realm_terms, schema_terms]
    # The query itself is not filtered: the aggregations see every match.
    assert "filter" not in body["query"]["bool"]


def test_facet_aggregations_are_terms_on_the_indexed_fields() -> None:
    body = build_search_body(SearchQuery(facet_size=7))
    fields = {facet: agg["aggs"]["values"]["terms"]["field"] for facet, agg in body["aggs"].items()}
    assert fields == {
        "realm": "realm",
        "schema": "schema",
        "government": "government",
        "original_language": "original_language",
        "entity": "entities",
        "year": "year",
    }
    sizes = {facet: agg["aggs"]["values"]["terms"]["size"] for facet, agg in body["aggs"].items()}
    assert sizes == {"realm": 7, "schema": 7, "government": 7, "original_language": 7, "entity": 500, "year": 7}
    assert set(build_search_body(SearchQuery(facets=("realm",)))["aggs"]) == {"realm"}


def test_year_range_filters_hits_and_other_facets_but_not_the_year_facet() -> None:
    body = build_search_body(SearchQuery(year_from=2010, year_to=2020, filters={"realm": ["BCH"]}))
    year_range = {"range": {"year": {"gte": 2010, "lte": 2020}}}
    assert year_range in post_filter_clauses(body)
    assert year_range in agg_filter_clauses(body, "realm")
    assert agg_filter_clauses(body, "year") == [{"terms": {"realm": ["BCH"]}}]
    open_ended = build_search_body(SearchQuery(year_from=2015))
    assert post_filter_clauses(open_ended) == [{"range": {"year": {"gte": 2015}}}]


def test_sort_orders_end_with_id_for_stable_cursors() -> None:
    relevance = build_search_body(SearchQuery(sort="relevance"))["sort"]
    assert relevance == [{"_score": {"order": "desc"}}, {"id": {"order": "asc"}}]
    newest = build_search_body(SearchQuery(sort="newest"))["sort"]
    assert newest == [{"date": {"order": "desc", "missing": "_last"}}, {"id": {"order": "asc"}}]


def test_paging_by_offset_and_by_cursor() -> None:
    paged = build_search_body(SearchQuery(offset=20, size=10))
    assert (paged["from"], paged["size"]) == (20, 10)
    assert "search_after" not in paged
    cursor = build_search_body(SearchQuery(size=25, search_after=[1.5, "chm-9"]))
    assert cursor["search_after"] == [1.5, "chm-9"]
    assert cursor["size"] == 25
    assert "from" not in cursor  # Elasticsearch refuses a non-zero from with search_after
    with pytest.raises(ValueError, match="cursor"):
        build_search_body(SearchQuery(offset=9_995, size=10))
    deep = build_search_body(SearchQuery(offset=9_995, size=10, search_after=["2019-01-01", "x"]))
    assert deep["search_after"] == ["2019-01-01", "x"]


def test_highlight_is_escaped_html_with_mark_tags_in_every_language_version() -> None:
    highlight = build_search_body(SearchQuery(text="biodiversité", lang="fr"))["highlight"]
    assert highlight["pre_tags"] == ["<mark>"]
    assert highlight["post_tags"] == ["</mark>"]
    assert highlight["encoder"] == "html"
    # Each language version by name (a wildcard would highlight the subfields too).
    assert list(highlight["fields"]) == [
        f"{name}.{lang}"
        for name in ("text", "summary", "title")
        for lang in ("ar", "en", "es", "fr", "ru", "zh", "und")
    ]
    for name, spec in highlight["fields"].items():
        # Titles whole (a card highlights the title it shows), other fields as one snippet.
        expected = (
            {"number_of_fragments": 0}
            if name.startswith("title.")
            else {"type": "plain", "fragmenter": "span", "fragment_size": 240, "number_of_fragments": 1}
        )
        assert spec == expected
    assert "highlight" not in build_search_body(SearchQuery(text="x", highlight=False))


def test_snippets_are_looked_for_within_the_window_under_each_engines_name() -> None:
    """Before: no bound, so the highlighter visited every occurrence in a text of any length."""
    query = SearchQuery(text="forest", snippet_window=1234)
    assert build_search_body(query)["highlight"]["max_analyzer_offset"] == 1234  # OpenSearch
    assert build_search_body(query, flavour="elasticsearch")["highlight"]["max_analyzed_offset"] == 1234


def test_selected_facet_values_are_counted_even_at_zero() -> None:
    body = build_search_body(SearchQuery(text="x", filters={"realm": ["CHM"], "entity": ["country:br"]}))
    selected = body["aggs"]["realm"]["aggs"]["selected"]["terms"]
    assert selected == {"field": "realm", "include": ["CHM"], "min_doc_count": 0, "size": 1}
    country = body["aggs"]["entity__country"]["aggs"]
    assert country["selected"]["terms"]["include"] == ["country:br"]
    assert country["values"]["terms"]["include"] == "country:.*"
    assert "selected" not in body["aggs"]["schema"]["aggs"]
    aggregations = {
        "entity": {
            "values": {"buckets": [{"key": "country:fr", "doc_count": 3}, {"key": "target:aichi-1", "doc_count": 2}]}
        },
        "entity__country": {"values": {"buckets": [{"key": "country:fr", "doc_count": 5}]}, "selected": {}},
    }
    query = SearchQuery(filters={"entity": ["country:br"]}, facets=("entity",))
    assert parse_facets(aggregations, ["entity"], query) == {
        "entity": [("country:fr", 5), ("target:aichi-1", 2), ("country:br", 0)]
    }


def test_entity_types_are_and_values_of_a_type_or() -> None:
    body = build_search_body(SearchQuery(filters={"entity": ["country:br", "target:aichi-11", "country:fr"]}))
    clauses = post_filter_clauses(body)
    assert {"terms": {"entities": ["country:br", "country:fr"]}} in clauses
    assert {"terms": {"entities": ["target:aichi-11"]}} in clauses
    # Each selected type counted without its own selection, but under the other type's.
    assert agg_filter_clauses(body, "entity__country") == [{"terms": {"entities": ["target:aichi-11"]}}]
    assert agg_filter_clauses(body, "entity__target") == [{"terms": {"entities": ["country:br", "country:fr"]}}]


def test_results_show_no_full_text() -> None:
    assert build_search_body(SearchQuery(text="x"))["_source"] == {"excludes": ["text", "names"]}


def test_cursor_pages_run_in_a_point_in_time() -> None:
    body = build_search_body(SearchQuery(search_after=[1, "a"]), pit="abc")
    assert body["pit"] == {"id": "abc", "keep_alive": "5m"}
    with pytest.raises(ValueError, match="size"):
        build_search_body(SearchQuery(size=10_001, search_after=[1, "a"]))


# -- suggest -----------------------------------------------------------------------------------


def test_suggest_is_a_bool_prefix_over_as_you_type_fields_and_names() -> None:
    body = build_suggest_body("biodiv", "es", 5)
    should = body["query"]["bool"]["should"]
    assert should[0]["multi_match"] == {
        "query": "biodiv",
        "type": "bool_prefix",
        "operator": "and",
        "fields": ["title.es.suggest", "title.es.suggest._2gram", "title.es.suggest._3gram"],
    }
    assert should[1]["multi_match"]["fields"][0] == f"title.{UNDETERMINED}.suggest"
    assert should[2] == {"match_bool_prefix": {"names": {"query": "biodiv", "operator": "and"}}}
    assert body["query"]["bool"]["minimum_should_match"] == 1
    assert body["size"] >= 5
    assert body["_source"] == {"includes": ["title.es", f"title.{UNDETERMINED}"]}


def test_completions_are_distinct_titles_in_the_language_or_undetermined() -> None:
    hits = [
        {"_source": {"title": {"en": "Biodiversity report"}}},
        {"_source": {"title": {"en": "biodiversity  report"}}},  # same title, other spelling
        {"_source": {"title": {"fr": "Rapport"}}},  # nothing in English: skipped
        {"_source": {"title": {UNDETERMINED: "BioTrade"}}},
        {"_source": {"title": {"en": "Biosafety"}}},
    ]
    assert distinct_completions(hits, "en", 10) == ["Biodiversity report", "BioTrade", "Biosafety"]
    assert distinct_completions(hits, "en", 1) == ["Biodiversity report"]


# -- responses ---------------------------------------------------------------------------------


def test_facets_are_sorted_by_count_then_value_as_strings() -> None:
    aggregations = {
        "year": {"doc_count": 5, "values": {"buckets": [{"key": 2020, "doc_count": 2}, {"key": 2019, "doc_count": 2}]}},
        "realm": {
            "doc_count": 5,
            "values": {"buckets": [{"key": "ABS", "doc_count": 1}, {"key": "CHM", "doc_count": 4}]},
        },
    }
    facets = parse_facets(aggregations, ["year", "realm", "schema"])
    assert facets == {"year": [("2019", 2), ("2020", 2)], "realm": [("CHM", 4), ("ABS", 1)], "schema": []}


def test_snippet_prefers_text_then_summary_then_title() -> None:
    assert snippet_of({"title.en": ["<mark>A</mark>"], "summary.en": ["s <mark>A</mark>"]}, "en") == "s <mark>A</mark>"
    assert snippet_of({"text.en": ["t"], "summary.en": ["s"]}, "en") == "t"
    assert snippet_of({"text.fr": ["t"]}, "en") == "t"  # another language version matched
    assert snippet_of({"title.fr": ["f"], "summary.en": ["e"]}, "en") == "e"  # the reader's first
    assert snippet_of({}, "en") is None
    # Ellipses where the field goes on: the summary from the source, the text from its edges.
    source = {"summary": {"en": "One two three four five."}}
    assert snippet_of({"summary.en": ["two <mark>three</mark>"]}, "en", source) == "…two <mark>three</mark>…"
    assert snippet_of({"summary.en": ["One two <mark>three</mark>"]}, "en", source) == "One two <mark>three</mark>…"
    assert snippet_of({"summary.en": ["<mark>One</mark> two three four five"]}, "en", source) == (
        "<mark>One</mark> two three four five"
    )
    edges = {"en": ("Alpha beta gamma", "psi omega.")}
    assert snippet_of({"text.en": ["<mark>omega</mark>"]}, "en", {}, edges) == "…<mark>omega</mark>"


# -- bulk --------------------------------------------------------------------------------------


def test_bulk_actions_carry_id_and_index() -> None:
    doc = make_doc("abs-7")
    doc_id, lines, reason = index_action(doc, "chm-records-v20240101000000000000")
    assert (doc_id, reason) == ("abs-7", None)
    assert lines is not None
    header, source, end = lines.split(b"\n")
    assert json.loads(header) == {"index": {"_index": "chm-records-v20240101000000000000", "_id": "abs-7"}}
    assert json.loads(source) == doc
    assert end == b""


def test_invalid_documents_are_reported_and_not_sent() -> None:
    docs = [
        make_doc("ok-1"),
        make_doc(""),
        make_doc("bad-realm", realm=None),
        make_doc("bad-year", year="2019"),
        make_doc("bad-title", title={"en": 3}),
        make_doc("bad-value", names={"a set"}),
        make_doc("ok-2"),
    ]
    answers = [index_action(doc, "idx") for doc in docs]
    assert [doc_id for doc_id, lines, _ in answers if lines is not None] == ["ok-1", "ok-2"]
    errors = [(doc_id, reason) for doc_id, lines, reason in answers if lines is None]
    assert [doc_id for doc_id, _ in errors] == ["?", "bad-realm", "bad-year", "bad-title", "bad-value"]
    assert all(reason for _, reason in errors)
    assert "realm" in str(dict(errors)["bad-realm"])
    assert "year" in str(dict(errors)["bad-year"])


def test_encoded_documents_send_the_same_lines() -> None:
    """A document encoded where it was made (ingest's workers: ``encode_document``) is sent as the
    same bytes as the document itself; one the encoder leaves (invalid, a marker) is handled as before;
    one encoded for another engine is refused, not sent."""
    docs: list[Any] = [make_doc("ok-1"), make_doc("bad-realm", realm=None), {"id": "m", "merged_into": "ok-1"}]
    for doc in docs:
        encoded = encode_document(doc)
        assert (encoded is None) == (doc["id"] != "ok-1")
        for require_alias in (False, True):
            assert index_action(encoded or doc, "idx", require_alias) == index_action(doc, "idx", require_alias)
    doc_id, lines, reason = index_action(EncodedDocument("t", "tantivy-plan", ([], [], b"{}")), "idx")
    assert (doc_id, lines) == ("t", None) and reason


def test_delete_actions() -> None:
    assert delete_lines("a", "idx") == b'{"delete":{"_index":"idx","_id":"a"}}\n'


# -- the backend against a closed port (the real clients, no node) ------------------------------

FLAVOURS = ["elasticsearch", "opensearch"]


def closed_port_backend(tmp_path: Path, flavour: str = "elasticsearch", url: str = CLOSED_PORT_URL) -> ElasticBackend:
    return ElasticBackend(
        load_settings(es_url=url, es_flavour=flavour, es_username="elastic", es_password="secret", data_dir=tmp_path)
    )


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_health_reports_an_unreachable_node(tmp_path: Path, flavour: str) -> None:
    backend = closed_port_backend(tmp_path, flavour)
    health = backend.health()
    assert health.ok is False
    assert health.engine == flavour
    assert "127.0.0.1:1" in health.detail
    assert "unreachable" in health.detail
    assert "CHM_ES_URL" in health.detail
    assert "\n" not in health.detail
    backend.close()


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize(
    "call",
    [
        lambda b: b.search(SearchQuery(text="x")),
        lambda b: b.search(SearchQuery(text="x", search_after=[1, "a"])),
        lambda b: b.count(),
        lambda b: b.get("chm-1"),
        lambda b: b.current_version(),
        lambda b: b.list_versions(),
        lambda b: b.ensure_index(),
        lambda b: b.create_version(),
        lambda b: b.refresh(),
        lambda b: b.suggest("bio", "en"),
        lambda b: b.delete(["chm-1"]),
        lambda b: b.destroy(),
    ],
)
def test_calls_to_an_unreachable_node_raise_index_unavailable(
    tmp_path: Path, flavour: str, call: Callable[[ElasticBackend], object]
) -> None:
    backend = closed_port_backend(tmp_path, flavour)
    with pytest.raises(IndexUnavailable) as caught:
        call(backend)
    message = str(caught.value)
    assert "unreachable" in message
    assert "CHM_ES_URL" in message
    assert "\n" not in message
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    backend.close()


def test_an_unreachable_node_in_auto_mode_says_how_to_choose(tmp_path: Path) -> None:
    with pytest.raises(IndexUnavailable, match="CHM_ES_FLAVOUR"):
        ElasticBackend(load_settings(es_url=CLOSED_PORT_URL, data_dir=tmp_path))


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_messages_never_show_credentials_from_the_url(tmp_path: Path, flavour: str) -> None:
    backend = closed_port_backend(tmp_path, flavour, url="http://elastic:s3cret@127.0.0.1:1")
    assert "s3cret" not in backend.health().detail
    with pytest.raises(IndexUnavailable) as caught:
        backend.count()
    assert "s3cret" not in str(caught.value)
    assert redacted_url("https://u:p@es.example:9200/x") == "https://es.example:9200/x"
    backend.close()


def test_no_url_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IndexUnavailable, match="CHM_ES_URL"):
        ElasticBackend(load_settings(es_url=None, data_dir=tmp_path))


def test_version_names_are_checked_before_any_request(tmp_path: Path) -> None:
    backend = closed_port_backend(tmp_path)
    for bad in ("other-index", "chm-records", "chm-records-v1", "*"):
        with pytest.raises(ValueError, match="not a version"):
            backend.drop_version(bad)
        with pytest.raises(ValueError, match="not a version"):
            backend.swap(bad)
    backend.close()


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_missing_ca_file_is_named(tmp_path: Path, flavour: str) -> None:
    missing = tmp_path / "ca.pem"
    with pytest.raises(IndexUnavailable, match="CHM_ES_CA_CERTS"):
        ElasticBackend(
            load_settings(es_url="https://127.0.0.1:1", es_flavour=flavour, es_ca_certs=missing, data_dir=tmp_path)
        )


def test_translated_queries_are_other_ways_to_match_every_record() -> None:
    body = build_search_body(SearchQuery(text="bosque", lang="es", alternatives={"en": "forest", "es": "x"}))
    ways = body["query"]["bool"]["must"][0]["bool"]["should"]
    assert ways[0]["bool"]["must"][0]["multi_match"]["query"] == "bosque"
    [alternative] = ways[1:]  # the reader's own language is never an alternative
    match = alternative["bool"]["must"][0]["multi_match"]
    assert match["query"] == "forest"
    assert match["fields"] == ["title.en^3", "summary.en^2", "text.en^1"]
    assert "must_not" not in alternative["bool"]  # no longer only records without the reader's language


def test_did_you_mean_asks_only_the_spelling_fields_the_index_has() -> None:
    """An index for en, fr and es has no spelling.ar: a term suggestion on it would fail the search."""
    from search_index.elastic.query_compiler import build_spelling_body

    body = build_spelling_body(["acess"], ["en", "fr", "es"])
    fields = {suggestion["term"]["field"] for suggestion in body["suggest"].values()}
    assert fields == {"spelling.en", "spelling.fr", "spelling.es"}
