"""``/oai``: harvested by an independent OAI-PMH client (Sickle) from a real server on loopback, and
every response valid against the protocol's XML schemas (``oai_schemas``)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import httpx
import pytest
from lxml import etree
from sickle import Sickle
from sickle.oaiexceptions import BadResumptionToken, CannotDisseminateFormat, IdDoesNotExist, NoRecordsMatch

from ingest.withdraw import withdraw
from tests.publish.conftest import COP_RECORD, Served
from tests.publish.oai_schemas import validate

OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
CHM = "{urn:x-chm-search:record:1.0}"
LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PROTOCOL = "25E265FB-CAB0-4291-8828-6129E71168E7"  # samples/records/communityProtocol-ke-kaya-herbalists.json
SAMPLE_RECORDS = 19


def _sickle(served: Served) -> Sickle:
    return Sickle(f"{served.url}/oai", max_retries=0, timeout=30)


def test_sickle_harvests_everything_in_all_six_languages(served: Served) -> None:
    sickle = _sickle(served)
    identify = sickle.Identify()
    assert identify.protocolVersion == "2.0" and identify.deletedRecord == "persistent"
    assert identify.baseURL == f"{served.url}/oai" and identify.granularity == "YYYY-MM-DDThh:mm:ssZ"
    assert {f.metadataPrefix for f in sickle.ListMetadataFormats()} == {"oai_dc", "chm"}
    specs = {s.setSpec for s in sickle.ListSets()}
    assert {"ABS", "BCH", "CHM", "ABS:absPermit", "CHM:meetingDocument", "BCH:resource"} <= specs

    records = list(sickle.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False))  # 4 pages of five
    ids = [r.header.identifier for r in records]
    assert len(ids) == len(set(ids)) == SAMPLE_RECORDS
    languages: set[str] = set()
    for record in records:
        languages.update(title.get(LANG) for title in record.xml.iter(f"{DC}title"))
    assert languages == {"ar", "en", "es", "fr", "ru", "zh"}
    cop = next(r for r in records if r.header.identifier == f"oai:chm-search:{COP_RECORD}")
    titles = {t.get(LANG): t.text for t in cop.xml.iter(f"{DC}title")}
    assert titles["zh"] == "技术和科学合作与信息交换所机制" and len(titles) == 6
    assert cop.header.setSpecs == ["CHM", "CHM:meetingDocument"]

    abs_only = list(sickle.ListIdentifiers(metadataPrefix="oai_dc", set="ABS"))
    assert abs_only and all("ABS" in h.setSpecs for h in abs_only)
    assert len(list(sickle.ListIdentifiers(metadataPrefix="oai_dc", set="ABS:absPermit"))) == 2


def test_the_native_format_carries_provenance(served: Served) -> None:
    record = _sickle(served).GetRecord(identifier=f"oai:chm-search:{COP_RECORD}", metadataPrefix="chm")
    versions = {
        (v.getparent().get("name"), v.get("lang"), v.get("provenance")): v for v in record.xml.iter(f"{CHM}version")
    }
    machine = versions[("summary", "es", "machine")]
    assert (machine.get("engine"), machine.get("model")) == ("argos", "translate-en_es 1.0")
    assert versions[("summary", "ru", "reviewed")].get("actor") == "Ana (curator)"
    assert versions[("title", "ar", "original")].get("declaredLanguage") == "ar"


def test_deleted_records_stay_as_deleted_headers_and_from_selects_changes(served: Served) -> None:
    sickle = _sickle(served)
    first = list(sickle.ListIdentifiers(metadataPrefix="oai_dc"))
    assert not any(h.deleted for h in first)
    time.sleep(1.1)  # datestamps have seconds granularity
    since = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with pytest.raises(NoRecordsMatch):
        list(sickle.ListIdentifiers(metadataPrefix="oai_dc", **{"from": since}))
    assert withdraw(served.catalogue, served.backend, [PROTOCOL], "Kenya national CHM").outcomes[PROTOCOL] == "deleted"

    changed = list(sickle.ListIdentifiers(metadataPrefix="oai_dc", ignore_deleted=False, **{"from": since}))
    assert [(h.identifier, h.deleted) for h in changed] == [(f"oai:chm-search:{PROTOCOL}", True)]
    everything = list(sickle.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False))
    assert len(everything) == SAMPLE_RECORDS and [r.header.deleted for r in everything].count(True) == 1
    gone = sickle.GetRecord(identifier=f"oai:chm-search:{PROTOCOL}", metadataPrefix="chm")
    assert gone.header.deleted and gone.xml.find(f"{OAI}metadata") is None


def test_protocol_errors_through_the_client(served: Served) -> None:
    sickle = _sickle(served)
    with pytest.raises(CannotDisseminateFormat):
        sickle.GetRecord(identifier=f"oai:chm-search:{COP_RECORD}", metadataPrefix="marc21")
    with pytest.raises(IdDoesNotExist):
        sickle.GetRecord(identifier="oai:chm-search:NOPE", metadataPrefix="oai_dc")
    with pytest.raises(BadResumptionToken):
        list(sickle.ListRecords(resumptionToken="not-a-token"))
    with pytest.raises(NoRecordsMatch):
        list(sickle.ListRecords(metadataPrefix="oai_dc", until="2000-01-01"))


# -- every response valid against OAI-PMH.xsd, oai_dc.xsd and the native format's schema -----------


def _get(served: Served, **params: Any) -> etree._Element:
    response = httpx.get(f"{served.url}/oai", params=params, timeout=30)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/xml")
    return validate(response.content)


def _error(root: etree._Element) -> str | None:
    error = root.find(f"{OAI}error")
    return None if error is None else error.get("code")


def test_every_verb_and_every_error_is_schema_valid(served: Served) -> None:
    withdraw(served.catalogue, served.backend, [PROTOCOL], "ops")
    identifier = f"oai:chm-search:{COP_RECORD}"
    for params in (
        {"verb": "Identify"},
        {"verb": "ListMetadataFormats"},
        {"verb": "ListMetadataFormats", "identifier": identifier},
        {"verb": "ListSets"},
        {"verb": "GetRecord", "identifier": identifier, "metadataPrefix": "oai_dc"},
        {"verb": "GetRecord", "identifier": identifier, "metadataPrefix": "chm"},
        {"verb": "GetRecord", "identifier": f"oai:chm-search:{PROTOCOL}", "metadataPrefix": "oai_dc"},
        {"verb": "ListIdentifiers", "metadataPrefix": "chm", "set": "CHM"},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2000-01-01", "until": "2999-12-31"},
    ):
        assert _error(_get(served, **params)) is None, params
    for prefix in ("oai_dc", "chm"):  # every page of both formats
        params: dict[str, str] = {"verb": "ListRecords", "metadataPrefix": prefix}
        seen = 0
        while True:
            root = _get(served, **params)
            seen += len(root.findall(f"{OAI}ListRecords/{OAI}record"))
            token = root.find(f"{OAI}ListRecords/{OAI}resumptionToken")
            if token is None or not token.text:
                break
            assert token.get("completeListSize") == str(SAMPLE_RECORDS)
            params = {"verb": "ListRecords", "resumptionToken": token.text}
        assert seen == SAMPLE_RECORDS
    token_of_identifiers = _get(served, verb="ListIdentifiers", metadataPrefix="oai_dc").find(
        f"{OAI}ListIdentifiers/{OAI}resumptionToken"
    )
    assert token_of_identifiers is not None and token_of_identifiers.text
    for params, code in (
        ({}, "badVerb"),
        ({"verb": "Harvest"}, "badVerb"),
        ({"verb": "GetRecord", "identifier": identifier}, "badArgument"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "Identify", "set": "ABS"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "yesterday"}, "badArgument"),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2020-01-01", "until": "2021-01-01T00:00:00Z"},
            "badArgument",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2021-01-01", "until": "2020-01-01"},
            "badArgument",
        ),
        ({"verb": "ListRecords", "resumptionToken": token_of_identifiers.text}, "badResumptionToken"),
        ({"verb": "ListRecords", "resumptionToken": "x" * 2000}, "badResumptionToken"),
        ({"verb": "ListRecords", "resumptionToken": "abc", "metadataPrefix": "oai_dc"}, "badArgument"),
        ({"verb": "ListSets", "resumptionToken": "abc"}, "badResumptionToken"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
        ({"verb": "GetRecord", "identifier": "oai:elsewhere:1", "metadataPrefix": "oai_dc"}, "idDoesNotExist"),
        ({"verb": "ListMetadataFormats", "identifier": "oai:chm-search:NOPE"}, "idDoesNotExist"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "WHO"}, "noRecordsMatch"),
        ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "until": "2000-01-01"}, "noRecordsMatch"),
    ):
        root = _get(served, **params)
        assert _error(root) == code, (params, etree.tostring(root))
        assert root.find(f"{OAI}request").attrib == {}  # arguments are not echoed with an error
    repeated = httpx.get(f"{served.url}/oai?verb=Identify&verb=Identify", timeout=30)
    assert _error(validate(repeated.content)) == "badVerb"
    twice = httpx.get(f"{served.url}/oai?verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=chm", timeout=30)
    assert _error(validate(twice.content)) == "badArgument"
    posted = httpx.post(
        f"{served.url}/oai", data={"verb": "GetRecord", "identifier": identifier, "metadataPrefix": "chm"}
    )
    assert _error(validate(posted.content)) is None


def test_control_characters_do_not_break_the_xml(served: Served) -> None:
    from record_catalogue.models import FieldText

    with served.catalogue.sessions.begin() as session:
        session.add(
            FieldText(record_id=COP_RECORD, field="text", language="fr", text="a\x01b\x0bc", provenance="reviewed")
        )
    root = _get(served, verb="GetRecord", identifier=f"oai:chm-search:{COP_RECORD}", metadataPrefix="chm")
    texts = [
        v.text for v in root.iter(f"{CHM}version") if v.get("lang") == "fr" and v.getparent().get("name") == "text"
    ]
    assert texts == ["abc"]
