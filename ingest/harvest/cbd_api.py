"""Harvest a CBD clearing-house (ABS, BCH, CHM) through its public API.

The API, as the Secretariat documents it (``scbd/clearing-house-documentation``, ``scbd/api-examples``):

- the index search, ``GET /api/v2013/index`` with Solr parameters ``q``, ``fl``, ``sort``,
  ``start``, ``rows``, answers ``{"response": {"numFound", "start", "docs": [...]}}``; documents
  carry ``identifier_s``, ``schema_s``, ``realm_ss``, ``updatedDate_dt``, ``_revision_i``, and are
  selected with ``realm_ss:abs``, ``schema_s:absPermit``, ``updatedDate_dt:[... TO *]``, the
  non-public versions left out with ``NOT version_s:*`` (as ``scbd/absch.cbd.int`` does);
- the document API, ``GET /api/v2013/documents/{uid}`` with the ``Realm`` header, answers the
  record as submitted: ``header {identifier, schema, languages}``, ``government``, lstrings,
  term references ``{identifier}`` (read by ``ingest.sources.cbd_json``).

A run lists what changed since the source's high-water mark (oldest first, a page at a time),
fetches only records whose listed update date differs from the one stored (conditionally, with
the ETag kept from last time), stores each page through the pipeline and only then moves the
high-water mark; it never moves past a record it could not fetch for a passing reason (down,
busy, slow), so the next run reads that one again. Then it lists every identifier the realm
still publishes and withdraws the records this source gave that are gone. Every query is built
here from validated values (realm, schema names from the realm configurations, dates formatted
here): nothing a user typed reaches the API's query parser.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from ingest.harvest.http_client import FetchError, PoliteClient
from ingest.harvest.runner import HarvestRun
from ingest.sources import SourceError
from ingest.sources.cbd_json import record_from_json
from record_catalogue.errors import Cause, Unavailable
from record_catalogue.harvest_state import ItemState
from record_catalogue.realms import realm_catalog
from record_catalogue.record import Record

INDEX_PATH = "/api/v2013/index"
DOCUMENT_PATH = "/api/v2013/documents/"
LIST_FIELDS = "identifier_s,schema_s,updatedDate_dt,_revision_i"
PAGE_SIZE = 100
SWEEP_PAGE_SIZE = 1000
# A listing that goes on past what numFound promised by more than this many pages is endless.
EXTRA_PAGES = 2
# A sweep that would withdraw more than this share of a source's records is not trusted (an
# index answering half its documents must not empty the catalogue); the error says so.
MAX_WITHDRAW_SHARE = 0.5
UID = re.compile(r"^[A-Za-z0-9\-_]{11,128}$")  # the documented pattern of a document uid
REALMS = ("ABS", "BCH", "CHM")


class ListingError(Unavailable):
    """The index listing cannot go on: its URL and why."""

    cause = Cause.SOURCE_FAILED

    def __init__(self, url: str, reason: str, transient: bool) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.transient = transient


@dataclass(frozen=True)
class Listed:
    """One record as the index lists it."""

    identifier: str
    schema: str | None
    updated: str | None  # updatedDate_dt as the index gives it


def solr_date(value: datetime) -> str:
    """A Solr date (UTC, ``Z``; milliseconds when it has any, so that paging from a listed date
    starts exactly there)."""
    value = value.astimezone(UTC)
    if value.microsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_since(value: str) -> datetime:
    """An ISO date or date-time (naive means UTC); ValueError names the value."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{value!r} is not an ISO date or date-time (e.g. 2024-01-31 or 2024-01-31T12:00:00Z)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def check_schemas(realm: str, schemas: Sequence[str]) -> list[str]:
    """The schema names, each known in ``realm``'s configuration; ValueError names the first unknown."""
    known = realm_catalog().schemas.get(realm, {})
    for name in schemas:
        if name not in known:
            raise ValueError(
                f"unknown schema {name!r} in realm {realm}; see record_catalogue/data/realm-configuration-*"
            )
    return list(schemas)


