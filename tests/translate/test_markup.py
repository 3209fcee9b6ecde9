"""Rich text keeps its markup byte for byte; only the text between tags is translated."""

from __future__ import annotations

from translate.markup import looks_like_html, render, split_markup

HTML = '<p class="intro">The <b>forest</b> &amp; the river.</p><script>var a = "<b>";</script><!-- note --><br/>End'


def test_runs_render_back_to_the_same_text() -> None:
    runs = split_markup(HTML)
    assert "".join(render(run) for run in runs) == HTML
    assert [run.text for run in runs if not run.markup] == ["The ", "forest", " & the river.", "End"]
    assert '<script>var a = "<b>";</script>' in [run.raw for run in runs if run.markup]


def test_translated_text_is_escaped_and_markup_untouched() -> None:
    runs = split_markup(HTML)
    out = "".join(render(run, run.text.upper() if not run.markup else None) for run in runs)
    assert (
        out
        == '<p class="intro">THE <b>FOREST</b> &amp; THE RIVER.</p><script>var a = "<b>";</script><!-- note --><br/>END'
    )


def test_plain_text_is_not_mistaken_for_html() -> None:
    assert looks_like_html("<p>x</p>") and looks_like_html("a<br/>b")
    assert not looks_like_html("if a < b and c > d") and not looks_like_html("3 <4")
