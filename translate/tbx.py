"""The CBD glossary as TBX or CSV, so terminology tools can read it and feed it.

TBX is written TBX-Basic style (``<martif type="TBX">``, one ``<termEntry>`` per concept with a
``<langSet xml:lang>`` per language holding ``<tig><term>``, the CSV's note as ``<note>``) and
read in that dialect or TBX v3 (``<tbx>`` with ``conceptEntry``/``langSec``/``termSec``),
namespaced or not. CSV is the project's own format (``translate/data/glossary.csv``: one column
per language code, plus ``note``).

Import merges into a glossary CSV: a concept is matched to an existing one by its head term,
the English one when it has one, else its first language in UN order (case, spacing and hyphens
ignored); not by any shared term, because distinct concepts share terms in some languages (one
Chinese term for "Aichi Biodiversity Target" and "Targets"). New concepts are added, missing
languages filled in; a different term for a language already there is a conflict, kept as it
is unless ``replace``. Concepts with fewer than two languages (useless for translation), unknown
languages, empty terms and heads matching several existing concepts are refused with the reason.
The file is replaced atomically, and only after the result loads as a glossary.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from record_catalogue.errors import BadInput
from record_catalogue.languages import UN_LANGUAGES
from translate.glossary import Glossary

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DEFAULT_COLUMNS = ("en", "fr", "es", "ru", "zh", "ar", "note")
FORMATS = (".tbx", ".csv")
HEAD_ORDER = ("en", *(language for language in UN_LANGUAGES if language != "en"))


class TermbaseError(BadInput, ValueError):
    """A file that cannot be read as a glossary at all (nothing was imported)."""


@dataclass
class Entry:
    """One concept: its term in each language it has, and a note (source, decision)."""

    terms: dict[str, str]
    note: str = ""
    position: str = ""


@dataclass
class MergeReport:
    added: int = 0
    extended: int = 0
    replaced: int = 0
    unchanged: int = 0
    conflicts: list[tuple[str, str]] = field(default_factory=list)
    bad: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.added} concepts added, {self.extended} completed with new languages, {self.replaced} terms "
            f"replaced, {self.unchanged} unchanged; {len(self.conflicts)} conflicts kept, {len(self.bad)} refused"
        )


def _key(term: str) -> str:
    return re.sub(r"[\s\-‐‑–]+", " ", term).casefold().strip()


def _local(tag: str) -> str:
    """An element's name without its namespace (TBX v3 is namespaced)."""
    return tag.rsplit("}", 1)[-1]


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise TermbaseError(f"{path.name}: use a .tbx or .csv file")
    return suffix


# -- reading ---------------------------------------------------------------------------------
def read_csv(path: Path) -> tuple[list[Entry], list[str]]:
    """Concepts of a glossary CSV and its column order."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            columns = list(reader.fieldnames or [])
            unknown = [name for name in columns if name not in UN_LANGUAGES and name != "note"]
            if unknown:
                raise TermbaseError(
                    f"{path.name}: unknown column(s) {', '.join(unknown)}; use language codes and 'note'"
                )
            entries = [
                Entry(
                    {
                        lang: value.strip()
                        for lang, value in row.items()
                        if lang in UN_LANGUAGES and value and value.strip()
                    },
                    (row.get("note") or "").strip(),
                    f"line {reader.line_num}",
                )
                for row in reader
            ]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise TermbaseError(f"cannot read {path}: {exc}") from None
    return entries, columns


def read_tbx(path: Path) -> tuple[list[Entry], list[tuple[str, str]]]:
    """Concepts of a TBX file, and the parts refused as (position, reason)."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise TermbaseError(f"{path.name} is not well-formed XML: {exc}") from None
    except OSError as exc:
        raise TermbaseError(f"cannot read {path}: {exc.strerror}") from None
    if _local(root.tag) not in ("martif", "tbx"):
        raise TermbaseError(f"{path.name} is not TBX: its root element is <{_local(root.tag)}>")
    entries: list[Entry] = []
    bad: list[tuple[str, str]] = []
    concepts = [e for e in root.iter() if _local(e.tag) in ("termEntry", "conceptEntry")]
    for number, concept in enumerate(concepts, start=1):
        position = f"entry {number}" + (f" (id {concept.get('id')})" if concept.get("id") else "")
        entry = Entry({}, position=position)
        notes = [
            " ".join((child.text or "").split())
            for child in concept
            if _local(child.tag) in ("note", "descrip") and (child.text or "").strip()
        ]
        entry.note = "; ".join(notes)
        for group in concept:
            if _local(group.tag) not in ("langSet", "langSec"):
                continue
            raw = group.get(XML_LANG) or group.get("lang") or ""
            language = raw.strip().replace("_", "-").split("-")[0].lower()
            if language not in UN_LANGUAGES:
                bad.append((position, f"language {raw!r} is not one of {', '.join(UN_LANGUAGES)}; skipped"))
                continue
            terms = [" ".join("".join(t.itertext()).split()) for t in group.iter() if _local(t.tag) == "term"]
            terms = [t for t in terms if t]
            if not terms:
                bad.append((position, f"no term for {language}"))
                continue
            if language in entry.terms or len(terms) > 1:
                bad.append((position, f"several terms for {language}: the first, {terms[0]!r}, is kept"))
            entry.terms.setdefault(language, terms[0])
        entries.append(entry)
    return entries, bad


