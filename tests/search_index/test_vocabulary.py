"""The multilingual vocabulary: what a query's words also mean, in the six UN languages."""

from __future__ import annotations

import random
import tomllib
from pathlib import Path

import pytest

from record_catalogue.languages import UN_LANGUAGES
from search_index.query_text import Clause, ParsedText, QueryTextError, Term, parse_query_text
from search_index.vocabulary import (
    DEFAULT_PATH,
    Concept,
    Expansion,
    Vocabulary,
    VocabularyError,
    catalogue_concepts,
    glossary_concepts,
    parse_vocabulary,
    read_vocabulary,
)
from translate.glossary import Glossary

HEADER = "# chm-search vocabulary, format 1\nid,kind,lang,term\n"


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    """What the search API uses: the data file, the glossary and the catalogue vocabularies."""
    return Vocabulary.load(extra=[*glossary_concepts(Glossary.load().rows), *catalogue_concepts()])


def expand(vocabulary: Vocabulary, text: str) -> tuple[ParsedText, list[Expansion]]:
    return vocabulary.expand(parse_query_text(text))


def options(clause: Clause) -> set[tuple[str, str | None]]:
    return {(term.text, term.lang) for term in clause.options}


# The examples of the issue


def test_diversite_biologique_crosses_every_language(vocabulary: Vocabulary) -> None:
    for typed in ("diversité biologique", "« diversité biologique »", "diversite biologique", "Diversité Biologique"):
        parsed, expansions = expand(vocabulary, typed)
        assert len(parsed.required) == 1, typed
        found = options(parsed.required[0])
        assert ("biological diversity", "en") in found
        assert ("biodiversidad", "es") in found or ("diversidad biológica", "es") in found
        assert ("生物多样性", "zh") in found
        assert ("التنوع البيولوجي", "ar") in found
        assert ("биологическое разнообразие", "ru") in found
        assert {expansion.source for expansion in expansions} >= {"glossary", "synonyms"}


def test_the_typed_words_stay_an_option_as_words_not_a_phrase(vocabulary: Vocabulary) -> None:
    # Each typed word must still occur somewhere, as if typed alone ("biologique ... diversité" too).
    parsed, expansions = expand(vocabulary, "diversité biologique rapport")
    first, second = parsed.required
    assert first.options[0] == Term("diversité biologique", phrase=False)
    assert first.typed == "diversité biologique"
    assert second == Clause((Term("rapport"),), "rapport")
    assert all(expansion.typed == "diversité biologique" for expansion in expansions)


def test_russian_case_forms_find_terms_by_their_stems(vocabulary: Vocabulary) -> None:
    for typed in ("России", "Российской Федерации", "Россию"):
        _, expansions = expand(vocabulary, typed)
        assert [e.concept for e in expansions] == ["country:ru"], typed
    # Short words are never matched by stem: « малой » ("small") is not Mali (« Мали »).
    assert expand(vocabulary, "малой")[1] == []
    assert expand(vocabulary, "мало")[1] == []


def test_multi_word_terms_are_phrases_with_their_language(vocabulary: Vocabulary) -> None:
    parsed, _ = expand(vocabulary, "biodiversidad")
    by_text = {term.text: term for term in parsed.required[0].options}
    assert by_text["biological diversity"] == Term("biological diversity", phrase=True, lang="en")
    assert by_text["生物多样性"] == Term("生物多样性", phrase=False, lang="zh")
    assert by_text["biodiversidad"] == Term("biodiversidad")  # as typed: no language


def test_mon810_expands_to_the_unique_identifier(vocabulary: Vocabulary) -> None:
    for typed in ("MON810", "mon810", "MON-00810-6", "MON 810"):
        parsed, expansions = expand(vocabulary, typed)
        assert len(parsed.required) == 1, typed
        assert ("MON-ØØ81Ø-6", "und") in options(parsed.required[0]) or typed == "MON-ØØ81Ø-6"
        assert expansions[0].concept == "mon-00810-6"
        assert expansions[0].source == "identifier"


@pytest.mark.parametrize(
    ("typed", "option"),
    [
        pytest.param("MON-ØØ81Ø-6", ("MON810", "und"), id="the unique identifier expands to the event name"),
        pytest.param("NK603", ("MON-ØØ6Ø3-6", "und"), id="an event named otherwise needs its row"),
        pytest.param("живой изменённый организм", ("living modified organism", "en"), id="russian yo"),
    ],
)
def test_what_is_typed_is_widened_with(vocabulary: Vocabulary, typed: str, option: tuple[str, str]) -> None:
    parsed, _ = expand(vocabulary, typed)
    assert option in options(parsed.required[0])


