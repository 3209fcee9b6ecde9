"""Snippets cut between words, with ellipses where the text goes on (engine-neutral helpers and the
embedded engine's Arabic snippets, which are made in Python)."""

from __future__ import annotations

from analyzers import arabic
from search_index.snippets import ELLIPSIS, bounded, cut_at_word, highlight, plain, touches
from search_index.tantivy_backend import arabic_snippet


def test_cut_at_word_never_splits_a_word() -> None:
    text = "alpha beta gamma delta epsilon"
    assert cut_at_word(text, 8, 20) == (11, 16)  # "gamma" (from inside "beta", to inside "delta")
    assert cut_at_word(text, 0, len(text)) == (0, len(text))
    assert cut_at_word("没有空格的文字", 2, 5) == (2, 5)  # no space to cut at: kept as it is


def test_ellipses_only_where_the_text_goes_on() -> None:
    text = "One two three four five."
    assert bounded("two <mark>three</mark>", text) == f"{ELLIPSIS}two <mark>three</mark>{ELLIPSIS}"
    assert bounded("One two", text) == f"One two{ELLIPSIS}"
    assert bounded("four five", text) == f"{ELLIPSIS}four five"  # the full stop is not text going on
    assert bounded("One two three four five", text) == "One two three four five"
    assert touches("a &amp; b", "a &amp; b", "a &amp; b") == (True, True)


def test_highlight_escapes_everything_but_the_marks() -> None:
    out = highlight("<b>x</b> & y", [(3, 4)])
    assert out == "&lt;b&gt;<mark>x</mark>&lt;/b&gt; &amp; y"
    assert plain(out) == "<b>x</b> & y"


def test_an_arabic_snippet_is_cut_between_words_with_ellipses() -> None:
    words = [f"كلمة{i}" for i in range(200)]
    words[100] = "التنوع"
    text = " ".join(words)
    wanted = set(arabic.word_terms("التنوع"))
    snippet = arabic_snippet(text, wanted)
    assert snippet is not None and "<mark>التنوع</mark>" in snippet
    assert snippet.startswith(ELLIPSIS) and snippet.endswith(ELLIPSIS)
    inner = plain(snippet).strip(ELLIPSIS)
    at = text.find(inner)
    assert at > 0 and text[at - 1] == " " and text[at + len(inner)] == " "
