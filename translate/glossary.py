"""The CBD glossary: official terms in the six languages, enforced on every machine translation.

Why placeholders: an NMT model translates "biological diversity" freely ("diversité de la
biologie", "biodiversité"…), while the Convention's texts use one fixed term per language.
Constrained decoding is not available through CTranslate2's translator for arbitrary phrases,
so each glossary term found in a source segment is replaced by a numeric placeholder (numbers
are what translation models copy most faithfully), the segment is translated, and the
placeholder is replaced by the glossary's term in the target language. If the model loses or
duplicates a placeholder, the caller is told (``restore`` returns None) and translates the
segment again without placeholders, checking that the target term came out.

The glossary is a CSV file (``translate/data/glossary.csv``: one column per language code plus
``note``), edited by hand; longer terms win over the shorter terms they contain ("Cartagena
Protocol on Biosafety" over "Cartagena Protocol"), and matching ignores case and accepts a space
or any hyphen where the term has a hyphen.
"""

from __future__ import annotations

import csv
import hashlib
import re
import shutil
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from record_catalogue.languages import UN_LANGUAGES
from record_catalogue.settings import get_settings

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "glossary.csv"
_HYPHENS = r"\-‐‑–"  # regex-escaped: used inside character classes
_SEPARATORS = " ,.\u00a0\u202f\u2009'"
_UNSPACED = {"zh"}


@dataclass(frozen=True)
class Protected:
    """A segment with glossary terms replaced by placeholders, and what each placeholder stands for."""

    text: str
    terms: tuple[tuple[str, str, str], ...] = ()  # (placeholder, source term as found, target term)

    @property
    def changed(self) -> bool:
        return bool(self.terms)


def _normalise(term: str) -> str:
    return re.sub(rf"[\s{_HYPHENS}]+", " ", term).casefold().strip()


def _term_pattern(term: str) -> str:
    parts = re.split(rf"([\s{_HYPHENS}]+)", term.strip())
    out = []
    for part in parts:
        if not part:
            continue
        out.append(rf"[\s{_HYPHENS}]+" if re.fullmatch(rf"[\s{_HYPHENS}]+", part) else re.escape(part))
    return "".join(out)


def glossary_path() -> Path:
    """The glossary in use: ``CHM_GLOSSARY_PATH`` when set, else ``glossary.csv`` in ``CHM_DATA_DIR``
    once one is there (an import made it), else the copy shipped with the project (read-only)."""
    settings = get_settings()
    if settings.glossary_path is not None:
        return settings.glossary_path
    local = settings.data_dir / "glossary.csv"
    return local if local.exists() else DEFAULT_PATH


def writable_glossary_path() -> Path:
    """The glossary CSV to change (``glossary import``): ``CHM_GLOSSARY_PATH``, else ``glossary.csv``
    in ``CHM_DATA_DIR``, first made as a copy of the shipped one. The installed package (read-only
    in an image, replaced by every upgrade) is never written."""
    settings = get_settings()
    if settings.glossary_path is not None:
        return settings.glossary_path
    local = settings.data_dir / "glossary.csv"
    if not local.exists():
        local.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(DEFAULT_PATH, local)  # copyfile: the umask's permissions, not the package's
    return local


@dataclass
class Glossary:
    """Terms per language; ``protect``/``restore`` apply them to one segment for one pair."""

    rows: list[dict[str, str]]
    source: str = "<memory>"
    _patterns: dict[tuple[str, str], tuple[re.Pattern[str], dict[str, str]] | None] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> Glossary:
        """Read the CSV glossary (the project's own when ``path`` is None)."""
        path = path or glossary_path()
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            unknown = [name for name in reader.fieldnames or [] if name not in UN_LANGUAGES and name != "note"]
            if unknown:
                raise ValueError(f"{path}: unknown column(s) {', '.join(unknown)}; use language codes and 'note'")
            rows = [
                {lang: (value or "").strip() for lang, value in row.items() if lang in UN_LANGUAGES and value}
                for row in reader
            ]
        return cls([row for row in rows if row], str(path))

    @cached_property
    def fingerprint(self) -> str:
        """A short hash of the terms (shown with the model in provenance)."""
        raw = "\n".join("|".join(f"{k}={row[k]}" for k in sorted(row)) for row in self.rows)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:12]

    def __len__(self) -> int:
        return len(self.rows)

    def _compiled(self, source: str, target: str) -> tuple[re.Pattern[str], dict[str, str]] | None:
        key = (source, target)
        if key not in self._patterns:
            targets: dict[str, str] = {}
            for row in self.rows:
                if row.get(source) and row.get(target):
                    targets.setdefault(_normalise(row[source]), row[target])
            if not targets:
                self._patterns[key] = None
            else:
                terms = sorted(
                    {row[source] for row in self.rows if _normalise(row.get(source, "")) in targets}, key=len
                )
                alternation = "|".join(_term_pattern(term) for term in reversed(terms))
                pattern = f"(?:{alternation})" if source in _UNSPACED else rf"(?<!\w)(?:{alternation})(?!\w)"
                self._patterns[key] = (re.compile(pattern, re.IGNORECASE), targets)
        return self._patterns[key]

    def terms_in(self, text: str, source: str, target: str) -> list[tuple[str, str]]:
        """``(term as found, target term)`` for every glossary term in ``text``."""
        compiled = self._compiled(source, target)
        if compiled is None:
            return []
        pattern, targets = compiled
        return [(m.group(0), targets[_normalise(m.group(0))]) for m in pattern.finditer(text)]

    def protect(self, text: str, source: str, target: str) -> Protected:
        """Replace each glossary term with a numeric placeholder absent from ``text``."""
        compiled = self._compiled(source, target)
        if compiled is None:
            return Protected(text)
        pattern, targets = compiled
        matches = list(pattern.finditer(text))
        if not matches:
            return Protected(text)
        base = 1001
        while any(str(base + i) in text for i in range(len(matches))):
            base += 1000
        terms: list[tuple[str, str, str]] = []
        out: list[str] = []
        position = 0
        for index, match in enumerate(matches):
            placeholder = str(base + index)
            out.append(text[position : match.start()])
            out.append(placeholder)
            terms.append((placeholder, match.group(0), targets[_normalise(match.group(0))]))
            position = match.end()
        out.append(text[position:])
        return Protected("".join(out), tuple(terms))

    @staticmethod
    def restore(output: str, protected: Protected) -> str | None:
        """Put the target terms in place of the placeholders; None if any is lost or doubled."""
        for placeholder, _found, term in protected.terms:
            digits = f"[{re.escape(_SEPARATORS)}]?".join(re.escape(d) for d in placeholder)
            pattern = re.compile(rf"(?<!\d){digits}(?!\d)")
            matches = list(pattern.finditer(output))
            if len(matches) != 1:
                return None
            match = matches[0]
            at_start = not output[: match.start()].strip(" \"'«“¿¡(")
            value = term[:1].upper() + term[1:] if at_start else term
            output = output[: match.start()] + value + output[match.end() :]
        return output

    def missing_terms(self, output: str, protected: Protected) -> list[str]:
        """Target terms that a translation made without placeholders failed to produce."""
        folded = _normalise(output)
        return [term for _p, _found, term in protected.terms if _normalise(term) not in folded]
