"""Per-language analysis, defined once as a table and rendered for both kinds of engine.

Each UN language gets its own analysis chain and one language-neutral analyzer keeps names,
acronyms and document symbols such as ``UNEP/CBD/COP/12/11`` whole. ``CHAINS`` says, per
language, what happens to a word; ``tantivy_analyzer`` and ``elasticsearch_analysis`` render it,
so a query finds the same records on Tantivy, OpenSearch and Elasticsearch:

- lowercase everywhere; accents folded for English, French and Spanish (« ecosystemes » finds
  « écosystèmes »), before the stemmer on both engines, so both stem the same folded word;
- Snowball stemmers (English, French, Spanish, Russian; Russian folds ё to е itself);
- Arabic: Lucene's normaliser and light stemmer (the server engines' own filters; the embedded
  engine runs the same rules in :mod:`analyzers.arabic` and indexes their output);
- Chinese: overlapping character bigrams;
- no stop-word removal and no stem exclusions on any engine: the embedded engine cannot exclude
  words from its stemmer, and a query must find the same records everywhere. Stop words cost
  little with ranking by BM25, and a query made only of them still finds what contains them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import tantivy

from record_catalogue.languages import UN_LANGUAGES

# A token is a run of letters/digits, optionally joined by / . - to more such runs, so that
# "UNEP/CBD/COP/12/11", "XI/2" and "ABS-CH" stay single tokens in the neutral field.
NEUTRAL_TOKEN_PATTERN = r"[\p{L}\p{N}]+(?:[/.\-][\p{L}\p{N}]+)*"


@dataclass(frozen=True)
class Chain:
    """What analysis does to a word of one language."""

    stemmer: str | None = None  # Snowball language name
    fold_accents: bool = False
    elision: bool = False  # French l', d', qu' ... (the embedded tokenizer splits there anyway)
    arabic: bool = False  # Lucene's Arabic normaliser and light stemmer
    bigrams: bool = False  # CJK bigrams


CHAINS: dict[str, Chain] = {
    "ar": Chain(arabic=True),
    "en": Chain(stemmer="english", fold_accents=True),
    "es": Chain(stemmer="spanish", fold_accents=True),
    "fr": Chain(stemmer="french", fold_accents=True, elision=True),
    "ru": Chain(stemmer="russian"),
    "zh": Chain(bigrams=True),
}


def analyzer_name(lang: str) -> str:
    """The analyzer registered for a language (both engines use the same names)."""
    return f"chm_{lang}"


NEUTRAL_ANALYZER = "chm_neutral"
KEYWORD_ANALYZER = "raw"


def preanalysed(lang: str) -> bool:
    """Whether the embedded index stores this language's text already analysed (in Python)."""
    return CHAINS[lang].arabic


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
    if lang not in CHAINS:
        raise KeyError(f"no analyzer for {name!r}")
    chain = CHAINS[lang]
    if chain.bigrams:
        # Overlapping character bigrams: a two-character word is found inside any longer string.
        return tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.ngram(2, 2)).filter(tantivy.Filter.lowercase()).build()
    if chain.arabic:
        # The text arrives as analyzers.arabic.analysed() made it: terms separated by spaces.
        return tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()
    builder = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(100))
        .filter(tantivy.Filter.lowercase())
    )
    if chain.fold_accents:
        builder = builder.filter(tantivy.Filter.ascii_fold())
    if chain.stemmer:
        builder = builder.filter(tantivy.Filter.stemmer(chain.stemmer))
    return builder.build()


def tantivy_analyzers() -> dict[str, tantivy.TextAnalyzer]:
    """Every analyzer the embedded index registers, by name."""
    names = [analyzer_name(lang) for lang in UN_LANGUAGES] + [NEUTRAL_ANALYZER]
    return {name: tantivy_analyzer(name) for name in names}


def elasticsearch_analysis() -> dict[str, Any]:
    """The ``settings.analysis`` block of an Elasticsearch/OpenSearch index."""
    analyzers: dict[str, Any] = {}
    filters: dict[str, Any] = {
        "chm_elision": {
            "type": "elision",
            "articles_case": True,
            "articles": ["l", "m", "t", "qu", "n", "s", "j", "d", "c", "jusqu", "quoiqu", "lorsqu", "puisqu"],
        }
    }
    for lang in UN_LANGUAGES:
        chain = CHAINS[lang]
        if chain.bigrams:
            analyzers[analyzer_name(lang)] = {
                "type": "custom",
                "tokenizer": "standard",
                "filter": ["cjk_width", "lowercase", "cjk_bigram"],
            }
            continue
        steps: list[str] = []
        if chain.elision:
            steps.append("chm_elision")
        steps.append("lowercase")
        if chain.arabic:
            steps += ["decimal_digit", "arabic_normalization", "arabic_stem"]
        if chain.fold_accents:
            steps.append("asciifolding")
        if chain.stemmer:
            filters[f"chm_{lang}_stemmer"] = {"type": "snowball", "language": chain.stemmer.capitalize()}
            steps.append(f"chm_{lang}_stemmer")
        analyzers[analyzer_name(lang)] = {"type": "custom", "tokenizer": "standard", "filter": steps}
    analyzers[NEUTRAL_ANALYZER] = {
        "type": "custom",
        "tokenizer": "chm_neutral_tokenizer",
        "filter": ["lowercase", "asciifolding"],
    }
    return {
        "analyzer": analyzers,
        "filter": filters,
        "tokenizer": {"chm_neutral_tokenizer": {"type": "pattern", "pattern": NEUTRAL_TOKEN_PATTERN, "group": 0}},
        "normalizer": {"chm_keyword": {"type": "custom", "filter": ["lowercase"]}},
    }