def read_entries(path: Path) -> tuple[list[Entry], list[tuple[str, str]]]:
    """Concepts of a .tbx or .csv file, and the parts refused."""
    if _format(path) == ".csv":
        entries, _columns = read_csv(path)
        return entries, []
    return read_tbx(path)


# -- writing ---------------------------------------------------------------------------------
def write_tbx(entries: list[Entry], path: Path) -> None:
    root = ET.Element("martif", {"type": "TBX", XML_LANG: "en"})
    header = ET.SubElement(root, "martifHeader")
    description = ET.SubElement(ET.SubElement(header, "fileDesc"), "sourceDesc")
    ET.SubElement(description, "p").text = "CBD glossary exported by chm-search"
    body = ET.SubElement(ET.SubElement(root, "text"), "body")
    for number, entry in enumerate(entries, start=1):
        concept = ET.SubElement(body, "termEntry", id=f"c{number}")
        if entry.note:
            ET.SubElement(concept, "note").text = entry.note
        for language in UN_LANGUAGES:
            term = entry.terms.get(language)
            if term:
                group = ET.SubElement(concept, "langSet", {XML_LANG: language})
                ET.SubElement(ET.SubElement(group, "tig"), "term").text = term
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="UTF-8", xml_declaration=True)


def file_mode(path: Path) -> int:
    """The permissions a file written at ``path`` should have: those of the file it replaces, else
    what the umask gives a new file (``mkstemp`` would leave 0600, unreadable to the API's user)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_csv(entries: list[Entry], path: Path, columns: list[str] | tuple[str, ...] = DEFAULT_COLUMNS) -> None:
    """Write a glossary CSV atomically (a temporary file renamed over the old one), with normal permissions."""
    mode = file_mode(path)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n")
            writer.writeheader()
            for entry in entries:
                writer.writerow({**{k: v for k, v in entry.terms.items() if k in columns}, "note": entry.note})
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def export_glossary(source: Path, path: Path) -> int:
    """Write the glossary CSV ``source`` as ``path`` (.tbx or .csv); count the concepts."""
    entries, columns = read_csv(source)
    if _format(path) == ".csv":
        write_csv(entries, path, columns if "note" in columns else [*columns, "note"])
    else:
        write_tbx(entries, path)
    return len(entries)


# -- importing -------------------------------------------------------------------------------
def merge(existing: list[Entry], incoming: list[Entry], replace: bool = False) -> MergeReport:
    """Merge ``incoming`` concepts into ``existing`` (in place), as the module says."""
    report = MergeReport()
    index: dict[tuple[str, str], list[int]] = {}

    def remember(n: int, entry: Entry) -> None:
        for language, term in entry.terms.items():
            positions = index.setdefault((language, _key(term)), [])
            if n not in positions:
                positions.append(n)

    for n, entry in enumerate(existing):
        remember(n, entry)
    for entry in incoming:
        if len(entry.terms) < 2:
            report.bad.append((entry.position, "fewer than two languages: nothing to translate with"))
            continue
        head = next(language for language in HEAD_ORDER if language in entry.terms)
        matches = index.get((head, _key(entry.terms[head])), [])
        if len(matches) > 1:
            report.bad.append(
                (entry.position, f"{entry.terms[head]!r} names {len(matches)} existing concepts: merge them by hand")
            )
            continue
        if not matches:
            existing.append(Entry(dict(entry.terms), entry.note))
            remember(len(existing) - 1, existing[-1])
            report.added += 1
            continue
        target = existing[matches[0]]
        changed = False
        for language, term in entry.terms.items():
            current = target.terms.get(language)
            if current is None:
                target.terms[language] = term
                remember(matches[0], target)
                report.extended += 1
                changed = True
            elif _key(current) != _key(term):
                if replace:
                    target.terms[language] = term
                    report.replaced += 1
                    changed = True
                else:
                    report.conflicts.append(
                        (entry.position, f"{language}: kept {current!r}, the file has {term!r} (--replace to take it)")
                    )
        if entry.note and not target.note:
            target.note = entry.note
            changed = True
        if not changed:
            report.unchanged += 1
    return report


def import_glossary(path: Path, destination: Path, replace: bool = False) -> MergeReport:
    """Merge the concepts of ``path`` (.tbx or .csv) into the glossary CSV ``destination``."""
    incoming, bad = read_entries(path)
    existing, columns = read_csv(destination) if destination.exists() else ([], list(DEFAULT_COLUMNS))
    report = merge(existing, incoming, replace)
    report.bad[:0] = bad
    for language in sorted({lang for entry in existing for lang in entry.terms} - set(columns)):
        columns.insert(len(columns) - 1 if "note" in columns else len(columns), language)
    if "note" not in columns:
        columns.append("note")
    fd, trial = tempfile.mkstemp(suffix=".csv", dir=destination.parent)
    os.close(fd)
    try:
        write_csv(existing, Path(trial), columns)
        Glossary.load(Path(trial))  # what the translator will read must load
    finally:
        Path(trial).unlink(missing_ok=True)
    write_csv(existing, destination, columns)
    return report
