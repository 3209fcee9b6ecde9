"""Language detection: script rules, seeded langdetect restricted to the known languages, ``und``."""

from __future__ import annotations

import pytest

from analyzers.detect import LanguageDetector


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector()


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Conservation and sustainable use of biological diversity", "en"),
        ("Les espèces protégées des aires marines", "fr"),
        ("La diversidad biológica de los ecosistemas de montaña", "es"),
        ("Сохранение биологического разнообразия", "ru"),
        ("关于生物多样性公约的报告", "zh"),
        ("حماية التنوع البيولوجي", "ar"),
        ("<p>Les <b>aires</b> marines protégées du littoral</p>", "fr"),
    ],
)
def test_detects_the_six(detector: LanguageDetector, text: str, language: str) -> None:
    detection = detector.detect(text)
    assert detection.language == language
    assert 0.5 <= detection.confidence <= 1.0


@pytest.mark.parametrize("text", ["", "12345 / 2020", "!!!", "Ωμέγα και άλφα"])
def test_undetermined_when_nothing_to_go_on(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text).language == "und"


def test_restricted_to_configured_languages() -> None:
    only = LanguageDetector(["en", "ru"])
    assert only.detect("Les espèces protégées des aires marines").language == "und"
    assert only.detect("Protected areas of the coast and the sea").language == "en"
    assert only.detect("关于生物多样性公约的报告").language == "und"


def test_reproducible(detector: LanguageDetector) -> None:
    text = "Protected areas"
    assert len({detector.detect(text) for _ in range(5)}) == 1
