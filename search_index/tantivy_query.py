"""The embedded engine's query compiler: the plan of :mod:`search_index.query_plan` as Tantivy queries.

Built from analysed tokens only (``term``, ``phrase``, ``fuzzy``, ``boolean`` queries); Tantivy's
query parser never sees user text.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import tantivy

from analyzers import arabic
from analyzers.analysis import (
    NEUTRAL_ANALYZER,
    analyzer_name,
    exact_analyzer_name,
    has_exact_form,
    preanalysed,
    tantivy_analyzer,
)
from record_catalogue.languages import UN_LANGUAGES, UNDETERMINED
from search_index.base import ALTERNATIVE_BOOST, TEXT_FIELD_BOOSTS, SearchQuery
from search_index.query_plan import (
    EXACT_FORM_BOOST,
    FUZZY_BOOST,
    FUZZY_MIN_LENGTH,
    ORIGINAL_LANGUAGE_BOOST,
    TextField,
    fields_for,
    fuzzy,
    han_bigrams_needed,
    has_accents,
    keyword_matches,
    parsed,
    text_fields,
    translation_terms,
    words_of,
)
from search_index.query_text import Term

# The text fields whose titles and summaries feed the spelling fields ("did you mean").
SPELLING_SOURCES: tuple[str, ...] = ("title", "summary")
# A phrase with more alternatives than this (Arabic words starting with و) keeps the first of each.
MAX_PHRASE_VARIANTS = 16
# Analysed query words kept (a word and a language: a few short strings each).
ANALYSED_CACHE = 4096


def field_name(name: str, lang: str | None) -> str:
    """The Tantivy field of a text field in a language (``names`` has none)."""
    return name if lang is None else f"{name}_{lang}"


def exact_field_name(name: str, lang: str) -> str:
    """The unfolded twin of a text field in a language whose accents are folded."""
    return f"{name}_{lang}_exact"


def spelling_field_name(lang: str) -> str:
    """The field holding a language's words as written in titles and summaries."""
    return f"spelling_{lang}"


@lru_cache(maxsize=ANALYSED_CACHE)
def analyse(text: str, lang: str | None) -> tuple[tuple[str, ...], ...]:
    """The index terms of ``text`` in a language's fields (``None``: the neutral field), position
    by position: one term each, or two for an Arabic word starting with و. Remembered: a query
    asks each language's analyzer once per field of that language (title, summary, text), and
    readers' words recur."""
    if lang is None or lang == UNDETERMINED:
        return tuple((token,) for token in tantivy_analyzer(NEUTRAL_ANALYZER).analyze(text))
    if preanalysed(lang):
        return tuple(arabic.positions(text))
    return tuple((token,) for token in tantivy_analyzer(analyzer_name(lang)).analyze(text))


def near_query(schema: tantivy.Schema, name: str, token: str) -> tantivy.Query:
    """Typo tolerance: the records holding a term at most one edit (an adjacent swap is one) from
    ``token`` in field ``name``, the token itself included, all with one constant score."""
    return tantivy.Query.fuzzy_term_query(schema, name, token, 1, True, False)


@dataclass
class Compiled:
    """The scoring query (None: browse), whether the text had no token at all, and the terms
    each field was asked for (for highlighting)."""

    query: tantivy.Query | None
    no_tokens: bool = False
    highlight_terms: dict[str, set[str]] = field(default_factory=dict)


# Whether a word's typo tolerance in a field finds nothing the word itself does not:
# ``(field, token) -> bool``, asked of the index the query will run on.
NearOnlyItself = Callable[[str, str], bool]


