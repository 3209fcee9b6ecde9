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
    parser = _TextExtractor()
    parser.feed(value)
    parser.close()
    return normalise_space(html.unescape("".join(parser.parts)))


def normalise_space(text: str) -> str:
    """Collapse runs of spaces, keep paragraph breaks, strip the ends."""
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()
