"""Language detection: script rules, word evidence for en/es/fr, seeded langdetect, ``und``."""

from __future__ import annotations

import json
import random
import re
from collections import Counter

import pytest

import analyzers.detect as detect_module
from analyzers.detect import MIN_CONFIDENCE, Detection, LanguageDetector
from tests.conftest import ROOT

HELD_OUT = ROOT / "bench" / "data" / "detect" / "test.jsonl"


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


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # The hard cases: one or two words, Latin script.
        ("Country", "en"),
        ("Target", "en"),
        ("Parties", "en"),  # also French; English is the clearing-houses' most frequent language
        ("Convention", "en"),  # likewise
        ("Search", "en"),
        ("Protected areas", "en"),
        ("Pays", "fr"),
        ("Objectif", "fr"),
        ("Rechercher", "fr"),
        ("Aires protégées", "fr"),
        ("Date de publication", "fr"),
        ("País", "es"),
        ("Meta", "es"),
        ("Objetivo", "es"),
        ("Partes", "es"),
        ("Convención", "es"),
        ("Buscar", "es"),
        ("Áreas protegidas", "es"),
        ("Страна", "ru"),
        ("Цель", "ru"),
        ("البلد", "ar"),
        ("الهدف", "ar"),
        ("国家", "zh"),
        ("目标", "zh"),
    ],
)
def test_short_labels(detector: LanguageDetector, text: str, language: str) -> None:
    detection = detector.detect(text)
    assert detection.language == language, detection
    assert MIN_CONFIDENCE <= detection.confidence <= 1.0


@pytest.mark.parametrize(
    "text", ["", "   ", "12345 / 2020", "!!!", "2011-2020", "---", "Ωμέγα και άλφα", "생물다양성협약", "ⵜⴰⵎⴰⵣⵉⵖⵜ"]
)
def test_undetermined_when_nothing_to_go_on(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text).language == "und"


@pytest.mark.parametrize(
    "text",
    [
        "http://www.cbd.int/cooperation/csp/",  # a link has no language
        "UNEP/CBD/COP/12/11",  # nor a document symbol
        "<p> </p><br/>",
        "Naturschutzgebiet",  # no word of ours
    ],
)
def test_undetermined_without_words(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text).language == "und"


@pytest.mark.parametrize(
    "text",
    [
        "Die Vertragsparteien verpflichten sich, die biologische Vielfalt zu erhalten und nachhaltig zu nutzen.",
        "As Partes devem adotar medidas para a conservação da diversidade biológica e dos seus componentes.",
        "Le Parti si impegnano a conservare la diversità biologica e a utilizzarne in modo sostenibile le componenti.",
        "Els països signants es comprometen a conservar la diversitat biològica i a utilitzar-ne els components.",
        "Україна підтримує збереження біорізноманіття",  # Cyrillic, not Russian
        "生物多様性条約の締約国会議",  # Han with kana: Japanese
        "حفاظت از تنوع زیستی در ایران",  # Arabic script, Persian
    ],
)
def test_languages_outside_the_six_are_undetermined(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text).language == "und"


def test_restricted_to_configured_languages() -> None:
    only = LanguageDetector(["en", "ru"])
    assert only.detect("Les espèces protégées des aires marines").language == "und"
    assert only.detect("Protected areas of the coast and the sea").language == "en"
    assert only.detect("关于生物多样性公约的报告").language == "und"
    # A French or Spanish label is not English because English is all that is allowed.
    assert only.detect("Pays").language == "und"
    assert only.detect("Objetivo").language == "und"
    assert only.detect("Country").language == "en"
    assert only.detect("Страна").language == "ru"


def test_reproducible(detector: LanguageDetector) -> None:
    text = "Protected areas"
    assert len({detector.detect(text) for _ in range(5)}) == 1


def test_reproducible_across_instances_and_order() -> None:
    texts = [
        "Meta",
        "Parties",
        "Die Vertragsparteien verpflichten sich, die biologische Vielfalt zu erhalten.",  # langdetect's path
        "Protocolo comunitario de los herbolarios de Kaya",
        "Report of the Subsidiary Body on Implementation on its fourth meeting",
    ]
    first = LanguageDetector().detect_many(texts)
    second = LanguageDetector().detect_many(list(reversed(texts)))
    assert first == list(reversed(second))
    assert all(isinstance(detection, Detection) for detection in first)


def test_langdetect_arbitrates_with_a_fixed_seed() -> None:
    text = "The report was prepared by Søren Müller and Łukasz Nowak for the Secretariat of the Convention."
    results = {detect_module._LANGDETECT.probabilities(text)["en"] for _ in range(3)}
    assert len(results) == 1
    assert LanguageDetector().detect(text).language == "en"


def test_detect_many_keeps_order(detector: LanguageDetector) -> None:
    texts = ["País", "Pays", "Country", "Страна", "", "国家"]
    assert [d.language for d in detector.detect_many(texts)] == ["es", "fr", "en", "ru", "und", "zh"]


