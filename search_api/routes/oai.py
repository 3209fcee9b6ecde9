"""``/oai``: an OAI-PMH 2.0 data provider over the catalogue, so partners harvest us with the
protocol their software already speaks (InforMEA, national CHMs, library aggregators).

Verbs: Identify, ListMetadataFormats, ListSets (a set per realm, ``ABS``, and per record type
within it, ``ABS:absPermit``), ListIdentifiers, ListRecords, GetRecord; GET and POST. Datestamps
are the catalogue's change time of each record (seconds granularity, UTC); deleted records stay
as headers with ``status="deleted"`` for good (``deletedRecord`` persistent). Lists come in pages
of ``CHM_OAI_PAGE_SIZE`` with a resumption token that holds the request and the position of the
last record sent (``record_catalogue.feeds``): tokens do not expire and need no server state.

Every protocol error is answered as the protocol says (HTTP 200, ``<error code=...>``): badVerb,
badArgument, badResumptionToken, cannotDisseminateFormat, idDoesNotExist, noRecordsMatch.
noSetHierarchy cannot occur (sets exist), nor noMetadataFormats (every record, deleted ones too,
is available in every format).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from importlib import resources
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from record_catalogue.errors import BadInput
from record_catalogue.feeds import START, FeedFilter, Position, changed_records, count_changed, earliest_change
from record_catalogue.feeds import realm_schemas as catalogue_realm_schemas
from record_catalogue.models import RecordRow
from record_catalogue.record import REALMS
from search_api.dependencies import ServicesDep
from search_api.oai_formats import (
    CHM_SCHEMA_FILE,
    OAI_NS,
    XSI_NS,
    datestamp,
    metadata_formats,
    native,
    oai_dc,
    q,
    set_name,
    set_specs,
    sub,
)
from search_api.services import Services

router = APIRouter(tags=["oai-pmh"])
IDENTIFIER_PREFIX = "oai:chm-search:"
MAX_REQUEST_BYTES = 8192
MAX_TOKEN_CHARS = 1000
ARGUMENTS: dict[str, tuple[set[str], set[str]]] = {  # verb: (required, optional), resumptionToken aside
    "Identify": (set(), set()),
    "ListMetadataFormats": (set(), {"identifier"}),
    "ListSets": (set(), set()),
    "GetRecord": ({"identifier", "metadataPrefix"}, set()),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set"}),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set"}),
}
RESUMABLE = {"ListIdentifiers", "ListRecords", "ListSets"}
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECONDS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_SET_SPEC = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*$")


class OaiError(BadInput):
    """One protocol error: its code (from the protocol's list) and a message for the harvester."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ListRequest:
    """What a list verb asks for, as its resumption token carries it between pages."""

    verb: str
    prefix: str
    set_spec: str | None
    from_: str | None
    until: str | None
    after: Position = START
    sent: int = 0

    def token(self, after: Position, sent: int) -> str:
        payload = [self.verb, self.prefix, self.set_spec, self.from_, self.until, after.seq, after.record_id, sent]
        raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def from_token(cls, verb: str, token: str) -> ListRequest:
        bad = OaiError("badResumptionToken", "the resumptionToken is not one this repository issued")
        if len(token) > MAX_TOKEN_CHARS:
            raise bad
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            payload = json.loads(raw)
        except (binascii.Error, ValueError):
            raise bad from None
        if not (isinstance(payload, list) and len(payload) == 8):
            raise bad
        token_verb, prefix, set_spec, from_, until, seq, record_id, sent = payload
        if token_verb != verb:
            raise OaiError("badResumptionToken", f"the resumptionToken belongs to {token_verb}, not {verb}")
        strings = (prefix, record_id)
        optional = (set_spec, from_, until)
        if not (
            all(isinstance(v, str) for v in strings)
            and all(v is None or isinstance(v, str) for v in optional)
            and isinstance(seq, int)
            and isinstance(sent, int)
            and sent >= 0
        ):
            raise bad
        return cls(verb, prefix, set_spec, from_, until, Position(seq, record_id), sent)


def _parse_date(name: str, value: str) -> tuple[dt.datetime, str]:
    """A from/until argument as a UTC datetime and its granularity (``day`` or ``seconds``)."""
    try:
        if _DAY.match(value):
            return dt.datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=dt.UTC), "day"
        if _SECONDS.match(value):
            return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC), "seconds"
    except ValueError:
        pass
    raise OaiError("badArgument", f"{name}={value!r} is not a UTC date YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ")


