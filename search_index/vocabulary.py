"""The multilingual vocabulary: treaty terms, synonyms and acronyms that cross languages.

Why: a reader who types « diversité biologique » means the same as one who types "biological
diversity", "biodiversidad" or "生物多样性", and one who types ``MON810`` means ``MON-ØØ81Ø-6``; no
translation model is needed for words the Convention already fixes in six languages. A
:class:`Vocabulary` holds :class:`Concept` s (one meaning, its terms in several languages) and
:meth:`Vocabulary.expand` rewrites a parsed query (:mod:`search_index.query_text`) so that each
run of typed words naming a concept becomes one clause: the typed words OR every other term of
the concept, each with its language (the engines match a term with a language only in that
language's fields, and a ``und`` term everywhere).

Where concepts come from:

- ``search_index/data/vocabulary.csv`` (this module's data file, below): synonyms, acronyms and
  identifiers readers of the three clearing-houses use, kept by curators;
- :func:`glossary_concepts`: the project's glossary (``translate/data/glossary.csv``, one column
  per language), a concept per row;
- :func:`catalogue_concepts`: the clearing-houses' own six-language vocabularies: record types
  (schema titles and realm names), countries (labels and UN names, the ISO code as ``und``),
  Aichi and GBF targets, treaty names.

The data file, format 1
-----------------------
UTF-8 CSV. The first line is a comment naming the format version::

    # chm-search vocabulary, format 1 (…)
    id,kind,lang,term
    lmo,synonyms,en,LMO
    lmo,synonyms,en,living modified organism
    lmo,synonyms,fr,organisme vivant modifié
    mon-00810-6,identifier,und,MON-ØØ81Ø-6
    mon-00810-6,identifier,und,MON810

then the header ``id,kind,lang,term`` (an optional fifth column ``note`` is free text for
curators), then one row per term:

- ``id``: the concept, lower case ``[a-z0-9][a-z0-9._:-]*``; the rows of one concept may be
  anywhere in the file, and a concept needs at least two terms;
- ``kind``: what the concept is (``synonyms``, ``treaty``, ``body``, ``identifier``…, lower-case
  letters and ``-``), the same on every row of a concept; it becomes :attr:`Concept.source` and is
  shown in the search response's interpretation;
- ``lang``: ``ar en es fr ru zh``, or ``und`` for a term written the same in every language
  (acronyms used everywhere, identifiers, trade names);
- ``term``: the term as written (quote it if it holds a comma). Multi-word terms are searched as
  phrases. Spelling variants are useful (``MON810`` beside ``MON-ØØ81Ø-6``) because the engines
  see the terms as written; the same term twice in one concept and language is an error.

Blank lines and lines starting with ``#`` are skipped. Errors name the file and line.

How terms match what is typed
-----------------------------
Typed words and terms are compared folded (:func:`analyzers.folding.fold`: case, accents,
Arabic article and letter forms, ё, identifier punctuation). One exception keeps ordinary words
from turning into acronyms: a term of at most three letters written all in capitals (``LMO``,
``ABS``, ``MAT``, ``PIC``, ``КС``, an ISO code such as ``BR``) matches only when typed in capitals
(``mat`` and ``pic`` are words; ``de``, ``in`` and ``es`` would be countries). Russian words are
also compared by their stems when typed words match no term as written, so that a term's case
forms find it (« России », « Российской Федерации » name ``country:ru``, whose terms are
nominative); only words of five letters or more are stemmed so (« Мали » stays apart from
« мало »).

Several typed words that name a concept together (« espèces exotiques envahissantes ») are kept
as words, not as a phrase: each must still occur somewhere in the record, as if typed alone;
the concept's other terms are OR-ed in beside them.
"""

from __future__ import annotations

import csv
import io
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from analyzers.folding import fold_tokens, fold_word, is_han, normalise
from record_catalogue.errors import ConfigurationError
from record_catalogue.languages import UN_LANGUAGES, UNDETERMINED
from search_index.query_text import Clause, ParsedText, Term

