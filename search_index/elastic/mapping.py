"""What an index version is: its settings (analysis, shards, result window) and its mappings.

Shared by Elasticsearch 9 and OpenSearch: the analyzers, ``search_as_you_type`` and every other
mapping feature used here mean the same on both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from analyzers.analysis import (
    ARABIC_SUGGEST_ANALYZER,
    NEUTRAL_ANALYZER,
    SPELLING_ANALYZER,
    SPELLING_LANGUAGES,
    analyzer_name,
    elasticsearch_analysis,
    exact_analyzer_name,
    has_exact_form,
)
from record_catalogue.languages import UNDETERMINED, known_languages
from search_index.base import TEXT_FIELD_BOOSTS

# Bumped whenever settings or mappings change in a way an existing index cannot take; an index
# another version of the project made is reported instead of being written to blindly.
MAPPING_VERSION = 7

TEXT_FIELDS: tuple[str, ...] = tuple(name for name, _ in TEXT_FIELD_BOOSTS)
SUGGEST_SUBFIELD = "suggest"
EXACT_SUBFIELD = "exact"
# Where each language's titles and summaries are copied for "did you mean" (``spelling.<lang>``).
SPELLING_FIELD = "spelling"
SPELLING_SOURCES: tuple[str, ...] = ("title", "summary")
KEYWORD_FIELDS: tuple[str, ...] = ("id", "realm", "schema", "government", "original_language", "languages", "entities")

# index.max_result_window: the engine refuses from + size beyond it; deeper pages use a cursor.
# Set explicitly on every version rather than assumed from the engine's default.
MAX_RESULT_WINDOW = 10_000

# What a result shows: never the full texts or the neutral names field, which can be megabytes.
SOURCE_EXCLUDES: tuple[str, ...] = ("text", "names")


def index_settings() -> dict[str, Any]:
    """Settings of every index version.

    One primary shard: the corpus (all three clearing-houses) fits comfortably, and one shard keeps
    facet counts exact and scores independent of how documents were spread. ``auto_expand_replicas``
    gives no replica on a single node (so its health is green) and one replica on a cluster, so a
    cluster survives the loss of one node.
    """
    return {
        "number_of_shards": 1,
        "auto_expand_replicas": "0-1",
        "max_result_window": MAX_RESULT_WINDOW,
        "analysis": elasticsearch_analysis(),
    }


def _language_field(
    analyzer: str, suggest_analyzer: str | None, exact_analyzer: str | None = None, copy_to: str | None = None
) -> dict[str, Any]:
    # index_options=offsets lets the unified highlighter read offsets from the postings instead
    # of re-analysing the stored text: faster, and no index.highlight.max_analyzed_offset error
    # on records with more than a million characters of text.
    spec: dict[str, Any] = {"type": "text", "analyzer": analyzer, "index_options": "offsets"}
    subfields: dict[str, Any] = {}
    if suggest_analyzer is not None:
        subfields[SUGGEST_SUBFIELD] = {"type": "search_as_you_type", "analyzer": suggest_analyzer}
    if exact_analyzer is not None:
        # Only ranks single words typed with their accents: term frequencies, no positions.
        subfields[EXACT_SUBFIELD] = {"type": "text", "analyzer": exact_analyzer, "index_options": "freqs"}
    if subfields:
        spec["fields"] = subfields
    if copy_to is not None:
        spec["copy_to"] = copy_to
    return spec


def suggest_analyzer(lang: str) -> str:
    """The analyzer of the as-you-type subfield of a language.

    Not the stemming language analyzer: a half-typed word must not be stemmed ("conserva" stems
    to itself and would never be a prefix of "conserv", the stem of "conservation"). Chinese keeps
    its bigram analyzer, because the neutral tokenizer would turn a whole Chinese title into one
    token and only its first characters could be completed. Arabic takes its article off (a reader
    types « تنوع » for « التنوع »), as Tantivy's completion does.
    """
    if lang == "ar":
        return ARABIC_SUGGEST_ANALYZER
    return analyzer_name(lang) if lang == "zh" else NEUTRAL_ANALYZER


def check_languages(languages: Iterable[str]) -> list[str]:
    """The configured languages, each known; a clear error otherwise."""
    return known_languages(list(dict.fromkeys(languages)), "no analyzer for language(s)")


def _text_field(name: str, langs: Sequence[str]) -> dict[str, Any]:
    # Only titles are completed as the reader types: the shingle subfields of search_as_you_type
    # would multiply the size of summaries and full texts for nothing.
    with_suggest = name == "title"
    per_language: dict[str, Any] = {
        lang: _language_field(
            analyzer_name(lang),
            suggest_analyzer(lang) if with_suggest else None,
            exact_analyzer_name(lang) if has_exact_form(lang) else None,
            f"{SPELLING_FIELD}.{lang}" if name in SPELLING_SOURCES and lang in SPELLING_LANGUAGES else None,
        )
        for lang in langs
    }
    per_language[UNDETERMINED] = _language_field(NEUTRAL_ANALYZER, NEUTRAL_ANALYZER if with_suggest else None)
    return {"type": "object", "properties": per_language}


def index_mappings(languages: Sequence[str]) -> dict[str, Any]:
    """Mappings of every index version, for the configured ``languages``.

    ``dynamic: false``: a field the mapping does not know (a language not configured, a field a
    later version of the document builder adds) is kept in ``_source`` but never guessed a type,
    so one odd document cannot change the mapping for all others. Text held under ``und``
    (language not determined) is indexed with the language-neutral analyzer. ``_meta`` says which
    project mapping made the index.
    """
    langs = check_languages(languages)
    properties: dict[str, Any] = {name: {"type": "keyword"} for name in KEYWORD_FIELDS}
    # Every clearing-house listing a document (a duplicate group's realms) counts and filters as
    # its realm; ``realm`` itself stays the shown record's, for display.
    properties["realms"] = {"type": "keyword", "copy_to": "realm"}
    properties.update({name: _text_field(name, langs) for name in TEXT_FIELDS})
    properties.update(
        {
            "names": {"type": "text", "analyzer": NEUTRAL_ANALYZER},
            SPELLING_FIELD: {
                "type": "object",
                "properties": {
                    lang: {"type": "text", "analyzer": SPELLING_ANALYZER, "index_options": "docs", "norms": False}
                    for lang in langs
                    if lang in SPELLING_LANGUAGES
                },
            },
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
    return {
        "dynamic": False,
        "_source": {"enabled": True},
        "_meta": {"chm_search_mapping": MAPPING_VERSION},
        "properties": properties,
    }