def _filter(request: ListRequest) -> FeedFilter:
    """The catalogue query of a list request: from inclusive, until inclusive at its granularity."""
    changed_from = changed_until = None
    granularity = set()
    if request.from_ is not None:
        changed_from, unit = _parse_date("from", request.from_)
        granularity.add(unit)
    if request.until is not None:
        until, unit = _parse_date("until", request.until)
        granularity.add(unit)
        changed_until = until + (dt.timedelta(days=1) if unit == "day" else dt.timedelta(seconds=1))
    if len(granularity) > 1:
        raise OaiError("badArgument", "from and until must have the same granularity")
    if changed_from is not None and changed_until is not None and changed_from >= changed_until:
        raise OaiError("badArgument", "from is later than until")
    realm = schema = None
    if request.set_spec is not None:
        if not _SET_SPEC.match(request.set_spec):
            raise OaiError("badArgument", f"set={request.set_spec!r} is not a valid setSpec")
        realm, _, schema_part = request.set_spec.partition(":")
        schema = schema_part or None
        if realm not in REALMS or (schema is not None and ":" in schema):
            raise OaiError("noRecordsMatch", f"there is no set {request.set_spec!r}; see verb=ListSets")
    return FeedFilter(changed_from=changed_from, changed_until=changed_until, realm=realm, schema=schema)


