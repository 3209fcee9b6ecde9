"""The search box's small language: words, "phrases", -exclusions and OR, as structure."""

from __future__ import annotations

import random
import re
import sys
from types import FrameType
from typing import Any

import pytest

from search_index import query_text
from search_index.query_text import (
    DEFAULT_MAX_CLAUSES,
    Clause,
    ParsedText,
    QueryTextError,
    Term,
    parse_query_text,
)


def words(parsed: ParsedText) -> list[list[str]]:
    """Each required clause as the texts of its options."""
    return [[option.text for option in clause.options] for clause in parsed.required]


def test_whitespace_separates_words_and_every_word_is_required() -> None:
    parsed = parse_query_text("  biological\tdiversity\nreport  ")
    assert parsed == ParsedText(
        required=(
            Clause((Term("biological"),), "biological"),
            Clause((Term("diversity"),), "diversity"),
            Clause((Term("report"),), "report"),
        )
    )


def test_ideographic_and_no_break_spaces_separate_words() -> None:
    assert words(parse_query_text("生物多样性\u3000公约")) == [["生物多样性"], ["公约"]]
    assert words(parse_query_text("aires\u00a0protégées")) == [["aires"], ["protégées"]]


def test_the_text_is_nfc_normalised() -> None:
    decomposed = "e\u0301cosyste\u0300mes"
    assert words(parse_query_text(decomposed)) == [["écosystèmes"]]


def test_a_quoted_phrase_is_one_phrase_term() -> None:
    parsed = parse_query_text('"access and benefit-sharing" Kenya')
    assert parsed.required[0] == Clause(
        (Term("access and benefit-sharing", phrase=True),), '"access and benefit-sharing"'
    )
    assert parsed.required[1].options == (Term("Kenya"),)


def test_phrase_whitespace_is_collapsed() -> None:
    assert parse_query_text('"  living   modified\torganism "').required[0].options == (
        Term("living modified organism", phrase=True),
    )


@pytest.mark.parametrize(
    "text",
    ["“exact phrase”", "”exact phrase”", "„exact phrase“", "«exact phrase»", "« exact phrase »", "»exact phrase«"],
)
def test_typographic_quotes_make_phrases_too(text: str) -> None:
    assert parse_query_text(text).required[0].options == (Term("exact phrase", phrase=True),)


def test_chinese_quotes_make_phrases() -> None:
    assert parse_query_text("「生物 安全」").required[0].options == (Term("生物 安全", phrase=True),)


def test_an_unbalanced_quote_is_ignored_and_the_rest_read_as_words() -> None:
    parsed = parse_query_text('"living modified organism')
    assert words(parsed) == [["living"], ["modified"], ["organism"]]
    assert parsed.ignored == ('"',)
    parsed = parse_query_text('biosafety "')
    assert words(parsed) == [["biosafety"]]
    assert parsed.ignored == ('"',)


def test_a_balanced_pair_then_an_unbalanced_quote() -> None:
    parsed = parse_query_text('"a b" c "d e')
    assert [clause.options[0] for clause in parsed.required] == [
        Term("a b", phrase=True),
        Term("c"),
        Term("d"),
        Term("e"),
    ]
    assert parsed.ignored == ('"',)


def test_a_quote_inside_a_word_starts_a_phrase() -> None:
    parsed = parse_query_text('report"living modified"')
    assert [clause.options[0] for clause in parsed.required] == [
        Term("report"),
        Term("living modified", phrase=True),
    ]


def test_empty_and_punctuation_only_phrases_are_ignored() -> None:
    assert parse_query_text('""') == ParsedText(required=(), ignored=('""',))
    assert parse_query_text('" * "') == ParsedText(required=(), ignored=('" * "',))


def test_minus_excludes_a_word_or_a_phrase() -> None:
    parsed = parse_query_text('maize -soybean -"cotton seed"')
    assert words(parsed) == [["maize"]]
    assert parsed.excluded == (Term("soybean"), Term("cotton seed", phrase=True))


def test_a_lone_minus_is_ignored() -> None:
    parsed = parse_query_text("maize - soybean -")
    assert words(parsed) == [["maize"], ["soybean"]]
    assert parsed.excluded == ()
    assert parsed.ignored == ("-", "-")


def test_minus_sign_and_full_width_minus_also_exclude() -> None:
    parsed = parse_query_text("maize −soybean －cotton")
    assert parsed.excluded == (Term("soybean"), Term("cotton"))


@pytest.mark.parametrize("word", ["MON-ØØ81Ø-6", "UNEP/CBD/COP/12/11", "co-operation", "ABS-CH", "CP-10/5", "x-"])
def test_a_hyphen_inside_a_word_is_part_of_it(word: str) -> None:
    parsed = parse_query_text(word)
    assert words(parsed) == [[word]]
    assert parsed.excluded == ()