FORMAT_VERSION = 1
DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "vocabulary.csv"
LANGUAGES: tuple[str, ...] = (*UN_LANGUAGES, UNDETERMINED)
COLUMNS = ("id", "kind", "lang", "term")

_VERSION_LINE = re.compile(r"^#.*\bformat\s+(\d+)\b", re.IGNORECASE)
_ID = re.compile(r"^[a-z0-9][a-z0-9._:-]*$")
_KIND = re.compile(r"^[a-z][a-z-]*$")
_ACRONYM_MAX = 3
_CASED = "\x00"  # prefix of the keys of case-sensitive acronyms
_STEMMED = "\x01"  # prefix of the keys of Russian terms by their stems
_STEM_MIN_LETTERS = 5


class VocabularyError(ConfigurationError, ValueError):
    """The vocabulary file is not valid; the message names the file and line."""


@dataclass(frozen=True)
class Concept:
    """One meaning and its terms in several languages."""

    id: str
    source: str  # "synonyms" | "glossary" | "schema" | "realm" | "country" | "target" | "treaty" | a data-file kind
    terms: tuple[tuple[str, str], ...]  # (lang or "und", term)


@dataclass(frozen=True)
class Expansion:
    """One concept a query named, and the terms OR-ed in for it."""

    typed: str  # the words of the query that matched
    concept: str  # Concept.id
    source: str
    added: tuple[Term, ...]  # the equivalent terms now OR-ed in (each with its lang)


# ---------------------------------------------------------------------------------------------
# Matching keys


def _acronym(text: str) -> str | None:
    """``text`` as a case-sensitive acronym (≤ 3 capital letters, ``(LMO)`` too), else None."""
    if len(text) > _ACRONYM_MAX + 4:
        return None
    letters = "".join(ch for ch in normalise(text) if ch.isalnum())
    if 0 < len(letters) <= _ACRONYM_MAX and letters.isalpha() and letters.isupper():
        return letters
    return None


def _join(tokens: list[str]) -> str:
    return " ".join(tokens)


@lru_cache(maxsize=16384)
def term_key(text: str) -> str:
    """The key a vocabulary term is found under ("" when it folds to nothing)."""
    acronym = _acronym(text)
    if acronym is not None:
        return _CASED + acronym
    return _join(list(fold_tokens(text)))


def _is_cyrillic(token: str) -> bool:
    return any("\u0400" <= char <= "\u04ff" for char in token)


def _stem_key(tokens: list[str] | tuple[str, ...]) -> str | None:
    """The key of folded tokens by their Russian stems, or None when none is Russian or a Russian
    one is shorter than ``_STEM_MIN_LETTERS`` (short words' stems meet too many other words)."""
    if not any(_is_cyrillic(token) for token in tokens):
        return None
    if any(_is_cyrillic(token) and len(token) < _STEM_MIN_LETTERS for token in tokens):
        return None
    return _STEMMED + _join([_russian_stem(token) if _is_cyrillic(token) else token for token in tokens])


@lru_cache(maxsize=16384)
def _russian_stem(token: str) -> str:
    from analyzers.analysis import analyzer_name, tantivy_analyzer

    stems = tantivy_analyzer(analyzer_name("ru")).analyze(token)
    return stems[0] if len(stems) == 1 else token


def _append(tokens: list[str], more: tuple[str, ...]) -> list[str]:
    """``tokens + more`` with Chinese tokens joined across the boundary (as ``fold`` joins them)."""
    if tokens and more and is_han(tokens[-1][-1]) and is_han(more[0][0]):
        return [*tokens[:-1], tokens[-1] + more[0], *more[1:]]
    return [*tokens, *more]


def _is_word(clause: Clause) -> bool:
    return len(clause.options) == 1 and not clause.options[0].phrase


def _is_phrase(clause: Clause) -> bool:
    return len(clause.options) == 1 and clause.options[0].phrase


def _word_tokens(text: str) -> tuple[str, ...]:
    tokens: list[str] = []
    for word in normalise(text).split():
        tokens = _append(tokens, fold_word(word))
    return tuple(tokens)


