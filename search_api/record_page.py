"""One record as a page of its own (``/record/{id}?lang=``): shareable, indexable, readable by anyone.

Rendered here, on the server, so that a shared link, a search engine and a reader without
JavaScript all get the record. Readers see only real texts: for each field the version the one
display policy chooses (``search_index.documents.reader_language``), said in plain words where it
is a translation, with the original one click away (``<details>``: no script needed); never a
pending placeholder, a model or glossary id, or an operator's hint — those belong to ``/curate``
and the API. Every value is HTML-escaped; the schema.org description is JSON in a data block
(which the page's Content Security Policy allows: it is never run).
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from babel.dates import format_date

from analyzers.entities import entity_label
from record_catalogue.codes import Provenance
from record_catalogue.languages import LANGUAGE_NAMES, UN_LANGUAGES
from record_catalogue.realms import REALM_NAMES, realm_catalog
from record_catalogue.ui_strings import load_strings
from search_index.documents import KEYWORD, TextLike, best_texts, cbd_identifier, reader_language

RTL_LANGUAGES = frozenset({"ar"})
FIELDS = ("title", "summary", "text")
# Languages whose names are not capitalised inside a sentence ("traduit de l'anglais").
LOWERCASE_NAMES = frozenset({"es", "fr", "ru"})

# The page's words in the six languages: search_api/data/record_page.json (checked when read).
STRINGS = load_strings("search_api", "record_page")


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _direction(lang: str) -> str:
    return "rtl" if lang in RTL_LANGUAGES else "ltr"


def language_name(code: str, lang: str, in_sentence: bool = False) -> str:
    """``code``'s name in ``lang``; lower-cased inside a sentence where ``lang`` writes it so."""
    name = LANGUAGE_NAMES.get(code, {}).get(lang, code)
    return name.lower() if in_sentence and lang in LOWERCASE_NAMES else name


def shown_versions(texts: Sequence[TextLike]) -> dict[str, dict[str, TextLike]]:
    """For each field and language, the version a reader may see (``best_texts``), if it has text."""
    return {
        field: {code: version for code, version in by_lang.items() if version.text}
        for field, by_lang in best_texts(texts).items()
    }


def _pick(by_lang: Mapping[str, TextLike], lang: str) -> TextLike | None:
    code = reader_language({code: version.provenance for code, version in by_lang.items()}, lang)
    return by_lang[code] if code else None


def _original(by_lang: Mapping[str, TextLike], original_language: str) -> TextLike | None:
    originals = [v for v in by_lang.values() if v.provenance == Provenance.ORIGINAL]
    preferred = [v for v in originals if v.language == original_language]
    return next(iter(preferred or originals), None)


def _block(tag: str, version: TextLike, css: str) -> str:
    classes = f' class="{css}"' if css else ""
    return (
        f'<{tag}{classes} lang="{_e(version.language)}" dir="{_direction(version.language)}">{_e(version.text)}</{tag}>'
    )


def _field(name: str, by_lang: Mapping[str, TextLike], lang: str, original_language: str, s: Mapping[str, str]) -> str:
    """A field: the version shown, what it is in plain words, and the original behind a toggle."""
    shown = _pick(by_lang, lang)
    if shown is None:
        return ""
    parts = [f'<section class="record-field" data-field="{name}">']
    if name != "title":
        parts.append(f"<h2>{_e(s[name])}</h2>")
        parts.append(_block("div", shown, "version-text"))
    original = _original(by_lang, original_language)
    source_name = language_name(original.language if original else original_language, lang, in_sentence=True)
    note = None
    if shown.language != lang:
        note = s["untranslated"].format(language=language_name(shown.language, lang, in_sentence=True))
    elif shown.provenance in (Provenance.MACHINE, Provenance.REVIEWED):
        note = s[shown.provenance].format(language=source_name)
    if note:
        parts.append(f'<p class="record-provenance" data-provenance="{_e(shown.provenance)}">{_e(note)}</p>')
    if shown.provenance != Provenance.ORIGINAL and original is not None and original is not shown:
        label = s["show_original"].format(language=language_name(original.language, lang))
        # The box (its rule on the page's start side) keeps the page's direction; the text inside
        # keeps the original's own.
        parts.append(
            f'<details class="record-original"><summary>{_e(label)}</summary>'
            f'<div class="version-box">{_block("div", original, "version-text")}</div></details>'
        )
    parts.append("</section>")
    return "".join(parts)


def _json_ld(row: Any, title: TextLike | None, summary: TextLike | None, lang: str) -> str:
    """schema.org description of the record (JSON in a data block; every ``<`` escaped so no text can end it)."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "CreativeWork",
        "identifier": row.id,
        "name": title.text if title else row.id,
        "inLanguage": title.language if title else row.original_language,
        "isPartOf": {"@type": "WebSite", "name": REALM_NAMES.get(row.realm, {}).get(lang, row.realm)},
        "genre": realm_catalog().schema_label(row.realm, row.schema_name, lang),
    }
    if summary:
        data["description"] = summary.text[:500]
    if row.url:
        data["sameAs"] = row.url
    if row.date:
        data["datePublished"] = row.date.isoformat()
    if row.government:
        data["spatialCoverage"] = {"@type": "Country", "identifier": row.government.upper()}
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")


def reader_date(date: dt.date, lang: str) -> str:
    """``date`` as a reader of ``lang`` writes it (CLDR's long form: "5 novembre 2012", "2012年11月5日",
    "5 نوفمبر 2012"), in a ``<time>`` whose ``datetime`` keeps the ISO date for machines."""
    return f'<time datetime="{date.isoformat()}">{_e(format_date(date, "long", locale=lang))}</time>'


def _page(lang: str, title: str, head: str, body: str, s: Mapping[str, str], switch: str) -> str:
    return f"""<!doctype html>
