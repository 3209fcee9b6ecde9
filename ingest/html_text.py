"""Rich-text fields hold HTML; readers and the index want its text, without scripts or styles."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "tr",
    "td",
    "th",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "section",
    "blockquote",
}
_DROP_TAGS = {"script", "style", "noscript", "template", "iframe", "object"}
_LOOKS_LIKE_HTML = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>|&[a-zA-Z#0-9]+;")

# The fast path (_simple_text) reads fragments whose every "<" opens one of these tags, written
# plainly, and gives what the parser gives; anything else goes to the parser. These tags have
# ordinary content for HTMLParser: none is dropped here, none switches it to raw text (script,
# style and, in newer Pythons, textarea, title...).
_PLAIN_TAGS = _BLOCK_TAGS | {
    "a",
    "abbr",
    "b",
    "big",
    "caption",
    "center",
    "cite",
    "code",
    "dd",
    "del",
    "dl",
    "dt",
    "em",
    "font",
    "hr",
    "i",
    "img",
    "ins",
    "mark",
    "pre",
    "q",
    "s",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "sup",
    "tbody",
    "tfoot",
    "thead",
    "u",
}
# A start tag (group 1: name, group 2: "/" when self-closing) or an end tag (group 3: name),
# written so plainly that HTMLParser reads the same name and ends the tag at the same ">": names
# of letters and digits ended by a space, "/" or ">"; attributes after space, with quoted values
# free of "<" and ">", or bare values ended by space or ">"; only ASCII spaces, which both read
# as spaces. A tag this does not match sends the fragment to the parser.
_SPACE = r"[ \t\n\r\f]"
_VALUE = r"""(?:"[^"<>]*"|'[^'<>]*'|[^\s"'=<>`/]+(?=[\s>]))"""
_ATTRIBUTE = rf"{_SPACE}+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:{_SPACE}*={_SPACE}*{_VALUE})?"
_SIMPLE_TAG = re.compile(
    rf"<(?:([a-zA-Z][a-zA-Z0-9]*)(?=[ \t\n\r\f/>])(?:{_ATTRIBUTE})*{_SPACE}*(/?)>|/([a-zA-Z][a-zA-Z0-9]*){_SPACE}*>)"
)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_TAGS:
            self._dropping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_TAGS:
            self._dropping = max(0, self._dropping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._dropping:
            self.parts.append(data)


def html_to_text(value: str) -> str:
    """The readable text of an HTML fragment (scripts and styles dropped, blocks on new lines)."""
    if not _LOOKS_LIKE_HTML.search(value):
        return normalise_space(value)
    text = _simple_text(value)
    if text is None:
        parser = _TextExtractor()
        parser.feed(value)
        parser.close()
        text = "".join(parser.parts)
    return normalise_space(html.unescape(text))


def _simple_text(value: str) -> str | None:
    """What _TextExtractor collects from ``value``, without the parser, when every tag is simple.

    Most rich-text fields are a few paragraphs with inline markup, and HTMLParser costs most of
    the time of reading a record; for them this does the parser's work (unescape each run of
    text, a line break for each block tag, "/>" counting as a start and an end tag) with one
    regular expression. ``None`` means "ask the parser": a tag it does not match, a "<" that opens
    no tag, comments, declarations, scripts and styles.
    """
    parts = _SIMPLE_TAG.split(value)  # text, start name, "/", end name, text, ...
    if len(parts) // 4 != value.count("<"):  # some "<" opens something else
        return None
    out: list[str] = []
    for index in range(0, len(parts) - 1, 4):
        text, start, slash, end = parts[index : index + 4]
        if text:
            out.append(html.unescape(text))
        name = (start or end).lower()
        if name not in _PLAIN_TAGS:
            return None
        if name in _BLOCK_TAGS:
            out.append("\n\n" if slash else "\n")
    if parts[-1]:
        out.append(html.unescape(parts[-1]))
    return "".join(out)


def normalise_space(text: str) -> str:
    """Collapse runs of spaces, keep paragraph breaks, strip the ends."""
    if "\n" not in text:
        return " ".join(text.split())  # one line: what the loop below makes of it, faster
    text = text.replace("\r\n", "\n")
    # Text that is already tidy (the usual case) only needs its blank lines merged. Tidy: its
    # only spaces are single " " between words: isprintable() is false for every other space
    # (tabs, no-break and Unicode spaces, line separators), and for "\n", hence the replace.
    if "  " not in text and " \n" not in text and "\n " not in text and text.replace("\n", "").isprintable():
        while "\n\n\n" in text:
            text = text.replace("\n\n\n", "\n\n")
        return text.strip()
    lines = [" ".join(line.split()) for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()
