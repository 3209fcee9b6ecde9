"""Entity tagging with the real spaCy pipelines (blank, per language), in the six UN languages."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from analyzers import entities, gazetteer
from analyzers.entities import Entity, EntityTagger, entities_from_term_ids, entity_label, installed_ner_model
from analyzers.symbols import DOCUMENT_SYMBOL
from tests.conftest import ROOT

# The module-scoped `tagger` is set up once: under pytest-xdist this module's tests share a worker.
pytestmark = pytest.mark.xdist_group(__name__)

SAMPLES = ROOT / "samples" / "records"
TAGS = re.compile(r"<[^>]+>")


@pytest.fixture(scope="module")
def tagger() -> EntityTagger:
    """One tagger for the module; its pipelines are built once per process."""
    tagger = EntityTagger(ner_models={})
    tagger.preload()
    return tagger


def keys(tagger: EntityTagger, text: str, lang: str) -> list[str]:
    found = tagger.tag(text, lang)
    for entity in found:  # every entity points at its own text
        assert text[entity.start : entity.end] == entity.text
    return [entity.key for entity in found]


# --- countries ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "Brazil and the Brazilian delegation met Mexico.", ["country:br", "country:br", "country:mx"]),
        ("en", "BRAZIL: NATIONAL REPORT", ["country:br"]),
        ("en", "Brazil's forests and the Republic of Korea", ["country:br", "country:kr"]),
        ("fr", "Le Brésil et les autorités brésiliennes, avec l'Allemagne", ["country:br", "country:br", "country:de"]),
        ("fr", "les États-Unis d'Amérique et le Royaume-Uni", ["country:us", "country:gb"]),
        ("es", "El Brasil y las comunidades brasileñas del Perú", ["country:br", "country:br", "country:pe"]),
        ("es", "Mexico y México", ["country:mx", "country:mx"]),
        ("ru", "Бразилия", ["country:br"]),
        ("ru", "в Бразилии, с Бразилией, по Мексике, из Мексики", ["country:br"] * 2 + ["country:mx"] * 2),
        ("ru", "бразильской стороной в Российской Федерации", ["country:br", "country:ru"]),
        ("ru", "доклад Республики Беларусь и Египта", ["country:by", "country:eg"]),
        ("ar", "البرازيل", ["country:br"]),
        ("ar", "في البرازيل وبالبرازيل والبرازيل", ["country:br"] * 3),
        ("ar", "للبرازيل ولمصر وبرازيل", ["country:br", "country:eg", "country:br"]),
        ("ar", "الحكومة البرازيلية", ["country:br"]),
        ("zh", "巴西政府与墨西哥和秘鲁", ["country:br", "country:mx", "country:pe"]),
        ("zh", "中华人民共和国生物安全法", ["country:cn"]),
    ],
)
def test_countries_in_every_language(tagger: EntityTagger, lang: str, text: str, expected: list[str]) -> None:
    assert keys(tagger, text, lang) == expected


def test_arabic_clitics_are_not_part_of_the_entity(tagger: EntityTagger) -> None:
    text = "تعاون وبالبرازيل"
    [entity] = tagger.tag(text, "ar")
    assert entity.text == "البرازيل"
    assert entity.start == text.index("البرازيل")


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "roast turkey, chile peppers and a guinea pig"),
        ("en", "The report is available in French and Spanish."),
        ("en", "Brazil nuts from the Indian Ocean islands"),
        ("fr", "La réunion de l'équateur"),
        ("fr", "Le texte en français"),
        ("es", "La reunión de Granada"),
        ("ru", "Того же мнения придерживаются малые островные государства."),
        ("ar", "الدعم المالي والمحيط الهندي"),
        ("zh", "印度洋和马里亚纳海沟"),
        ("zh", "发展中国家缔约方和拉美国家"),  # 发展中|国家, 拉美|国家: no China, no United States
        ("zh", "沿海地区湿地的明智利用，内蒙古"),  # coastal areas, wise use, Inner Mongolia
    ],
)
def test_words_that_only_look_like_countries(tagger: EntityTagger, lang: str, text: str) -> None:
    assert [key for key in keys(tagger, text, lang) if key.startswith("country:")] == []


# --- document symbols and decisions --------------------------------------------------------------


@pytest.mark.parametrize("lang", ["ar", "en", "es", "fr", "ru", "zh"])
def test_document_symbols_in_every_language(tagger: EntityTagger, lang: str) -> None:
    text = "UNEP/CBD/COP/12/11 ; CBD/SBI/3/2 ; UNEP/CBD/WGRI/5/3/Add.1."
    assert keys(tagger, text, lang) == [
        "symbol:unep-cbd-cop-12-11",
        "symbol:cbd-sbi-3-2",
        "symbol:unep-cbd-wgri-5-3-add.1",
    ]


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "as requested in decision XI/2", ["decision:cop-xi-2"]),
        ("en", "Recalling decisions X/2 and XI/2,", ["decision:cop-x-2", "decision:cop-xi-2"]),
        ("en", "Decisions XIII/5, XIV/8 and 15/4", ["decision:cop-xiii-5", "decision:cop-xiv-8", "decision:cop-xv-4"]),
        ("fr", "la décision 14/8 de la Conférence", ["decision:cop-xiv-8"]),
        ("es", "la decisión XIII/5", ["decision:cop-xiii-5"]),
        ("ru", "решение XI/2 и решения XI/2", ["decision:cop-xi-2", "decision:cop-xi-2"]),
        ("ar", "القرار 14/8 والمقرر XI/2", ["decision:cop-xiv-8", "decision:cop-xi-2"]),
        ("zh", "第XI/2号决定和XI/2号决定", ["decision:cop-xi-2", "decision:cop-xi-2"]),
        ("en", "decision CP-9/2, NP-3/1 and BS-V/16", ["decision:cp-ix-2", "decision:np-iii-1", "decision:cp-v-16"]),
        ("fr", "décisions CP-VIII/1 et NP-1/1", ["decision:cp-viii-1", "decision:np-i-1"]),
    ],
)
def test_decisions_are_normalised(tagger: EntityTagger, lang: str, text: str, expected: list[str]) -> None:
    assert keys(tagger, text, lang) == expected


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "decision 5/3 of the board"),  # COP decisions were roman until COP 13
        ("en", "decision XLVII/2"),  # no such meeting
        ("en", "XI/2 of the annex"),  # no keyword, no CP-/NP- prefix
        ("zh", "审查执行情况工作组第5/11号建议"),  # a recommendation, not a decision
        ("ar", "القرار 70/1 للجمعية العامة"),  # a General Assembly resolution
    ],
)
def test_what_is_not_a_decision(tagger: EntityTagger, lang: str, text: str) -> None:
    assert [key for key in keys(tagger, text, lang) if key.startswith("decision:")] == []


def test_decision_span_covers_the_keyword(tagger: EntityTagger) -> None:
    [entity] = tagger.tag("自第XI/2号决定以来", "zh")
    assert entity.text == "第XI/2号决定"


# --- targets -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "Aichi Biodiversity Target 11 and Aichi Target 12", ["target:aichi-11", "target:aichi-12"]),
        ("en", "Aichi Biodiversity Targets 5, 11 and 12", ["target:aichi-5", "target:aichi-11", "target:aichi-12"]),
        ("en", "GBF Target 3", ["target:gbf-3"]),
        ("en", "Target 3 of the Kunming-Montreal Global Biodiversity Framework", ["target:gbf-3"]),
        ("en", "Target 23 of the Kunming–Montreal Global Biodiversity Framework", ["target:gbf-23"]),
        ("fr", "l'objectif 11 d'Aichi pour la biodiversité", ["target:aichi-11"]),
        ("fr", "elle cite « le Brésil » et « l’objectif 11 d’Aichi »", ["country:br", "target:aichi-11"]),
        ("fr", "la cible 3 du Cadre mondial de la biodiversité de Kunming-Montréal", ["target:gbf-3"]),
        ("es", "la Meta 11 de Aichi y la meta 3 del Marco Mundial de Biodiversidad de Kunming-Montreal", None),
        ("ru", "Целевая задача 11 по сохранению и устойчивому использованию биоразнообразия, принятая в Айти", None),
        ("ru", "Айтинской целевой задачи 11", ["target:aichi-11"]),
        ("ru", "целевая задача 3 Куньминско-Монреальской глобальной рамочной программы", ["target:gbf-3"]),
        ("zh", "爱知生物多样性目标11和昆明-蒙特利尔全球生物多样性框架目标3", ["target:aichi-11", "target:gbf-3"]),
        ("zh", "爱知目标十一", ["target:aichi-11"]),
        ("ar", "الهدف 11 من أهداف أيشي للتنوع البيولوجي", ["target:aichi-11"]),
        ("ar", "الهدف 3 من إطار كونمينغ-مونتريال العالمي للتنوع البيولوجي", ["target:gbf-3"]),
    ],
)
def test_targets_in_every_language(tagger: EntityTagger, lang: str, text: str, expected: list[str] | None) -> None:
    found = keys(tagger, text, lang)
    if expected is None:
        assert "target:aichi-11" in found
        assert set(found) <= {"target:aichi-11", "target:gbf-3"}
    else:
        assert found == expected


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Aichi Biodiversity Target 21"),
        ("en", "Aichi Target 0"),
        ("en", "GBF Target 24"),
        ("fr", "l'objectif 25 d'Aichi"),
        ("es", "Meta 30 de Aichi"),
        ("zh", "爱知生物多样性目标21"),
        ("ar", "الهدف 21 من أهداف أيشي"),
        ("en", "GBF Target 3.1 and Aichi Target 11.5"),
    ],
)
def test_out_of_range_target_numbers_are_not_entities(tagger: EntityTagger, lang: str, text: str) -> None:
    assert keys(tagger, text, lang) == []


def test_term_identifiers_map_to_the_same_entities() -> None:
    assert entities_from_term_ids(["AICHI-TARGET-11", "GBF-TARGET-03", "aichi-target-11", "GBF-TARGET-24", "X"]) == [
        "target:aichi-11",
        "target:gbf-3",
    ]


# --- treaties, organisations, species ------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "the Convention on Biological Diversity and the Nagoya Protocol", ["treaty:cbd", "treaty:nagoya"]),
        ("fr", "la Convention sur la diversité biologique et le Protocole de Cartagena", None),
        ("es", "el Convenio sobre la Diversidad Biológica y el Protocolo de Nagoya", None),
        ("ru", "Конвенции о биологическом разнообразии и Картахенскому протоколу", None),
        ("ar", "اتفاقية التنوع البيولوجي وبروتوكول ناغويا", None),
        ("zh", "《生物多样性公约》和《卡塔赫纳生物安全议定书》", None),
    ],
)
def test_treaties_in_every_language(tagger: EntityTagger, lang: str, text: str, expected: list[str] | None) -> None:
    found = keys(tagger, text, lang)
    assert len(found) == 2
    assert found[0] == "treaty:cbd"
    assert found[1] in {"treaty:cartagena", "treaty:nagoya"}
    if expected:
        assert found == expected


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "UNEP, the FAO and the Global Environment Facility", ["org:unep", "org:fao", "org:gef"]),
        ("fr", "le Programme des Nations Unies pour l'environnement et l'UICN", ["org:unep", "org:iucn"]),
        ("es", "el PNUMA y la Organización de las Naciones Unidas para la Alimentación y la Agricultura", None),
        ("ru", "ЮНЕП и Глобальный экологический фонд", ["org:unep", "org:gef"]),
        ("ar", "برنامج الأمم المتحدة للبيئة ومنظمة الأغذية والزراعة", ["org:unep", "org:fao"]),
        ("zh", "联合国环境规划署和FAO", ["org:unep", "org:fao"]),
    ],
)
def test_organisations_in_every_language(
    tagger: EntityTagger, lang: str, text: str, expected: list[str] | None
) -> None:
    assert keys(tagger, text, lang) == (expected or ["org:unep", "org:fao"])


def test_acronyms_are_case_sensitive(tagger: EntityTagger) -> None:
    assert keys(tagger, "The article cites who said what.", "en") == []
    assert keys(tagger, "CITES and WHO", "en") == ["org:cites", "org:who"]
    assert keys(tagger, "FAOSTAT数据", "zh") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("maize (Zea mays) and Zea mays again", ["species:zea-mays", "species:zea-mays"]),
        ("potato (Solanum tuberosum L.)", ["species:solanum-tuberosum"]),
        ("the maca (Lepidium meyenii), then Lepidium meyenii", ["species:lepidium-meyenii"] * 2),
        ("<p>the <i>Plukenetia volubilis</i> seed</p>", ["species:plukenetia-volubilis"]),
        ("The maize was grown. See annex (See annex). Madre de Dios", []),
        ("(Parties and) (Republic of Korea)", ["country:kr"]),
    ],
)
def test_species_need_evidence(tagger: EntityTagger, text: str, expected: list[str]) -> None:
    assert keys(tagger, text, "en") == expected


def test_species_in_other_scripts(tagger: EntityTagger) -> None:
    assert keys(tagger, "картофеля (Solanum tuberosum L.)", "ru") == ["species:solanum-tuberosum"]
    assert keys(tagger, "玉米（Zea mays）", "zh") == ["species:zea-mays"]


# --- overlaps, offsets, languages, sizes --------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "the Cartagena Protocol on Biosafety", ["treaty:cartagena"]),
        ("en", "Papua New Guinea and Guinea-Bissau", ["country:pg", "country:gw"]),
        ("en", "the Democratic People's Republic of Korea", ["country:kp"]),
        ("en", "the Secretariat of the Convention on Biological Diversity", ["org:scbd"]),
        ("en", "document UNEP/CBD/COP/12/11 of the CBD", ["symbol:unep-cbd-cop-12-11", "treaty:cbd"]),
        ("zh", "白俄罗斯和印度尼西亚", ["country:by", "country:id"]),
    ],
)
def test_longest_match_wins(tagger: EntityTagger, lang: str, text: str, expected: list[str]) -> None:
    assert keys(tagger, text, lang) == expected


def test_entities_carry_offsets_and_keys(tagger: EntityTagger) -> None:
    text = "Le Brésil applique la décision 14/8."
    assert tagger.tag(text, "fr") == [
        Entity("country", "br", "Brésil", 3, 9),
        Entity("decision", "cop-xiv-8", "décision 14/8", 22, 35),
    ]
    assert tagger.tag(text, "fr")[0].key == "country:br"


def test_empty_and_blank_texts(tagger: EntityTagger) -> None:
    assert tagger.tag("", "en") == []
    assert tagger.tag("   \n ", "zh") == []
    assert tagger.tag_many([]) == []


def test_language_outside_the_six_gets_the_language_neutral_entities(tagger: EntityTagger) -> None:
    text = "Dokument UNEP/CBD/COP/12/11, Beschluss CP-9/2, Mais (Zea mays) in Brasilien"
    assert keys(tagger, text, "de") == ["symbol:unep-cbd-cop-12-11", "decision:cp-ix-2", "species:zea-mays"]
    assert keys(tagger, "Le Brésil", "fr-FR") == ["country:br"]


def test_a_tagger_for_some_languages_only() -> None:
    only_english = EntityTagger(["en"], ner_models={})
    assert [e.key for e in only_english.tag("Brazil", "en")] == ["country:br"]
    assert only_english.tag("le Brésil", "fr") == []
    with pytest.raises(ValueError, match="no entity pipeline"):
        EntityTagger(["de"])


def test_a_long_text_is_tagged_to_its_end(tagger: EntityTagger) -> None:
    filler = "The Parties noted the report of the meeting and its annexes.\n" * 19_000
    text = "Brazil. " + filler + "Decision XI/2 on Peru. " + filler + "Aichi Biodiversity Target 11 in Kenya."
    assert len(text) > 2 * entities.CHUNK_CHARS and len(text) > 1_000_000
    found = tagger.tag(text, "en")
    assert [e.key for e in found] == [
        "country:br",
        "decision:cop-xi-2",
        "country:pe",
        "target:aichi-11",
        "country:ke",
    ]
    assert all(text[e.start : e.end] == e.text for e in found)


def test_batching_equals_one_by_one(tagger: EntityTagger) -> None:
    items = [
        ("Le Brésil et l'objectif 11 d'Aichi", "fr"),
        ("巴西政府", "zh"),
        ("", "en"),
        ("Brazil and decision XI/2", "en"),
        ("البرازيل", "ar"),
        ("Brasil y la decisión XIII/5", "es"),
        ("Бразилии", "ru"),
        ("Brazil again", "en"),
        ("UNEP/CBD/COP/12/11", "de"),
    ]
    assert tagger.tag_many(items) == [tagger.tag(text, lang) for text, lang in items]


def test_tagging_from_several_threads(tagger: EntityTagger) -> None:
    items = [("Le Brésil et la décision 14/8", "fr"), ("Бразилия и Мексика", "ru")] * 20
    expected = [tagger.tag(text, lang) for text, lang in items]
    results: list[list[list[Entity]]] = []

    def work() -> None:
        results.append(tagger.tag_many(items))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 4


def test_a_pipeline_whose_vocabulary_grew_too_large_is_rebuilt(
    tagger: EntityTagger, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = entities._pipeline("en")
    monkeypatch.setattr(entities, "MAX_LEXEMES", len(before.nlp.vocab) - 1)
    assert keys(tagger, "Brazil", "en") == ["country:br"]
    assert entities._pipeline("en") is not before


# --- how the regexes run: anchored matching, case folding, Chinese tokens -------------------------

# Phrases for every target and decision pattern, cut and joined at random below so that matches
# sit at the edges of texts, next to letters, digits, "." and ";", in upper and lower case.
PATTERN_SEEDS = {
    "en": [
        "Aichi Biodiversity Targets 5, 11 and 12",
        "Target 3 of the Kunming-Montreal Global Biodiversity Framework",
        "KM-GBF Action Target No. 3",
        "Action Targets 2 and 3 in the GBF",
        "Global Biodiversity Framework's Targets 2 & 3",
        "Targets 5 and 11 of the Aichi Biodiversity Targets",
        "Recalling decisions X/2 and XI/2",
        "decision CP-9/2, NP-3/1 and BS-V/16",
        "UNEP/CBD/COP/12/11 and CBD/SBI/3/2",
    ],
    "fr": [
        "l'objectif 11 d'Aichi pour la biodiversité",
        "objectifs d'Aichi relatifs à la diversité biologique n° 5 et 11",
        "la cible 3 du Cadre mondial de la biodiversité de Kunming-Montréal",
        "les objectifs 5 et 11 du CMB",
        "la décision 14/8 et les decisions XI/2; XII/3",
    ],
    "es": [
        "la Meta 11 de Aichi",
        "metas de Aichi para la biodiversidad 5 y 11",
        "la meta 3 del Marco Mundial de Biodiversidad de Kunming-Montreal",
        "la decisión XIII/5",
    ],
    "ru": [
        "Целевая задача 11 по сохранению биоразнообразия, принятая в Айти",
        "Айтинской целевой задачи 11",
        "целевая задача 3 Куньминско-Монреальской глобальной рамочной программы",
        "решение XI/2 и решения XI/2",
    ],
    "ar": [
        "الهدف 11 من أهداف أيشي للتنوع البيولوجي",
        "الهدف 3 من إطار كونمينغ-مونتريال العالمي للتنوع البيولوجي",
        "أهداف أيشي رقم 11",
        "الأهداف أيشي 5 و الاهداف ايتشي 7 و اهداف آيشي 9 و هدف أيشي 3 و الهدف إيشي 4",
        "الغاية 3 في الإطار العالمي و غاية 4 من الإطار العالمي",
        "القرار 14/8 والمقرر XI/2",
    ],
    "zh": [
        "爱知生物多样性目标11和昆明-蒙特利尔全球生物多样性框架目标3",
        "爱知目标十一",
        "第11项爱知目标",
        "《全球生物多样性框架》行动目标第3项",
        "昆蒙框架目标3",
        "第XI/2号决定和决定XI/3",
    ],
}


def _pattern_texts(lang: str, count: int = 300) -> list[str]:
    rng = random.Random(lang)
    seeds = PATTERN_SEEDS[lang]
    texts = list(seeds)
    for _ in range(count):
        text = "".join(rng.choice(seeds) + rng.choice(["", " ", ". ", "; ", "\n", "x", "5", "-"]) for _ in range(3))
        for _ in range(rng.randint(0, 3)):
            at = rng.randint(0, len(text))
            if rng.random() < 0.5:
                text = text[:at] + rng.choice("x .;,/05") + text[at:]
            else:
                text = text[:at] + text[at + rng.randint(1, 4) :]
        texts.append(rng.choice([text, text, text.upper(), text.lower()]))
    return texts


@pytest.mark.parametrize("lang", list(PATTERN_SEEDS))
def test_anchored_matching_finds_what_a_scan_finds(lang: str) -> None:
    """``_find`` tries a pattern only where its anchor words begin: it must find all that ``finditer`` does."""
    patterns = [(pattern, anchors, True) for _, anchors, pattern in entities._TARGETS[lang]]
    patterns += [(pattern, anchors, True) for pattern, anchors in entities._DECISIONS[lang]]
    patterns += [(entities._PREFIXED_DECISION, entities._PREFIXED_CUES, False)]
    patterns += [(DOCUMENT_SYMBOL, entities._SYMBOL_ANCHORS, False)]
    found = 0
    for text in _pattern_texts(lang):
        for pattern, anchors, folded in patterns:
            haystack = entities._lower_haystack(text, text.lower()) if folded else text
            expected = [(m.span(), m.groups()) for m in pattern.finditer(text)]
            assert [(m.span(), m.groups()) for m in entities._find(pattern, text, haystack, anchors)] == expected
            found += len(expected)
    assert found > 300


def test_case_traps_hold_every_letter_that_lower_case_misses() -> None:
    """Anchors are looked for in ``text.lower()``: whatever re.IGNORECASE reads as an anchor letter
    and ``str.lower()`` does not turn into it must make the text be scanned whole."""
    anchors = {word for sources in entities._TARGETS.values() for _, words, _ in sources for word in words}
    anchors |= {word for patterns in entities._DECISIONS.values() for _, words in patterns for word in words}
    assert all(word == word.lower() for word in anchors)
    letters = {char for word in anchors for char in word if char.lower() != char.upper()}
    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    misses = {
        match.group()
        for letter in letters
        for match in re.finditer("(?i)" + re.escape(letter), everything)
        if match.group().lower() != letter
    }
    assert misses >= {"ſ", "ı"}
    misses |= {char for char in everything if len(char.lower()) != 1}  # "İ": the offsets would shift
    assert [char for char in misses if not entities._CASE_TRAPS.match(char)] == []


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "decision X/2 and decıſion XI/2", ["decision X/2", "decıſion XI/2"]),
        ("en", "Aichi Target 11 and AİCHI TARGET 12", ["Aichi Target 11", "AİCHI TARGET 12"]),
        ("ru", "целеᲀая задача 11, принятая в Айти", ["целеᲀая задача 11, принятая в Айти"]),
    ],
)
def test_letters_that_only_re_ignorecase_reads(tagger: EntityTagger, lang: str, text: str, expected: list[str]) -> None:
    assert [entity.text for entity in tagger.tag(text, lang)] == expected


def test_chinese_tokens_are_spacys() -> None:
    from spacy.lang.zh import Chinese

    ours = entities._pipeline("zh").nlp.tokenizer
    assert isinstance(ours, entities._ChineseCharTokenizer)
    theirs = Chinese().tokenizer
    for text in [
        "",
        " ",
        "巴西政府",
        " 巴西  政府\n",
        "a \n b",
        "中 文\u3000字\t\t",
        "UNEP/CBD/COP/12/11 文件 ",
        "\n\n第XI/2号决定 ",
    ]:
        assert [(t.text, t.whitespace_) for t in ours(text)] == [(t.text, t.whitespace_) for t in theirs(text)]


# --- labels --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "lang", "label"),
    [
        ("country:br", "ar", "البرازيل"),
        ("country:br", "en", "Brazil"),
        ("country:br", "es", "Brasil"),
        ("country:br", "fr", "Brésil"),
        ("country:br", "ru", "Бразилия"),
        ("country:br", "zh", "巴西"),
        ("country:kr", "en", "Republic of Korea"),
        ("target:aichi-11", "es", "Meta 11 de Aichi"),
        ("target:aichi-11", "en", "Aichi Biodiversity Target 11"),
        ("target:aichi-11", "fr", "Objectif 11 d'Aichi"),
        ("target:gbf-3", "zh", "全球生物多样性框架目标3"),
        ("decision:cop-xi-2", "fr", "décision XI/2"),
        ("decision:cop-xiv-8", "en", "decision 14/8"),
        ("decision:cop-xiv-8", "zh", "第14/8号决定"),
        ("decision:cp-ix-2", "en", "decision CP-9/2"),
        ("decision:cp-v-16", "en", "decision BS-V/16"),
        ("decision:np-iii-1", "ru", "решение NP-3/1"),
        ("treaty:cartagena", "fr", "Protocole de Cartagena sur la prévention des risques biotechnologiques"),
        ("treaty:nagoya", "zh", "获取和惠益分享名古屋议定书"),
        ("treaty:cbd", "ru", "Конвенция о биологическом разнообразии"),
        ("org:unep", "es", "Programa de las Naciones Unidas para el Medio Ambiente (PNUMA)"),
        ("org:fao", "ar", "منظمة الأغذية والزراعة للأمم المتحدة (الفاو)"),
        ("symbol:unep-cbd-wgri-5-3-add.1", "en", "UNEP/CBD/WGRI/5/3/Add.1"),
        ("species:zea-mays", "fr", "Zea mays"),
        ("country:br", "de", "Brazil"),
        ("org:national-forest-service", "en", "national-forest-service"),
        ("target:aichi-99", "en", "aichi-99"),
        ("nonsense", "en", "nonsense"),
    ],
)
def test_labels(key: str, lang: str, label: str) -> None:
    assert entity_label(key, lang) == label


@pytest.mark.parametrize("kind", ["treaty:cbd", "treaty:cartagena", "treaty:nagoya", "org:unep", "org:iucn"])
def test_treaty_and_organisation_labels_in_six_languages(kind: str) -> None:
    labels = {lang: entity_label(kind, lang) for lang in ("ar", "en", "es", "fr", "ru", "zh")}
    assert len(set(labels.values())) >= 4  # really translated, not the English six times
    assert all(label and label != kind.partition(":")[2] for label in labels.values())


@pytest.mark.parametrize("lang", ["ar", "en", "es", "fr", "ru", "zh"])
def test_every_label_is_recognised_in_its_own_language(tagger: EntityTagger, lang: str) -> None:
    """What a facet shows, searched for or pasted back, lands on the same entity."""
    from analyzers import gazetteer

    entity_keys = ["target:aichi-11", "target:gbf-23", "decision:cop-xi-2", "decision:cop-xiv-8"]
    entity_keys += ["decision:cp-ix-2", "decision:cp-v-16", "decision:np-iii-1"]
    entity_keys += [f"treaty:{ident}" for ident in gazetteer.load_data("treaties")]
    entity_keys += [f"org:{ident}" for ident in gazetteer.load_data("organizations")]
    entity_keys += [f"country:{code}" for code in gazetteer.load_data("countries")]
    missed = [key for key in entity_keys if key not in keys(tagger, entity_label(key, lang), lang)]
    assert missed == []


# --- the sample records --------------------------------------------------------------------------


def _record_keys(tagger: EntityTagger, name: str) -> set[str]:
    record = json.loads((SAMPLES / name).read_text(encoding="utf-8"))
    items = [
        (TAGS.sub(" ", text), lang)
        for field in ("title", "summary", "description", "relevantInformation", "text")
        for lang, text in (record.get(field) or {}).items()
    ]
    return {entity.key for found in tagger.tag_many(items) for entity in found}


def test_sample_records(tagger: EntityTagger) -> None:
    castana = _record_keys(tagger, "absPermit-pe-castana.json")
    assert {"country:pe", "country:br", "treaty:nagoya", "species:bertholletia-excelsa"} <= castana
    french_target = _record_keys(tagger, "nationalTarget-fr-aires-protegees.json")
    assert {"target:aichi-11", "target:gbf-3", "decision:cop-xiv-8", "country:fr"} <= french_target
    assert {"symbol:unep-cbd-cop-12-11", "decision:cop-xi-2", "country:kr"} <= _record_keys(
        tagger, "meetingDocument-cop12-11-chm.json"
    )
    assert {"country:eg", "treaty:cbd", "target:aichi-11", "decision:cop-xiv-8"} <= _record_keys(
        tagger, "nationalReport6-eg.json"
    )
    assert {"country:ru", "treaty:cbd", "target:aichi-11", "decision:cop-xi-2"} <= _record_keys(
        tagger, "nationalReport6-ru.json"
    )
    assert {"country:by", "treaty:cartagena", "species:solanum-tuberosum"} <= _record_keys(
        tagger, "nationalRiskAssessment-by-potato.json"
    )
    assert {"country:cn", "treaty:cartagena"} <= _record_keys(tagger, "biosafetyLaw-cn-biosecurity-law.json")
    assert {"symbol:cbd-sbi-3-2"} <= _record_keys(tagger, "notification-sbi3-national-targets.json")
    mon810 = _record_keys(tagger, "modifiedOrganism-mon810.json")
    assert {"species:zea-mays", "species:bacillus-thuringiensis", "treaty:cartagena"} <= mon810
    assert not any(key.startswith("species:") and "maize" in key for key in mon810)


def test_every_sample_record_tags_cleanly(tagger: EntityTagger) -> None:
    for path in sorted(SAMPLES.glob("*.json")):
        for entity_key in _record_keys(tagger, path.name):
            kind, _, ident = entity_key.partition(":")
            assert kind in entities.ENTITY_TYPES and ident
            assert entity_label(entity_key, "fr")


# --- statistical NER ----------------------------------------------------------------------------


def test_organisations_from_a_saved_spacy_pipeline(tmp_path: Path) -> None:
    """The model path end to end, with a real (rule-based) pipeline saved and loaded by spaCy."""
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(  # type: ignore[attr-defined]
        [
            {"label": "ORG", "pattern": "National Forest and Wildlife Service"},
            {"label": "ORG", "pattern": "UNEP"},
            {"label": "GPE", "pattern": "Peru"},
        ]
    )
    nlp.to_disk(tmp_path / "ner")
    tagger = EntityTagger(["en"], ner_models={"en": tmp_path / "ner"})
    assert tagger.ner_model("en") == str(tmp_path / "ner")
    text = "The National Forest and Wildlife Service of Peru and UNEP"
    assert [e.key for e in tagger.tag(text, "en")] == [
        "org:national-forest-and-wildlife-service",
        "country:pe",
        "org:unep",  # the gazetteer's id wins over the model's on the same span
    ]


def test_installed_official_model_is_used() -> None:
    name = installed_ner_model("en")
    if name is None:
        pytest.skip("no official spaCy English NER package is installed (none can be downloaded here)")
    tagger = EntityTagger(["en"])
    assert tagger.ner_model("en") == name
    found = tagger.tag("The World Bank and the Asian Development Bank met in Manila.", "en")
    assert any(e.type == "org" for e in found)


# --- start-up cost ------------------------------------------------------------------------------

FRENCH_SNAG = (
    "entr'amis, faux-vampire et pet-en-l'air : a-t-elle vu l'État, aujourd'hui, les prud'hommes des "
    "États-Unis à New-York, c'est-à-dire https://www.cbd.int/abs/ ? L'accord d'Aichi, hip-hop."
)


def test_the_french_pipeline_is_built_without_compiling_the_token_regex_it_does_not_use() -> None:
    """spaCy's French TOKEN_MATCH (1.4 MB of regex, 4 s or more to compile) was compiled at import in
    every process that tags French, then switched off; it is neither compiled nor run now."""
    script = (
        "import re, spacy.lang\n"
        "from analyzers.entities.matcher import _Pipeline\n"
        "nlp = _Pipeline('fr').nlp\n"
        "from spacy.lang.fr.tokenizer_exceptions import TOKEN_MATCH\n"
        "print(isinstance(TOKEN_MATCH.__self__, re.Pattern), getattr(TOKEN_MATCH.__self__, 'compiled', 0))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "None"]  # a lazy pattern, never compiled


def test_the_french_pipeline_tokenises_as_spacys_own_blank_french() -> None:
    import spacy

    from analyzers.entities.matcher import _Pipeline

    ours = _Pipeline("fr").nlp.tokenizer
    theirs = spacy.blank("fr").tokenizer  # its TOKEN_MATCH compiled here, on first use
    theirs.token_match = None
    theirs.url_match = None
    texts = [FRENCH_SNAG, *(phrase.text for phrase in gazetteer.phrases("fr"))]
    texts += [path.read_text(encoding="utf-8") for path in sorted(SAMPLES.glob("*.json"))]
    for text in texts:
        assert [t.text for t in ours(text)] == [t.text for t in theirs(text)], text[:200]
    from spacy.lang.fr.tokenizer_exceptions import TOKEN_MATCH

    assert TOKEN_MATCH("entr'amis") and not TOKEN_MATCH("forêt")  # still the regex when used
