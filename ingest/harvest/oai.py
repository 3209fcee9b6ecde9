"""Harvest a partner's OAI-PMH 2.0 repository (``ListRecords``, Dublin Core in several languages).

The protocol (openarchives.org, OAI-PMH 2.0): ``verb=ListRecords`` with ``metadataPrefix``,
optional ``set``, ``from`` and ``until``; a list continues with ``resumptionToken`` alone until
a response carries an empty token; ``header status="deleted"`` marks a withdrawn record; errors
are ``<error code="...">`` (``noRecordsMatch`` only means nothing changed). In ``oai_dc`` each
``dc:title`` / ``dc:description`` may carry ``xml:lang``: every language version becomes that
language's version of the record's field (an element without one is detected).

Incremental: the high-water mark is the ``responseDate`` of the first response of the last
complete list (the repository's clock, as the protocol's guidelines advise), given as ``from``
(day granularity, which every repository accepts) next time; it moves only once a whole list
has been read and stored. Each page is stored as it comes, so a run stopped half-way has lost
nothing.

Resumable: after each page is stored, the token of the next one is saved with the source
(``harvest_sources.resumption``, with the request it continues); a run stopped half-way (the
repository down, an invalid page, kill -9) is continued by the next run from that token rather
than from the list's beginning. Tokens expire (the protocol lets a repository refuse an old one
with ``badResumptionToken``): the run then says so and starts the list again from the same
``from`` date, which costs requests but loses nothing (records already stored are unchanged). A
saved token for another request (the source's set, prefix or dates changed, or ``--since``) is
not used, and the run says why.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from xml.etree.ElementTree import Element

from pydantic import ValidationError

from ingest.harvest.http_client import FetchError, PoliteClient
from ingest.harvest.runner import HarvestRun
from ingest.harvest.xml_safe import XmlProblem, language_of, parse_xml, text_of
from ingest.sources import SourceError
from record_catalogue.errors import Cause, Unavailable
from record_catalogue.harvest_state import Resumption
from record_catalogue.languages import UNDETERMINED
from record_catalogue.record import Record

OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
SAFE_ID = re.compile(r"^[A-Za-z0-9:._@\-]{1,200}$")
LANG = re.compile(r"^[a-z]{2,3}$")
MAX_PAGES = 100_000  # a list longer than this is endless
DATESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class OaiRequest:
    """What to ask the repository for."""

    base_url: str
    prefix: str = "oai_dc"
    set_spec: str | None = None
    from_date: str | None = None  # YYYY-MM-DD
    until_date: str | None = None

    def key(self) -> dict[str, str | None]:
        """What a saved resumptionToken continues: a token is used only for the same request."""
        return {
            "url": self.base_url,
            "prefix": self.prefix,
            "set": self.set_spec,
            "from": self.from_date,
            "until": self.until_date,
        }


@dataclass
class OaiPage:
    """One response of a list: its records and deletions, and how to go on."""

    url: str
    response_date: str | None
    records: list[Record | SourceError]
    deleted: list[str]
    token: str | None


def record_id(identifier: str) -> str:
    """The catalogue id of an OAI item: its identifier, or a digest of one that cannot be an id."""
    return identifier if SAFE_ID.match(identifier) else "oai-" + hashlib.sha256(identifier.encode()).hexdigest()[:40]


def _by_language(elements: list[Element]) -> dict[str, str]:
    out: dict[str, str] = {}
    for element in elements:
        text = text_of(element)
        lang = language_of(element) or UNDETERMINED
        if not text or not (LANG.match(lang) or lang == UNDETERMINED):
            continue
        out[lang] = f"{out[lang]}\n\n{text}" if lang in out else text
    return out


def dc_record(record: Element, url: str, realm: str, schema: str) -> Record | SourceError | str:
    """A ``<record>`` as a Record, an error, or (a deleted one) the id to withdraw."""
    header = record.find(f"{OAI}header")
    identifier = text_of(header.find(f"{OAI}identifier")) if header is not None else ""
    if header is None or not identifier:
        return SourceError(url, "", "record without header/identifier")
    rid = record_id(identifier)
    if header.get("status") == "deleted":
        return rid
    dc = record.find(f"{OAI}metadata/*")
    if dc is None:
        return SourceError(url, identifier, "record without metadata", rid)
    title = _by_language(dc.findall(f"{DC}title"))
    summary = _by_language(dc.findall(f"{DC}description"))
    text = _by_language(dc.findall(f"{DC}subject") + dc.findall(f"{DC}coverage"))
    if not (title or summary):
        return SourceError(url, identifier, f"no dc:title or dc:description (metadata {dc.tag})", rid)
    links = [text_of(e) for e in dc.findall(f"{DC}identifier") if text_of(e).startswith(("http://", "https://"))]
    when: date | None = None
    for element in dc.findall(f"{DC}date") + header.findall(f"{OAI}datestamp"):
        value = text_of(element)
        if DATESTAMP.match(value):
            try:
                when = date.fromisoformat(value[:10])
                break
            except ValueError:
                continue
    declared = [v for v in (text_of(e).lower() for e in dc.findall(f"{DC}language")) if LANG.match(v)]
    try:
        return Record(
            id=rid,
            realm=realm,  # type: ignore[arg-type]
            schema_name=schema,
            title=title,
            summary=summary,
            text=text,
            declared_languages=declared,
            date=when,
            url=links[0] if links else None,
            source=url,
            source_position=identifier[:100],
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        return SourceError(url, identifier[:100], f"{'.'.join(map(str, first['loc']))}: {first['msg']}", rid)


class OaiProblem(Unavailable):
    """The repository's answer cannot be read as OAI-PMH: the URL and why."""

    cause = Cause.SOURCE_FAILED

    def __init__(self, url: str, reason: str, codes: tuple[str, ...] = ()) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.codes = codes  # the OAI-PMH error codes of the answer, if it was one


