"""The index contract: every backend runs these same tests (Wagtail's ``BackendTests`` pattern).

Tantivy, a real OpenSearch node and a real 3-node OpenSearch cluster (both started by the suite,
``tests/engines.py``) always run them; Elasticsearch 9 runs them whenever CHM_ES_URL names a node
and is skipped with that reason otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from record_catalogue.errors import InvalidCursor
from search_index.base import SearchBackend, SearchQuery
from search_index.query_text import Clause, ParsedText, Term
from tests.engines import (
    CLUSTER_TESTS,
    ES_SKIP_REASON,
    ES_URL,
    backend_on,
    drop_all,
    make_doc,
    searching_meanwhile,
)

CORPUS = [
    make_doc(
        "fr-1",
        "fr",
        "Aires protégées",
        "Les espèces protégées des aires marines du littoral",
        realm="CHM",
        year=2019,
        entities=["country:fr", "target:aichi-11"],
        government="fr",
    ),
    make_doc(
        "ru-1",
        "ru",
        "Национальный доклад",
        "Сохранение биологического разнообразия и охраняемых территорий",
        realm="CHM",
        year=2020,
        government="ru",
        schema="nationalReport6",
    ),
    make_doc(
        "zh-1",
        "zh",
        "生物安全法",
        "中华人民共和国关于保护生物多样性的法律规定",
        realm="BCH",
        year=2021,
        government="cn",
        schema="biosafetyLaw",
    ),
    make_doc(
        "ar-1",
        "ar",
        "التقرير الوطني",
        "حماية التنوع البيولوجي في المناطق المحمية",
        realm="CHM",
        year=2018,
        government="eg",
        schema="nationalReport6",
    ),
    make_doc(
        "en-1",
        "en",
        "Access permits",
        "Permits for genetic resources under UNEP/CBD/COP/12/11 and decision XI/2",
        realm="ABS",
        year=2022,
        government="in",
        schema="absPermit",
        entities=["country:in"],
        names="en-1 Access permits UNEP/CBD/COP/12/11",
    ),
    make_doc(
        "en-2",
        "en",
        "Maize decision",
        "Field trial of genetically modified maize",
        realm="BCH",
        year=2016,
        government="mx",
        schema="biosafetyDecision",
        entities=["country:mx"],
    ),
]


class BackendTests:
    """The behaviour every engine must show; subclasses name their ``engine``."""

    engine = ""

    @pytest.fixture
    def empty_backend(self, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[SearchBackend]:
        backend = backend_on(self.engine, request, tmp_path)
        backend.ensure_index()
        yield backend
        drop_all(backend)
        backend.close()

    @pytest.fixture
    def backend(self, empty_backend: SearchBackend) -> SearchBackend:
        result = empty_backend.bulk(CORPUS)
        assert result.errors == []
        empty_backend.refresh()
        return empty_backend

    def ids(self, backend: SearchBackend, **kwargs: Any) -> list[str]:
        return sorted(hit.id for hit in backend.search(SearchQuery(size=100, **kwargs)).hits)

    # -- analysis per language ---------------------------------------------------------------
    def test_french_plural_found_by_singular(self, backend: SearchBackend) -> None:
        assert self.ids(backend, text="espèce protégée", lang="fr") == ["fr-1"]
        assert self.ids(backend, text="aire marine", lang="fr") == ["fr-1"]

    def test_russian_inflected_form_found_by_another(self, backend: SearchBackend) -> None:
        assert self.ids(backend, text="биологическое разнообразие", lang="ru") == ["ru-1"]

    def test_english_plural_found_by_singular(self, backend: SearchBackend) -> None:
        assert self.ids(backend, text="permit", lang="en") == ["en-1"]
        assert self.ids(backend, text="genetic resource", lang="en") == ["en-1"]

    def test_chinese_two_character_word_inside_longer_string(self, backend: SearchBackend) -> None:
        assert self.ids(backend, text="多样", lang="zh") == ["zh-1"]
        assert self.ids(backend, text="生物多样性", lang="zh") == ["zh-1"]

    def test_arabic_found_by_form_with_definite_article(self, backend: SearchBackend) -> None:
        assert self.ids(backend, text="تنوع", lang="ar") == ["ar-1"]
        assert self.ids(backend, text="التنوع", lang="ar") == ["ar-1"]

    def test_the_page_language_never_decides_what_is_found(self, backend: SearchBackend) -> None:
        # A French word typed on an English page still finds the French record; one q, one total.
        for lang in ("ar", "en", "es", "fr", "ru", "zh"):
            assert self.ids(backend, text="littoral", lang=lang) == ["fr-1"]
            assert self.ids(backend, text="Национальный доклад", lang=lang) == ["ru-1"]
            assert backend.search(SearchQuery(text="protected", lang=lang)).total == len(
                self.ids(backend, text="protected")
            )

    def test_every_language_version_is_searched(self, empty_backend: SearchBackend) -> None:
        doc = make_doc("multi", "es", "Áreas protegidas marinas", languages=["es", "en", "fr"])
        doc["title"].update({"en": "Marine protected areas", "fr": "Aires marines protégées"})
        doc["status"].update({"en": "machine", "fr": "reviewed"})
        empty_backend.bulk([doc, make_doc("other", "en", "Forest law")])
        empty_backend.refresh()
        for text in ("marine protected areas", "aires marines", "áreas protegidas"):
            for lang in ("en", "fr", "zh"):
                assert self.ids(empty_backend, text=text, lang=lang) == ["multi"]

    def test_text_in_no_determined_language_is_indexed_and_found(self, empty_backend: SearchBackend) -> None:
        # Every engine has fields for it ("und": analysed as names are) and every query searches them.
        undetermined = make_doc("und", "und", "CBD/SBI/3/2", "Review of wetland monitoring", names="CBD/SBI/3/2")
        result = empty_backend.bulk([undetermined, make_doc("other", "en", "Forest law")])
        assert not result.errors, result.errors
        empty_backend.refresh()
        for lang in ("en", "fr", "zh"):
            assert self.ids(empty_backend, text="wetland monitoring", lang=lang) == ["und"]

    def test_words_may_match_in_different_fields(self, backend: SearchBackend) -> None:
        # "maize" is in the title, "trial" in the text; the symbol in the neutral field, "permits" in the title.
        assert self.ids(backend, text="maize trial", lang="en") == ["en-2"]
        assert self.ids(backend, text="UNEP/CBD/COP/12/11 permits", lang="fr") == ["en-1"]

    def test_accents_are_folded_in_french_and_spanish(self, empty_backend: SearchBackend) -> None:
        empty_backend.bulk(
            [
                make_doc("fr", "fr", "Écosystèmes marins et côtiers"),
                make_doc("es", "es", "Diversidad biológica y conservación"),
            ]
        )
        empty_backend.refresh()
        assert self.ids(empty_backend, text="ecosystemes cotiers", lang="fr") == ["fr"]
        assert self.ids(empty_backend, text="écosystèmes", lang="en") == ["fr"]
        assert self.ids(empty_backend, text="biologica conservacion", lang="es") == ["es"]

    def test_arabic_with_or_without_article_and_prefixes(self, empty_backend: SearchBackend) -> None:
        empty_backend.bulk([make_doc("ar", "ar", "حماية التنوع البيولوجي", "والمناطق المحمية في الدولة")])
        empty_backend.refresh()
        for text in ("تنوع بيولوجي", "التنوع البيولوجي", "المناطق", "مناطق", "محمية", "المحميّة"):
            assert self.ids(empty_backend, text=text, lang="ar") == ["ar"], text
        hit = empty_backend.search(SearchQuery(text="تنوع", lang="ar")).hits[0]
        assert hit.snippet is not None and "<mark>التنوع</mark>" in hit.snippet

    def test_arabic_words_starting_with_waw_meet_their_article_forms(self, empty_backend: SearchBackend) -> None:
        # Lucene strips a leading و ("and") from وطنية ("national"), not from الوطنية.
        empty_backend.bulk(
            [
                make_doc("bare", "ar", "لجنة وطنية للسلامة الأحيائية"),
                make_doc("article", "ar", "اللجنة الوطنية للتنوع"),
                make_doc("and", "ar", "الحصول وتقاسم المنافع"),
            ]
        )
        empty_backend.refresh()
        assert self.ids(empty_backend, text="الوطنية", lang="ar") == ["article", "bare"]
        assert self.ids(empty_backend, text="وطنية", lang="ar") == ["article", "bare"]
        assert self.ids(empty_backend, text='"لجنة وطنية"', lang="ar") == ["article", "bare"]
        assert self.ids(empty_backend, text='"اللجنة الوطنية"', lang="ar") == ["article", "bare"]
        assert self.ids(empty_backend, text='"الوطنية للسلامة"', lang="ar") == ["bare"]
        # The conjunction still comes off: « تقاسم » finds « وتقاسم », and the other way round.
        assert self.ids(empty_backend, text="تقاسم", lang="ar") == ["and"]
        assert self.ids(empty_backend, text="والتقاسم", lang="ar") == ["and"]
        hit = empty_backend.search(SearchQuery(text="وطنية", lang="ar")).hits[0]
        assert hit.snippet is not None and "<mark>" in hit.snippet

    def test_the_exact_accented_form_ranks_first(self, empty_backend: SearchBackend) -> None:
        empty_backend.bulk(
            [
                make_doc("sin", "fr", "Le péché des lagunes"),
                make_doc("fishing", "fr", "La pêche des lagunes"),
                make_doc("bare", "fr", "La peche des lagunes"),
                make_doc("cafe", "es", "El cafe de sombra"),
                make_doc("café", "es", "El café de sombra"),
            ]
        )
        empty_backend.refresh()
        for lang in ("fr", "en", "zh"):
            hits = [hit.id for hit in empty_backend.search(SearchQuery(text="pêche", lang=lang)).hits]
            assert sorted(hits) == ["bare", "fishing", "sin"], lang  # folding keeps every form found
            assert hits[0] == "fishing", lang
            hits = [hit.id for hit in empty_backend.search(SearchQuery(text="café sombra", lang=lang)).hits]
            assert hits == ["café", "cafe"], lang
        hits = [hit.id for hit in empty_backend.search(SearchQuery(text="péché", lang="fr")).hits]
        assert hits[0] == "sin"

    def test_chinese_typed_without_spaces_needs_most_bigrams(self, empty_backend: SearchBackend) -> None:
        empty_backend.bulk([make_doc("zh", "zh", "长江十年禁渔", "防范外来物种入侵")])
        empty_backend.refresh()
        # « 江禁 » and « 来入 », « 侵物 » straddle two words: in no text.
        assert self.ids(empty_backend, text="长江禁渔", lang="en") == ["zh"]
        assert self.ids(empty_backend, text="外来入侵物种", lang="zh") == ["zh"]
        assert self.ids(empty_backend, text="长江禁", lang="zh") == []  # three characters: every bigram
        assert self.ids(empty_backend, text="黄河禁令", lang="zh") == []

    def test_a_clearing_house_code_finds_its_records(self, backend: SearchBackend) -> None:
        # « APA » widened by the vocabulary with "ABS": every ABS-CH record is about ABS.
        apa = Clause(options=(Term("APA"), Term("ABS", lang="en")), typed="APA")
        found = backend.search(SearchQuery(text="APA", lang="fr", parsed=ParsedText(required=(apa,))))
        assert sorted(hit.id for hit in found.hits) == ["en-1"]
        assert self.ids(backend, text="BCH", lang="fr") == ["en-2", "zh-1"]
        assert self.ids(backend, text="bch", lang="fr") == []  # only the code, in capitals

    def test_typed_words_a_vocabulary_term_joined_still_match_anywhere(self, backend: SearchBackend) -> None:
        # Not a phrase: "maize" in the title, "trial" in the text, in another order.
        words = Clause(options=(Term("trial maize"), Term("essai maïs", phrase=True, lang="fr")), typed="trial maize")
        found = backend.search(SearchQuery(text="trial maize", lang="en", parsed=ParsedText(required=(words,))))
        assert [hit.id for hit in found.hits] == ["en-2"]

    def test_russian_yo_and_ye_are_one_letter(self, empty_backend: SearchBackend) -> None:
        empty_backend.bulk([make_doc("ru", "ru", "Зелёные насаждения")])
        empty_backend.refresh()
        assert self.ids(empty_backend, text="зеленые", lang="ru") == ["ru"]
        assert self.ids(empty_backend, text="зелёные", lang="en") == ["ru"]

    def test_phrases_exclusions_and_or(self, backend: SearchBackend) -> None:
        assert self.ids(backend, text='"genetic resources"', lang="en") == ["en-1"]
        assert self.ids(backend, text='"resources genetic"', lang="en") == []
        assert self.ids(backend, text="maize OR permits", lang="en") == ["en-1", "en-2"]
        assert self.ids(backend, text="maize OR permits -trial", lang="en") == ["en-1"]
        assert self.ids(backend, text="maize OR permits -trail", lang="en") == ["en-1", "en-2"]  # never fuzzy
        assert self.ids(backend, text='-"genetic resources"', lang="en") == sorted(
            doc["id"] for doc in CORPUS if doc["id"] != "en-1"
        )

    def test_typos_in_words_of_five_letters_or_more(self, backend: SearchBackend) -> None:
        assert self.ids(backend, text="permtis", lang="en") == ["en-1"]  # two letters swapped
        assert self.ids(backend, text="genetc", lang="en") == ["en-1", "en-2"]  # one missing
        assert self.ids(backend, text="tril", lang="en") == []  # four letters: exact only

    def test_a_country_is_found_by_its_government_and_entities(self, backend: SearchBackend) -> None:
        # The vocabulary adds a country's ISO code to its names: it matches keyword fields only.
        india = Clause(options=(Term("Inde", lang="fr"), Term("IN", lang="und")), typed="Inde")
        found = backend.search(SearchQuery(text="Inde", lang="fr", parsed=ParsedText(required=(india,))))
        assert sorted(hit.id for hit in found.hits) == ["en-1"]
        egypt = Clause(options=(Term("EG", lang="und"),), typed="Égypte")
        assert [h.id for h in backend.search(SearchQuery(text="x", parsed=ParsedText(required=(egypt,)))).hits] == [
            "ar-1"
        ]

    def test_vocabulary_terms_match_only_their_language(self, backend: SearchBackend) -> None:
        # « aires protégées » widened by the vocabulary with an English and a Russian equivalent.
        clause = Clause(
            options=(
                Term("aires protégées", phrase=True),
                Term("protected areas", True, "en"),
                Term("охраняемых", lang="ru"),
            ),
            typed="aires protégées",
        )
        found = backend.search(SearchQuery(text="aires protégées", lang="fr", parsed=ParsedText(required=(clause,))))
        assert sorted(hit.id for hit in found.hits) == ["fr-1", "ru-1"]
        french_word_as_english = Clause(options=(Term("littoral", lang="en"),), typed="littoral")
        alone = SearchQuery(text="littoral", parsed=ParsedText(required=(french_word_as_english,)))
        assert backend.search(alone).total == 0

    def test_spelling_corrections_come_from_the_index(self, backend: SearchBackend) -> None:
        # "Acess" is one edit from a word of a title ("Access"); words the index holds as a query
        # analyses them (« espèce » finds « espèces », « protegez » stems as « protégées ») are not corrected.
        found = backend.spelling(["Acess", "permits", "espèce", "Natsionalnyi", "zzzz", "ab", "COP15"])
        assert found == {"Acess": "access"}
        # The correction is the word as the index holds it, accents and all.
        assert backend.spelling(["protgées", "protegez"]) == {"protgées": "protégées"}
        assert backend.spelling(["доклод"]) == {"доклод": "доклад"}

    def test_size_zero_counts_without_hits(self, backend: SearchBackend) -> None:
        # What interpretation's "matched" asks: only the total, under the query's filters.
        counted = backend.search(SearchQuery(text="protégées OR maize", size=0, facets=(), filters={"realm": ["BCH"]}))
        assert (counted.total, counted.hits) == (1, [])
        full = backend.search(SearchQuery(text="protégées OR maize", filters={"realm": ["BCH"]}))
        assert full.total == 1 and [hit.id for hit in full.hits] == ["en-2"]

    def test_neutral_field_keeps_document_symbols_whole(self, backend: SearchBackend) -> None:
        for lang in ("en", "fr", "zh"):
            assert self.ids(backend, text="UNEP/CBD/COP/12/11", lang=lang) == ["en-1"]

    def test_translated_query_finds_records_without_the_readers_language(self, backend: SearchBackend) -> None:
        # A French reader searches "maïs"; translated into English ("maize"), it finds the
        # English-only record, with a snippet in English.
        result = backend.search(SearchQuery(text="maïs", lang="fr", alternatives={"en": "maize"}))
        assert [hit.id for hit in result.hits] == ["en-2"]
        assert result.hits[0].snippet is not None and "<mark>" in result.hits[0].snippet
        # Both ways at once: the French record by its French word, the English one by the translation.
        assert self.ids(backend, text="littoral", lang="fr", alternatives={"en": "permits"}) == ["en-1", "fr-1"]
        assert self.ids(backend, text="zzz", lang="fr", alternatives={"en": "zzz"}) == []

    def test_translated_query_reaches_every_record(self, empty_backend: SearchBackend) -> None:
        both = make_doc("both", "en", "Maize trial", languages=["en", "fr"])
        both["title"]["fr"] = "Essai de culture"  # a French version does not hide the English one
        empty_backend.bulk([both, make_doc("en-only", "en", "Maize field")])
        empty_backend.refresh()
        assert self.ids(empty_backend, text="maïs", lang="fr", alternatives={"en": "maize"}) == ["both", "en-only"]

    def test_every_word_must_match(self, backend: SearchBackend) -> None:
        assert self.ids(backend, text="maize permits", lang="en") == []

    def test_query_syntax_is_plain_text(self, backend: SearchBackend) -> None:
        for hostile in ('title:maize OR "', "maize AND NOT", "*:*", "mai*", "(maize", "maize~2", "\\"):
            found = {hit.id for hit in backend.search(SearchQuery(text=hostile, lang="en", size=100)).hits}
            assert found <= {"en-2"} or found == {
                doc["id"] for doc in CORPUS
            }  # matched as words, or nothing to look for
        assert self.ids(backend, text="*:*", lang="en") == sorted(doc["id"] for doc in CORPUS)  # nothing to look for

    def test_empty_text_browses_everything(self, backend: SearchBackend) -> None:
        assert self.ids(backend) == sorted(doc["id"] for doc in CORPUS)

    def test_only_punctuation_and_operators_browse(self, backend: SearchBackend) -> None:
        assert backend.search(SearchQuery(text="!!! ???", lang="en")).total == len(CORPUS)
        for odd in ("-", "OR", '""', '"unbalanced', "a" * 10_000, "maize 生物 التنوع"):
            backend.search(SearchQuery(text=odd, lang="en"))  # an answer, never an engine error

    # -- filters and facets ------------------------------------------------------------------
    def test_entity_types_combine_with_and_values_of_one_type_with_or(self, backend: SearchBackend) -> None:
        assert self.ids(backend, filters={"entity": ["country:fr", "target:aichi-11"]}) == ["fr-1"]
        assert self.ids(backend, filters={"entity": ["country:in", "target:aichi-11"]}) == []
        assert self.ids(backend, filters={"entity": ["country:fr", "country:in"]}) == ["en-1", "fr-1"]

    def test_each_entity_type_is_its_own_multi_select_facet(self, backend: SearchBackend) -> None:
        result = backend.search(SearchQuery(filters={"entity": ["country:in", "target:aichi-11"]}))
        counts = dict(result.facets["entity"])
        # Countries counted under the target selection only, targets under the country one only.
        assert counts["country:fr"] == 1 and counts["country:in"] == 0
        assert counts["target:aichi-11"] == 0
        assert result.total == 0

    def test_facet_counts(self, backend: SearchBackend) -> None:
        facets = backend.search(SearchQuery()).facets
        assert dict(facets["realm"]) == {"CHM": 3, "BCH": 2, "ABS": 1}
        assert facets["realm"][0] == ("CHM", 3)
        assert dict(facets["original_language"]) == {"fr": 1, "ru": 1, "zh": 1, "ar": 1, "en": 2}
        assert dict(facets["entity"]) == {"country:fr": 1, "target:aichi-11": 1, "country:in": 1, "country:mx": 1}
        assert dict(facets["year"])["2020"] == 1

    def test_filters_or_within_and_across_facets(self, backend: SearchBackend) -> None:
        assert self.ids(backend, filters={"realm": ["ABS", "BCH"]}) == ["en-1", "en-2", "zh-1"]
        assert self.ids(backend, filters={"realm": ["BCH"], "government": ["mx"]}) == ["en-2"]
        assert self.ids(backend, filters={"entity": ["country:fr"]}) == ["fr-1"]

    def test_multi_select_facets_keep_their_other_values(self, backend: SearchBackend) -> None:
        result = backend.search(SearchQuery(filters={"realm": ["BCH"], "original_language": ["en"]}))
        assert result.total == 1
        # realm counts ignore the realm selection but honour the language selection
        assert dict(result.facets["realm"]) == {"ABS": 1, "BCH": 1}
        # language counts ignore the language selection but honour the realm selection
        assert dict(result.facets["original_language"]) == {"en": 1, "zh": 1}
        # facets without a selection are counted over the full selection
        assert dict(result.facets["government"]) == {"mx": 1}

    def test_year_range(self, backend: SearchBackend) -> None:
        assert self.ids(backend, year_from=2020, year_to=2021) == ["ru-1", "zh-1"]
        assert self.ids(backend, year_from=2022) == ["en-1"]

    def test_year_range_is_the_year_facets_selection(self, backend: SearchBackend) -> None:
        result = backend.search(SearchQuery(year_from=2020, year_to=2021))
        # the year facet still shows the other years (a range picker needs them) ...
        assert dict(result.facets["year"]) == {str(y): 1 for y in (2016, 2018, 2019, 2020, 2021, 2022)}
        # ... while every other facet counts only the selected years
        assert dict(result.facets["realm"]) == {"CHM": 1, "BCH": 1}

    # -- sorting, paging, highlighting ----------------------------------------------------------
    def test_newest_first(self, backend: SearchBackend) -> None:
        hits = backend.search(SearchQuery(sort="newest", size=3)).hits
        assert [hit.id for hit in hits] == ["en-1", "zh-1", "ru-1"]

    def test_paging_with_offset_and_cursor(self, backend: SearchBackend) -> None:
        first = backend.search(SearchQuery(sort="newest", size=2))
        second = backend.search(SearchQuery(sort="newest", size=2, offset=2))
        after = backend.search(SearchQuery(sort="newest", size=2, search_after=first.hits[-1].sort))
        assert first.total == second.total == 6
        assert [h.id for h in second.hits] == [h.id for h in after.hits] == ["ru-1", "fr-1"]

    def test_highlight_marks_matches_and_escapes_html(self, empty_backend: SearchBackend) -> None:
        empty_backend.bulk([make_doc("x", "en", "Markup", "A <script>alert(1)</script> about protected areas & seas")])
        empty_backend.refresh()
        hit = empty_backend.search(SearchQuery(text="area", lang="en")).hits[0]
        assert hit.snippet is not None
        assert "<mark>areas</mark>" in hit.snippet
        assert "<script>" not in hit.snippet and "&lt;script&gt;" in hit.snippet
        assert "&amp;" in hit.snippet

    def test_cursor_pages_stay_consistent_across_writes_and_a_rebuild(self, backend: SearchBackend) -> None:
        first = backend.search(SearchQuery(sort="newest", size=2))
        second = backend.search(SearchQuery(sort="newest", size=2, search_after=first.hits[-1].sort))
        # New records and a whole rebuild while the reader pages: their pages stay those of the
        # index as it was when the cursor began.
        backend.bulk([make_doc("late-1", "en", "Late arrival", year=2017)])
        backend.refresh()
        backend.rebuild([*CORPUS, make_doc("late-2", "en", "Later still", year=2015)])
        third = backend.search(
            SearchQuery(
                sort="newest",
                size=2,
                search_after=second.hits[-1].sort,
                point_in_time=second.point_in_time,
            )
        )
        pages = [h.id for r in (first, second, third) for h in r.hits]
        assert pages == ["en-1", "zh-1", "ru-1", "fr-1", "ar-1", "en-2"]
        assert third.total == len(CORPUS)
        assert backend.search(SearchQuery()).total == len(CORPUS) + 1  # a new search sees the rebuild

    def test_a_selected_value_is_listed_even_with_no_match(self, backend: SearchBackend) -> None:
        result = backend.search(SearchQuery(filters={"realm": ["ABS"], "government": ["zz"]}))
        assert result.total == 0
        assert ("zz", 0) in result.facets["government"]
        assert ("ABS", 0) in result.facets["realm"]

    def test_bad_cursor_values_are_refused_as_invalid(self, backend: SearchBackend) -> None:
        for after in ([10_000_000_000], ["x"], [None], [{}]):
            with pytest.raises(InvalidCursor, match="cursor"):  # a ValueError, and the API's 422 invalid_cursor
                backend.search(SearchQuery(sort="newest", size=2, search_after=after))

    # -- writes ---------------------------------------------------------------------------------
    def test_reindexing_a_document_replaces_it(self, backend: SearchBackend) -> None:
        backend.bulk([make_doc("en-2", "en", "Maize decision revised", "Cotton field trial")])
        backend.refresh()
        assert self.ids(backend, text="genetically modified", lang="en") == []  # the old text is gone
        assert self.ids(backend, text="cotton", lang="en") == ["en-2"]
        assert backend.count() == len(CORPUS)

    def test_delete_and_get(self, backend: SearchBackend) -> None:
        assert backend.get("ru-1") is not None
        assert backend.get("ru-1")["title"]["ru"] == "Национальный доклад"  # type: ignore[index]
        backend.delete(["ru-1"])
        backend.refresh()
        assert backend.get("ru-1") is None
        assert backend.count() == len(CORPUS) - 1

    def test_bulk_errors_are_reported_per_document(self, empty_backend: SearchBackend) -> None:
        docs = [
            make_doc("good-1", "en", "Good one"),
            {"id": "no-realm", "schema": "x", "original_language": "en"},
            make_doc("bad-year", "en", "Bad year", year=None) | {"year": "twenty"},
            {"realm": "CHM"},
            make_doc("good-2", "en", "Good two"),
        ]
        result = empty_backend.bulk(docs)
        empty_backend.refresh()
        assert result.indexed == 2
        assert [doc_id for doc_id, _ in result.errors] == ["no-realm", "bad-year", "?"]
        assert all(reason for _, reason in result.errors)
        assert self.ids(empty_backend) == ["good-1", "good-2"]

    def test_suggest_completes_titles(self, backend: SearchBackend) -> None:
        assert backend.suggest("Acc", "en") == ["Access permits"]
        assert backend.suggest("aires prot", "fr") == ["Aires protégées"]
        assert backend.suggest("zzz", "en") == []
        # Arabic, typed with the article: the embedded index holds stems without it.
        for typed in ("الت", "التقر", "التقرير الو", "التقرير الوطني"):
            assert backend.suggest(typed, "ar") == ["التقرير الوطني"], typed
        # ... and typed without it (« تنوع » for « التنوع »): the title's words are completed bare too.
        for typed in ("تقر", "تقرير", "تقرير الوط", "تقرير وطني"):
            assert backend.suggest(typed, "ar") == ["التقرير الوطني"], typed

    # -- versions -------------------------------------------------------------------------------
    def test_rebuild_swaps_only_when_complete_with_searches_running(self, backend: SearchBackend) -> None:
        old = backend.current_version()

        def slow_corpus() -> Iterator[dict[str, Any]]:
            for doc in [*CORPUS, make_doc("new-1", "en", "Brand new")]:
                time.sleep(0.05)
                yield doc

        # any failure during the swap is a contract breach
        with searching_meanwhile(backend, SearchQuery(text="", size=1)) as searches:
            version, result = backend.rebuild(slow_corpus())
            time.sleep(0.2)
        totals = searches.totals
        assert searches.failures == []
        assert result.indexed == len(CORPUS) + 1
        assert version != old and backend.current_version() == version
        # The old version may stay for a grace period (in-flight searches and cursors); then it goes.
        backend.prune(grace_seconds=0)
        assert old not in backend.list_versions()
        # readers saw the complete old index, then the complete new one: nothing in between
        assert set(totals) <= {len(CORPUS), len(CORPUS) + 1}
        assert totals[0] == len(CORPUS) and totals[-1] == len(CORPUS) + 1
        assert backend.get("new-1") is not None

    def test_failed_rebuild_keeps_the_old_version(self, backend: SearchBackend) -> None:
        old = backend.current_version()

        def broken() -> Iterator[dict[str, Any]]:
            yield CORPUS[0]
            raise RuntimeError("catalogue went away")

        with pytest.raises(RuntimeError):
            backend.rebuild(broken())
        assert backend.current_version() == old
        assert backend.list_versions() == [old]
        assert backend.search(SearchQuery()).total == len(CORPUS)

    def test_cannot_drop_the_live_version(self, backend: SearchBackend) -> None:
        current = backend.current_version()
        assert current is not None
        with pytest.raises(ValueError):
            backend.drop_version(current)

    def test_health(self, backend: SearchBackend) -> None:
        health = backend.health()
        assert health.ok and health.engine in ("tantivy", "elasticsearch", "opensearch")


class TestTantivyBackend(BackendTests):
    engine = "tantivy"


class TestOpenSearchBackend(BackendTests):
    engine = "opensearch"


@CLUSTER_TESTS
class TestOpenSearchClusterBackend(BackendTests):
    engine = "opensearch-cluster"


@pytest.mark.elasticsearch
@pytest.mark.skipif(not ES_URL, reason=ES_SKIP_REASON)
class TestElasticsearchBackend(BackendTests):
    engine = "elasticsearch"
