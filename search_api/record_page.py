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
from search_index.documents import KEYWORD, TextLike, best_texts, cbd_identifier, reader_language

RTL_LANGUAGES = frozenset({"ar"})
FIELDS = ("title", "summary", "text")
# Languages whose names are not capitalised inside a sentence ("traduit de l'anglais").
LOWERCASE_NAMES = frozenset({"es", "fr", "ru"})

# The page's own words, in the six languages (tests check that every key exists in every one).
STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "app": "CBD clearing-house search",
        "back": "Back to search",
        "realm": "Clearing-house",
        "schema": "Record type",
        "government": "Country",
        "date": "Date",
        "identifier": "Identifier",
        "keywords": "Keywords",
        "original_language": "Original language",
        "summary": "Summary",
        "text": "Full text",
        "machine": "Machine translation from {language}",
        "reviewed": "Translation from {language}, reviewed by the Secretariat",
        "untranslated": "Not yet translated into English: shown in {language}",
        "show_original": "Show the original ({language})",
        "original_link": "Original record on the {realm}",
        "new_tab": "(opens in a new tab)",
        "other_languages": "This record in other languages",
        "not_found": "No such record",
        "not_found_text": "There is no record with this identifier. It may have been withdrawn by its clearing-house.",
    },
    "fr": {
        "app": "Recherche dans les centres d'échange de la CDB",
        "back": "Retour à la recherche",
        "realm": "Centre d'échange",
        "schema": "Type de fiche",
        "government": "Pays",
        "date": "Date",
        "identifier": "Identifiant",
        "keywords": "Mots-clés",
        "original_language": "Langue originale",
        "summary": "Résumé",
        "text": "Texte intégral",
        "machine": "Traduction automatique de l'original en {language}",
        "reviewed": "Traduction de l'original en {language}, révisée par le Secrétariat",
        "untranslated": "Pas encore traduit en français : affiché en {language}",
        "show_original": "Afficher l'original ({language})",
        "original_link": "Fiche originale sur le {realm}",
        "new_tab": "(s'ouvre dans un nouvel onglet)",
        "other_languages": "Cette fiche dans d'autres langues",
        "not_found": "Fiche introuvable",
        "not_found_text": (
            "Aucune fiche ne porte cet identifiant. Elle a peut-être été retirée par son centre d'échange."
        ),
    },
    "es": {
        "app": "Búsqueda en los centros de intercambio de información del CDB",
        "back": "Volver a la búsqueda",
        "realm": "Centro de intercambio",
        "schema": "Tipo de registro",
        "government": "País",
        "date": "Fecha",
        "identifier": "Identificador",
        "keywords": "Palabras clave",
        "original_language": "Idioma original",
        "summary": "Resumen",
        "text": "Texto completo",
        "machine": "Traducción automática del original en {language}",
        "reviewed": "Traducción del original en {language}, revisada por la Secretaría",
        "untranslated": "Aún no traducido al español: se muestra en {language}",
        "show_original": "Mostrar el original ({language})",
        "original_link": "Registro original en el {realm}",
        "new_tab": "(se abre en una pestaña nueva)",
        "other_languages": "Este registro en otros idiomas",
        "not_found": "Registro no encontrado",
        "not_found_text": (
            "No hay ningún registro con este identificador. Es posible que su centro de intercambio lo haya retirado."
        ),
    },
    "ru": {
        "app": "Поиск по механизмам посредничества КБР",
        "back": "Назад к поиску",
        "realm": "Механизм посредничества",
        "schema": "Тип записи",
        "government": "Страна",
        "date": "Дата",
        "identifier": "Идентификатор",
        "keywords": "Ключевые слова",
        "original_language": "Язык оригинала",
        "summary": "Резюме",
        "text": "Полный текст",
        "machine": "Машинный перевод с языка оригинала: {language}",
        "reviewed": "Перевод с языка оригинала ({language}), проверенный Секретариатом",
        "untranslated": "Ещё не переведено на русский язык: показано на языке оригинала ({language})",
        "show_original": "Показать оригинал ({language})",
        "original_link": "Исходная запись: {realm}",
        "new_tab": "(откроется в новой вкладке)",
        "other_languages": "Эта запись на других языках",
        "not_found": "Запись не найдена",
        "not_found_text": "Записи с таким идентификатором нет. Возможно, механизм посредничества её отозвал.",
    },
    "zh": {
        "app": "《生物多样性公约》信息交换所检索",
        "back": "返回检索",
        "realm": "信息交换所",
        "schema": "记录类型",
        "government": "国家",
        "date": "日期",
        "identifier": "标识符",
        "keywords": "关键词",
        "original_language": "原文语言",
        "summary": "摘要",
        "text": "全文",
        "machine": "机器翻译，原文为{language}",
        "reviewed": "译自{language}原文，已经秘书处审校",
        "untranslated": "尚未译成中文：以{language}显示",
        "show_original": "显示原文（{language}）",
        "original_link": "{realm}上的原始记录",
        "new_tab": "（在新标签页中打开）",
        "other_languages": "本记录的其他语言版本",
        "not_found": "未找到记录",
        "not_found_text": "没有此标识符的记录。它可能已被所属信息交换所撤回。",
    },
    "ar": {
        "app": "البحث في آليات تبادل المعلومات التابعة لاتفاقية التنوع البيولوجي",
        "back": "العودة إلى البحث",
        "realm": "آلية تبادل المعلومات",
        "schema": "نوع السجل",
        "government": "البلد",
        "date": "التاريخ",
        "identifier": "المعرّف",
        "keywords": "الكلمات المفتاحية",
        "original_language": "اللغة الأصلية",
        "summary": "الملخص",
        "text": "النص الكامل",
        "machine": "ترجمة آلية من الأصل باللغة {language}",
        "reviewed": "ترجمة من الأصل باللغة {language} راجعتها الأمانة",
        "untranslated": "لم يُترجم بعد إلى العربية: معروض باللغة {language}",
        "show_original": "عرض الأصل ({language})",
        "original_link": "السجل الأصلي في {realm}",
        "new_tab": "(يُفتح في علامة تبويب جديدة)",
        "other_languages": "هذا السجل بلغات أخرى",
        "not_found": "السجل غير موجود",
        "not_found_text": "لا يوجد سجل بهذا المعرّف. ربما سحبته آلية تبادل المعلومات التابعة له.",
    },
}


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
            f'{_e(s["original_link"].format(realm=realm_name))} <span aria-hidden="true">↗</span>'
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
