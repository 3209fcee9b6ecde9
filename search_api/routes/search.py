"""``GET /api/v1/search``: one query over the three clearing-houses, in the reader's language."""

from __future__ import annotations

import html
import inspect
import json
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal, TypeVar

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from analyzers.entities import entity_label
from record_catalogue.codes import LanguageCode, Realm, TranslationStatus
from record_catalogue.languages import language_label
from record_catalogue.realms import REALM_NAMES, realm_catalog
from record_catalogue.record import REALMS
from search_api.cursors import Cursor, CursorSigner
from search_api.dependencies import ServicesDep
from search_api.errors import ApiError
from search_api.services import Services
from search_api.understanding import Understood, interpretation, understand
from search_index.base import Hit, SearchQuery
from search_index.documents import KEYWORD, reader_language, version_kinds

router = APIRouter(tags=["search"])

MAX_SIZE = 100
# The API's names for the codes (record_catalogue.codes): OpenAPI lists each as a named enum.
RealmCode = Realm
SchemaName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,100}$")]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z]{2}$")]
LanguageFilter = Annotated[str, StringConstraints(pattern=r"^([a-z]{2}|und)$")]
EntityRef = Annotated[str, StringConstraints(pattern=r"^[a-z\-]{1,30}:[^\s]{1,100}$")]


class FacetValue(BaseModel):
    value: str
    label: str
    count: int


class OriginalText(BaseModel):
    """The record's own words, where a card shows a translation: what its "show original" toggle shows."""

    title: str | None
    summary: str | None
    language: str


class SourceRecord(BaseModel):
    """One of the records through which a document is listed (a clearing-house, a file)."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    realm: Realm
    schema_name: str = Field(alias="schema")
    url: str | None


KEYWORD_PREFIX = f"{KEYWORD}:"


class KeywordLabel(BaseModel):
    """A thesaurus keyword of a record: its facet value and its label in the reader's language."""

    value: str = Field(description="The entity facet value, keyword:<thesaurus identifier>.")
    label: str