def test_lmo_expands_to_living_modified_organism(vocabulary: Vocabulary) -> None:
    parsed, expansions = expand(vocabulary, "LMO")
    found = options(parsed.required[0])
    assert ("living modified organism", "en") in found
    assert ("organisme vivant modifié", "fr") in found
    assert ("OVM", "fr") in found
    assert ("GMO", "en") in found
    assert ("改性活生物体", "zh") in found
    assert ("ЖИО", "ru") in found
    assert "lmo" in {expansion.concept for expansion in expansions}


def test_synonyms_reach_the_acronyms(vocabulary: Vocabulary) -> None:
    parsed, _ = expand(vocabulary, "organisme vivant modifié")
    assert ("LMO", "en") in options(parsed.required[0])


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ABS", ("access and benefit-sharing", "en")),
        ("APA", ("ABS", "en")),
        ("PIC", ("prior informed consent", "en")),
        ("MAT", ("mutually agreed terms", "en")),
        ("IRCC", ("internationally recognized certificate of compliance", "en")),
        ("ircc", ("certificado de cumplimiento reconocido internacionalmente", "es")),
        ("CBD", ("Convention sur la diversité biologique", "fr")),
        ("CHM", ("clearing-house mechanism", "en")),
        ("BCH", ("Biosafety Clearing-House", "en")),
        ("ABS-CH", ("Access and Benefit-sharing Clearing-House", "en")),
        ("Cartagena Protocol", ("Protocole de Cartagena", "fr")),
        ("Nagoya Protocol", ("名古屋议定书", "zh")),
        ("Нагойского протокола", ("Nagoya Protocol", "en")),
        ("bioseguridad", ("biosafety", "en")),
    ],
)
def test_acronyms_and_synonyms_of_the_clearing_houses(
    vocabulary: Vocabulary, typed: str, expected: tuple[str, str]
) -> None:
    parsed, _ = expand(vocabulary, typed)
    assert len(parsed.required) == 1
    assert expected in options(parsed.required[0])


def test_short_acronyms_match_only_in_capitals(vocabulary: Vocabulary) -> None:
    for word in ("mat", "pic", "abs", "lmo", "br", "in", "de", "es"):
        parsed, expansions = expand(vocabulary, word)
        assert expansions == [], word
        assert parsed.required == (Clause((Term(word),), word),)
    assert expand(vocabulary, "(LMO)")[1]


def test_arabic_with_and_without_the_article_meet_the_glossary(vocabulary: Vocabulary) -> None:
    glossary = next(c for c in vocabulary.concepts if c.id == "glossary:biological-diversity")
    assert ("ar", "التنوع البيولوجي") in glossary.terms
    for typed in ("تنوع بيولوجي", "التنوع البيولوجي", "والتنوع البيولوجي", "التَّنَوُّع البيولوجي"):
        parsed, expansions = expand(vocabulary, typed)
        assert len(parsed.required) == 1, typed
        assert "glossary:biological-diversity" in {expansion.concept for expansion in expansions}, typed
        assert ("biological diversity", "en") in options(parsed.required[0])
    parsed, _ = expand(vocabulary, "تنوع بيولوجي")
    assert ("التنوع البيولوجي", "ar") in options(parsed.required[0])


def test_the_typed_form_is_not_added_again(vocabulary: Vocabulary) -> None:
    parsed, expansions = expand(vocabulary, "التنوع البيولوجي")
    assert ("التنوع البيولوجي", "ar") not in options(parsed.required[0])
    assert all(term.text != "التنوع البيولوجي" for expansion in expansions for term in expansion.added)
    assert parsed.required[0].options[0] == Term("التنوع البيولوجي")


def test_chinese_terms_match_as_typed(vocabulary: Vocabulary) -> None:
    parsed, _ = expand(vocabulary, "改性活生物体 检测")
    assert ("living modified organism", "en") in options(parsed.required[0])
    assert parsed.required[1].options == (Term("检测"),)


# Matching rules


def test_longest_match_first(vocabulary: Vocabulary) -> None:
    parsed, expansions = expand(vocabulary, "Cartagena Protocol on Biosafety")
    assert len(parsed.required) == 1
    assert "cartagena" in {expansion.concept for expansion in expansions}
    parsed, expansions = expand(vocabulary, "Biosafety Clearing-House")
    assert len(parsed.required) == 1
    assert {expansion.concept for expansion in expansions} >= {"bch"}
    assert "biosafety" not in {expansion.concept for expansion in expansions}


