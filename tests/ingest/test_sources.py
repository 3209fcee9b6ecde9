"""Source adapters: CBD JSON (object, array, JSON lines), plain text, directories; bad input reported."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from ingest import html_text
from ingest.html_text import html_to_text, normalise_space
from ingest.sources import SourceError
from ingest.sources.cbd_json import parse_item
from ingest.sources.files import read_path
from record_catalogue.record import Record
from tests.conftest import SAMPLES


def items(path: Path, realm: str | None = None) -> list[Record | SourceError]:
    return [parse_item(item) for item in read_path(path, realm)]


def write(tmp_path: Path, name: str, content: object) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def test_real_abs_permit_sample() -> None:
    [rec] = items(SAMPLES / "shared" / "abs-permit.json")
    assert isinstance(rec, Record)
    assert (rec.id, rec.realm, rec.schema_name, rec.government) == (
        "M1DBBE83-4D6B-E788-4C1D-0773325ABYR",
        "ABS",
        "absPermit",
        "af",
    )
    assert rec.title == {"en": "dev test"}
    assert rec.text == {"en": "dsf\n\nsummary of the record"}  # HTML stripped from the rich-text field
    assert rec.date is not None and rec.date.isoformat() == "2016-08-07"
    assert rec.url == "https://absch.cbd.int/database/IRCC/M1DBBE83-4D6B-E788-4C1D-0773325ABYR"


def test_real_national_target_sample() -> None:
    [rec] = items(SAMPLES / "shared" / "national-target.json")
    assert isinstance(rec, Record)
    assert (rec.realm, rec.schema_name, rec.government) == ("CHM", "nationalTarget", "cl")
    assert rec.summary == {"en": "example text for Rationale for the National Target"}
    assert [link.url for link in rec.links] == ["http://www.example.com"]


def test_plain_text_document() -> None:
    [rec] = items(SAMPLES / "shared" / "UNEP-CBD-COP-12-11.txt")
    assert isinstance(rec, Record)
    assert (rec.id, rec.realm, rec.schema_name) == ("UNEP-CBD-COP-12-11", "CHM", "meetingDocument")
    assert rec.title["und"] == "UNEP/CBD/COP/12/11: Note by the Executive Secretary"
    assert "clearing-house mechanism" in rec.text["und"]


def test_directory_is_read_recursively_in_order() -> None:
    found = items(SAMPLES)
    records = [i for i in found if isinstance(i, Record)]
    assert len(records) == 19
    assert {r.realm for r in records} == {"ABS", "BCH", "CHM"}
    # samples/README.md is not a record file: reported, not silently skipped
    assert [
        (e.source.endswith("README.md"), "unsupported file type .md" in e.reason)
        for e in found
        if isinstance(e, SourceError)
    ] == [(True, True)]


def test_array_and_json_lines(tmp_path: Path) -> None:
    good = json.loads((SAMPLES / "shared" / "abs-permit.json").read_text())
    array = write(
        tmp_path,
        "batch.json",
        [good, {"header": {"schema": "absPermit"}}, good | {"header": good["header"] | {"identifier": "B"}}],
    )
    results = items(array)
    assert [type(r).__name__ for r in results] == ["Record", "SourceError", "Record"]
    assert isinstance(results[1], SourceError) and results[1].position == "item 1"

    lines = "\n".join([json.dumps(good), "{not json", "", json.dumps([1])])
    results = items(write(tmp_path, "dump.jsonl", lines))
    assert isinstance(results[0], Record)
    assert (
        isinstance(results[1], SourceError) and results[1].position == "line 2" and "invalid JSON" in results[1].reason
    )
    assert isinstance(results[2], SourceError) and results[2].position == "line 4"
    assert "must be a JSON object" in results[2].reason


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ({"header": {"schema": "absPermit"}, "title": {"en": "x"}}, "record has no header.identifier"),
        ({"header": {"identifier": "X"}, "title": {"en": "x"}}, "record has no header.schema"),
        ({"header": {"identifier": "X", "schema": "spaceship"}, "title": {"en": "x"}}, "unknown schema 'spaceship'"),
        (
            {"header": {"identifier": "X", "schema": "contact"}, "title": {"en": "x"}},
            "exists in several realms (ABS, BCH, CHM)",
        ),
        (
            {"header": {"identifier": "X", "schema": "absPermit", "realm": "XYZ"}, "title": {"en": "x"}},
            "unknown realm 'XYZ'",
        ),
        (
            {
                "header": {"identifier": "X", "schema": "absPermit"},
                "government": {"identifier": "PER"},
                "title": {"en": "x"},
            },
            "is not an ISO 3166 alpha-2 code",
        ),
        ({"header": {"identifier": "X", "schema": "absPermit"}}, "record has no text"),
        ({"header": {"identifier": "X", "schema": "absPermit"}, "title": {"en": "x" * 1_000_001}}, "limit 1,000,000"),
        ("[{]", "invalid JSON"),
        ("", "file is empty"),
        ("   \n", "file is empty"),
    ],
)
def test_bad_json_records_get_specific_reasons(tmp_path: Path, content: object, reason: str) -> None:
    [error] = items(write(tmp_path, "bad.json", content))
    assert isinstance(error, SourceError)
    assert reason in error.reason
    assert error.source.endswith("bad.json")


def test_realm_hint_resolves_shared_schemas(tmp_path: Path) -> None:
    path = write(
        tmp_path, "contact.json", {"header": {"identifier": "C1", "schema": "contact"}, "title": {"en": "Focal point"}}
    )
    [rec] = items(path, realm="BCH")
    assert isinstance(rec, Record) and rec.realm == "BCH"


def test_text_files_in_unknown_encodings_are_rejected(tmp_path: Path) -> None:
    [error] = items(write(tmp_path, "latin1.txt", "Espèces protégées du littoral".encode("latin-1")))
    assert isinstance(error, SourceError) and "unknown encoding" in error.reason
    [rec] = items(write(tmp_path, "utf16.txt", "Biodiversité".encode("utf-16")))
    assert isinstance(rec, Record) and rec.text == {"und": "Biodiversité"}


def test_unsupported_and_missing_paths(tmp_path: Path) -> None:
    [error] = items(write(tmp_path, "photo.jpeg", b"\xff\xd8"))
    assert isinstance(error, SourceError) and "unsupported file type .jpeg" in error.reason
    [error] = items(tmp_path / "nowhere")
    assert isinstance(error, SourceError) and error.reason == "no such file or directory"


def test_html_fields_lose_scripts_and_keep_blocks() -> None:
    html = "<p>Protected <b>areas</b> &amp; seas</p><script>alert(1)</script><ul><li>one</li><li>two</li></ul>"
    assert html_to_text(html) == "Protected areas & seas\n\none\n\ntwo"
    assert html_to_text("no markup  here") == "no markup here"


# Fragments for the HTML fast path: plain ones it reads itself, and every kind it must leave to
# the parser (which it must then not have changed).
HTML_CASES = [
    "<p>Le plan contribue à la cible 21.</p><p>Deuxième paragraphe.</p>",
    '<P CLASS="X">upper</P><p class=\'a\' data-x="1" hidden>attrs</p >',
    "line<br>break<br/>two<br />three</br>four<BR>five",
    "<p/>empty<div><div><p>deep</p></div></div><hr>rule",
    "<table><tr><td>a</td><td>b</td></tr></table><ul>\n  <li>one</li>\n  <li>two</li>\n</ul>",
    '<a href="https://x.org/?a=1&amp;b=2">link</a> <a href=x>bare</a> <img src="a.png" alt=""/>cap',
    "caf&eacute; &#233; &#xe9; &eacute &notit; &amp;lt; x &am<b>p; y &lt;p&gt;",
    "<p>a &amp; b</p><p>x&amp</p><p>the end &amp",
    "\r\n<p>crlf</p>\r\n<p>\ttab  and\u00a0nbsp\u2028sep</p>\n\n\n<p>b</p>  ",
    '<a title="a>b">gt in attribute</a>',
    "<a title='a<b'>lt in attribute</a>",
    "<a href=x/y>slash in a bare value</a><p class=a/>not self-closing",
    '<a href="x"title="y">no space</a><a href = "x" >spaces</a><a href=="x">twice</a><a href=>none</a>',
    '<p\u00a0class="x">no-break space</p><p\x0bclass="x">vertical tab</p>',
    "<br/ >x<p",
    "unclosed <b>bold",
    "a < b and c > d, 1<2, <3, < p>x</ p>, </>",
    "<!-- a comment --><p>x</p><!DOCTYPE html><?pi?><![CDATA[x<y]]>",
    "<style>p { color: red }</style><script>var a = '<p>';</script>after",
    "<noscript>no</noscript><template><p>t</p></template><iframe src=x></iframe>yes",
    "<textarea><p>x</p></textarea><title>T</title><p>b</p>",
    "<custom-tag>x</custom-tag><o:p></o:p>y",
    "<p>emoji 😀 and \x00 nul</p>",
]


def _parser_text(value: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(html_text, "_simple_text", lambda value: None)
    try:
        return html_to_text(value)
    finally:
        monkeypatch.undo()


@pytest.mark.parametrize("value", HTML_CASES)
def test_html_fast_path_gives_what_the_parser_gives(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert html_to_text(value) == _parser_text(value, monkeypatch)


def test_html_fast_path_takes_plain_fragments_and_leaves_the_rest() -> None:
    assert all(html_text._simple_text(value) is not None for value in HTML_CASES[:8])
    for value in ("<p>x</p><!-- c -->", "<script>x</script>", "<p>a < b</p>", "<a title='a>b'>x</a>", "<p", "<x-y>z"):
        assert html_text._simple_text(value) is None


def test_html_fast_path_on_random_fragments(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(3)
    pieces = [
        *["<p>", "</p>", "<br>", "<br/>", "<b>", "</b>", "<li>", "</li>", '<div class="x">', "</div>", "<span id=a>"],
        *["<a href='x'>", "</a>", "<TD>", '<img src="a"/>', "<h3 id=h>", "</h3>", "<script>", "</script>", "<!--"],
        *["-->", "<", ">", "&", "&amp;", "&lt;", "&eacute;", "&#38;", "&am", "p;", " ", "  ", "\n", "\r\n", "\t"],
        *["\u00a0", "text", "été", "生物", "/", "=", '"', "'", "<p/", "<title>", "</ p>", "< p>", "<p\x0b>"],
    ]
    values = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 20))) for _ in range(3000)]
    assert sum(html_text._simple_text(value) is not None for value in values) > 100
    expected = [_parser_text(value, monkeypatch) for value in values]
    assert [html_to_text(value) for value in values] == expected


def _normalise_space_line_by_line(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def test_normalise_space_shortcuts_match_the_line_by_line_rules() -> None:
    rng = random.Random(5)
    pieces = [" ", "  ", "\n", "\n\n", "\n\n\n", "\r\n", "\r", "\t", "\u00a0", "\u2028", "\x0b", "\x85", "a", "\xad"]
    for _ in range(5000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 15)))
        assert normalise_space(text) == _normalise_space_line_by_line(text), repr(text)
