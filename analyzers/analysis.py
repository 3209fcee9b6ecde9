"""Per-language analysis, defined once as a table and rendered for both kinds of engine.

Each UN language gets its own analysis chain and one language-neutral analyzer keeps names,
acronyms and document symbols such as ``UNEP/CBD/COP/12/11`` whole. ``CHAINS`` says, per
language, what happens to a word; ``tantivy_analyzer`` and ``elasticsearch_analysis`` render it,
so a query finds the same records on Tantivy, OpenSearch and Elasticsearch:

- lowercase everywhere; accents folded for English, French and Spanish (« ecosystemes » finds
  « écosystèmes »), before the stemmer on both engines, so both stem the same folded word;
- Snowball stemmers (English, French, Spanish, Russian; Russian folds ё to е itself);
- Arabic: Lucene's normaliser and light stemmer (the server engines' own filters; the embedded
  engine runs the same rules in :mod:`analyzers.arabic` and indexes their output), with a word
  starting with و also indexed with its و kept (Lucene strips it: ``وطنية`` would never meet
  ``الوطنية``), at the same position (a ``multiplexer`` on the server engines);
- Chinese: overlapping character bigrams;
- no stop-word removal and no stem exclusions on any engine: the embedded engine cannot exclude
  words from its stemmer, and a query must find the same records everywhere. Stop words cost
  little with ranking by BM25, and a query made only of them still finds what contains them.

Two more analyzers serve ranking and spelling, not matching:

- ``chm_<lang>_exact`` for the languages whose accents are folded: the same chain without the
  folding and without the stemmer (the Spanish one drops accents itself), on an extra field per
  text field, so that a word typed with accents (« pêche ») ranks the records holding that very
  word above those that only fold to it (« péché », « peche »);
- ``chm_spelling``: words of letters, lower-cased, nothing else, fed from every title and summary
  (per language, Chinese apart): the index's own vocabulary that "did you mean" draws from.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import tantivy

from analyzers import arabic
from record_catalogue.languages import UN_LANGUAGES

# A token is a run of letters/digits, optionally joined by / . - to more such runs, so that
# "UNEP/CBD/COP/12/11", "XI/2" and "ABS-CH" stay single tokens in the neutral field.
NEUTRAL_TOKEN_PATTERN = r"[\p{L}\p{N}]+(?:[/.\-][\p{L}\p{N}]+)*"
# Stands in for a leading و while Lucene's Arabic stemmer runs (it would strip it): private use.
WAW_MASK = "\ue000"


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
SPELLING_ANALYZER = "chm_spelling"
# Arabic titles completed as the reader types (Elasticsearch/OpenSearch): normalised, the article
# (and a preposition joined to it) taken off, not stemmed: « تنوع » completes « التنوع … », and
# « الت » what Tantivy completes from it (``arabic.prefix_forms`` does the same to the typed word).
ARABIC_SUGGEST_ANALYZER = "chm_ar_suggest"
# A word of the spelling fields: letters (and the marks inside them, e.g. Arabic tashkeel).
SPELLING_TOKEN_PATTERN = r"\p{L}[\p{L}\p{M}]*"
# The languages whose titles and summaries feed the spelling fields (Chinese has no words to correct).
SPELLING_LANGUAGES: tuple[str, ...] = tuple(lang for lang in UN_LANGUAGES if lang != "zh")


def exact_analyzer_name(lang: str) -> str:
    """The analyzer of a language's unfolded ("exact form") field."""
    return f"chm_{lang}_exact"


def has_exact_form(lang: str) -> bool:
    """Whether a language's fields fold accents, and so have an unfolded twin for ranking."""
    return lang in CHAINS and CHAINS[lang].fold_accents


def preanalysed(lang: str) -> bool:
    """Whether the embedded index stores this language's text already analysed (in Python); text
    in no determined language (``und``) is not, as names are not."""
    return lang in CHAINS and CHAINS[lang].arabic