def test_several_concepts_in_one_query(vocabulary: Vocabulary) -> None:
    parsed, expansions = expand(vocabulary, "LMO Brazil Aichi Target 11")
    assert [clause.typed for clause in parsed.required] == ["LMO", "Brazil", "Aichi Target 11"]
    concepts = {expansion.concept for expansion in expansions}
    assert {"lmo", "country:br", "target:aichi-11"} <= concepts
    assert ("Brésil", "fr") in options(parsed.required[1])
    assert ("BR", "und") in options(parsed.required[1])
    assert ("Objectif 11 d'Aichi", "fr") in options(parsed.required[2])


def test_words_in_or_clauses_and_exclusions_are_not_expanded(vocabulary: Vocabulary) -> None:
    parsed = parse_query_text("LMO OR maize -GMO biosafety")
    expanded, expansions = vocabulary.expand(parsed)
    assert expanded.required[0] == parsed.required[0]
    assert expanded.excluded == parsed.excluded
    assert [expansion.concept for expansion in expansions] == ["biosafety"]


def test_a_phrase_matches_only_as_a_whole(vocabulary: Vocabulary) -> None:
    parsed, expansions = expand(vocabulary, '"diversité biologique du sol"')
    assert expansions == []
    assert parsed.required[0].options == (Term("diversité biologique du sol", phrase=True),)
    parsed, expansions = expand(vocabulary, '"biological" diversity')
    assert expansions == []


def test_a_quoted_single_word_is_matched(vocabulary: Vocabulary) -> None:
    parsed, expansions = expand(vocabulary, '"LMO"')
    assert parsed.required[0].options[0] == Term("LMO", phrase=True)
    assert expansions


def test_expanding_twice_changes_nothing(vocabulary: Vocabulary) -> None:
    once, _ = expand(vocabulary, "LMO diversité biologique")
    twice, expansions = vocabulary.expand(once)
    assert twice == once
    assert expansions == []


def test_ignored_and_excluded_pass_through(vocabulary: Vocabulary) -> None:
    parsed = parse_query_text('LMO -maize * "')
    expanded, _ = vocabulary.expand(parsed)
    assert expanded.excluded == parsed.excluded
    assert expanded.ignored == parsed.ignored


def test_unknown_words_are_left_alone(vocabulary: Vocabulary) -> None:
    parsed = parse_query_text("Mijikenda SERFOR")
    assert vocabulary.expand(parsed) == (parsed, [])


def test_a_small_vocabulary() -> None:
    vocabulary = Vocabulary(
        [
            Concept("x", "synonyms", (("en", "access and benefit-sharing"), ("fr", "APA"))),
            Concept("y", "synonyms", (("en", "access"), ("fr", "accès"))),
        ]
    )
    parsed, expansions = vocabulary.expand(parse_query_text("access and benefit sharing access"))
    assert [clause.typed for clause in parsed.required] == ["access and benefit sharing", "access"]
    assert parsed.required[0].options == (
        Term("access and benefit sharing"),
        Term("access and benefit-sharing", phrase=True, lang="en"),
        Term("APA", lang="fr"),
    )
    assert parsed.required[1].options == (Term("access"), Term("accès", lang="fr"))
    assert expansions == [
        Expansion(
            "access and benefit sharing",
            "x",
            "synonyms",
            (Term("access and benefit-sharing", phrase=True, lang="en"), Term("APA", lang="fr")),
        ),
        Expansion("access", "y", "synonyms", (Term("accès", lang="fr"),)),
    ]


def test_a_partial_run_falls_back_to_shorter_matches() -> None:
    vocabulary = Vocabulary(
        [
            Concept("long", "synonyms", (("en", "a b c"), ("fr", "x"))),
            Concept("short", "synonyms", (("en", "a"), ("fr", "y"))),
        ]
    )
    parsed, expansions = vocabulary.expand(parse_query_text("a b d"))
    assert [clause.typed for clause in parsed.required] == ["a", "b", "d"]
    assert [expansion.concept for expansion in expansions] == ["short"]


