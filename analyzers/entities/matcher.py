"""The gazetteer's names found in text: a blank spaCy pipeline per language with PhraseMatchers.

Why spaCy with blank pipelines: tokenisation that knows each language (French elision
``d'Aichi``, Chinese by character) and a PhraseMatcher that matches thousands of names in one
pass over the tokens, with no model download. The word forms it matches on are those of
:mod:`.normalise`.

Proper nouns must be written as such (the match may not be all lower case: "turkey" is a bird,
"l'équateur" a line); acronyms match case-sensitively ("CITES", not "cites"); an adjective that
is also a language name is dropped next to a language cue ("in French and Spanish", "versión en
español"). Chinese is matched character by character, which finds ``巴西`` inside ``巴西政府``
but also ``中国`` inside ``发展中国家``: such compounds are blockers.
"""

from __future__ import annotations

import contextlib
import re
import sys
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, NamedTuple

from analyzers import gazetteer
from analyzers.entities.kinds import _PRIORITY, _Candidate
from analyzers.entities.normalise import _ar_orth, _ar_skip, _ar_split, _fold, _latin_norm, _ru_norm, _zh_norm
from analyzers.entities.zh_tokenizer import _ChineseCharTokenizer

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

TOKENIZER_CACHE = 100_000


# Words around an adjective that make it a language name ("in French", "versión en español"),
# reached across lists of language names ("in English, French and Spanish").
_LANGUAGE_WORDS = {
    "en": {"english", "arabic", "chinese", "french", "russian", "spanish"},
    "fr": {"anglais", "anglaise", "arabe", "chinois", "chinoise", "français", "française", "russe", "espagnol"},
    "es": {"inglés", "inglesa", "árabe", "chino", "china", "francés", "francesa", "ruso", "rusa", "español"},
    "ru": {"английском", "арабском", "китайском", "французском", "русском", "испанском"},
    "ar": {"الإنكليزية", "الإنجليزية", "العربية", "الصينية", "الفرنسية", "الروسية", "الإسبانية"},
    "zh": set(),
}
_LIST_WORDS = {",", "/", "and", "or", "et", "ou", "y", "o", "e", "u", "и", "или", "و", "أو", "、"}
_LANGUAGE_CUES: dict[str, tuple[set[str], set[str]]] = {
    "en": ({"in", "into", "from"}, {"version", "versions", "translation", "translations", "language", "text"}),
    "fr": ({"en", "version", "versions", "traduction", "langue", "texte"}, set()),
    "es": ({"en", "versión", "versiones", "traducción", "idioma", "lengua", "texto"}, set()),
    "ru": ({"на", "с"}, {"язык", "языке", "языка", "языком", "версия", "версии", "перевод"}),
    "ar": ({"باللغة", "اللغة", "بلغة", "لغة", "النسخة", "الترجمة"}, set()),
    "zh": (set(), set()),
}


class _MatchInfo(NamedTuple):
    type: str
    id: str
    cased: bool
    adjective: bool
    exact: bool


_FRENCH_EXCEPTIONS = "spacy.lang.fr.tokenizer_exceptions"
_IMPORT_LOCK = threading.Lock()