@cache
def tantivy_analyzer(name: str) -> tantivy.TextAnalyzer:
    """The Tantivy analyzer registered under ``name`` (``chm_<lang>`` or ``chm_neutral``)."""
    if name == SPELLING_ANALYZER:
        return (
            tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(SPELLING_TOKEN_PATTERN))
            .filter(tantivy.Filter.remove_long(40))
            .filter(tantivy.Filter.lowercase())
            .build()
        )
    if name == NEUTRAL_ANALYZER:
        return (
            tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(NEUTRAL_TOKEN_PATTERN))
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.ascii_fold())
            .build()
        )
    lang = name.removeprefix("chm_")
    exact = lang.endswith("_exact")
    lang = lang.removesuffix("_exact")
    if lang not in CHAINS or (exact and not has_exact_form(lang)):
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
    if exact:
        return builder.build()
    if chain.fold_accents:
        builder = builder.filter(tantivy.Filter.ascii_fold())
    if chain.stemmer:
        builder = builder.filter(tantivy.Filter.stemmer(chain.stemmer))
    return builder.build()


def tantivy_analyzers() -> dict[str, tantivy.TextAnalyzer]:
    """Every analyzer the embedded index registers, by name."""
    names = [analyzer_name(lang) for lang in UN_LANGUAGES] + [NEUTRAL_ANALYZER, SPELLING_ANALYZER]
    names += [exact_analyzer_name(lang) for lang in UN_LANGUAGES if has_exact_form(lang)]
    return {name: tantivy_analyzer(name) for name in names}


def elasticsearch_analysis() -> dict[str, Any]:
    """The ``settings.analysis`` block of an Elasticsearch/OpenSearch index."""
    analyzers: dict[str, Any] = {}
    filters: dict[str, Any] = {
        "chm_elision": {
            "type": "elision",
            "articles_case": True,
            "articles": ["l", "m", "t", "qu", "n", "s", "j", "d", "c", "jusqu", "quoiqu", "lorsqu", "puisqu"],
        },
        # Lucene's stem, and the stem with a leading و kept (analyzers.arabic.stems): the و is
        # hidden behind a private-use character while arabic_stem runs, then put back.
        "chm_ar_keep_waw": {"type": "pattern_replace", "pattern": f"^{arabic.WAW}(?!ال)", "replacement": WAW_MASK},
        "chm_ar_restore_waw": {"type": "pattern_replace", "pattern": f"^{WAW_MASK}", "replacement": arabic.WAW},
        "chm_ar_stems": {
            "type": "multiplexer",
            "filters": ["arabic_stem", "chm_ar_keep_waw, arabic_stem, chm_ar_restore_waw"],
            "preserve_original": False,
        },
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
            steps += ["decimal_digit", "arabic_normalization", "chm_ar_stems"]
        stemming: list[str] = []
        if chain.stemmer:
            filters[f"chm_{lang}_stemmer"] = {"type": "snowball", "language": chain.stemmer.capitalize()}
            stemming.append(f"chm_{lang}_stemmer")
        if chain.fold_accents:
            analyzers[exact_analyzer_name(lang)] = {"type": "custom", "tokenizer": "standard", "filter": steps}
            steps = [*steps, "asciifolding"]
        analyzers[analyzer_name(lang)] = {"type": "custom", "tokenizer": "standard", "filter": steps + stemming}
    analyzers[NEUTRAL_ANALYZER] = {
        "type": "custom",
        "tokenizer": "chm_neutral_tokenizer",
        "filter": ["lowercase", "asciifolding"],
    }
    analyzers[SPELLING_ANALYZER] = {
        "type": "custom",
        "tokenizer": "chm_spelling_tokenizer",
        "filter": ["chm_spelling_length", "lowercase"],
    }
    filters["chm_spelling_length"] = {"type": "length", "max": 39}
    articles = "|".join(sorted(arabic.ARTICLES, key=len, reverse=True))
    # Only where something follows: a lone « ال » typed so far stays itself.
    filters["chm_ar_article"] = {"type": "pattern_replace", "pattern": f"^(?:{articles})(?=.)", "replacement": ""}
    analyzers[ARABIC_SUGGEST_ANALYZER] = {
        "type": "custom",
        "tokenizer": "standard",
        "filter": ["lowercase", "decimal_digit", "arabic_normalization", "chm_ar_article"],
    }
    return {
        "analyzer": analyzers,
        "filter": filters,
        "tokenizer": {
            "chm_neutral_tokenizer": {"type": "pattern", "pattern": NEUTRAL_TOKEN_PATTERN, "group": 0},
            "chm_spelling_tokenizer": {"type": "pattern", "pattern": SPELLING_TOKEN_PATTERN, "group": 0},
        },
        "normalizer": {"chm_keyword": {"type": "custom", "filter": ["lowercase"]}},
    }