class SearchResult(BaseModel):
    """One hit, shown in the reader's language where a version exists, and saying which."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    cbd_id: str | None = Field(
        description="The identifier the clearing-house's readers know the record by (a document symbol), if any."
    )
    realm: Realm
    schema_name: str = Field(alias="schema")
    government: str | None
    title: str | None
    title_highlighted: str | None = Field(
        description="The title HTML-escaped, with <mark> around the words the query matched (as snippet)."
    )
    summary: str | None
    snippet: str | None = Field(
        description="HTML-escaped text with <mark> around matches; an ellipsis (…) where the text was cut."
    )
    url: str | None
    date: str | None
    original_language: str
    display_language: str
    machine_translated: bool
    translation_status: TranslationStatus
    entities: list[str]
    keywords: list[KeywordLabel] = Field(
        default_factory=list,
        description="The record's thesaurus keywords (the entity_keyword facet), labelled in the reader's language.",
    )
    realms: list[Realm] = Field(description="Every clearing-house listing this document.")
    sources: list[SourceRecord] = Field(
        description="Every record this document is listed under (one per clearing-house or file), shown one first."
    )
    original: OriginalText | None = Field(
        default=None, description="The original title and summary, present only when the shown ones are translations."
    )


class TranslationUsed(BaseModel):
    language: str
    text: str
    pair: str = Field(description="Source and target language, e.g. fr>en (fr>en>zh through a pivot).")
    model: str
    matched: int = Field(description="Records this translation finds on its own.")


class AddedTerm(BaseModel):
    text: str
    language: str | None


class ExpansionUsed(BaseModel):
    typed: str = Field(description="The words of the query the vocabulary recognised.")
    concept: str
    source: str = Field(description="glossary, synonyms, schema, country, target, treaty ...")
    added: list[AddedTerm]
    matched: int = Field(description="Records the added terms find on their own.")


class FilterRelaxation(BaseModel):
    filter: str
    values: list[str]
    total: int = Field(description="Results of the same query without this filter.")


class DidYouMean(BaseModel):
    text: str = Field(description="The query with misspelt words replaced by words the index holds.")
    total: int = Field(description="Results of that query (more than the query as typed).")


class Interpretation(BaseModel):
    """How the query was understood: what was searched, and what widened it."""

    query_language: str = Field(description="The language the query seems to be in (und: not sure).")
    languages_searched: list[str]
    translations: list[TranslationUsed]
    expansions: list[ExpansionUsed]
    ignored: list[str] = Field(description="Pieces of the query that were not searched for, e.g. a lone '-'.")
    without_filter: list[FilterRelaxation] = Field(
        default_factory=list, description="With no results: how many each filter's removal would give."
    )
    did_you_mean: DidYouMean | None = Field(
        default=None, description="When the query finds little and a word of it is misspelt: a better spelling."
    )


class SearchResponse(BaseModel):
    total: int
    page: int
    size: int
    lang: str
    took_ms: float
    results: list[SearchResult]
    facets: dict[str, list[FacetValue]]
    next_cursor: str | None
    interpretation: Interpretation


def _display(
    source: Mapping[str, Any], field: str, kinds: Mapping[str, str], lang: str
) -> tuple[str | None, str | None]:
    """The field (its versions' ``kinds``) as a reader of ``lang`` sees it (``reader_language``:
    the one display policy)."""
    code = reader_language(kinds, lang)
    return ((source.get(field) or {})[code], code) if code else (None, None)


def _original(
    source: Mapping[str, Any], kinds: Mapping[str, Mapping[str, str]], shown: dict[str, str | None]
) -> dict[str, str | None] | None:
    """The record's own title and summary when a shown one (``{field: language}``; ``kinds``: each
    field's versions) is a translation (an ``OriginalText``'s fields)."""
    if all(code is None or kinds[field].get(code) == TranslationStatus.ORIGINAL for field, code in shown.items()):
        return None
    originals = {
        field: {code: kind for code, kind in kinds[field].items() if kind == TranslationStatus.ORIGINAL}
        for field in shown
    }
    language = reader_language(originals["title"], "en") or reader_language(originals["summary"], "en")
    if language is None:
        return None
    title = (source.get("title") or {}).get(language) if language in originals["title"] else None
    summary = (source.get("summary") or {}).get(language) if language in originals["summary"] else None
    return {"title": title, "summary": summary, "language": language}


def card(hit: Hit, lang: str, thesaurus: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, Any]:
    """A search hit as the API shows it: in the reader's language where we have it, and saying so;
    ``thesaurus``: the harvested labels (``Services.term_labels``) its keywords are shown with.

    A ``SearchResult``'s fields by alias, in its order, as plain values: what its ``model_dump``
    would give (a test holds the two equal), without building and validating ten models and their
    nested ones for every search, which cost more than the rest of the route's own work."""
    source = hit.source
    entities = source.get("entities") or []
    kinds = {"title": version_kinds(source, "title"), "summary": version_kinds(source, "summary")}
    title, title_lang = _display(source, "title", kinds["title"], lang)
    summary, summary_lang = _display(source, "summary", kinds["summary"], lang)
    # Engines that return no full text (results never show it) still list the languages a record has.
    has_lang = (
        lang in (title_lang, summary_lang)
        or bool((source.get("text") or {}).get(lang))
        or (
            lang in (source.get("languages") or [])
            and (source.get("status") or {}).get(lang) != TranslationStatus.PENDING
        )
    )
    display_language = lang if has_lang else (title_lang or summary_lang or source["original_language"])
    status = (source.get("status") or {}).get(lang, TranslationStatus.PENDING)
    highlighted = hit.title_highlights.get(title_lang or "") if title is not None else None
    realm = Realm(source["realm"])
    sources = source.get("sources")
    return {
        "id": source["id"],
        "cbd_id": source.get("cbd_id"),
        "realm": realm,
        "schema": source["schema"],
        "government": source.get("government"),
        "title": title,
        "title_highlighted": highlighted or (html.escape(title) if title is not None else None),
        "summary": summary,
        "snippet": hit.snippet,
        "url": source.get("url"),
        "date": source.get("date"),
        "original_language": source["original_language"],
        "display_language": display_language,
        "machine_translated": has_lang and status == TranslationStatus.MACHINE,
        "translation_status": TranslationStatus(status),
        "entities": entities,
        "keywords": [
            {"value": key, "label": entity_label(key, lang, thesaurus)}
            for key in entities
            if key.startswith(KEYWORD_PREFIX)
        ],
        "realms": [Realm(code) for code in source.get("realms") or [realm]],
        "sources": [
            {"id": one["id"], "realm": Realm(one["realm"]), "schema": one["schema"], "url": one["url"]}
            for one in sources
        ]
        if sources
        else [{"id": source["id"], "realm": realm, "schema": source["schema"], "url": source.get("url")}],
        "original": _original(source, kinds, {"title": title_lang, "summary": summary_lang}),
    }