class Vocabulary:
    """Concepts, and the matcher that finds them in a parsed query."""

    def __init__(self, concepts: Iterable[Concept]) -> None:
        self.concepts: tuple[Concept, ...] = tuple(concepts)
        self._index: dict[str, list[int]] = {}
        self._prefixes: set[str] = set()
        self._entries: dict[int, tuple[tuple[Term, str], ...]] = {}  # built when first matched
        for number, concept in enumerate(self.concepts):
            for _lang, text in concept.terms:
                key = term_key(text)
                if not key:
                    continue
                hits = self._index.setdefault(key, [])
                if not hits or hits[-1] != number:
                    hits.append(number)
                if key.startswith(_CASED):
                    continue
                tokens = key.split(" ")
                stem_key = _stem_key(tokens)
                if stem_key is not None:
                    stemmed = self._index.setdefault(stem_key, [])
                    if not stemmed or stemmed[-1] != number:
                        stemmed.append(number)
                for end in range(1, len(tokens)):
                    self._prefixes.add(_join(tokens[:end]))
                    prefix_stem = _stem_key(tokens[:end])
                    if prefix_stem is not None:
                        self._prefixes.add(prefix_stem)

    def _terms(self, number: int) -> tuple[tuple[Term, str], ...]:
        """A concept's terms as query terms, each with its case-folded text."""
        entries = self._entries.get(number)
        if entries is None:
            entries = tuple(
                (Term(text, phrase=len(text.split()) > 1, lang=lang), _casefold(text))
                for lang, text in ((lang, " ".join(text.split())) for lang, text in self.concepts[number].terms)
                if term_key(text)
            )
            self._entries[number] = entries
        return entries

    def __len__(self) -> int:
        return len(self.concepts)

    @classmethod
    def load(cls, extra: Iterable[Concept] = (), path: Path | None = None) -> Vocabulary:
        """The data file's concepts (``path``, or the project's own) followed by ``extra``.

        Built once per distinct content and kept (a process asks for the same vocabulary on
        every search); the file is read again only when it changes.
        """
        concepts = (*read_vocabulary(path or DEFAULT_PATH), *extra)
        return _built(concepts)

    def concepts_for(self, text: str) -> list[Concept]:
        """The concepts one of whose terms ``text`` is (folded), in vocabulary order."""
        return [self.concepts[number] for number in self._lookup(text, _word_tokens(text), exact_case=True)]

    def _lookup(self, text: str, tokens: tuple[str, ...] | list[str], exact_case: bool) -> list[int]:
        hits = list(self._index.get(_join(list(tokens)), ()))
        if not hits:
            stem_key = _stem_key(tokens)
            if stem_key is not None:
                hits = list(self._index.get(stem_key, ()))
        if exact_case:
            acronym = _acronym(text)
            if acronym is not None:
                hits += [n for n in self._index.get(_CASED + acronym, ()) if n not in hits]
        return hits

    def expand(self, parsed: ParsedText) -> tuple[ParsedText, list[Expansion]]:
        """``parsed`` with every run of typed words naming a concept OR-ed with its other terms.

        Runs are of consecutive single-word clauses, longest match first (a quoted phrase matches
        only as a whole); clauses with ``OR`` and excluded terms are left as typed.
        """
        clauses = parsed.required
        out: list[Clause] = []
        expansions: list[Expansion] = []
        index = 0
        while index < len(clauses):
            clause = clauses[index]
            match: tuple[int, list[int]] | None = None
            if _is_phrase(clause):
                text = clause.options[0].text
                hits = self._lookup(text, _word_tokens(text), exact_case=True)
                if hits:
                    match = (index, hits)
            elif _is_word(clause):
                match = self._longest_run(clauses, index)
            if match is None:
                out.append(clause)
                index += 1
                continue
            last, hits = match
            out.append(self._expanded(clauses[index : last + 1], hits, expansions))
            index = last + 1
        return ParsedText(tuple(out), parsed.excluded, parsed.ignored), expansions

    def _longest_run(self, clauses: tuple[Clause, ...], start: int) -> tuple[int, list[int]] | None:
        best: tuple[int, list[int]] | None = None
        tokens: list[str] = []
        for position in range(start, len(clauses)):
            clause = clauses[position]
            if not _is_word(clause):
                break
            more = _word_tokens(clause.options[0].text)
            if not more:
                break
            tokens = _append(tokens, more)
            hits = self._lookup(clause.options[0].text, tokens, exact_case=position == start)
            if hits:
                best = (position, hits)
            stem_key = _stem_key(tokens)
            if (
                _join(tokens) not in self._prefixes
                and (stem_key is None or stem_key not in self._prefixes)
                and not is_han(tokens[-1][-1])
            ):
                break
        return best

    def _expanded(self, run: tuple[Clause, ...], hits: list[int], expansions: list[Expansion]) -> Clause:
        # Several typed words stay words (each anywhere in the record), not a phrase.
        typed_term = run[0].options[0] if len(run) == 1 else Term(" ".join(c.options[0].text for c in run))
        typed = typed_term.text
        typed_folded = _casefold(typed)
        options: dict[Term, None] = {typed_term: None}
        seen: set[tuple[Term, ...]] = set()
        for number in hits:
            concept = self.concepts[number]
            added = tuple(term for term, folded in self._terms(number) if folded != typed_folded)
            options.update(dict.fromkeys(added))
            if added and added not in seen:
                seen.add(added)
                expansions.append(Expansion(typed, concept.id, concept.source, added))
        return Clause(tuple(options), " ".join(clause.typed for clause in run))