class TantivyQueryCompiler:
    """Compiles one ``SearchQuery`` against one schema.

    ``near_only_itself``, when given, tells for a word and a field whether the field holds no
    other term one edit away that any record has: the word's typo tolerance there is then
    compiled as what it matches, the word itself with the fuzzy clause's constant score, without
    the automaton Tantivy would otherwise run over the field's whole term dictionary in each pass
    (about a third of a search's time). Same records, same scores."""

    def __init__(self, schema: tantivy.Schema, near_only_itself: NearOnlyItself | None = None) -> None:
        self.schema = schema
        self.near_only_itself = near_only_itself

    def _near(self, name: str, token: str) -> tantivy.Query:
        """The records holding ``token`` or a term one edit away from it in field ``name``, all
        with one constant score (as Tantivy's fuzzy query scores them)."""
        if self.near_only_itself is not None and self.near_only_itself(name, token):
            return tantivy.Query.const_score_query(tantivy.Query.term_query(self.schema, name, token), 1.0)
        return near_query(self.schema, name, token)

    def _term(self, name: str, alternatives: tuple[str, ...]) -> tantivy.Query:
        queries = [tantivy.Query.term_query(self.schema, name, term) for term in alternatives]
        return queries[0] if len(queries) == 1 else self._any(queries)

    def _in_field(self, term: Term, name: str, tokens: Sequence[tuple[str, ...]]) -> tantivy.Query:
        """A term's tokens in one field: adjacent for a phrase, all (or, for Chinese typed
        without spaces, most) of them otherwise."""
        if len(tokens) == 1:
            return self._term(name, tokens[0])
        if term.phrase:
            variants = list(itertools.islice(itertools.product(*tokens), MAX_PHRASE_VARIANTS + 1))
            if len(variants) > MAX_PHRASE_VARIANTS:
                variants = [tuple(alternatives[0] for alternatives in tokens)]
            phrases = [tantivy.Query.phrase_query(self.schema, name, list(words)) for words in variants]
            return self._any(phrases)
        unique = list(dict.fromkeys(tokens))
        needed = han_bigrams_needed(term, len(unique))
        if needed is not None:
            return tantivy.Query.boolean_query(
                [(tantivy.Occur.Should, self._term(name, alternatives)) for alternatives in unique], needed
            )
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, self._term(name, alternatives)) for alternatives in unique]
        )

    def _option(
        self, term: Term, fields: Sequence[TextField], compiled: Compiled, near: bool = True
    ) -> tantivy.Query | None:
        """A term in any of ``fields``: all its tokens in one field (adjacent for a phrase); the
        words of a multi-word non-phrase term each anywhere."""
        words = words_of(term)
        if words:
            each = [self._option(word, fields, compiled, near) for word in words]
            if any(query is None for query in each):
                return None
            return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in each if q is not None])
        per_field: list[tantivy.Query] = []
        for spec in fields:
            name = field_name(spec.name, spec.lang)
            tokens = analyse(term.text, spec.lang)
            if not tokens:
                continue
            compiled.highlight_terms.setdefault(name, set()).update(t for alternatives in tokens for t in alternatives)
            per_field.append(tantivy.Query.boost_query(self._in_field(term, name, tokens), spec.boost))
            if near and len(tokens) == 1 and fuzzy(term) and len(tokens[0][0]) >= FUZZY_MIN_LENGTH:
                per_field.append(tantivy.Query.boost_query(self._near(name, tokens[0][0]), spec.boost * FUZZY_BOOST))
        for facet, value in keyword_matches(term):
            per_field.append(tantivy.Query.term_query(self.schema, facet, value))
        if not per_field:
            return None
        return self._any(per_field)

    def _exact_forms(self, query: SearchQuery, fields: Sequence[TextField]) -> list[tantivy.Query]:
        """Ranking only: each word typed with accents, in the unfolded fields."""
        boosts: list[tantivy.Query] = []
        for clause in parsed(query).required:
            for term in (word for option in clause.options for word in words_of(option) or [option]):
                if not has_accents(term):
                    continue
                for spec in fields:
                    if spec.lang is None or not has_exact_form(spec.lang):
                        continue
                    tokens = tantivy_analyzer(exact_analyzer_name(spec.lang)).analyze(term.text)
                    if len(tokens) == 1:
                        exact = tantivy.Query.term_query(self.schema, exact_field_name(spec.name, spec.lang), tokens[0])
                        boosts.append(tantivy.Query.boost_query(exact, spec.boost * EXACT_FORM_BOOST))
        return boosts

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
        # Ranking only: records written in the reader's language first among equals, and words
        # typed with accents in their exact form.
        original = tantivy.Query.term_query(self.schema, "original_language", query.lang)
        ranking = [tantivy.Query.boost_query(original, ORIGINAL_LANGUAGE_BOOST), *self._exact_forms(query, fields)]
        compiled.query = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, found), *((tantivy.Occur.Should, q) for q in ranking)]
        )
        return compiled