def present(hit: Hit, lang: str, thesaurus: Mapping[str, Mapping[str, str]] | None = None) -> SearchResult:
    """``card`` as a validated ``SearchResult`` (the export reads its fields by name)."""
    return SearchResult.model_validate(card(hit, lang, thesaurus))


def facet_label(facet: str, value: str, lang: str) -> str:
    """A facet value's name in the reader's language."""
    if facet == "realm":
        return REALM_NAMES.get(value, {}).get(lang, value)
    if facet == "original_language":
        return language_label(value, lang)
    if facet == "schema":
        for realm in REALMS:
            info = realm_catalog().schemas.get(realm, {}).get(value)
            if info is not None:
                return info.label(lang)
    if facet == "government":
        return entity_label(f"country:{value}", lang)
    return value


# Labels kept per (facet, value, language) at most; beyond, the table starts again.
_K = TypeVar("_K", bound=Hashable)
MAX_FACET_LABELS = 50_000
_static_labels: dict[tuple[str, str, str], str] = {}
# The entity labels depend on the harvested thesaurus too: kept with the mapping they were made
# from, and started again when ``Services.term_labels`` gives another one (re-read once a minute).
_entity_labels: tuple[object, dict[tuple[str, str], str]] = (None, {})


def facet_labels(lang: str, thesaurus: Mapping[str, Mapping[str, str]] | None) -> Callable[[str, str], str]:
    """``(facet, value) -> label`` for a response in ``lang``: ``facet_label`` and, for the
    entity facet, ``entity_label`` with ``thesaurus``, each label made once and then looked up. A
    search lists some fifty facet values, each label found through the realms', languages' and
    gazetteer's tables: the same few hundred values, search after search."""
    global _entity_labels
    made_with, entities = _entity_labels
    if made_with is not thesaurus:
        entities = {}
        _entity_labels = (thesaurus, entities)
    static = _static_labels

    def label(facet: str, value: str) -> str:
        if facet == "entity":
            return _kept(entities, (value, lang), lambda: entity_label(value, lang, thesaurus))
        return _kept(static, (facet, value, lang), lambda: facet_label(facet, value, lang))

    return label


def _kept(table: dict[_K, str], key: _K, make: Callable[[], str]) -> str:
    """``table[key]``, made and kept the first time (the table started again past MAX_FACET_LABELS)."""
    found = table.get(key)
    if found is None:
        if len(table) >= MAX_FACET_LABELS:
            table.clear()
        found = table[key] = make()
    return found


def resume(signer: CursorSigner | None, cursor: str, query_key: str, order: str) -> Cursor:
    """Where ``cursor`` continues; 422 naming ``cursor`` when this service did not issue it for this search."""
    if signer is None:
        raise ApiError(422, "invalid_cursor", "cursor: not accepted here")
    return signer.decode(cursor, query_key, order)


def key_presets(request: Request) -> dict[str, list[str]]:
    """The search presets of the partner key the request came with (none without a key)."""
    info = getattr(request.state, "api_key", None)
    return dict(info.presets) if info is not None else {}