def test_html_is_ignored(detector: LanguageDetector) -> None:
    html = (
        "<html><head><title>Page</title><style>body { color: the red and the blue }</style></head>"
        "<body><script>var the = 'and of the with the and';</script><!-- the English comment -->"
        "<div class='the and of'><p>Les aires marines prot&eacute;g&eacute;es du littoral</p></div></body></html>"
    )
    assert detector.detect(html).language == "fr"
    assert detector.detect("<a href='https://www.cbd.int/the-english-url'>Recursos genéticos</a>").language == "es"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # The language of the sentence wins over a quoted name in another script.
        ("《生物多样性公约》(Convention on Biological Diversity) 第十五次缔约方大会", "zh"),
        (
            "The Kunming-Montreal Global Biodiversity Framework (昆明-蒙特利尔全球生物多样性框架) "
            "was adopted by the Conference of the Parties in December 2022.",
            "en",
        ),
        ("Конференция Сторон (COP 15) приняла Глобальную рамочную программу", "ru"),
        ("The secretariat of the Convention on Biological Diversity (Секретариат Конвенции) is in Montreal.", "en"),
        ("اعتمد مؤتمر الأطراف (COP 15) إطار كونمينغ-مونتريال العالمي للتنوع البيولوجي", "ar"),
    ],
)
def test_mixed_script_text(detector: LanguageDetector, text: str, language: str) -> None:
    assert detector.detect(text).language == language


def test_very_long_text_is_read_through_a_bounded_window(monkeypatch: pytest.MonkeyPatch) -> None:
    paragraph = "Les Parties à la Convention sont invitées à communiquer leurs objectifs nationaux. "
    huge = paragraph * (1_000_000 // len(paragraph) + 1)
    assert len(huge) > 1_000_000
    scored: list[int] = []
    real = detect_module._score_latin

    def spy(sample: str) -> detect_module._Latin:
        scored.append(len(sample))
        return real(sample)

    monkeypatch.setattr(detect_module, "_score_latin", spy)
    detection = LanguageDetector().detect(huge)
    assert detection.language == "fr"
    assert scored and max(scored) <= detect_module._SAMPLE + 1
    assert LanguageDetector().detect("<p>" + "生物多样性" * 300_000 + "</p>").language == "zh"


def test_accuracy_floor_on_held_out_set(detector: LanguageDetector) -> None:
    """The issue's targets, on the held-out split of bench/data/detect (see its README)."""
    items = [json.loads(line) for line in HELD_OUT.read_text(encoding="utf-8").splitlines() if line.strip()]
    right = right_short = short = 0
    for item in items:
        correct = detector.detect(item["text"]).language in item["languages"]
        right += correct
        if len(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item["text"])).strip()) <= 40:
            short += 1
            right_short += correct
    assert short >= 300
    assert right / len(items) >= 0.987
    assert right_short / short >= 0.974


# --- the fast paths give what the plain computations give --------------------------------------


def test_script_classes_hold_what_the_fast_script_count_assumes() -> None:
    latin = [chr(c) for c in [*range(0x250), *range(0x1E00, 0x1F00)] if detect_module._LATIN.fullmatch(chr(c))]
    assert latin and all(c.isalpha() for c in latin)  # a Latin run's length is its letter count
    others = (detect_module._SCRIPTS, detect_module._KANA, detect_module._NOT_ARABIC, detect_module._NOT_RUSSIAN)
    for c in map(chr, [*range(0x250), *range(0x1E00, 0x1F00)]):  # no other script is ASCII or Latin
        assert not any(other.fullmatch(c) for other in others)
    for alphabet, script, foreign in (
        (detect_module._RUSSIAN_ALPHABET, detect_module._CYRILLIC, detect_module._NOT_RUSSIAN),
        (detect_module._ARABIC_ALPHABET, detect_module._ARABIC, detect_module._NOT_ARABIC),
    ):
        letters = [chr(c) for c in range(0x600, 0x700) if alphabet.fullmatch(chr(c))]
        letters += [chr(c) for c in range(0x400, 0x530) if alphabet.fullmatch(chr(c))]
        assert letters and all(script.fullmatch(c) and not foreign.fullmatch(c) for c in letters)
    assert detect_module._MAX_TOKENS < 1 << 16  # _score_latin's packed counters hold that many


def _script_letter_by_letter(sample: str) -> tuple[str, float]:
    """_script as first written: every character tested, every script counted on the whole text."""

    def count(pattern: str) -> int:
        return len(re.findall(f"[{pattern}]", sample))

    letters = sum(map(str.isalpha, sample))
    if letters == 0:
        return "none", 0.0
    arabic = count(detect_module._ARABIC_CLASS)
    cyrillic = count(detect_module._CYRILLIC_CLASS)
    han = count(detect_module._HAN_CLASS)
    kana = count("\u3041-\u3096\u30a1-\u30fa\u31f0-\u31ff\uff66-\uff9d") if han else 0
    latin = count(detect_module._LATIN_CLASS)
    other = max(0, letters - arabic - cyrillic - han - latin)
    han_weighted = han * detect_module.HAN_WEIGHT
    weighted = {"arabic": arabic, "cyrillic": cyrillic, "han": han_weighted, "latin": latin, "other": other}
    script, top = max(weighted.items(), key=lambda kv: kv[1])
    share = top / sum(weighted.values())
    foreign_share = detect_module.FOREIGN_LETTER_SHARE
    not_arabic = len("".join(detect_module._NOT_ARABIC.findall(sample)))
    not_russian = len("".join(detect_module._NOT_RUSSIAN.findall(sample)))
    if script == "arabic" and not_arabic >= max(1.0, foreign_share * arabic):
        return "other", share
    if script == "cyrillic" and not_russian >= max(1.0, foreign_share * cyrillic):
        return "other", share
    if script == "han" and kana >= max(1.0, detect_module.KANA_SHARE * (han + kana)):
        return "other", share
    return script, share