class Provider:
    """Answers one OAI-PMH request (arguments already checked for repetition)."""

    def __init__(self, services: Services, base_url: str) -> None:
        self.services = services
        self.catalogue = services.catalogue
        self.base_url = base_url
        self.formats = {f.prefix: f for f in metadata_formats(base_url)}
        self.page_size = services.settings.oai_page_size

    # -- helpers -------------------------------------------------------------------------------
    def _record_id(self, identifier: str) -> str:
        if not identifier.startswith(IDENTIFIER_PREFIX) or len(identifier) > 300:
            raise OaiError("idDoesNotExist", f"{identifier!r} is not an identifier of this repository")
        return identifier[len(IDENTIFIER_PREFIX) :]

    def _row(self, identifier: str) -> RecordRow:
        row = self.catalogue.get(self._record_id(identifier))
        if row is None:
            raise OaiError("idDoesNotExist", f"no record with the identifier {identifier!r}")
        return row

    def _format(self, prefix: str) -> str:
        if prefix not in self.formats:
            known = ", ".join(self.formats)
            raise OaiError("cannotDisseminateFormat", f"metadataPrefix {prefix!r} is not offered; offered: {known}")
        return prefix

    def _header(self, parent: ET.Element, row: RecordRow) -> None:
        attrs = {"status": "deleted"} if row.deleted_at is not None else {}
        header = sub(parent, q(OAI_NS, "header"), **attrs)
        sub(header, q(OAI_NS, "identifier"), IDENTIFIER_PREFIX + row.id)
        sub(header, q(OAI_NS, "datestamp"), datestamp(row.changed_at))
        for spec in set_specs(row):
            sub(header, q(OAI_NS, "setSpec"), spec)

    def _record(self, parent: ET.Element, row: RecordRow, prefix: str) -> None:
        record = sub(parent, q(OAI_NS, "record"))
        self._header(record, row)
        if row.deleted_at is not None:
            return
        metadata = sub(record, q(OAI_NS, "metadata"))
        identifier = IDENTIFIER_PREFIX + row.id
        if prefix == "oai_dc":
            metadata.append(oai_dc(row, identifier))
        else:
            group = self.catalogue.group_of(row.id) if row.group_id is not None else []
            others = [member for member in group if member.id != row.id]
            metadata.append(native(row, identifier, self.formats["chm"].schema, others))

    # -- verbs ---------------------------------------------------------------------------------
    def identify(self, out: ET.Element, _args: dict[str, str]) -> None:
        settings = self.services.settings
        earliest = earliest_change(self.catalogue)
        body = sub(out, q(OAI_NS, "Identify"))
        sub(body, q(OAI_NS, "repositoryName"), settings.oai_repository_name)
        sub(body, q(OAI_NS, "baseURL"), self.base_url)
        sub(body, q(OAI_NS, "protocolVersion"), "2.0")
        sub(body, q(OAI_NS, "adminEmail"), settings.oai_admin_email)
        sub(body, q(OAI_NS, "earliestDatestamp"), datestamp(earliest))
        sub(body, q(OAI_NS, "deletedRecord"), "persistent")
        sub(body, q(OAI_NS, "granularity"), "YYYY-MM-DDThh:mm:ssZ")

    def list_metadata_formats(self, out: ET.Element, args: dict[str, str]) -> None:
        if "identifier" in args:
            self._row(args["identifier"])
        body = sub(out, q(OAI_NS, "ListMetadataFormats"))
        for fmt in self.formats.values():
            element = sub(body, q(OAI_NS, "metadataFormat"))
            sub(element, q(OAI_NS, "metadataPrefix"), fmt.prefix)
            sub(element, q(OAI_NS, "schema"), fmt.schema)
            sub(element, q(OAI_NS, "metadataNamespace"), fmt.namespace)

    def list_sets(self, out: ET.Element, args: dict[str, str]) -> None:
        if "resumptionToken" in args:
            raise OaiError("badResumptionToken", "ListSets is answered in one response; it issues no token")
        pairs = catalogue_realm_schemas(self.catalogue)
        specs = [*REALMS, *(f"{realm}:{schema}" for realm, schema in pairs)]
        body = sub(out, q(OAI_NS, "ListSets"))
        for spec in sorted(specs):
            element = sub(body, q(OAI_NS, "set"))
            sub(element, q(OAI_NS, "setSpec"), spec)
            sub(element, q(OAI_NS, "setName"), set_name(spec))

    def get_record(self, out: ET.Element, args: dict[str, str]) -> None:
        prefix = self._format(args["metadataPrefix"])
        row = self._row(args["identifier"])
        self._record(sub(out, q(OAI_NS, "GetRecord")), row, prefix)

    def list_items(self, out: ET.Element, args: dict[str, str], verb: str) -> None:
        if "resumptionToken" in args:
            request = ListRequest.from_token(verb, args["resumptionToken"])
        else:
            request = ListRequest(verb, args["metadataPrefix"], args.get("set"), args.get("from"), args.get("until"))
        self._format(request.prefix)
        where = _filter(request)
        rows = changed_records(self.catalogue, request.after, self.page_size + 1, where, texts=verb == "ListRecords")
        if not rows:
            if "resumptionToken" in args:
                raise OaiError("badResumptionToken", "the list this resumptionToken continues has no more records")
            raise OaiError("noRecordsMatch", "no record matches these arguments")
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        body = sub(out, q(OAI_NS, verb))
        for row in rows:
            if verb == "ListRecords":
                self._record(body, row, request.prefix)
            else:
                self._header(body, row)
        if more or request.sent:
            total = count_changed(self.catalogue, where)
            sent = request.sent + len(rows)
            last = rows[-1]
            token = request.token(Position(last.change_seq, last.id), sent) if more else None
            # The list may have grown since the first page: never say it is smaller than what was sent.
            size, cursor = str(max(total, sent)), str(request.sent)
            sub(body, q(OAI_NS, "resumptionToken"), token, completeListSize=size, cursor=cursor)

    def answer(self, verb: str, args: dict[str, str]) -> ET.Element:
        out = ET.Element("OAI-PMH-body")
        if verb == "Identify":
            self.identify(out, args)
        elif verb == "ListMetadataFormats":
            self.list_metadata_formats(out, args)
        elif verb == "ListSets":
            self.list_sets(out, args)
        elif verb == "GetRecord":
            self.get_record(out, args)
        else:
            self.list_items(out, args, verb)
        return out