def read_page(body: bytes, url: str, realm: str, schema: str) -> OaiPage:
    """One ListRecords response; OaiProblem if it is not one (an OAI error other than noRecordsMatch too)."""
    try:
        root = parse_xml(body)
    except XmlProblem as exc:
        raise OaiProblem(url, f"invalid OAI-PMH: {exc}") from None
    if root.tag != f"{OAI}OAI-PMH":
        raise OaiProblem(url, f"invalid OAI-PMH: root element is {root.tag}, not OAI-PMH")
    response_date = text_of(root.find(f"{OAI}responseDate")) or None
    errors = root.findall(f"{OAI}error")
    if errors:
        codes = [e.get("code", "?") for e in errors]
        if codes == ["noRecordsMatch"]:
            return OaiPage(url, response_date, [], [], None)
        reason = "; ".join(f"OAI-PMH error {e.get('code', '?')}: {text_of(e)}" for e in errors)
        raise OaiProblem(url, reason, tuple(codes))
    listing = root.find(f"{OAI}ListRecords")
    if listing is None:
        raise OaiProblem(url, "invalid OAI-PMH: no ListRecords element")
    records: list[Record | SourceError] = []
    deleted: list[str] = []
    for element in listing.findall(f"{OAI}record"):
        result = dc_record(element, url, realm, schema)
        if isinstance(result, str):
            deleted.append(result)
        else:
            records.append(result)
    token_element = listing.find(f"{OAI}resumptionToken")
    token = text_of(token_element) or None
    return OaiPage(url, response_date, records, deleted, token)


def list_records(
    client: PoliteClient, request: OaiRequest, realm: str, schema: str, token: str | None = None
) -> Iterator[OaiPage]:
    """The pages of one complete ListRecords (from ``token`` on, when given: the rest of a list
    begun earlier); OaiProblem (or FetchError) where it breaks off."""
    params: dict[str, str | int] = {"verb": "ListRecords", "metadataPrefix": request.prefix}
    if request.set_spec:
        params["set"] = request.set_spec
    if request.from_date:
        params["from"] = request.from_date
    if request.until_date:
        params["until"] = request.until_date
    if token:
        params = {"verb": "ListRecords", "resumptionToken": token}
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        response = client.get(request.base_url, params, {"Accept": "text/xml, application/xml"})
        if response.status in (404, 410):
            raise OaiProblem(response.url, f"HTTP {response.status}: no OAI-PMH repository here")
        page = read_page(response.body, response.url, realm, schema)
        yield page
        if not page.token:
            return
        if page.token in seen:
            raise OaiProblem(response.url, f"endless list: resumptionToken {page.token[:60]!r} came back")
        seen.add(page.token)
        params = {"verb": "ListRecords", "resumptionToken": page.token}
    raise OaiProblem(request.base_url, f"endless list: over {MAX_PAGES} pages")


def harvest_oai(run: HarvestRun, client: PoliteClient, request: OaiRequest, realm: str, schema: str) -> None:
    """One run: store every page, withdraw deleted records, move the mark once the list is complete.

    The list starts from the token a stopped run saved, when it continues this request; a
    repository that refuses the token (``badResumptionToken``) gets the whole list asked again."""
    name = run.source.name
    saved = run.state.resumption(name)
    token: str | None = None
    first_date: str | None = None
    if saved is not None:
        if saved.request == request.key():
            token, first_date = saved.token, saved.first_date
            run.note(f"continuing the list stopped at {saved.saved_at} from its resumptionToken {saved.token[:60]!r}")
        else:
            run.note(
                f"the saved resumptionToken {saved.token[:60]!r} continues another request "
                f"({_described(saved.request)}); starting the list again ({_described(request.key())})"
            )
            run.state.save_resumption(name, None)
    try:
        try:
            first_date = _read_list(run, client, request, realm, schema, token, first_date)
        except OaiProblem as exc:
            if token is None or "badResumptionToken" not in exc.codes:
                raise
            run.note(
                f"the repository refused the saved resumptionToken {token[:60]!r} ({exc.reason}); "
                f"starting the list again ({_described(request.key())})"
            )
            run.state.save_resumption(name, None)
            first_date = _read_list(run, client, request, realm, schema, None, None)
    except (OaiProblem, FetchError) as exc:
        run.stop(exc.url, f"list stopped: {exc.reason}")
        return
    # A list bounded by ``until`` is complete up to that day only.
    mark = request.until_date or first_date
    run.state.finish_list(name, mark[:10] if mark and DATESTAMP.match(mark) else None)


def _read_list(
    run: HarvestRun,
    client: PoliteClient,
    request: OaiRequest,
    realm: str,
    schema: str,
    token: str | None,
    first_date: str | None,
) -> str | None:
    """Store the list's pages from ``token`` (or its start), saving the next token after each
    page is stored; the first response's date (the list's mark)."""
    for page in list_records(client, request, realm, schema, token):
        first_date = first_date or page.response_date
        run.counts.listed += len(page.records) + len(page.deleted)
        run.counts.fetched += sum(1 for r in page.records if isinstance(r, Record))
        if page.records:
            run.store(page.records)
        if page.deleted:
            run.withdraw(page.deleted)
        if page.token:  # stored: a run stopped from here on goes on with the next page
            run.state.save_resumption(run.source.name, Resumption(page.token, request.key(), first_date))
    return first_date


def _described(key: dict[str, str | None]) -> str:
    given = {name: value for name, value in key.items() if value and name != "url"}
    return ", ".join(f"{name} {value}" for name, value in given.items()) or "the whole list"