class CbdApi:
    """The index and document endpoints of one clearing-house API, for one realm."""

    def __init__(
        self, client: PoliteClient, base_url: str, realm: str, schemas: Sequence[str] = (), page_size: int = PAGE_SIZE
    ) -> None:
        if realm not in REALMS:
            raise ValueError(f"unknown realm {realm!r}; known: {', '.join(REALMS)}")
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.realm = realm
        self.schemas = check_schemas(realm, schemas)
        self.page_size = page_size

    @property
    def headers(self) -> dict[str, str]:
        return {"Accept": "application/json", "Realm": self.realm}

    def _query(self, since: datetime | None, after_id: str | None = None) -> str:
        # ``version_s`` marks the non-public versions (drafts, requests) the index also holds:
        # the clearing-houses' own pages leave them out the same way.
        parts = [f"realm_ss:{self.realm.lower()}", "NOT version_s:*"]
        if self.schemas:
            parts.append("schema_s:(" + " OR ".join(self.schemas) + ")")
        if since is not None:
            parts.append(f"updatedDate_dt:[{solr_date(since)} TO *]")
        if after_id is not None:
            parts.append(f'identifier_s:{{"{after_id}" TO *]')
        return " AND ".join(parts)

    def _page(
        self, query: str, fields: str, sort: str, rows: int, start: int
    ) -> tuple[list[dict[str, object]], int, str]:
        """One page of the index's answer: its documents, numFound and URL; ListingError if it has none."""
        params: dict[str, str | int] = {"q": query, "fl": fields, "sort": sort, "start": start, "rows": rows}
        try:
            response = self.client.get(self.base_url + INDEX_PATH, params, self.headers)
            if response.status in (404, 410):
                raise FetchError(response.url, f"HTTP {response.status}: no index search here")
            data = response.json()
        except FetchError as exc:
            raise ListingError(exc.url, exc.reason, exc.transient) from None
        body = data.get("response") if isinstance(data, dict) else None
        docs = body.get("docs") if isinstance(body, dict) else None
        found = body.get("numFound") if isinstance(body, dict) else None
        if not isinstance(docs, list) or not isinstance(found, int):
            raise ListingError(response.url, "not an index answer (no response.numFound and response.docs)", False)
        return [d for d in docs if isinstance(d, dict)], found, response.url

    @staticmethod
    def _bound(found: int, rows: int) -> int:
        """Pages a listing of ``found`` documents may take (a few more for records changing meanwhile)."""
        expected = math.ceil(found / rows)
        return expected + max(EXTRA_PAGES, expected // 10)

    def changes(self, since: datetime | None) -> Iterator[list[Listed]]:
        """Records changed since ``since`` (all without), oldest first, a page at a time.

        Paged by key, not by offset: each page asks again from the last update date listed
        (skipping, by ``start``, the records of that date already listed), so a record updated
        while the listing runs moves later in it instead of shifting the others back by one and
        hiding one of them from this run. ListingError when the index pages without end.
        """
        sort = "updatedDate_dt asc, identifier_s asc"
        rows = self.page_size
        current, start = since, 0
        seen: set[tuple[str, str | None]] = set()
        bound: int | None = None
        page = 0
        while True:
            docs, found, url = self._page(self._query(current), LIST_FIELDS, sort, rows, start)
            page += 1
            if bound is None:
                bound = self._bound(found, rows)
            if not docs:
                return
            if page > bound:
                expected = math.ceil(found / rows)
                raise ListingError(
                    url,
                    f"endless paging: page {page} still has documents, numFound {found} allows {expected} pages",
                    False,
                )
            listed = [
                Listed(
                    str(d["identifier_s"]),
                    d.get("schema_s") if isinstance(d.get("schema_s"), str) else None,  # type: ignore[arg-type]
                    str(d["updatedDate_dt"]) if d.get("updatedDate_dt") else None,
                )
                for d in docs
                if isinstance(d.get("identifier_s"), str)
            ]
            fresh = [item for item in listed if (item.identifier, item.updated) not in seen]
            if not fresh:
                raise ListingError(url, f"endless paging: page {page} repeats documents already listed", False)
            seen.update((item.identifier, item.updated) for item in fresh)
            yield fresh
            if len(docs) < rows:
                return
            last = listed[-1].updated if listed else None
            if last is None:  # no dates to page by: by offset
                start += len(docs)
                continue
            at_last = sum(1 for item in listed if item.updated == last)
            if current is not None and at_last == len(listed) and solr_date(parse_since(last)) == solr_date(current):
                start += len(docs)  # a whole page of one date: on through that date
            else:
                current, start = parse_since(last), at_last

    def all_identifiers(self, rows: int = SWEEP_PAGE_SIZE) -> set[str]:
        """Every identifier the realm (and schemas) publish now; ListingError if it cannot tell.

        Paged by key (identifiers after the last one listed), so that a record withdrawn while the
        sweep runs cannot shift another out of it, which would then be withdrawn here wrongly."""
        found: set[str] = set()
        after: str | None = None
        bound: int | None = None
        page = 0
        while True:
            docs, total, url = self._page(self._query(None, after), "identifier_s", "identifier_s asc", rows, 0)
            page += 1
            if bound is None:
                bound = self._bound(total, rows)
            ids = [str(d["identifier_s"]) for d in docs if isinstance(d.get("identifier_s"), str)]
            if not ids:
                return found
            if page > bound or all(i in found for i in ids):
                raise ListingError(url, f"endless paging: page {page} of identifiers repeats or never ends", False)
            found.update(ids)
            if len(docs) < rows:
                return found
            after = ids[-1]
            if not UID.match(after):
                raise ListingError(url, f"identifier {after!r} is not a document uid; cannot page after it", False)

    def document_url(self, identifier: str) -> str:
        return self.base_url + DOCUMENT_PATH + quote(identifier, safe="")


def _document_body(data: object) -> object:
    """The record in a document API answer: the body as submitted, or the ``body`` of an ``info`` answer."""
    if isinstance(data, dict) and "header" not in data and isinstance(data.get("body"), dict):
        return data["body"]
    return data


def _later(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b, key=lambda v: parse_since(v))


def harvest_cbd(run: HarvestRun, api: CbdApi, since: datetime | None, *, sweep: bool = True) -> None:
    """One incremental run (see the module's docstring); the run's counts and errors say what happened."""
    name = run.source.name
    known = run.state.items(name)
    high_water: str | None = run.source.high_water
    held: str | None = None  # the update date of the first record that must be read again
    listed_ids: set[str] = set()
    try:
        for page in api.changes(since):
            run.counts.listed += len(page)
            records: list[Record | SourceError] = []
            done: list[ItemState] = []
            gone: list[str] = []
            for item in page:
                listed_ids.add(item.identifier)
                before = known.get(item.identifier)
                if before is not None and item.updated is not None and before.remote_updated == item.updated:
                    continue  # listed again (the boundary of the last run): nothing changed
                url = api.document_url(item.identifier)
                if not UID.match(item.identifier):
                    run.error(url, f"identifier {item.identifier!r} is not a document uid", item.identifier)
                    continue
                try:
                    response = api.client.get(url, headers=api.headers, etag=before.etag if before else None)
                    if response.status in (404, 410):
                        gone.append(item.identifier)
                        continue
                    if response.not_modified and before is not None:
                        run.counts.not_modified += 1
                        done.append(ItemState(item.identifier, before.record_id, item.updated, before.etag))
                        continue
                    doc = _document_body(response.json())
                except FetchError as exc:
                    run.error(exc.url, exc.reason, item.identifier)
                    if exc.transient:
                        held = held or item.updated or "0001-01-01T00:00:00Z"
                        continue
                    done.append(ItemState(item.identifier, item.identifier, item.updated, None))
                    continue
                run.counts.fetched += 1
                parsed = record_from_json(doc, url, "", api.realm)
                records.append(parsed)
                if isinstance(parsed, Record):
                    run.terms.update(parsed.terms)
                    if parsed.government:
                        run.terms.add(parsed.government)
                record_id = parsed.id if isinstance(parsed, Record) else item.identifier
                done.append(ItemState(item.identifier, record_id, item.updated, response.etag))
            if records:
                run.store(records)
            if gone:
                run.withdraw([known[i].record_id if i in known else i for i in gone])
                run.state.drop_items(name, gone)
            run.state.save_items(name, done)
            known.update({i.item_id: i for i in done})
            if held is None:
                newest = None
                for item in page:
                    newest = _later(newest, item.updated)
                high_water = _later(high_water, newest)
                run.state.set_high_water(name, high_water)
            else:
                run.state.set_high_water(name, held if high_water is None else min(held, high_water, key=parse_since))
    except ListingError as exc:
        run.stop(exc.url, f"listing stopped: {exc.reason}")
        return
    if sweep:
        withdraw_gone(run, api, known)


def withdraw_gone(run: HarvestRun, api: CbdApi, known: dict[str, ItemState]) -> None:
    """Withdraw the records this source gave that the realm no longer publishes."""
    if not known:
        return
    try:
        published = api.all_identifiers()
    except ListingError as exc:
        run.error(exc.url, f"withdrawn records not checked: {exc.reason}")
        return
    gone = [item_id for item_id in known if item_id not in published]
    if not gone:
        return
    if len(gone) > MAX_WITHDRAW_SHARE * len(known) and len(known) > 2:
        run.error(
            api.base_url + INDEX_PATH,
            f"the index no longer lists {len(gone)} of the {len(known)} records this source gave; "
            "nothing withdrawn (a partial index?); run again later",
        )
        return
    run.withdraw(known[i].record_id for i in gone)
    run.state.drop_items(run.source.name, gone)
