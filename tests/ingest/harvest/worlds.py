"""What the fixture clearing-house holds: ABS records in the documented shapes, thesaurus terms,
OAI-PMH pages and feeds, with the faults the harvest must survive."""

from __future__ import annotations

import copy
import json
from typing import Any

from tests.conftest import SAMPLES
from tests.ingest.harvest.fixture_server import Doc, World

ABS_SAMPLES = (
    "absCheckpoint-fr-recherche",
    "absNationalReport-pe-provisional",
    "absPermit-pe-castana",
    "measure-in-access-guidelines",
)
TARGETS_RECORD = "0E1D6C3A-6F4B-4B8E-9A21-3C5D7E9F1A2B"
MALFORMED = "6A0C2F1E-3B4D-4E5F-8A9B-0C1D2E3F4A5B"
HTML_DOC = "7B1D3A2F-4C5E-4F60-9B0C-1D2E3F4A5B6C"
UNKNOWN_SCHEMA = "8C2E4B3A-5D6F-4071-AC1D-2E3F4A5B6C7D"
TOO_LARGE = "9D3F5C4B-6E70-4182-BD2E-3F4A5B6C7D8E"
NEW_RECORD = "A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D"

LANGS = ("ar", "en", "es", "fr", "ru", "zh")


def sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / "records" / f"{name}.json").read_text(encoding="utf-8"))


def six(*labels: str) -> dict[str, str]:
    """Labels in ar, en, es, fr, ru, zh order."""
    return dict(zip(LANGS, labels, strict=True))


def term(identifier: str, labels: dict[str, str], term_id: int) -> dict[str, Any]:
    """A thesaurus term as the API gives it (countries.json / gbf-targets.json shape)."""
    return {
        "termId": term_id,
        "identifier": identifier,
        "name": labels["en"],
        "title": labels,
        "shortTitle": {},
        "description": labels["en"],
        "longDescription": labels,
        "source": "",
        "broaderTerms": [],
        "narrowerTerms": [],
        "relatedTerms": [],
        "nonPreferedTerms": [],
    }


def targets_record() -> dict[str, Any]:
    """A permit-like record pointing at targets and countries by thesaurus term only."""
    return {
        "header": {"identifier": TARGETS_RECORD, "schema": "absPermit", "languages": ["en"]},
        "government": {"identifier": "cr"},
        "title": {"en": "Access permit for bioprospecting of marine sponges in the Gulf of Nicoya"},
        "summary": {
            "en": "Permit granted to a research institute to collect sponge samples for screening of "
            "antimicrobial compounds, with benefit-sharing through training of local staff."
        },
        "aichiTargets": [{"identifier": "AICHI-TARGET-16"}, {"identifier": "AICHI-TARGET-01-C2"}],
        "gbfTargets": [{"identifier": "GBF-TARGET-13"}],
        "sourceCountries": [{"identifier": "pa"}],
        "keywords": [{"identifier": "1B5D0D4E-1D89-4A2B-9D3E-5A7C8F1E2B34"}],
        "updatedOn": "2023-05-02T09:00:00.000Z",
    }


def clearing_house(max_body: int = 0) -> World:
    """The ABS clearing-house before the first run: good records, and one of each bad kind."""
    world = World()
    updated = [
        "2022-01-10T08:00:00Z",
        "2022-03-15T12:30:00Z",
        "2022-06-01T00:00:00Z",
        "2022-09-20T16:45:00Z",
    ]
    for name, when in zip(ABS_SAMPLES, updated, strict=True):
        body = sample(name)
        identifier = body["header"]["identifier"]
        world.docs[identifier] = Doc(identifier, body["header"]["schema"], when, body)
    world.docs[TARGETS_RECORD] = Doc(TARGETS_RECORD, "absPermit", "2023-05-02T09:00:00Z", targets_record())
    world.docs[MALFORMED] = Doc(
        MALFORMED, "absPermit", "2023-06-01T00:00:00Z", raw=b'{"header": {"identifier": "6A0C2F1E-3B4D'
    )
    world.docs[HTML_DOC] = Doc(
        HTML_DOC,
        "measure",
        "2023-07-01T00:00:00Z",
        raw=b"<!DOCTYPE html><html><head><title>Error</title></head><body>Gateway</body></html>",
        content_type="text/html; charset=utf-8",
    )
    unknown = copy.deepcopy(sample("absPermit-pe-castana"))
    unknown["header"] = {"identifier": UNKNOWN_SCHEMA, "schema": "absPermitV9", "languages": ["en"]}
    world.docs[UNKNOWN_SCHEMA] = Doc(UNKNOWN_SCHEMA, "absPermit", "2023-08-01T00:00:00Z", unknown)
    large = copy.deepcopy(sample("measure-in-access-guidelines"))
    large["header"]["identifier"] = TOO_LARGE
    large["relevantInformation"] = {"en": "<p>" + "Guidelines on access. " * (max_body // 20 + 10) + "</p>"}
    world.docs[TOO_LARGE] = Doc(TOO_LARGE, "measure", "2023-09-01T00:00:00Z", large)
    # A draft of a published record, in the index as a non-public version: never harvested.
    draft = copy.deepcopy(targets_record())
    draft["title"] = {"en": "DRAFT - not published"}
    world.versions.append(Doc(TARGETS_RECORD, "absPermit", "2024-06-01T00:00:00Z", draft))
    world.terms = {
        "countries": [
            term("cr", six("كوستاريكا", "Costa Rica", "Costa Rica", "Costa Rica", "Коста-Рика", "哥斯达黎加"), 1),
            term("pa", six("بنما", "Panama", "Panamá", "Panama", "Панама", "巴拿马"), 2),
            term("pe", six("بيرو", "Peru", "Perú", "Pérou", "Перу", "秘鲁"), 3),
            term("fr", six("فرنسا", "France", "Francia", "France", "Франция", "法国"), 4),
            term("in", six("الهند", "India", "India", "Inde", "Индия", "印度"), 5),
        ],
        "AICHI-TARGETS": [
            term("AICHI-TARGET-16", dict.fromkeys(LANGS, "Aichi Target 16") | {"fr": "Objectif 16 d'Aichi"}, 16),
            term("AICHI-TARGET-01-C2", dict.fromkeys(LANGS, "Aichi Target 1, component 2"), 101),
        ],
        "GBF-TARGETS": [
            term("GBF-TARGET-13", dict.fromkeys(LANGS, "GBF Target 13") | {"es": "Meta 13 del MMB"}, 7410)
            | {"shortTitle": {"en": "GBF-T13. Share benefits from genetic resources"}}
        ],
        "keywords": [term("1B5D0D4E-1D89-4A2B-9D3E-5A7C8F1E2B34", dict.fromkeys(LANGS, "Bioprospecting"), 900)],
    }
    return world


GOOD = [sample(name)["header"]["identifier"] for name in ABS_SAMPLES] + [TARGETS_RECORD]
BAD = [MALFORMED, HTML_DOC, UNKNOWN_SCHEMA, TOO_LARGE]
