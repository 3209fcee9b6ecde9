"""The translation memory as TMX 1.4b, so the Secretariat's CAT tools can read it and feed it.

Export writes one ``<tu>`` per segment (one sentence in one language pair) with its two
``<tuv>``; who made it and when go in the standard attributes (``creationid``, ``changeid``,
``changedate``), and what TMX has no attribute for in ``<prop type="x-chm-…">`` (provenance,
status, version, engine, model), which other tools ignore and our import reads back.

Import checks every unit and reports the ones it cannot use, with the reason (no source
language, a language the system does not know, an empty segment, a source of several
sentences: the memory matches sentence by sentence, exactly). What it imports:

- with ``as_reviewed`` (a curator vouches for the file, named by ``actor``), every translation
  becomes a reviewed segment: it replaces a machine or rejected one, corrects a reviewed one,
  gets a new version with history, and reaches every record containing the sentence;
- otherwise units our export marked ``reviewed`` are imported as reviewed, keeping their
  curator; anything else is a machine translation (keeping a ``failed`` or ``rejected`` mark
  from our export), which only fills sentences the memory has no segment for. An import never
  overwrites a reviewed (or any existing) segment with a machine one.

XML is built and read with ``xml.etree`` (escaping is the library's), never with strings.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from record_catalogue.codes import Provenance, TextStatus
from record_catalogue.db import Sessions
from record_catalogue.errors import BadInput
from record_catalogue.languages import UN_LANGUAGES
from record_catalogue.memory_store import segments_to_export
from record_catalogue.models import utcnow
from record_catalogue.translation_writes import translation_writes
from translate.assembly import segments_of

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
IMPORT_ENGINE = "import"
MAX_DEPTH = 64  # element nesting: <tmx><body><tu><tuv><seg><hi>… needs six or so
_DATE = "%Y%m%dT%H%M%SZ"


class TmxError(BadInput, ValueError):
    """The file is not a TMX document this import can read at all (nothing was imported)."""


@dataclass(frozen=True)
class Unit:
    """One translation read from a TMX file, ready to import."""

    position: str
    source: str
    target: str
    source_text: str
    target_text: str
    reviewed: bool
    actor: str | None
    status: str = "current"  # of a machine unit: current, failed or rejected
    engine: str | None = None  # of a machine unit, when the file says (our export does)
    model: str | None = None


@dataclass
class ImportReport:
    """What an import did, and every unit it refused with the reason."""

    reviewed_new: int = 0
    reviewed_changed: int = 0
    machine_new: int = 0
    unchanged: int = 0
    kept: int = 0  # machine units for sentences the memory already has: never overwritten
    records_updated: int = 0
    bad: list[tuple[str, str]] = field(default_factory=list)
    reviewed_segments: list[tuple[str, str, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.reviewed_new} reviewed translations added, {self.reviewed_changed} changed, "
            f"{self.machine_new} machine translations added, {self.kept} kept as they were (the memory has "
            f"them already), {self.unchanged} unchanged, {len(self.bad)} refused; "
            f"{self.records_updated} records updated"
        )


def _stamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(_DATE)


def _prop(parent: ET.Element, kind: str, value: str | int | None) -> None:
    if value is not None and value != "":
        ET.SubElement(parent, "prop", type=f"x-chm-{kind}").text = str(value)


def export_tmx(sessions: Sessions, path: Path, status: str = "current", languages: tuple[str, ...] = ()) -> int:
    """Write the memory's segments (``status``: current, reviewed, machine or all) to ``path``; count them.

    ``current`` is what readers may get: reviewed translations (stale ones too: still right for
    their sentence) and current machine ones; ``all`` adds rejected and failed ones, marked.
    """
    root = ET.Element("tmx", version="1.4")
    header = {
        "creationtool": "chm-search",
        "creationtoolversion": "1.0",
        "segtype": "sentence",
        "o-tmf": "chm-search translation memory",
        "adminlang": "en",
        "srclang": "*all*",
        "datatype": "plaintext",
        "creationdate": _stamp(utcnow()),
    }
    ET.SubElement(root, "header", header)
    body = ET.SubElement(root, "body")
    count = 0
    for row in segments_to_export(sessions, status, languages):
        unit = ET.SubElement(
            body,
            "tu",
            tuid=str(row.id),
            srclang=row.source_language,
            creationdate=_stamp(row.created_at),
            changedate=_stamp(row.updated_at),
        )
        creator = row.machine_engine or row.actor
        if creator:
            unit.set("creationid", creator)
        if row.actor:
            unit.set("changeid", row.actor)
        _prop(unit, "provenance", row.provenance)
        _prop(unit, "status", row.status)
        _prop(unit, "version", row.version)
        _prop(unit, "engine", row.machine_engine)
        _prop(unit, "model", row.machine_model)
        _prop(unit, "pivot", row.pivot)
        for language, text in ((row.source_language, row.source_text), (row.target_language, row.target_text)):
            variant = ET.SubElement(unit, "tuv", {XML_LANG: language})
            ET.SubElement(variant, "seg").text = text
        count += 1
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="UTF-8", xml_declaration=True)
    return count


def _language(value: str | None) -> str | None:
    """``fr``, ``fr-FR``, ``FR_ca`` → ``fr``; None for anything that is not one of the six."""
    if not value:
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if code in UN_LANGUAGES else None


def _seg_text(seg: ET.Element) -> str:
    """The text of a ``<seg>``: its text and highlighted runs, without inline codes (bpt, ept, ph, it)."""
    parts = [seg.text or ""]
    for child in seg:
        if child.tag in ("hi", "sub"):
            parts.append(_seg_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _props(unit: ET.Element) -> dict[str, str]:
    return {p.get("type", ""): (p.text or "").strip() for p in unit.findall("prop")}


def _parse(path: Path) -> ET.Element:
    """The document's root, refusing elements nested deeper than ``MAX_DEPTH`` as they come
    (a ``<seg>`` of 200,000 nested ``<hi>`` would exhaust the recursion of any tree walk)."""
    events = ET.iterparse(path, events=("start", "end"))
    depth = 0
    for event, element in events:
        if event == "end":
            depth -= 1
            continue
        depth += 1
        if depth > MAX_DEPTH:
            raise TmxError(
                f"{path.name} nests elements more than {MAX_DEPTH} levels deep (<{element.tag}>); "
                "TMX needs a handful: not imported"
            )
    root: ET.Element = events.root  # type: ignore[attr-defined]
    return root


def read_tmx(
    path: Path, as_reviewed: bool = False, actor: str | None = None
) -> tuple[list[Unit], list[tuple[str, str]]]:
    """Units to import, and the refused ones as (position, reason); :class:`TmxError` if unreadable."""
    try:
        root = _parse(path)
    except ET.ParseError as exc:
        raise TmxError(f"{path.name} is not well-formed XML: {exc}") from None
    except OSError as exc:
        raise TmxError(f"cannot read {path}: {exc.strerror}") from None
    if root.tag != "tmx":
        raise TmxError(f"{path.name} is not TMX: its root element is <{root.tag}>, not <tmx>")
    header = root.find("header")
    body = root.find("body")
    if body is None:
        raise TmxError(f"{path.name} has no <body>")
    default_source = header.get("srclang") if header is not None else None
    units: list[Unit] = []
    bad: list[tuple[str, str]] = []
    for number, unit in enumerate(body.iter("tu"), start=1):
        position = f"tu {number}" + (f" (tuid {unit.get('tuid')})" if unit.get("tuid") else "")
        for found in _units(unit, position, default_source, as_reviewed, actor, bad):
            units.append(found)
    return units, bad


def _units(
    unit: ET.Element,
    position: str,
    default_source: str | None,
    as_reviewed: bool,
    actor: str | None,
    bad: list[tuple[str, str]],
) -> Iterator[Unit]:
    declared = unit.get("srclang") or default_source
    if not declared or declared == "*all*":
        bad.append((position, "no source language: give the unit or the header a srclang"))
        return
    source = _language(declared)
    if source is None:
        bad.append((position, f"source language {declared!r} is not one of {', '.join(UN_LANGUAGES)}"))
        return
    variants: dict[str, str] = {}
    for variant in unit.findall("tuv"):
        raw = variant.get(XML_LANG) or variant.get("lang")  # TMX 1.1 wrote ``lang`` without the namespace
        language = _language(raw)
        seg = variant.find("seg")
        if language is None:
            bad.append((position, f"language {raw!r} is not one of {', '.join(UN_LANGUAGES)}; that variant skipped"))
            continue
        text = " ".join(_seg_text(seg).split()) if seg is not None else ""
        if not text:
            bad.append((position, f"empty segment for {language}"))
            continue
        variants.setdefault(language, text)
    source_text = variants.pop(source, None)
    if source_text is None:
        bad.append((position, f"no segment in its source language {source}"))
        return
    sentences = segments_of(source_text, source)
    if len(sentences) != 1 or sentences[0] != source_text:
        bad.append((position, f"the source is {len(sentences)} sentences; the memory matches one sentence at a time"))
        return
    if not variants:
        bad.append((position, "no translation (only the source language)"))
        return
    props = _props(unit)
    marked = props.get("x-chm-status", TextStatus.CURRENT)
    status = marked if marked in (TextStatus.FAILED, TextStatus.REJECTED) else TextStatus.CURRENT
    reviewed = as_reviewed or (props.get("x-chm-provenance") == Provenance.REVIEWED and status == TextStatus.CURRENT)
    who = actor if as_reviewed else (unit.get("changeid") or unit.get("creationid"))
    if reviewed and not who:
        bad.append((position, "a reviewed translation without a curator (changeid); use --as-reviewed --actor NAME"))
        return
    for target, target_text in variants.items():
        yield Unit(
            position,
            source,
            target,
            source_text,
            target_text,
            reviewed,
            who,
            "current" if reviewed else status,
            props.get("x-chm-engine") or None,
            props.get("x-chm-model") or None,
        )


def apply_units(sessions: Sessions, units: list[Unit], origin: str) -> ImportReport:
    """Write the units into the memory in one transaction (see the module's rules)."""
    report = ImportReport()
    with translation_writes(sessions) as tx:
        for unit in units:
            key = (unit.source, unit.target, unit.source_text)
            if unit.reviewed:
                was_new = tx.segment(key) is None
                _row, changed = tx.write_reviewed(
                    key, unit.target_text, unit.actor or IMPORT_ENGINE, (unit.engine, unit.model)
                )
                if not changed:
                    report.unchanged += 1
                    continue
                if was_new:
                    report.reviewed_new += 1
                else:
                    report.reviewed_changed += 1
                report.reviewed_segments.append(key)
                continue
            if tx.segment(key) is not None:
                report.kept += 1
                continue
            tx.add_segment(
                key,
                unit.actor or IMPORT_ENGINE,
                utcnow(),
                target_text=unit.target_text,
                provenance=Provenance.MACHINE,
                status=unit.status,
                status_reason=f"{unit.status} in {origin}"[:500] if unit.status != TextStatus.CURRENT else None,
                actor=unit.actor if unit.status != TextStatus.CURRENT else None,  # who rejected it
                machine_engine=(unit.engine or IMPORT_ENGINE)[:40],
                machine_model=(unit.model or origin)[:200],
            )
            report.machine_new += 1
    return report
