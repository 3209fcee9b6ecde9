"""The embedded engine's query compiler: the plan of :mod:`search_index.query_plan` as Tantivy queries.

Built from analysed tokens only (``term``, ``phrase``, ``fuzzy``, ``boolean`` queries); Tantivy's
query parser never sees user text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import tantivy

from analyzers import arabic
from analyzers.analysis import NEUTRAL_ANALYZER, analyzer_name, preanalysed, tantivy_analyzer
from record_catalogue.languages import UN_LANGUAGES, UNDETERMINED
from search_index.base import ALTERNATIVE_BOOST, TEXT_FIELD_BOOSTS, SearchQuery
from search_index.query_plan import (
    FUZZY_BOOST,
    FUZZY_MIN_LENGTH,
    ORIGINAL_LANGUAGE_BOOST,
    TextField,
    fields_for,
    fuzzy,
    keyword_matches,
    parsed,
    text_fields,
    translation_terms,
)
from search_index.query_text import Term


def field_name(name: str, lang: str | None) -> str:
    """The Tantivy field of a text field in a language (``names`` has none)."""
    return name if lang is None else f"{name}_{lang}"


def analyse(text: str, lang: str | None) -> list[str]:
    """The index terms of ``text`` in a language's fields (``None``: the neutral field)."""
    if lang is None or lang == UNDETERMINED:
        return tantivy_analyzer(NEUTRAL_ANALYZER).analyze(text)
    if preanalysed(lang):
        return arabic.terms(text)
    return tantivy_analyzer(analyzer_name(lang)).analyze(text)


@dataclass
class Compiled:
    """The scoring query (None: browse), whether the text had no token at all, and the terms
    each field was asked for (for highlighting)."""

    query: tantivy.Query | None
    no_tokens: bool = False
    highlight_terms: dict[str, set[str]] = field(default_factory=dict)


class TantivyQueryCompiler:
    """Compiles one ``SearchQuery`` against one schema."""

    def __init__(self, schema: tantivy.Schema) -> None:
        self.schema = schema

    def _option(
        self, term: Term, fields: Sequence[TextField], compiled: Compiled, near: bool = True
    ) -> tantivy.Query | None:
        """A term in any of ``fields``: all its tokens in one field (adjacent for a phrase)."""
        per_field: list[tantivy.Query] = []
        for spec in fields:
            name = field_name(spec.name, spec.lang)
            tokens = (
                list(dict.fromkeys(analyse(term.text, spec.lang))) if not term.phrase else analyse(term.text, spec.lang)
            )
            if not tokens:
                continue
            compiled.highlight_terms.setdefault(name, set()).update(tokens)
            if len(tokens) == 1:
                query = tantivy.Query.term_query(self.schema, name, tokens[0])
            elif term.phrase:
                words: list[str | tuple[int, str]] = list(tokens)
                query = tantivy.Query.phrase_query(self.schema, name, words)
            else:
                query = tantivy.Query.boolean_query(
                    [(tantivy.Occur.Must, tantivy.Query.term_query(self.schema, name, token)) for token in tokens]
                )
            per_field.append(tantivy.Query.boost_query(query, spec.boost))
            if near and len(tokens) == 1 and fuzzy(term) and len(tokens[0]) >= FUZZY_MIN_LENGTH:
                similar = tantivy.Query.fuzzy_term_query(self.schema, name, tokens[0], 1, True, False)
                per_field.append(tantivy.Query.boost_query(similar, spec.boost * FUZZY_BOOST))
        for facet, value in keyword_matches(term):
            per_field.append(tantivy.Query.term_query(self.schema, facet, value))
        if not per_field:
            return None
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in per_field])

    def _any(self, queries: list[tantivy.Query]) -> tantivy.Query:
        return (
            queries[0]
            if len(queries) == 1
            else tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])
        )

    def compile(self, query: SearchQuery) -> Compiled:
        compiled = Compiled(None)
        text = parsed(query)
        if not text.required and not text.excluded and not query.alternatives:
            return compiled  # nothing to look for (empty, or only operators and punctuation): browse
        fields = text_fields(query.lang)
        clauses: list[tantivy.Query] = []
        for clause in text.required:
            options = [q for term in clause.options if (q := self._option(term, fields_for(term, fields), compiled))]
            if options:
                clauses.append(self._any(options))
        excluded = [
            q
            for term in text.excluded
            if (q := self._option(term, fields_for(term, fields), Compiled(None), near=False))
        ]
        ways: list[tantivy.Query] = []
        if not clauses and excluded and not text.required:
            # Only exclusions ("-gmo"): everything but what they name.
            clauses = [tantivy.Query.all_query()]
        if clauses:
            occurs = [(tantivy.Occur.Must, q) for q in clauses] + [(tantivy.Occur.MustNot, q) for q in excluded]
            ways.append(tantivy.Query.boolean_query(occurs))
        for lang, translated in query.alternatives.items():
            if lang not in UN_LANGUAGES or lang == query.lang or not translated.strip():
                continue
            own = [TextField(name, lang, boost) for name, boost in TEXT_FIELD_BOOSTS]
            words = [q for term in translation_terms(translated) if (q := self._option(term, own, compiled))]
            if words:
                occurs = [(tantivy.Occur.Must, q) for q in words] + [(tantivy.Occur.MustNot, q) for q in excluded]
                ways.append(tantivy.Query.boost_query(tantivy.Query.boolean_query(occurs), ALTERNATIVE_BOOST))
        if not ways:
            compiled.no_tokens = True
            return compiled
        found = self._any(ways)
        # Ranking only: records written in the reader's language first among equals.
        original = tantivy.Query.term_query(self.schema, "original_language", query.lang)
        compiled.query = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, found),
                (tantivy.Occur.Should, tantivy.Query.boost_query(original, ORIGINAL_LANGUAGE_BOOST)),
            ]
        )
        return compiled