def _casefold(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split())).casefold()


_BUILD_LOCK = threading.Lock()


@lru_cache(maxsize=4)
def _built_cached(concepts: tuple[Concept, ...]) -> Vocabulary:
    return Vocabulary(concepts)


def _built(concepts: tuple[Concept, ...]) -> Vocabulary:
    with _BUILD_LOCK:  # two threads asking at once build it once
        return _built_cached(concepts)


# ---------------------------------------------------------------------------------------------
# The data file


def read_vocabulary(path: Path) -> tuple[Concept, ...]:
    """The concepts of a vocabulary file (format 1), validated; cached while the file is unchanged."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise VocabularyError(f"{path}: cannot read the vocabulary ({exc.strerror or exc})") from exc
    return _read_cached(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _read_cached(path: str, _mtime: int, _size: int) -> tuple[Concept, ...]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise VocabularyError(f"{path}: cannot read the vocabulary as UTF-8 text ({exc})") from exc
    return parse_vocabulary(text, path)


def parse_vocabulary(text: str, name: str = "<vocabulary>") -> tuple[Concept, ...]:
    """The concepts of a vocabulary file's text (see the module docstring for the format)."""
    text = text.removeprefix("\ufeff")
    first, _, rest = text.partition("\n")
    version = _VERSION_LINE.match(first.strip())
    if version is None:
        raise VocabularyError(
            f"{name}:1: the first line must name the format, e.g. '# chm-search vocabulary, format {FORMAT_VERSION}'"
        )
    if int(version.group(1)) != FORMAT_VERSION:
        raise VocabularyError(
            f"{name}:1: format {version.group(1)} is not supported (this version reads format {FORMAT_VERSION})"
        )
    reader = csv.reader(io.StringIO(rest))
    header: list[str] | None = None
    kinds: dict[str, tuple[str, int]] = {}
    first_line: dict[str, int] = {}
    terms: dict[str, list[tuple[str, str]]] = {}
    seen: dict[tuple[str, str, str], int] = {}
    try:
        for row in reader:
            line = reader.line_num + 1
            if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
                continue
            cells = [cell.strip() for cell in row]
            if header is None:
                if cells[:4] != list(COLUMNS) or cells[4:] not in ([], ["note"]):
                    raise VocabularyError(
                        f"{name}:{line}: the header must be '{','.join(COLUMNS)}' (optionally ',note'), "
                        f"not {','.join(cells)!r}"
                    )
                header = cells
                continue
            if len(cells) not in (4, len(header)):
                raise VocabularyError(
                    f"{name}:{line}: {len(cells)} fields, expected {len(header)} ({','.join(header)}); "
                    "quote a term that holds a comma"
                )
            ident, kind, lang, term = cells[:4]
            _check_row(name, line, ident, kind, lang, term)
            known_kind = kinds.setdefault(ident, (kind, line))
            if known_kind[0] != kind:
                raise VocabularyError(
                    f"{name}:{line}: concept {ident!r} has kind {kind!r} here but {known_kind[0]!r} "
                    f"on line {known_kind[1]}"
                )
            key = (ident, lang, _casefold(term))
            if key in seen:
                raise VocabularyError(f"{name}:{line}: {term!r} ({lang}) is already in {ident!r} on line {seen[key]}")
            seen[key] = line
            first_line.setdefault(ident, line)
            terms.setdefault(ident, []).append((lang, " ".join(term.split())))
    except csv.Error as exc:
        raise VocabularyError(f"{name}:{reader.line_num + 1}: not valid CSV ({exc})") from exc
    if header is None:
        raise VocabularyError(f"{name}: no header line ('{','.join(COLUMNS)}')")
    for ident, found in terms.items():
        if len(found) < 2:
            raise VocabularyError(
                f"{name}:{first_line[ident]}: concept {ident!r} has one term; a concept needs two or more"
            )
    return tuple(Concept(ident, kinds[ident][0], tuple(found)) for ident, found in terms.items())


