"""Deciding the language of every text a record brings.

Declared languages (lstring keys, ``header.languages``) are checked, not trusted: a field keyed
``en`` whose text is clearly French is stored as French, with ``en`` kept as what was declared.
Text in a language the system does not know is reported, never stored under a wrong code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from analyzers.detect import LanguageDetector
from record_catalogue.languages import UNDETERMINED
from record_catalogue.record import Record
from record_catalogue.store import LeftOut, TextVersion

# Overrule a declared language only when detection is this sure about a text this long.
OVERRULE_CONFIDENCE = 0.95
OVERRULE_MIN_CHARS = 40


@dataclass
class ResolvedLanguages:
    """The texts to store, the record's original language, what could not be placed (errors) and
    what was deliberately left out (versions in a language not served: the record's audit entry)."""

    texts: list[TextVersion] = field(default_factory=list)
    original_language: str = UNDETERMINED
    problems: list[str] = field(default_factory=list)
    left_out: list[LeftOut] = field(default_factory=list)


def resolve_languages(record: Record, detector: LanguageDetector, languages: Sequence[str]) -> ResolvedLanguages:
    """Assign every field version of ``record`` to a known language, or report why not.

    Versions whose key detection confirms are placed first, then re-labelled ones: a title keyed
    ``en`` that holds Spanish beside a title keyed ``es`` leaves the ``es`` one in place, and is
    itself reported, never stored over it. A version keyed with a language outside the system's
    (``sw``) is left out without an error when the field has a version in one of its languages,
    and named (field, language, why) in ``left_out``, which the record's audit entry keeps;
    alone, it is an error (the field would be lost).
    """
    resolved = ResolvedLanguages()
    placed: dict[tuple[str, str], TextVersion] = {}
    for field_name, versions in record.texts().items():
        candidates: list[tuple[bool, bool, str, str, str, float]] = []
        for key, text in versions.items():
            detection = detector.detect(text)
            if key in languages:
                language = key
                if (
                    detection.language not in (key, UNDETERMINED)
                    and detection.confidence >= OVERRULE_CONFIDENCE
                    and len(text) >= OVERRULE_MIN_CHARS
                ):
                    language = detection.language
            elif detection.language in languages:
                language = detection.language
            elif key != UNDETERMINED and len(versions) > 1:
                # a translation into a language not served here; the field has others
                served = ", ".join(languages)
                reason = f"language {key!r} is not one of {served} (detected {detection.language})"
                resolved.left_out.append(LeftOut(field_name, key, reason))
                continue
            else:
                what = f"declared as {key!r}" if key != UNDETERMINED else "with no declared language"
                resolved.problems.append(
                    f"field {field_name} {what}: language not one of {', '.join(languages)} "
                    f"(detected {detection.language}); this version was not stored"
                )
                continue
            relabelled = language != key
            candidates.append((relabelled, key not in languages, key, language, text, detection.confidence))
        for _relabelled, _unknown_key, key, language, text, confidence in sorted(candidates):
            if (field_name, language) in placed:
                resolved.problems.append(
                    f"field {field_name}.{key} is in {language}, which the record already has; "
                    "this version was not stored"
                )
                continue
            declared = None if key == UNDETERMINED else key
            placed[(field_name, language)] = TextVersion(field_name, language, text, declared, confidence)
    resolved.texts = list(placed.values())
    resolved.original_language = _original_language(record, resolved.texts)
    return resolved


def _original_language(record: Record, texts: Sequence[TextVersion]) -> str:
    present = {t.language for t in texts}
    for code in record.declared_languages:
        if code in present:
            return code
    titles = [t.language for t in texts if t.field == "title"]
    if titles:
        return titles[0]
    counts = Counter(t.language for t in texts)
    return counts.most_common(1)[0][0] if counts else UNDETERMINED