<html lang="{lang}" dir="{_direction(lang)}">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>{_e(title)} · {_e(s["app"])}</title>
    <link rel="icon" href="../static/icon.svg" type="image/svg+xml" />
    <link rel="stylesheet" href="../static/page.css" />
    <link rel="stylesheet" href="../static/record.css" />
{head}  </head>
  <body>
    <header class="site-header">
      <p class="site-title"><a href="../?lang={lang}">{_e(s["app"])}</a></p>
      {switch}
    </header>
    <main id="main" class="record-page">
      <p class="record-back"><a href="../?lang={lang}">{_e(s["back"])}</a></p>
{body}    </main>
  </body>
</html>
"""


def _language_switch(lang: str, available: Sequence[str]) -> str:
    links = []
    for code in UN_LANGUAGES:
        name = _e(LANGUAGE_NAMES[code][code])
        if code == lang:
            links.append(f'<li><a aria-current="page" lang="{code}" href="?lang={code}">{name}</a></li>')
        elif code in available:
            links.append(f'<li><a lang="{code}" hreflang="{code}" href="?lang={code}">{name}</a></li>')
    return f'<nav class="record-languages"><ul>{"".join(links)}</ul></nav>'


LIST_SEPARATORS = {"ar": "، ", "zh": "、"}


def keyword_labels(entities: Any, lang: str) -> list[str]:
    """The record's thesaurus keywords in ``lang`` (its stored labels, ``record_catalogue.term_labels``):
    English where the thesaurus has not that language, else any; unlabelled references are left out."""
    by_keyword: dict[str, dict[str, str]] = {}
    for entity in entities:
        if entity.type == KEYWORD:
            by_keyword.setdefault(entity.entity_id, {})[entity.language] = entity.text
    labels = []
    for _key, texts in sorted(by_keyword.items()):
        named = {code: text for code, text in texts.items() if code and text}
        if named:  # a reference the thesaurus has not labelled (another record, a meeting) is no keyword
            labels.append(named.get(lang) or named.get("en") or sorted(named.items())[0][1])
    return labels


def render_record(row: Any, lang: str) -> str:
    """The page of one catalogue record for a reader of ``lang``."""
    s = STRINGS[lang]
    versions = shown_versions(row.texts)
    title = _pick(versions.get("title", {}), lang)
    summary = _pick(versions.get("summary", {}), lang)
    available = sorted({code for by_lang in versions.values() for code in by_lang})
    catalog = realm_catalog()
    quoted = quote(row.id, safe="")
    # Each value as markup, every text in it escaped.
    rows = [
        ("realm", _e(REALM_NAMES.get(row.realm, {}).get(lang, row.realm))),
        ("schema", _e(catalog.schema_label(row.realm, row.schema_name, lang))),
    ]
    if row.government:
        rows.append(("government", _e(entity_label(f"country:{row.government.lower()}", lang))))
    if row.date:
        rows.append(("date", reader_date(row.date, lang)))
    # The identifier readers know it by (the BCH's uniqueIdentifier, a document symbol), else the id.
    rows.append(("identifier", _e(cbd_identifier(row) or row.id)))
    rows.append(("original_language", _e(language_name(row.original_language, lang))))
    keywords = keyword_labels(row.entities, lang)
    if keywords:
        rows.append(("keywords", _e(LIST_SEPARATORS.get(lang, ", ").join(keywords))))
    meta = "".join(f"<dt>{_e(s[key])}</dt><dd><bdi>{value}</bdi></dd>" for key, value in rows)
    # The heading keeps the page's direction; the title is isolated in its own language and direction.
    inner = _block("bdi", title, "") if title else f"<bdi>{_e(row.id)}</bdi>"
    heading = f'<h1 class="record-title">{inner}</h1>'
    body = [heading, _field("title", versions.get("title", {}), lang, row.original_language, s)]
    body.append(f'<dl class="detail-meta">{meta}</dl>')
    if row.url and row.url.startswith(("https://", "http://")):
        realm_name = REALM_NAMES.get(row.realm, {}).get(lang, row.realm)
        body.append(
            f'<p><a class="record-source" href="{_e(row.url)}" target="_blank" rel="noopener noreferrer">'
            f"{_e(s['original_link'].format(realm=realm_name))} "
            f'<span class="record-external" aria-hidden="true">↗</span>'
            f'<span class="chm-sr-only"> {_e(s["new_tab"])}</span></a></p>'
        )
    for name in FIELDS[1:]:
        body.append(_field(name, versions.get(name, {}), lang, row.original_language, s))
    head = "".join(
        f'    <link rel="alternate" hreflang="{code}" href="{quoted}?lang={code}" />\n' for code in available
    )
    head += f'    <script type="application/ld+json">{_json_ld(row, title, summary, lang)}</script>\n'
    if summary:
        head += f'    <meta name="description" content="{_e(summary.text[:300])}" />\n'
    return _page(
        lang,
        title.text if title else row.id,
        head,
        "".join(f"      {part}\n" for part in body if part),
        s,
        _language_switch(lang, available),
    )


def render_missing(lang: str) -> str:
    """The page for an identifier no record has (served with 404)."""
    s = STRINGS[lang]
    body = f"      <h1>{_e(s['not_found'])}</h1>\n      <p>{_e(s['not_found_text'])}</p>\n"
    return _page(lang, s["not_found"], "", body, s, "")