def test_an_excluded_identifier_keeps_its_hyphens() -> None:
    assert parse_query_text("maize -MON-ØØ81Ø-6").excluded == (Term("MON-ØØ81Ø-6"),)


def test_minus_before_an_unbalanced_quote_excludes_the_next_word() -> None:
    parsed = parse_query_text('-"cotton seed')
    assert parsed.excluded == (Term("cotton"),)
    assert words(parsed) == [["seed"]]
    assert parsed.ignored == ('"',)
    parsed = parse_query_text('maize -"')
    assert words(parsed) == [["maize"]]
    assert set(parsed.ignored) == {'"', "-"}


def test_or_joins_two_units_into_one_clause() -> None:
    parsed = parse_query_text("maize OR corn Kenya")
    assert parsed.required[0] == Clause((Term("maize"), Term("corn")), "maize OR corn")
    assert words(parsed) == [["maize", "corn"], ["Kenya"]]


def test_or_chains() -> None:
    assert words(parse_query_text("a OR b OR c")) == [["a", "b", "c"]]


def test_or_between_phrases_and_words() -> None:
    parsed = parse_query_text('"living modified organism" OR LMO')
    assert parsed.required[0].options == (Term("living modified organism", phrase=True), Term("LMO"))
    assert parsed.required[0].typed == '"living modified organism" OR LMO'


def test_lower_case_or_is_an_ordinary_word() -> None:
    assert words(parse_query_text("maize or corn")) == [["maize"], ["or"], ["corn"]]


@pytest.mark.parametrize(
    ("text", "expected", "ignored"),
    [
        ("OR maize", [["maize"]], ("OR",)),
        ("maize OR", [["maize"]], ("OR",)),
        ("maize OR OR corn", [["maize", "corn"]], ("OR",)),
        ("OR", [], ("OR",)),
        ("OR OR", [], ("OR", "OR")),
        ("maize -corn OR rice", [["maize"], ["rice"]], ("OR",)),
        ("maize OR -corn", [["maize"]], ("OR",)),
    ],
)
def test_an_or_without_a_unit_on_each_side_is_ignored(
    text: str, expected: list[list[str]], ignored: tuple[str, ...]
) -> None:
    parsed = parse_query_text(text)
    assert words(parsed) == expected
    assert parsed.ignored == ignored


def test_or_skips_over_dropped_punctuation() -> None:
    parsed = parse_query_text("maize OR * corn")
    assert words(parsed) == [["maize", "corn"]]
    assert parsed.ignored == ("*",)


def test_a_repeated_option_is_kept_once() -> None:
    assert words(parse_query_text("maize OR maize")) == [["maize"]]


def test_quoted_or_and_excluded_or_are_terms() -> None:
    assert parse_query_text('"OR"').required[0].options == (Term("OR", phrase=True),)
    assert parse_query_text("maize -OR").excluded == (Term("OR"),)


def test_punctuation_only_words_are_ignored() -> None:
    parsed = parse_query_text("* : && () maize … 🌍")
    assert words(parsed) == [["maize"]]
    assert parsed.ignored == ("*", ":", "&&", "()", "…", "🌍")


@pytest.mark.parametrize("symbol", ["XI/2", "COP-15", "BS-V/16", "NP-3/1", "15/4", "2011-2020", "(CBD)"])
def test_symbols_with_letters_or_digits_stay(symbol: str) -> None:
    assert words(parse_query_text(symbol)) == [[symbol]]


def test_a_query_of_stop_words_is_left_to_the_engines() -> None:
    assert words(parse_query_text("the of and")) == [["the"], ["of"], ["and"]]
    assert words(parse_query_text("de la")) == [["de"], ["la"]]


def test_only_operators_give_an_empty_query() -> None:
    parsed = parse_query_text('- OR "" *')
    assert parsed.required == ()
    assert parsed.excluded == ()
    assert parsed.ignored == ("-", "OR", '""', "*")


@pytest.mark.parametrize("text", ["", "   ", "\u3000", "\u200b", "\x00"])
def test_blank_text_is_an_empty_query(text: str) -> None:
    assert parse_query_text(text) == ParsedText(required=())


def test_invisible_characters_are_dropped() -> None:
    # Bidi marks come with copied Arabic; a zero-width space separates words, a soft hyphen does not.
    assert words(parse_query_text("\u200fالتنوع\u200f البيولوجي")) == [["التنوع"], ["البيولوجي"]]
    assert words(parse_query_text("bio\u200bsafety")) == [["bio"], ["safety"]]
    assert words(parse_query_text("bio\u00adsafety")) == [["biosafety"]]


def test_lone_surrogates_and_control_characters_never_reach_the_engines() -> None:
    parsed = parse_query_text("maize\ud800corn\x07rice")
    assert words(parsed) == [["maize"], ["corn"], ["rice"]]


def test_mixed_scripts() -> None:
    assert words(parse_query_text("LMO 改性活生物体 الكائنات ЖИО")) == [
        ["LMO"],
        ["改性活生物体"],
        ["الكائنات"],
        ["ЖИО"],
    ]


