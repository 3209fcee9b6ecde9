"""What a curator should know about one sentence under review: where it sits, and what looks wrong.

The sanity gate (``translate.gate``) refuses output that is plainly broken, so readers never see
it; what passes it may still deserve a second look. The same checks, at a lower threshold, become
warnings on the review queue instead of refusals: a stretch of the source kept as it is (the
gate's copied-stretch check, and output identical to its source), and a length far from what the
language pair usually gives (compared with the pair's typical ratio in this catalogue, measured
over its current translations, rather than with 1:1, which is wrong for Chinese or Arabic).

Neighbours: a sentence alone is often ambiguous ("It was adopted."); the one before and the one
after in a field that contains it are shown beside it. The field is cut as translation cuts it
(``translate.assembly.segments_of``), so the sentence is found among its pieces.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from record_catalogue.memory_store import SEGMENT_ENGINE, text_hash
from record_catalogue.review_aids import pair_length_ratios, sentence_places
from record_catalogue.store import Catalogue
from translate.assembly import segments_of
from translate.curation import Item
from translate.gate import RATIO_SLACK, check_copied_run, check_identical, length_units

#: Output this many times longer (or shorter) than the usual ratio for its pair is flagged.
LENGTH_WARNING_FACTOR = 2.0
#: A stretch of this many source words kept as they are is flagged (the gate refuses five).
KEPT_RUN_WORDS = 3
#: The pairs' typical ratios change slowly; one reading serves every queue page for this long.
RATIO_CACHE_SECONDS = 300.0


@dataclass(frozen=True)
class ReviewWarning:
    """One reason to look twice: ``code`` for programs, ``message`` for people (English), and
    ``detail`` for a page that words it in its own language (the words kept, or the ratio)."""

    code: str  # "source_words" | "too_long" | "too_short"
    message: str
    detail: str = ""


_QUOTED = re.compile(r": (['\"])(.*)\1$")


@dataclass(frozen=True)
class Neighbours:
    """The sentences around one sentence in one record field (None at either end)."""

    record_id: str
    field: str
    before: str | None
    after: str | None


def neighbours(record_id: str, field: str, text: str, language: str, sentence: str) -> Neighbours | None:
    """The sentences before and after ``sentence`` in a field's original ``text``; None when the
    text no longer contains it (re-ingested since) or holds nothing but it."""
    pieces = segments_of(text, language)
    try:
        at = pieces.index(sentence)
    except ValueError:
        return None
    before = pieces[at - 1] if at > 0 else None
    after = pieces[at + 1] if at + 1 < len(pieces) else None
    if before is None and after is None:
        return None
    return Neighbours(record_id, field, before, after)


def length_ratio(source: str, output: str, typical: float | None) -> float:
    """How far the output's length is from usual: 1.0 is usual, 2.0 twice as long as usual.

    With a typical ratio for the pair: characters against that ratio. Without one (a pair with
    few translations yet): the gate's length units (a wide CJK character counting as three)
    against 1:1. Both with the gate's slack, so that a short title is not judged on its ratio.
    """
    if typical:
        return (len(output) + RATIO_SLACK * typical) / ((len(source) + RATIO_SLACK) * typical)
    return (length_units(output) + RATIO_SLACK) / (length_units(source) + RATIO_SLACK)


def review_warnings(source: str, output: str, typical_ratio: float | None = None) -> list[ReviewWarning]:
    """The warnings for a translation ``output`` of ``source`` (nothing when it looks ordinary)."""
    found: list[ReviewWarning] = []
    if output.strip():
        kept = check_identical(source, output) or check_copied_run(source, output, KEPT_RUN_WORDS)
        if kept:
            quoted = _QUOTED.search(kept)  # the gate names the stretch it found, quoted
            found.append(ReviewWarning("source_words", kept, quoted.group(2) if quoted else ""))
        ratio = length_ratio(source, output, typical_ratio)
        usual = "the usual length for this language pair" if typical_ratio else "the source's length"
        if ratio >= LENGTH_WARNING_FACTOR:
            found.append(ReviewWarning("too_long", f"{ratio:.1f} times {usual}", f"{ratio:.1f}"))
        elif ratio <= 1 / LENGTH_WARNING_FACTOR:
            found.append(ReviewWarning("too_short", f"{ratio:.2f} times {usual}", f"{ratio:.2f}"))
    return found


@dataclass(frozen=True)
class SentenceNotes:
    """What to show beside one queue item."""

    warnings: list[ReviewWarning]
    neighbours: Neighbours | None


_ratios: dict[str, tuple[float, dict[tuple[str, str], float]]] = {}
_ratios_lock = threading.Lock()


def typical_ratios(catalogue: Catalogue) -> dict[tuple[str, str], float]:
    """:func:`record_catalogue.review_aids.pair_length_ratios`, read at most every RATIO_CACHE_SECONDS."""
    with _ratios_lock:
        hit = _ratios.get(catalogue.dsn)
        if hit is not None and time.monotonic() - hit[0] < RATIO_CACHE_SECONDS:
            return hit[1]
    ratios = pair_length_ratios(catalogue.sessions, SEGMENT_ENGINE)
    with _ratios_lock:
        _ratios[catalogue.dsn] = (time.monotonic(), ratios)
    return ratios


def notes_for(catalogue: Catalogue, sentences: Sequence[Item]) -> dict[int, SentenceNotes]:
    """Warnings and neighbours for each sentence (by id): a few queries for a whole queue page."""
    if not sentences:
        return {}
    ratios = typical_ratios(catalogue)
    keys = {s.id: (text_hash(s.source_text), s.source_language, s.target_language) for s in sentences}
    places = sentence_places(catalogue.sessions, list(keys.values()))
    notes: dict[int, SentenceNotes] = {}
    for sentence in sentences:
        place = places.get(keys[sentence.id])
        around = (
            neighbours(place.record_id, place.field, place.text, sentence.source_language, sentence.source_text)
            if place is not None
            else None
        )
        typical = ratios.get((sentence.source_language, sentence.target_language))
        notes[sentence.id] = SentenceNotes(review_warnings(sentence.source_text, sentence.text, typical), around)
    return notes