def _check_row(name: str, line: int, ident: str, kind: str, lang: str, term: str) -> None:
    if not _ID.match(ident):
        raise VocabularyError(f"{name}:{line}: id {ident!r} must be lower case letters, digits and . _ : -")
    if not _KIND.match(kind):
        raise VocabularyError(f"{name}:{line}: kind {kind!r} must be lower-case letters (e.g. synonyms)")
    if lang not in LANGUAGES:
        raise VocabularyError(f"{name}:{line}: language {lang!r} is not one of {' '.join(LANGUAGES)}")
    if not term:
        raise VocabularyError(f"{name}:{line}: the term is empty")
    if not term_key(term):
        raise VocabularyError(f"{name}:{line}: the term {term!r} has no letter or digit")


# ---------------------------------------------------------------------------------------------
# Concepts from the project's other vocabularies


def _slug(text: str) -> str:
    return "-".join(fold_tokens(text)) or "term"


def _concept(ident: str, source: str, terms: Iterable[tuple[str, str]]) -> Concept | None:
    """A concept of the distinct non-empty terms, or None when fewer than two remain."""
    unique: dict[tuple[str, str], None] = {}
    folded: set[tuple[str, str]] = set()
    for lang, text in terms:
        text = " ".join((text or "").split())
        key = (lang, _casefold(text))
        if key not in folded and any(ch.isalnum() for ch in text):
            folded.add(key)
            unique[(lang, text)] = None
    if len({text for _lang, text in unique}) < 2:
        return None
    return Concept(ident, source, tuple(unique))


def glossary_concepts(rows: Iterable[Mapping[str, str]]) -> list[Concept]:
    """A concept per glossary row (rows as ``translate/data/glossary.csv`` gives them: one column
    per language code, plus ``note``); ids ``glossary:<English term folded>``."""
    out: list[Concept] = []
    used: set[str] = set()
    for number, row in enumerate(rows, start=1):
        english = (row.get("en") or "").strip()
        ident = f"glossary:{_slug(english)}" if english else f"glossary:row-{number}"
        while ident in used:
            ident += "+"
        concept = _concept(ident, "glossary", ((lang, row.get(lang) or "") for lang in UN_LANGUAGES))
        if concept is not None:
            used.add(ident)
            out.append(concept)
    return out


def catalogue_concepts() -> list[Concept]:
    """The clearing-houses' six-language vocabularies as concepts: record types (schema titles,
    ``schema:<realm>:<name>``) and realm names (``realm:<realm>``), countries (``country:<iso>``:
    label, CLDR and UN names per language, the ISO code as ``und``), Aichi and GBF targets
    (``target:aichi-11``), treaties (``treaty:cbd``: names and acronyms). Built once per process."""
    return list(_catalogue_concepts())