def test_script_matches_a_letter_by_letter_count() -> None:
    rng = random.Random(11)
    # Edges of every class, letters foreign to Russian and Arabic, non-letters inside the classes
    # (combining marks, signs, unassigned Han), kana, Greek, spaces and punctuation.
    pool = list(" '’.,«»—1aZéÀ×ªµ²ĀɏḀỿЀԯАяёіїӘ\u0483ؠيٮپکۓ\u0670\u06fd\ufdfc\ufefc㐀\u4dbf一鿿\ufa6e𠀀あカΩ한")
    samples = ["", " ", "1 2", "Ω", "\u0483", "\ufdfc", "\u4dbf"]
    for _ in range(3000):
        palette = rng.sample(pool, rng.randint(1, 5))
        samples.append("".join(rng.choice(palette) for _ in range(rng.choice([1, 2, 3, 7, 40, 150]))))
    for sample in samples:
        assert detect_module._script(sample) == _script_letter_by_letter(sample), repr(sample)


def _score_latin_word_by_word(sample: str) -> tuple[tuple[float, float, float], int, int, float]:
    """_score_latin as first written: each word looked up and scored in the loop, no cache."""
    words = detect_module._words()
    floor = detect_module.WORD_FLOOR
    en, es, fr = detect_module.PRIOR
    common = [0, 0, 0]
    known = 0
    tokens = detect_module._tokens(sample)
    for token, count in Counter(tokens).items():
        found = detect_module._lookup(words, token)
        if found is None:
            oov = detect_module._oov_score(token)
            en += count * (floor + detect_module.OOV_WEIGHT * oov[0])
            es += count * (floor + detect_module.OOV_WEIGHT * oov[1])
            fr += count * (floor + detect_module.OOV_WEIGHT * oov[2])
            continue
        known += count
        if len(found) == 1:
            en += count * max(found[0][0] / 10.0, floor)
            es += count * max(found[0][1] / 10.0, floor)
            fr += count * max(found[0][2] / 10.0, floor)
        else:
            weight = count / len(found)
            en += weight * sum(max(zipf[0] / 10.0, floor) for zipf in found)
            es += weight * sum(max(zipf[1] / 10.0, floor) for zipf in found)
            fr += weight * sum(max(zipf[2] / 10.0, floor) for zipf in found)
        for language in range(3):
            common[language] += count * all(zipf[language] >= 20 for zipf in found)
    best = max(en, es, fr)
    weights = (10.0 ** (en - best), 10.0 ** (es - best), 10.0 ** (fr - best))
    total = sum(weights)
    posterior = (weights[0] / total, weights[1] / total, weights[2] / total)
    top = max(range(3), key=lambda index: posterior[index])
    return posterior, len(tokens), known, common[top] / len(tokens) if tokens else 0.0


def test_score_latin_matches_a_word_by_word_sum(monkeypatch: pytest.MonkeyPatch) -> None:
    """Same floats, not merely close ones: the cached terms are added as the loop added them."""
    samples = [
        "The the THE Parties parties",  # case variants are one word
        "l'objectif d'Aichi et l’habitat aujourd'hui qu'il",  # elisions, known and not
        "xyzzyq plugh CBD COP ABS UNEP Conservation",  # unknown words, acronyms
        "PROTECTED AREAS OF THE COAST",  # shouting keeps its acronyms
        " ".join(["Les Parties à la Convention sont invitées"] * 200),  # past _MAX_TOKENS
    ]
    samples += [item["text"] for item in map(json.loads, HELD_OUT.read_text(encoding="utf-8").splitlines()[:400])]
    for cache_size in (50_000, 3):  # a cache that keeps emptying must give the same too
        monkeypatch.setattr(detect_module, "_EVIDENCE_CACHE_SIZE", cache_size)
        detect_module._EVIDENCE.clear()
        for sample in samples:
            latin = detect_module._score_latin(sample)
            assert (latin.posterior, latin.tokens, latin.known, latin.coverage) == _score_latin_word_by_word(sample)
    detect_module._EVIDENCE.clear()


def test_plain_collapses_every_kind_of_space() -> None:
    text = " \t a\u00a0\u00a0b\u2028c\u3000\x1c d\r\n\x85e  "
    assert detect_module._plain(text) == re.sub(r"\s+", " ", text).strip() == "a b c d e"