@dataclass(frozen=True)
class SearchParams:
    """What a reader asks of a search, as ``/search`` and ``/search/export`` both take it (one
    definition: the export gives the very results the search shows). Paging is each route's own."""

    q: Annotated[
        str,
        Query(
            description=(
                "Words to find, in any language; empty to browse. Every word must occur in the record; "
                '"an exact phrase", -excluded and a OR b are understood; nothing else is syntax. '
                "At most CHM_MAX_QUERY_CHARS characters (default 1,000)."
            ),
            openapi_examples={
                "words": {"summary": "Words", "value": "protected areas"},
                "phrase": {"summary": "A phrase, an exclusion", "value": '"living modified organism" -maize'},
                "symbol": {"summary": "A document symbol", "value": "UNEP/CBD/COP/12/11"},
                "french": {"summary": "French (with lang=fr)", "value": "espèces protégées"},
                "browse": {"summary": "Browse everything", "value": ""},
            },
        ),
    ] = ""
    lang: Annotated[LanguageCode, Query(description="The reader's language.")] = LanguageCode.EN
    realm: Annotated[list[RealmCode] | None, Query(description="Clearing-house(s).")] = None
    schema: Annotated[list[SchemaName] | None, Query(description="Record type(s), e.g. absPermit.")] = None
    government: Annotated[list[CountryCode] | None, Query(description="ISO 3166 alpha-2 code(s).")] = None
    original_language: Annotated[list[LanguageFilter] | None, Query()] = None
    entity: Annotated[
        list[EntityRef] | None,
        Query(
            description="Entities the records talk about, as type:id (repeatable).",
            openapi_examples={
                "country": {"summary": "Brazil", "value": ["country:br"]},
                "target": {"summary": "Aichi Target 11", "value": ["target:aichi-11"]},
                "decision": {"summary": "Decision XI/2", "value": ["decision:cop-xi-2"]},
            },
        ),
    ] = None
    year_from: Annotated[int | None, Query(ge=1900, le=2100)] = None
    year_to: Annotated[int | None, Query(ge=1900, le=2100)] = None
    sort: Annotated[
        Literal["relevance", "newest"] | None,
        Query(description="relevance (the default with words to find) or newest (the default when browsing)."),
    ] = None
    translate: Annotated[
        bool, Query(description="Also search the query translated into the other languages (where models exist).")
    ] = True

    def filters(self) -> dict[str, Sequence[str] | None]:
        """The facet filters asked for, by facet name (None where not asked)."""
        return {
            "realm": self.realm,
            "schema": self.schema,
            "government": self.government,
            "original_language": self.original_language,
            "entity": self.entity,
        }


async def _search_params(**values: Any) -> SearchParams:
    """``SearchParams`` from its validated fields. FastAPI runs a class (or a plain function) given
    as a dependency in a worker thread, a hop (and a wait for the GIL) per request; a coroutine
    runs in the event loop. Its parameters are the dataclass's (set below), so the query
    parameters, their validation and the OpenAPI document are those ``Depends()`` gave."""
    return SearchParams(**values)


_search_params.__signature__ = inspect.signature(SearchParams, eval_str=True).replace(  # type: ignore[attr-defined]
    return_annotation=SearchParams
)

SearchParamsDep = Annotated[SearchParams, Depends(_search_params)]
"""A search's query parameters, validated by FastAPI (the rest is checked by ``build_query``)."""