@cache
def _catalogue_concepts() -> tuple[Concept, ...]:
    return (*_schema_concepts(), *_country_concepts(), *_target_concepts(), *_treaty_concepts())


def _schema_concepts() -> list[Concept]:
    from record_catalogue.realms import REALM_NAMES, realm_catalog

    out: list[Concept] = []
    for realm, names in REALM_NAMES.items():
        concept = _concept(f"realm:{realm}", "realm", ((lang, names.get(lang, "")) for lang in UN_LANGUAGES))
        if concept is not None:
            out.append(concept)
    seen: set[frozenset[tuple[str, str]]] = set()
    for realm, schemas in realm_catalog().schemas.items():
        for name, info in schemas.items():
            concept = _concept(
                f"schema:{realm}:{name}", "schema", ((lang, info.titles.get(lang, "")) for lang in UN_LANGUAGES)
            )
            if concept is None or len({lang for lang, _text in concept.terms}) < 2:
                continue
            signature = frozenset((lang, _casefold(text)) for lang, text in concept.terms)
            if signature not in seen:  # the same type in two realms ("Contact"): one concept
                seen.add(signature)
                out.append(concept)
    return out


def _country_concepts() -> list[Concept]:
    import babel
    import pycountry

    from analyzers import gazetteer

    table = gazetteer.load_data("countries")
    territories = {lang: babel.Locale.parse(lang).territories for lang in UN_LANGUAGES}
    # Names that are ordinary words in their language (Arabic « مالي », "financial"; Russian « Того »).
    blocked = {
        lang: {_casefold(name) for name in names} for lang, names in gazetteer.load_data("blockers")["exclude"].items()
    }
    out: list[Concept] = []
    for country in pycountry.countries:
        code = str(country.alpha_2)
        terms: list[tuple[str, str]] = []
        for lang in UN_LANGUAGES:
            label = gazetteer.country_label(code.lower(), lang)
            if label:
                terms.append((lang, label))
            cldr = territories[lang].get(code)
            if cldr:
                terms.append((lang, cldr))
            terms.extend((lang, name) for name in table.get(code.lower(), {}).get(lang, []))
        terms = [(lang, text) for lang, text in terms if _casefold(text) not in blocked.get(lang, ())]
        terms.append((UNDETERMINED, code))
        concept = _concept(f"country:{code.lower()}", "country", terms)
        if concept is not None:
            out.append(concept)
    return out


def _target_concepts() -> list[Concept]:
    from analyzers.entities.kinds import AICHI_TARGETS, GBF_TARGETS
    from analyzers.entities.labels import entity_label

    out: list[Concept] = []
    for series, numbers, extra in (
        ("aichi", AICHI_TARGETS, "Aichi Target {n}"),
        ("gbf", GBF_TARGETS, "Global Biodiversity Framework Target {n}"),
    ):
        for number in numbers:
            key = f"target:{series}-{number}"
            terms = [(lang, entity_label(key, lang)) for lang in UN_LANGUAGES]
            terms.append(("en", extra.format(n=number)))
            concept = _concept(key, "target", terms)
            if concept is not None:
                out.append(concept)
    return out


def _treaty_concepts() -> list[Concept]:
    from analyzers import gazetteer

    out: list[Concept] = []
    for ident, entry in gazetteer.load_data("treaties").items():
        terms: list[tuple[str, str]] = []
        for lang in UN_LANGUAGES:
            label = entry.get("label", {}).get(lang)
            if label:
                terms.append((lang, label))
            terms.extend((lang, name) for name in entry.get("names", {}).get(lang, []))
            acronyms = entry.get("acronyms", {})
            if isinstance(acronyms, dict):
                terms.extend((lang, acronym) for acronym in acronyms.get(lang, []))
        if isinstance(entry.get("acronyms"), list):
            terms.extend((UNDETERMINED, acronym) for acronym in entry["acronyms"])
        concept = _concept(f"treaty:{ident}", "treaty", terms)
        if concept is not None:
            out.append(concept)
    return out
