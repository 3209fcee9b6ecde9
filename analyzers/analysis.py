"""Per-language analysis, defined once for both engines.

Each UN language gets its own analyzer (stemming where the language has a stemmer, bigrams for
Chinese) and one language-neutral analyzer keeps names, acronyms and document symbols such as
``UNEP/CBD/COP/12/11`` whole. The Elasticsearch settings and the Tantivy analyzers below are two
renderings of the same table, so the two engines find the same documents.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import tantivy

from record_catalogue.languages import UN_LANGUAGES

# A token is a run of letters/digits, optionally joined by / . - to more such runs, so that
# "UNEP/CBD/COP/12/11", "XI/2" and "ABS-CH" stay single tokens in the neutral field.
NEUTRAL_TOKEN_PATTERN = r"[\p{L}\p{N}]+(?:[/.\-][\p{L}\p{N}]+)*"

# Words the stemmers must leave alone: CBD vocabulary whose stems collide with unrelated words.
STEM_EXCLUSIONS: dict[str, list[str]] = {
    "en": ["biosafety", "biodiversity", "aichi", "nagoya", "cartagena", "kunming", "montreal"],
    "fr": ["biosécurité", "biodiversité", "aichi", "nagoya", "cartagena", "kunming", "montréal"],
    "es": ["bioseguridad", "biodiversidad", "aichi", "nagoya", "cartagena", "kunming", "montreal"],
    "ru": ["биобезопасность", "биоразнообразие", "айти", "нагойский", "картахенский"],
}

SNOWBALL_LANGUAGE = {"ar": "arabic", "en": "english", "es": "spanish", "fr": "french", "ru": "russian"}
ES_LANGUAGE_ANALYZER = {"ar": "arabic", "en": "english", "es": "spanish", "fr": "french", "ru": "russian", "zh": "cjk"}


def analyzer_name(lang: str) -> str:
    """The analyzer registered for a language (both engines use the same names)."""
    return f"chm_{lang}"


NEUTRAL_ANALYZER = "chm_neutral"
KEYWORD_ANALYZER = "raw"


@cache
def tantivy_analyzer(name: str) -> tantivy.TextAnalyzer:
    """The Tantivy analyzer registered under ``name`` (``chm_<lang>`` or ``chm_neutral``)."""
    if name == NEUTRAL_ANALYZER:
        return (
            tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(NEUTRAL_TOKEN_PATTERN))
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.ascii_fold())
            .build()
        )
    lang = name.removeprefix("chm_")
    if lang == "zh":
        # Overlapping character bigrams: a two-character word is found inside any longer string.
        return tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.ngram(2, 2)).filter(tantivy.Filter.lowercase()).build()
    if lang not in SNOWBALL_LANGUAGE:
        raise KeyError(f"no analyzer for {name!r}")
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(100))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stemmer(SNOWBALL_LANGUAGE[lang]))
        .build()
    )


def tantivy_analyzers() -> dict[str, tantivy.TextAnalyzer]:
    """Every analyzer the embedded index registers, by name."""
    names = [analyzer_name(lang) for lang in UN_LANGUAGES] + [NEUTRAL_ANALYZER]
    return {name: tantivy_analyzer(name) for name in names}


def elasticsearch_analysis() -> dict[str, Any]:
    """The ``settings.analysis`` block of the Elasticsearch index."""
    analyzers: dict[str, Any] = {}
    for lang in UN_LANGUAGES:
        spec: dict[str, Any] = {"type": ES_LANGUAGE_ANALYZER[lang]}
        if lang in STEM_EXCLUSIONS:
            spec["stem_exclusion"] = STEM_EXCLUSIONS[lang]
        analyzers[analyzer_name(lang)] = spec
    analyzers[NEUTRAL_ANALYZER] = {
        "type": "custom",
        "tokenizer": "chm_neutral_tokenizer",
        "filter": ["lowercase", "asciifolding"],
    }
    return {
        "analyzer": analyzers,
        "tokenizer": {"chm_neutral_tokenizer": {"type": "pattern", "pattern": NEUTRAL_TOKEN_PATTERN, "group": 0}},
        "normalizer": {"chm_keyword": {"type": "custom", "filter": ["lowercase"]}},
    }