def _check_arguments(pairs: list[tuple[str, str]]) -> tuple[str | None, dict[str, str], list[OaiError]]:
    """The verb and its arguments, or the protocol errors they make (every one of them)."""
    errors: list[OaiError] = []
    names = [name for name, _ in pairs]
    args = dict(pairs)
    repeated = sorted({name for name in names if names.count(name) > 1})
    verbs = [value for name, value in pairs if name == "verb"]
    if not verbs:
        return None, args, [OaiError("badVerb", "no verb given; verbs: " + ", ".join(ARGUMENTS))]
    if len(verbs) > 1:
        return None, args, [OaiError("badVerb", "the verb argument is repeated")]
    verb = verbs[0]
    if verb not in ARGUMENTS:
        return None, args, [OaiError("badVerb", f"{verb!r} is not an OAI-PMH verb; verbs: " + ", ".join(ARGUMENTS))]
    del args["verb"]
    required, optional = ARGUMENTS[verb]
    for name in repeated:
        if name != "verb":
            errors.append(OaiError("badArgument", f"the argument {name!r} is repeated"))
    if "resumptionToken" in args and verb in RESUMABLE:
        others = sorted(set(args) - {"resumptionToken"})
        if others:
            errors.append(OaiError("badArgument", f"resumptionToken is exclusive: {', '.join(others)} not allowed"))
        return verb, args, errors
    for name in sorted(set(args) - required - optional):
        errors.append(OaiError("badArgument", f"{name!r} is not an argument of {verb}"))
    for name in sorted(required - set(args)):
        errors.append(OaiError("badArgument", f"{verb} needs the argument {name!r}"))
    return verb, args, errors


def _respond(request_url: str, verb: str | None, args: dict[str, str], body: ET.Element | list[OaiError]) -> Response:
    root = ET.Element(
        q(OAI_NS, "OAI-PMH"),
        {q(XSI_NS, "schemaLocation"): f"{OAI_NS} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"},
    )
    sub(root, q(OAI_NS, "responseDate"), datestamp(dt.datetime.now(dt.UTC)))
    # The request element echoes the arguments only when they were valid (the protocol says so).
    echoed = {} if isinstance(body, list) else {"verb": verb, **args}
    sub(root, q(OAI_NS, "request"), request_url, **{k: v for k, v in echoed.items() if v is not None})
    if isinstance(body, list):
        for error in body:
            sub(root, q(OAI_NS, "error"), error.message, code=error.code)
    else:
        root.extend(list(body))
    xml = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return Response(xml, media_type="text/xml; charset=utf-8")


async def _handle(request: Request, services: Services, pairs: list[tuple[str, str]]) -> Response:
    base_url = str(request.base_url).rstrip("/") + "/oai"
    verb, args, errors = _check_arguments(pairs)
    if errors or verb is None:
        return _respond(base_url, verb, args, errors)
    try:
        body = await run_in_threadpool(Provider(services, base_url).answer, verb, args)
    except OaiError as error:
        return _respond(base_url, verb, args, [error])
    return _respond(base_url, verb, args, body)


@router.get("/oai", response_class=Response, responses={200: {"content": {"text/xml": {}}}})
async def oai_get(request: Request, services: ServicesDep) -> Response:
    """OAI-PMH 2.0 (``verb=Identify`` to start); see the README for sets and metadata formats."""
    raw = request.url.query
    if len(raw) > MAX_REQUEST_BYTES:
        return _respond(str(request.base_url) + "oai", None, {}, [OaiError("badArgument", "the request is too long")])
    return await _handle(request, services, parse_qsl(raw, keep_blank_values=True))


@router.post("/oai", response_class=Response, responses={200: {"content": {"text/xml": {}}}})
async def oai_post(request: Request, services: ServicesDep) -> Response:
    """OAI-PMH 2.0 by POST (``application/x-www-form-urlencoded``), as the protocol allows."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_REQUEST_BYTES:
            return _respond(
                str(request.base_url) + "oai", None, {}, [OaiError("badArgument", "the request is too long")]
            )
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return _respond(str(request.base_url) + "oai", None, {}, [OaiError("badArgument", "the body is not UTF-8")])
    return await _handle(request, services, pairs)


@router.get("/oai/" + CHM_SCHEMA_FILE, response_class=Response, include_in_schema=False)
def chm_schema() -> Response:
    """The XML schema of the native metadata format."""
    schema = (resources.files("search_api") / "static" / CHM_SCHEMA_FILE).read_bytes()
    return Response(schema, media_type="application/xml")