def test_concepts_sharing_a_term_are_all_applied() -> None:
    vocabulary = Vocabulary(
        [
            Concept("one", "synonyms", (("en", "alpha"), ("fr", "alpha-fr"))),
            Concept("two", "glossary", (("en", "alpha"), ("es", "alfa"))),
        ]
    )
    parsed, expansions = vocabulary.expand(parse_query_text("alpha"))
    assert [expansion.concept for expansion in expansions] == ["one", "two"]
    assert len(parsed.required[0].options) == 3


# The data file


def test_the_data_file_loads_and_is_multilingual() -> None:
    concepts = read_vocabulary(DEFAULT_PATH)
    assert len(concepts) >= 40
    languages = {lang for concept in concepts for lang, _term in concept.terms}
    assert languages == {*UN_LANGUAGES, "und"}
    first = DEFAULT_PATH.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("#") and "format 1" in first
    by_id = {concept.id: concept for concept in concepts}
    for ident in ("lmo", "abs", "pic", "mat", "ircc", "cbd", "cartagena", "nagoya", "biodiversity"):
        assert {lang for lang, _term in by_id[ident].terms} >= set(UN_LANGUAGES) - {"und"}, ident


def test_the_data_file_is_package_data() -> None:
    with (Path(__file__).resolve().parents[2] / "pyproject.toml").open("rb") as handle:
        pyproject = tomllib.load(handle)
    patterns = pyproject["tool"]["setuptools"]["package-data"]["search_index"]
    assert "data/*.csv" in patterns
    assert DEFAULT_PATH.relative_to(Path(__file__).resolve().parents[2] / "search_index").match("data/*.csv")


def test_a_curator_can_extend_it(tmp_path: Path) -> None:
    path = tmp_path / "vocabulary.csv"
    path.write_text(
        HEADER + "serfor,synonyms,es,SERFOR\nserfor,synonyms,es,Servicio Nacional Forestal y de Fauna Silvestre\n",
        encoding="utf-8",
    )
    vocabulary = Vocabulary.load(path=path)
    parsed, expansions = vocabulary.expand(parse_query_text("SERFOR"))
    assert expansions[0].concept == "serfor"
    assert ("Servicio Nacional Forestal y de Fauna Silvestre", "es") in options(parsed.required[0])


def test_the_file_is_read_again_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "vocabulary.csv"
    path.write_text(HEADER + "a,synonyms,en,alpha\na,synonyms,fr,alpha-fr\n", encoding="utf-8")
    assert [c.id for c in read_vocabulary(path)] == ["a"]
    path.write_text(HEADER + "b,synonyms,en,beta\nb,synonyms,fr,beta-fr\nb,synonyms,es,beta-es\n", encoding="utf-8")
    assert [c.id for c in read_vocabulary(path)] == ["b"]


def test_the_optional_note_column() -> None:
    concepts = parse_vocabulary(
        "# chm-search vocabulary, format 1\nid,kind,lang,term,note\nx,synonyms,en,one,why\nx,synonyms,fr,un\n"
    )
    assert concepts == (Concept("x", "synonyms", (("en", "one"), ("fr", "un"))),)


def test_comments_and_blank_lines_are_skipped() -> None:
    concepts = parse_vocabulary(HEADER + "\n# a comment\nx,synonyms,en,one\n\nx,synonyms,fr,un\n")
    assert [c.id for c in concepts] == ["x"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id,kind,lang,term\n", r":1: the first line must name the format"),
        ("# chm-search vocabulary, format 2\nid,kind,lang,term\n", r":1: format 2 is not supported"),
        ("# format 1\nid,lang,term\n", r":2: the header must be"),
        (HEADER + "x,synonyms,en\n", r":3: 3 fields, expected 4"),
        (HEADER + "x,synonyms,en,one\nX!,synonyms,fr,un\n", r":4: id 'X!'"),
        (HEADER + "x,Synonyms,en,one\n", r":3: kind 'Synonyms'"),
        (HEADER + "x,synonyms,pt,um\n", r":3: language 'pt' is not one of"),
        (HEADER + "x,synonyms,en,\n", r":3: the term is empty"),
        (HEADER + "x,synonyms,en,***\n", r":3: the term '\*\*\*' has no letter or digit"),
        (
            HEADER + "x,synonyms,en,one\nx,treaty,fr,un\n",
            r":4: concept 'x' has kind 'treaty' here but 'synonyms' on line 3",
        ),
        (
            HEADER + "x,synonyms,en,one\nx,synonyms,fr,un\nx,synonyms,en,One\n",
            r":5: 'One' \(en\) is already in 'x' on line 3",
        ),
        (HEADER + "x,synonyms,en,one\ny,synonyms,en,two\ny,synonyms,fr,deux\n", r":3: concept 'x' has one term"),
        ("# format 1\n", r"no header line"),
    ],
)
def test_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(VocabularyError, match=message):
        parse_vocabulary(text, "vocabulary.csv")


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(VocabularyError, match="cannot read the vocabulary"):
        Vocabulary.load(path=tmp_path / "missing.csv")


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "x,synonyms,fr,accès\nx,synonyms,en,access\n").encode("latin-1"))
    with pytest.raises(VocabularyError, match="UTF-8"):
        read_vocabulary(path)