def build_query(
    services: Services,
    params: SearchParams,
    *,
    size: int,
    offset: int = 0,
    cursor: str | None = None,
    signer: CursorSigner | None = None,
    facets: Sequence[str] | None = None,
    highlight: bool = True,
    presets: Mapping[str, Sequence[str]] | None = None,
) -> tuple[SearchQuery, Understood, str]:
    """The engine query for a search's parameters (shared by the search and its export),
    with how the text was understood and the key a cursor must carry (a cursor is checked by
    ``signer``: issued by this service for this very search, see ``search_api.cursors``). A partner
    key's ``presets`` hold the search to their values: a filter may narrow them, never widen them."""
    q, lang, year_from, year_to, translate = params.q, params.lang, params.year_from, params.year_to, params.translate
    if lang not in services.settings.languages:
        raise ApiError(
            422,
            "invalid_parameter",
            f"lang: '{lang}' is not enabled; enabled: {', '.join(services.settings.languages)}",
        )
    if year_from is not None and year_to is not None and year_from > year_to:
        raise ApiError(422, "invalid_parameter", f"year_from: {year_from} is after year_to ({year_to})")
    if q.strip() == "*":
        q = ""  # what readers type to mean "everything": a browse, not a search for the character
    # Browsing has no relevance to rank by: the newest records first unless asked otherwise.
    order: Literal["relevance", "newest"] = params.sort or ("relevance" if q.strip() else "newest")
    chosen = {
        name: [value.lower() for value in values] if name == "government" else list(values)
        for name, values in params.filters().items()
        if values
    }
    for name, allowed in (presets or {}).items():
        asked = chosen.get(name)
        kept = [value for value in asked if value in allowed] if asked else list(allowed)
        if not kept:
            raise ApiError(403, "outside_key_scope", f"{name}: this key's searches are limited to {', '.join(allowed)}")
        chosen[name] = kept
    limits = services.settings
    if len(q) > limits.max_query_chars:
        raise ApiError(422, "invalid_parameter", f"q: {len(q)} characters; at most {limits.max_query_chars}")
    if cursor is None and offset + size > limits.max_page_depth:
        raise ApiError(
            422,
            "invalid_parameter",
            f"page: page x size may not exceed {limits.max_page_depth}; page deeper with next_cursor",
        )
    query_key = json.dumps([q, lang, sorted(chosen.items()), year_from, year_to, order, size, translate])
    resumed = resume(signer, cursor, query_key, order) if cursor is not None else None
    understood = understand(services, q, lang, translate)
    query = SearchQuery(
        text=q,
        lang=lang,
        parsed=understood.parsed,
        alternatives={found.language: found.text for found in understood.translations},
        filters=chosen,
        year_from=year_from,
        year_to=year_to,
        sort=order,
        offset=offset,
        size=size,
        search_after=resumed.after if resumed else None,
        point_in_time=resumed.point_in_time if resumed else None,
        highlight=highlight,
        snippet_window=limits.snippet_window_chars,
    )
    if facets is not None:
        query = replace(query, facets=tuple(facets))
    return query, understood, query_key


@router.get("/search", response_model=SearchResponse)
def search(
    request: Request,
    services: ServicesDep,
    params: SearchParamsDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_SIZE)] = 10,
    cursor: Annotated[
        str | None,
        Query(max_length=4000, description="The next_cursor of the previous page, for the same search (deep paging)."),
    ] = None,
) -> Response:
    """Search every clearing-house in the reader's language, with facets."""
    query, understood, query_key = build_query(
        services,
        params,
        size=size,
        offset=(page - 1) * size,
        cursor=cursor,
        presets=key_presets(request),
        signer=request.app.state.cursor_signer,
    )
    # A cursor whose values the engine cannot use is an InvalidCursor (422, by the error table).
    results = services.backend.search(query)
    signer: CursorSigner = request.app.state.cursor_signer
    depth = (resume(signer, cursor, query_key, query.sort).depth if cursor else query.offset) + len(results.hits)
    next_cursor = None
    if results.hits and len(results.hits) == size and depth < signer.max_depth:
        next_cursor = signer.encode(query_key, Cursor(list(results.hits[-1].sort), results.point_in_time, depth))
    lang = params.lang
    thesaurus = services.term_labels()
    labels = facet_labels(lang, thesaurus)
    facets: dict[str, list[dict[str, Any]]] = {}
    for name, values in results.facets.items():
        if name == "entity":
            # One facet per entity type (entity_country, entity_target, ...), values kept as type:id.
            for value, count in values:
                kind = value.partition(":")[0]
                facets.setdefault(f"entity_{kind}", []).append(
                    {"value": value, "label": labels(name, value), "count": count}
                )
            continue
        facets[name] = [{"value": value, "label": labels(name, value), "count": count} for value, count in values]
    # A SearchResponse's fields in its order, as plain values (see ``card``; a test holds the body
    # to the model), serialised once.
    body = {
        "total": results.total,
        "page": page,
        "size": size,
        "lang": lang,
        "took_ms": round(results.took_ms, 2),
        "results": [card(hit, lang, thesaurus) for hit in results.hits],
        "facets": facets,
        "next_cursor": next_cursor,
        "interpretation": interpretation(services, query, understood, results.total),
    }
    return Response(orjson.dumps(body), media_type="application/json")
