"""Language detection, restricted to the languages the system knows.

Script decides where it can (Arabic, Cyrillic, Han); otherwise langdetect, seeded so that the
same text always gets the same answer, with its probabilities renormalised over the allowed
languages. Below the confidence floor the answer is ``und`` rather than a guess.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from record_catalogue.languages import UN_LANGUAGES, UNDETERMINED

MIN_CONFIDENCE = 0.5
LANGDETECT_SEED = 0
_TAGS = re.compile(r"<[^>]+>")
_lock = threading.Lock()


@dataclass(frozen=True)
class Detection:
    """A language code (or ``und``) and how sure we are, from 0 to 1."""

    language: str
    confidence: float


def _script_counts(text: str) -> dict[str, int]:
    counts = {"arabic": 0, "cyrillic": 0, "han": 0, "latin": 0, "other": 0}
    for char in text:
        if not char.isalpha():
            continue
        name = unicodedata.name(char, "")
        if name.startswith("ARABIC"):
            counts["arabic"] += 1
        elif name.startswith("CYRILLIC"):
            counts["cyrillic"] += 1
        elif name.startswith("CJK UNIFIED") or name.startswith("CJK COMPATIBILITY"):
            counts["han"] += 1
        elif "LATIN" in name:
            counts["latin"] += 1
        else:
            counts["other"] += 1
    return counts


SCRIPT_LANGUAGE = {"arabic": "ar", "cyrillic": "ru", "han": "zh"}


class LanguageDetector:
    """Detects among ``languages`` (the six UN languages by default)."""

    def __init__(self, languages: Sequence[str] = UN_LANGUAGES) -> None:
        self.languages = tuple(languages)
        self._factory_ready = False

    def _langdetect(self, text: str) -> list[tuple[str, float]]:
        from langdetect import DetectorFactory, detector_factory
        from langdetect.lang_detect_exception import LangDetectException

        with _lock:
            if not self._factory_ready:
                DetectorFactory.seed = LANGDETECT_SEED
                detector_factory.init_factory()
                self._factory_ready = True
            try:
                detector = detector_factory._factory.create()
                detector.append(text)
                probabilities = detector.get_probabilities()
            except LangDetectException:
                return []
        # Renormalise over the six UN languages (what the system is built for), whatever subset
        # is configured: a French text in an en/ru deployment is then "not allowed", not English.
        found: dict[str, float] = {}
        for item in probabilities:
            code = "zh" if item.lang.startswith("zh") else item.lang
            if code in UN_LANGUAGES:
                found[code] = found.get(code, 0.0) + float(item.prob)
        total = sum(found.values())
        if total <= 0:
            return []
        return sorted(((code, p / total) for code, p in found.items()), key=lambda kv: -kv[1])

    def detect(self, text: str) -> Detection:
        """The language of ``text`` among the allowed ones, or ``und`` when unsure."""
        plain = _TAGS.sub(" ", text)
        counts = _script_counts(plain)
        letters = sum(counts.values())
        if letters == 0:
            return Detection(UNDETERMINED, 0.0)
        script, top = max(counts.items(), key=lambda kv: kv[1])
        share = top / letters
        if script in SCRIPT_LANGUAGE and share >= 0.5:
            code = SCRIPT_LANGUAGE[script]
            if code in self.languages:
                return Detection(code, round(min(1.0, 0.5 + share / 2), 4))
        if script != "latin":
            return Detection(UNDETERMINED, 0.0)
        ranked = [(code, p) for code, p in self._langdetect(plain) if code not in SCRIPT_LANGUAGE.values()]
        if not ranked:
            return Detection(UNDETERMINED, 0.0)
        code, probability = ranked[0]
        if code not in self.languages or probability < MIN_CONFIDENCE:
            return Detection(UNDETERMINED, round(probability, 4))
        return Detection(code, round(probability, 4))

    def detect_many(self, texts: Sequence[str]) -> list[Detection]:
        return [self.detect(text) for text in texts]