# Concepts from the other vocabularies


def test_glossary_concepts() -> None:
    rows = [
        {"en": "biological diversity", "fr": "diversité biologique", "zh": "生物多样性", "note": "Article 2"},
        {"en": "lonely", "fr": "", "note": ""},
        {"fr": "sans anglais", "es": "sin inglés"},
    ]
    concepts = glossary_concepts(rows)
    assert concepts == [
        Concept(
            "glossary:biological-diversity",
            "glossary",
            (("en", "biological diversity"), ("fr", "diversité biologique"), ("zh", "生物多样性")),
        ),
        Concept("glossary:row-3", "glossary", (("es", "sin inglés"), ("fr", "sans anglais"))),
    ]


def test_the_project_glossary_is_one_concept_a_row() -> None:
    rows = Glossary.load().rows
    concepts = glossary_concepts(rows)
    assert len(concepts) == len(rows)
    assert len({concept.id for concept in concepts}) == len(concepts)


def test_catalogue_concepts() -> None:
    concepts = {concept.id: concept for concept in catalogue_concepts()}
    lmo = concepts["schema:BCH:modifiedOrganism"]
    assert lmo.source == "schema"
    assert ("fr", "Organisme vivant modifié") in lmo.terms
    assert {lang for lang, _ in lmo.terms} == set(UN_LANGUAGES)
    brazil = concepts["country:br"]
    assert brazil.source == "country"
    assert {("en", "Brazil"), ("fr", "Brésil"), ("zh", "巴西"), ("und", "BR")} <= set(brazil.terms)
    assert {lang for lang, _ in brazil.terms} == {*UN_LANGUAGES, "und"}
    assert ("ar", "مالي") not in concepts["country:ml"].terms  # "financial": an ordinary word
    assert ("en", "Aichi Biodiversity Target 11") in concepts["target:aichi-11"].terms
    assert ("en", "GBF Target 3") in concepts["target:gbf-3"].terms
    assert ("ru", "КБР") in concepts["treaty:cbd"].terms
    assert "realm:BCH" in concepts
    assert len([c for c in concepts if c.startswith("country:")]) >= 240
    assert all(len({text for _lang, text in concept.terms}) >= 2 for concept in concepts.values())


def test_the_same_record_type_in_two_realms_is_one_concept() -> None:
    contacts = [c for c in catalogue_concepts() if c.id.startswith("schema:") and ("en", "Contact") in c.terms]
    assert len(contacts) == 1


# Memoised, and robust (its cost is bench/vocabulary.py's: timings asserted here failed on loaded machines)


def test_loading_is_cached(vocabulary: Vocabulary) -> None:
    extra = [*glossary_concepts(Glossary.load().rows), *catalogue_concepts()]
    assert Vocabulary.load(extra=extra) is vocabulary


def test_fuzz_parse_and_expand_never_raise_but_for_too_many_terms(vocabulary: Vocabulary) -> None:
    rng = random.Random(1414)
    known = ["LMO", "diversité", "biologique", "MON810", "التنوع", "البيولوجي", "生物多样性", "OR", "-", '"', "Brazil"]
    alphabet = ' "«»-ORabcéØ0123456789/التنوع生物ЖИОё*\u3000\u200f\ud800\x00'
    for round_ in range(1500):
        if round_ % 2:
            text = " ".join(rng.choice(known) for _ in range(rng.randrange(0, 40)))
        else:
            size = 10_000 if round_ == 0 else rng.randrange(0, 120)
            text = "".join(
                rng.choice(alphabet) if rng.random() < 0.9 else chr(rng.randrange(0x110000)) for _ in range(size)
            )
        try:
            parsed = parse_query_text(text)
        except QueryTextError:
            continue
        expanded, expansions = vocabulary.expand(parsed)
        assert len(expanded.required) <= len(parsed.required)
        for expansion in expansions:
            assert expansion.added
            for term in expansion.added:
                term.text.encode("utf-8")
