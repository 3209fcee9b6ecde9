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
from record_catalogue.store import TextVersion

# Overrule a declared language only when detection is this sure about a text this long.
OVERRULE_CONFIDENCE = 0.95
OVERRULE_MIN_CHARS = 40


@dataclass
class ResolvedLanguages:
    """The texts to store, the record's original language, and what could not be placed."""

    texts: list[TextVersion] = field(default_factory=list)
    original_language: str = UNDETERMINED
    problems: list[str] = field(default_factory=list)


def resolve_languages(record: Record, detector: LanguageDetector, languages: Sequence[str]) -> ResolvedLanguages:
    """Assign every field version of ``record`` to a known language, or report why not."""
    resolved = ResolvedLanguages()
    placed: dict[tuple[str, str], TextVersion] = {}
    for field_name, versions in record.texts().items():
        # Versions keyed by a known language go first, so they win a clash with a re-labelled one.
        for key, text in sorted(versions.items(), key=lambda kv: kv[0] not in languages):
            detection = detector.detect(text)
            declared = None if key == UNDETERMINED else key
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
            else:
                what = f"declared as {key!r}" if declared else "with no declared language"
                resolved.problems.append(
                    f"field {field_name} {what}: language not one of {', '.join(languages)} "
                    f"(detected {detection.language}); this version was not stored"
                )
                continue
            if (field_name, language) in placed:
                resolved.problems.append(
                    f"field {field_name}.{key} is in {language}, which the record already has; "
                    "this version was not stored"
                )
                continue
            placed[(field_name, language)] = TextVersion(field_name, language, text, declared, detection.confidence)
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
