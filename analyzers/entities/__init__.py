"""Entity tagging: what a CBD record talks about, found in any of the six UN languages.

The package is laid out the way spaCy lays out its own: one finder per module, language data
kept with the finder that reads it, and here the tagger that runs them over a text and settles
their overlaps, so that a rule is looked for in one module and changed there. The kinds of
entity and their ids are in :mod:`.kinds`; the names found through the gazetteer in
:mod:`.matcher` (word forms in :mod:`.normalise`); numbers-with-context, which are patterns
rather than names, in :mod:`.references`, :mod:`.targets` and :mod:`.species`; organisations
from a statistical model in :mod:`.ner`; facet labels in :mod:`.labels`.

The pipelines are built once per process and language and shared by every tagger: they live
here, beside the limits that bound what a long ingest holds.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from analyzers.entities.anchors import _CASE_TRAPS as _CASE_TRAPS
from analyzers.entities.anchors import _find, _lower_haystack
from analyzers.entities.kinds import _PRIORITY, ENTITY_TYPES, Entity, _Candidate
from analyzers.entities.labels import entity_label
from analyzers.entities.matcher import _Pipeline
from analyzers.entities.ner import OFFICIAL_NER_MODELS as OFFICIAL_NER_MODELS
from analyzers.entities.ner import _NerModel, installed_ner_model
from analyzers.entities.normalise import _fold, _primary
from analyzers.entities.overlaps import _resolve
from analyzers.entities.references import (
    _DECISION_CUES,
    _PREFIXED_CUES,
    _SYMBOL_ANCHORS,
    _decisions,
)
from analyzers.entities.references import _DECISIONS as _DECISIONS
from analyzers.entities.references import _PREFIXED_DECISION as _PREFIXED_DECISION
from analyzers.entities.species import _species
from analyzers.entities.targets import _TARGET_CUES, _targets, entities_from_term_ids, keyword_entities
from analyzers.entities.targets import _TARGETS as _TARGETS
from analyzers.entities.zh_tokenizer import _ChineseCharTokenizer as _ChineseCharTokenizer
from analyzers.symbols import DOCUMENT_SYMBOL
from record_catalogue.languages import UN_LANGUAGES

__all__ = [
    "ENTITY_TYPES",
    "UN_LANGUAGES",
    "Entity",
    "EntityTagger",
    "entities_from_term_ids",
    "entity_label",
    "installed_ner_model",
    "keyword_entities",
]

# spaCy refuses texts over nlp.max_length (1,000,000) and a Doc costs ~100 bytes a token; texts
# are cut at a line or sentence end near this size, and the pieces tagged as one text.
CHUNK_CHARS = 100_000
BATCH_SIZE = 64
# The vocabulary and the tokenizer's cache grow with every new word, and are what make the
# tokenizer fast (several times faster on known words than with spaCy's memory zones, which
# forget them after each batch). A pipeline whose vocabulary passes this size is rebuilt (a
# fraction of a second), which bounds what a long ingest holds to about 60 MB per language
# (measured: ~580 bytes a lexeme with its strings and cache entry).
MAX_LEXEMES = 100_000


_PIPELINES: dict[str, _Pipeline] = {}
_MODELS: dict[str, _NerModel] = {}
_BUILD_LOCK = threading.Lock()


def _pipeline(lang: str) -> _Pipeline:
    pipeline = _PIPELINES.get(lang)
    if pipeline is None or len(pipeline.nlp.vocab) > MAX_LEXEMES:
        with _BUILD_LOCK:
            pipeline = _PIPELINES.get(lang)
            if pipeline is None or len(pipeline.nlp.vocab) > MAX_LEXEMES:
                pipeline = _Pipeline(lang)
                _PIPELINES[lang] = pipeline
    return pipeline


def _model(name: str) -> _NerModel:
    model = _MODELS.get(name)
    if model is None:
        with _BUILD_LOCK:
            model = _MODELS.get(name)
            if model is None:
                model = _NerModel(name)
                _MODELS[name] = model
    return model


def _chunks(text: str, size: int = CHUNK_CHARS) -> list[tuple[int, str]]:
    """``text`` cut into pieces of at most ``size`` characters, at a line, sentence or word end."""
    if len(text) <= size:
        return [(0, text)]
    out: list[tuple[int, str]] = []
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            floor = start + size // 2
            for separator in ("\n", "。", ". ", " "):
                cut = text.rfind(separator, floor, end)
                if cut != -1:
                    end = cut + len(separator)
                    break
        out.append((start, text[start:end]))
        start = end
    return out


def _regex_candidates(text: str, lang: str) -> list[_Candidate]:
    out: list[_Candidate] = []
    if "CBD/" in text:
        out += [
            _Candidate(m.start(), m.end(), "symbol", m.group(0).lower().replace("/", "-"), _PRIORITY["symbol"])
            for m in _find(DOCUMENT_SYMBOL, text, text, _SYMBOL_ANCHORS)
        ]
    lower = text.lower()
    decisions = any(cue in lower for cue in _DECISION_CUES.get(lang, ())) or any(cue in text for cue in _PREFIXED_CUES)
    targets = any(cue in lower for cue in _TARGET_CUES.get(lang, ()))
    if decisions or targets:
        haystack = _lower_haystack(text, lower)
        if decisions:
            out += _decisions(text, lang, haystack)
        if targets:
            out += _targets(text, lang, haystack)
    out += _species(text)
    return out


class EntityTagger:
    """Finds entities in texts written in any of ``languages``.

    Cheap to create: the spaCy pipelines are built on first use and shared by every tagger in the
    process (thread-safe). A text in a language outside ``languages`` still gets the
    language-neutral entities (document symbols, ``CP-9/2``-style decisions, species).

    ``ner_models`` maps a language to a spaCy package name or a saved pipeline directory whose
    ``ORG`` entities are added as organisations; by default the official package installed for
    each language, if any (:func:`installed_ner_model`); ``{}`` for none.
    """

    def __init__(
        self,
        languages: Sequence[str] = UN_LANGUAGES,
        *,
        ner_models: Mapping[str, str | Path] | None = None,
    ) -> None:
        self.languages = tuple(_primary(lang) for lang in languages)
        unknown = [lang for lang in self.languages if lang not in UN_LANGUAGES]
        if unknown:
            raise ValueError(f"no entity pipeline for {unknown}; known: {list(UN_LANGUAGES)}")
        self._ner_models: dict[str, str] | None = (
            None if ner_models is None else {_primary(k): str(v) for k, v in ner_models.items()}
        )

    def preload(self) -> None:
        """Build every pipeline now (a server may prefer the cost at start-up to the first request)."""
        for lang in self.languages:
            _pipeline(lang)
            name = self.ner_model(lang)
            if name:
                _model(name)

    def ner_model(self, lang: str) -> str | None:
        """The statistical model used for ``lang``, if any."""
        if self._ner_models is not None:
            return self._ner_models.get(lang)
        return installed_ner_model(lang)

    def tag(self, text: str, lang: str) -> list[Entity]:
        """The entities of one text, in order of appearance, with offsets into ``text``."""
        return self.tag_many([(text, lang)])[0]

    def tag_many(self, items: Sequence[tuple[str, str]]) -> list[list[Entity]]:
        """The entities of each ``(text, lang)`` pair; texts of one language go through nlp.pipe together."""
        results: list[list[Entity]] = [[] for _ in items]
        by_language: dict[str, list[int]] = {}
        for index, (text, lang) in enumerate(items):
            if text and not text.isspace():
                by_language.setdefault(_primary(lang), []).append(index)
        for lang, indexes in by_language.items():
            folded = [_fold(items[index][0]) for index in indexes]
            found = [_regex_candidates(text, lang) for text in folded]
            if lang in self.languages:
                pieces = [
                    (owner, offset, chunk) for owner, text in enumerate(folded) for offset, chunk in _chunks(text)
                ]
                self._run(_pipeline(lang), pieces, found)
                name = self.ner_model(lang)
                if name:
                    self._run(_model(name), pieces, found)
            for owner, index in enumerate(indexes):
                results[index] = _resolve(items[index][0], found[owner])
        return results

    @staticmethod
    def _run(
        pipeline: _Pipeline | _NerModel, pieces: list[tuple[int, int, str]], found: list[list[_Candidate]]
    ) -> None:
        nlp = pipeline.nlp
        with pipeline.lock, pipeline.zone():
            docs = nlp.pipe((chunk for _, _, chunk in pieces), batch_size=BATCH_SIZE)
            for (owner, offset, chunk), doc in zip(pieces, docs, strict=True):
                found[owner].extend(pipeline.candidates(doc, chunk, offset))