class LazyPattern:
    """A regular expression compiled on first use; ``pattern``, ``flags`` and ``match`` as re.Pattern's."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags
        self.compiled: re.Pattern[str] | None = None

    def _pattern(self) -> re.Pattern[str]:
        if self.compiled is None:
            self.compiled = re.compile(self.pattern, self.flags)
        return self.compiled

    def match(self, string: str, *args: int) -> re.Match[str] | None:
        return self._pattern().match(string, *args)

    def __getattr__(self, name: str) -> Any:  # search, fullmatch, ...: as the compiled pattern's
        return getattr(self._pattern(), name)


def import_french_without_its_token_regex() -> None:
    """Import ``spacy.lang.fr`` with its tokenizer's TOKEN_MATCH regex left uncompiled until used.

    That regex (1.4 MB of alternatives over Unicode letter classes, case-insensitive) takes Python
    4 s or more to compile, at import, in every process that tags French (each ``chm-search``
    command, each ingest worker); this module sets ``token_match`` to None, so it was compiled
    for nothing. It is compiled on first use if anything else uses it. Only calls made by that
    module itself are deferred: ``re.compile`` stays itself for every other caller.
    """
    with _IMPORT_LOCK:
        if _FRENCH_EXCEPTIONS in sys.modules:
            return
        compile_now = re.compile

        def compile_for(pattern: Any, flags: int = 0) -> Any:
            if sys._getframe(1).f_globals.get("__name__") == _FRENCH_EXCEPTIONS and isinstance(pattern, str):
                return LazyPattern(pattern, flags)
            return compile_now(pattern, flags)

        re.compile = compile_for
        try:
            import spacy.lang.fr  # noqa: F401  # type: ignore[import-untyped,unused-ignore]
        finally:
            re.compile = compile_now


def _blank_french() -> Language:
    """``spacy.blank("fr")`` made without its TOKEN_MATCH regex, neither compiled nor run.

    The tokenizer below sets ``token_match`` to None, and that setter makes the tokenizer load its
    special cases again under the new settings: the pipeline is the same as ``spacy.blank("fr")``
    then, without 4 s or more of regex compiling and matching in every process that tags French.
    """
    import_french_without_its_token_regex()
    from spacy.lang.fr import French  # type: ignore[import-untyped,unused-ignore]

    class WithoutTokenMatch(French.Defaults):  # type: ignore[misc,name-defined,valid-type,unused-ignore]
        token_match = None

    class FrenchWithoutTokenMatch(French):  # type: ignore[misc,valid-type,no-untyped-call,unused-ignore]
        lang = "fr"
        Defaults = WithoutTokenMatch

    return FrenchWithoutTokenMatch.from_config()  # type: ignore[no-any-return,unused-ignore]


class _Pipeline:
    """A tokenizer-only spaCy pipeline for one language with the gazetteer's PhraseMatchers."""

    def __init__(self, lang: str) -> None:
        import spacy  # here, not at module level: labels and term ids must not pay for loading spaCy
        from spacy.attrs import NORM  # type: ignore[import-not-found]  # Cython module without stubs
        from spacy.matcher import PhraseMatcher

        self.lang = lang
        # Held while a batch is processed: tokenising adds to the vocabulary and the tokenizer's
        # cache, which are not made for concurrent writers.
        self.lock = threading.RLock()
        nlp: Language = _blank_french() if lang == "fr" else spacy.blank(lang)
        if lang == "zh" and getattr(nlp.tokenizer, "segmenter", None) == "char":
            nlp.tokenizer = _ChineseCharTokenizer(nlp.vocab)
        tokenizer: Any = nlp.tokenizer  # spacy.tokenizer is a Cython module without stubs
        # Kept whole by these, URLs and listed hyphenated words would only be split elsewhere;
        # the gazetteer is tokenised the same way, and French tokenises 2.5 times faster without
        # its exception regex.
        tokenizer.token_match = None
        tokenizer.url_match = None
        # spaCy caches the tokens of 10,000 whitespace-separated chunks, then stops caching;
        # CBD text has more distinct chunks than that, and a cached chunk is ~5x cheaper.
        tokenizer.max_cache_size = TOKENIZER_CACHE
        self.nlp = nlp
        self.known: set[str] = set()
        self.normaliser = self._make_normaliser()
        nlp.vocab.lex_attr_getters[NORM] = self.normaliser  # type: ignore[attr-defined]  # not in vocab.pyi
        phrases = gazetteer.phrases(lang)
        docs = list(tokenizer.pipe(_fold(phrase.text) for phrase in phrases))
        if lang == "ar":
            self.known.update(_ar_orth(token.text) for doc in docs for token in doc)
        # Lexemes made before the normaliser was complete (pattern words, tokenizer exceptions)
        # get their NORM again.
        for lexeme in nlp.vocab:
            lexeme.norm_ = self.normaliser(lexeme.orth_)
        self.info: dict[int, _MatchInfo] = {}
        groups: dict[tuple[str, bool, bool, bool], list[Doc]] = {}
        for phrase, doc in zip(phrases, docs, strict=True):
            if len(doc):
                groups.setdefault((phrase.key, phrase.cased, phrase.adjective, phrase.exact), []).append(doc)
        self.norm_matcher = PhraseMatcher(nlp.vocab, attr="NORM")
        self.exact_matcher = PhraseMatcher(nlp.vocab, attr="ORTH")
        for (key, cased, adjective, exact), pattern_docs in groups.items():
            match_key = f"{key}|{int(cased)}{int(adjective)}{int(exact)}"
            kind, _, ident = key.partition(":")
            self.info[nlp.vocab.strings.add(match_key)] = _MatchInfo(kind, ident, cased, adjective, exact)
            (self.exact_matcher if exact else self.norm_matcher).add(match_key, pattern_docs)
        before, after = _LANGUAGE_CUES.get(lang, (set(), set()))
        self.cues_before = {self.normaliser(word) for word in before}
        self.cues_after = {self.normaliser(word) for word in after}
        self.passable = {self.normaliser(word) for word in _LIST_WORDS | _LANGUAGE_WORDS.get(lang, set())}

    def zone(self) -> AbstractContextManager[object]:
        """No memory zone: see :data:`MAX_LEXEMES` for how the vocabulary is kept bounded."""
        return contextlib.nullcontext()

    def _make_normaliser(self) -> Callable[[str], str]:
        if self.lang == "ru":
            return _ru_norm
        if self.lang == "zh":
            return _zh_norm
        if self.lang == "ar":
            known = self.known
            return lambda word: _ar_split(word, known)[1]
        return _latin_norm

    def candidates(self, doc: Doc, text: str, offset: int) -> list[_Candidate]:
        out: list[_Candidate] = []
        for matcher in (self.norm_matcher, self.exact_matcher):
            for match_id, first, last in matcher(doc):
                info = self.info[match_id]
                start = doc[first].idx
                end = doc[last - 1].idx + len(doc[last - 1])
                if info.cased and text[start:end].islower():
                    continue
                if info.adjective and self._language_context(doc, first, last):
                    continue
                if self.lang == "zh" and not _zh_boundaries(text, start, end):
                    continue
                if self.lang == "ar" and not info.exact:
                    letters = _ar_split(doc[first].text, self.known)[0]
                    if letters:
                        start += _ar_skip(doc[first].text, letters)
                out.append(_Candidate(start + offset, end + offset, info.type, info.id, _PRIORITY[info.type]))
        return out

    def _language_context(self, doc: Doc, first: int, last: int, reach: int = 8) -> bool:
        """Is this adjective a language name? A cue word before or after it, across a list."""
        for index, step, cues in ((first - 1, -1, self.cues_before), (last, 1, self.cues_after)):
            for _ in range(reach):
                if not 0 <= index < len(doc):
                    break
                norm = doc[index].norm_
                if norm in cues:
                    return True
                if norm not in self.passable:
                    break
                index += step
        return False


def _zh_boundaries(text: str, start: int, end: int) -> bool:
    """In Chinese (one token per character) a Latin acronym must not sit inside a Latin word."""

    def latin(char: str) -> bool:
        return char.isascii() and char.isalnum()

    if latin(text[start]) and start > 0 and latin(text[start - 1]):
        return False
    return not (latin(text[end - 1]) and end < len(text) and latin(text[end]))