def test_too_many_terms_raise_a_clear_value_error() -> None:
    parse_query_text(" ".join(["w"] * DEFAULT_MAX_CLAUSES))
    with pytest.raises(QueryTextError, match=r"33 search terms; at most 32"):
        parse_query_text(" ".join(["w"] * (DEFAULT_MAX_CLAUSES + 1)))
    assert issubclass(QueryTextError, ValueError)


def test_or_alternatives_and_exclusions_count_towards_the_limit() -> None:
    parse_query_text("a OR b -c", max_clauses=3)
    with pytest.raises(QueryTextError):
        parse_query_text("a OR b OR c -d", max_clauses=3)
    with pytest.raises(QueryTextError):
        parse_query_text("a -b -c -d", max_clauses=3)


def test_ignored_pieces_do_not_count() -> None:
    parse_query_text("a " + " ".join(["*"] * 100) + " OR" * 50, max_clauses=1)


def test_a_long_single_word_is_one_term() -> None:
    parsed = parse_query_text("x" * 10_000)
    assert len(parsed.required) == 1


def _random_text(rng: random.Random, length: int) -> str:
    pools = [
        " \t\n\u3000\u00a0",
        '"“”«»„「」-−OR ',
        "abcXYZ0123éçñøØ",
        "ابتثالتنوعةىأإآ\u064b\u0640",
        "ёйЖИОбиоразнообразие",
        "生物多样性公约、《》",
        "*:&()!?/\\.,;'’_",
        "\ud800\udfff\x00\x1b\u200b\u200f\ufeff\u00ad",
    ]
    out = []
    for _ in range(length):
        if rng.random() < 0.1:
            out.append(chr(rng.randrange(0, 0x110000)))
        else:
            out.append(rng.choice(rng.choice(pools)))
    return "".join(out)


def test_fuzz_never_raises_anything_but_too_many_terms() -> None:
    rng = random.Random(14)
    for round_ in range(3000):
        text = _random_text(rng, rng.choice([0, 1, 3, 10, 40, 200]) if round_ < 2990 else 10_000)
        try:
            parsed = parse_query_text(text)
        except QueryTextError:
            continue
        for clause in parsed.required:
            assert clause.options
            for option in (*clause.options, *parsed.excluded):
                assert option.text
                assert any(ch.isalnum() for ch in option.text)
                option.text.encode("utf-8")  # no lone surrogate left


def test_fuzz_only_operators() -> None:
    rng = random.Random(7)
    for _ in range(500):
        text = " ".join(rng.choice(["-", "OR", '"', "«", "»", "*", "()", "--", '""', "-OR"]) for _ in range(20))
        try:
            parsed = parse_query_text(text)
        except QueryTextError:
            continue
        assert all("OR" in option.text for clause in parsed.required for option in clause.options)


def test_ignored_pieces_are_listed_in_the_order_typed() -> None:
    assert parse_query_text("maize OR * -").ignored == ("OR", "*", "-")
    assert parse_query_text('OR " maize').ignored == ("OR", '"')


class _CountedSearch:
    """A closing-quote pattern that counts the characters its searches read."""

    def __init__(self, pattern: re.Pattern[str], read: list[int]) -> None:
        self.pattern, self.read = pattern, read

    def search(self, text: str, pos: int) -> re.Match[str] | None:
        found = self.pattern.search(text, pos)
        self.read[0] += (found.start() if found else len(text)) - pos
        return found


def parsing_work(text: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """How much work parsing ``text`` takes, counted rather than timed (a timing depends on the
    machine and its load): the lines of ``search_index/query_text.py`` run, plus the characters
    its closing-quote searches read (regex scans run in C, where no line is counted)."""
    read = [0]
    closers = {opener: _CountedSearch(pattern, read) for opener, pattern in query_text._CLOSERS.items()}
    monkeypatch.setattr(query_text, "_CLOSERS", closers)
    lines = 0

    def trace(frame: FrameType, event: str, _arg: Any) -> Any:
        nonlocal lines
        if frame.f_code.co_filename != query_text.__file__:
            return None
        lines += event == "line"
        return trace

    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        parse_query_text(text)
    finally:
        sys.settrace(previous)
    return lines + read[0]


@pytest.mark.parametrize("text", ["«" * 10_000, '"' * 10_001, "- " * 5_000, "OR " * 3_333, "\ud800" * 10_000])
def test_pathological_texts_take_work_linear_in_their_length(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Linear: twice the text takes about twice the work (a quadratic parse, four times), and a
    # few dozen steps a character (about 30 at most today; a quadratic parse of 10,000
    # characters takes thousands a character).
    work = parsing_work(text, monkeypatch)
    assert parsing_work(text * 2, monkeypatch) <= 2.2 * work
    assert work <= 100 * len(text)
