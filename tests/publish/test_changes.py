"""``GET /api/v1/changes?since=TOKEN``: a partner mirrors us, changes and deletions included."""

from __future__ import annotations

from typing import Any

import httpx

from analyzers.detect import LanguageDetector
from ingest.pipeline import Pipeline
from ingest.sources.files import read_path
from ingest.withdraw import withdraw
from record_catalogue.models import FieldText
from tests.conftest import SAMPLES
from tests.publish.conftest import COP_RECORD, Served

PROTOCOL = "25E265FB-CAB0-4291-8828-6129E71168E7"  # samples/records/communityProtocol-ke-kaya-herbalists.json


def _changes(served: Served, **params: Any) -> dict[str, Any]:
    response = httpx.get(f"{served.url}/api/v1/changes", params=params, timeout=30)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _mirror(served: Served, since: str | None = None, limit: int = 7) -> tuple[list[dict[str, Any]], str]:
    """Every change after ``since``, page by page, and the token to continue from."""
    seen: list[dict[str, Any]] = []
    while True:
        body = _changes(served, limit=limit, **({"since": since} if since else {}))
        seen.extend(body["changes"])
        since = body["next"]
        if not body["more"]:
            return seen, since


def test_a_partner_mirrors_every_record_then_only_the_changes(served: Served) -> None:
    everything, token = _mirror(served)
    assert len(everything) == len({c["id"] for c in everything}) == 19
    assert all(c["change"] == "changed" and c["record"] for c in everything)
    cop = next(c["record"] for c in everything if c["id"] == COP_RECORD)
    assert set(cop["fields"]["title"]) == {"ar", "en", "es", "fr", "ru", "zh"}
    machine = cop["fields"]["summary"]["es"][0]
    assert (machine["provenance"], machine["engine"], machine["model"]) == ("machine", "argos", "translate-en_es 1.0")
    assert cop["fields"]["summary"]["ru"][0]["provenance"] == "reviewed"

    nothing = _changes(served, since=token)
    assert nothing["changes"] == [] and nothing["next"] == token and nothing["more"] is False

    withdraw(served.catalogue, served.backend, [PROTOCOL], "Kenya national CHM")
    with served.catalogue.sessions.begin() as session:  # a curator's review of the COP-12/11 record
        session.add(
            FieldText(record_id=COP_RECORD, field="summary", language="ar", text="مذكرة", provenance="reviewed")
        )
    with served.catalogue.sessions.begin() as session:  # and a second change of it
        row = session.get(FieldText, 1)
        assert row is not None
        row.text += " "
        cop_or_other = row.record_id
    changes, token = _mirror(served, token)
    assert changes[0]["id"] == PROTOCOL
    deleted = changes[0]
    assert (deleted["change"], deleted["record"], deleted["deleted_by"]) == ("deleted", None, "Kenya national CHM")
    assert deleted["deleted_at"]
    assert {c["id"] for c in changes[1:]} == {COP_RECORD, cop_or_other}
    assert len(changes) == len({c["id"] for c in changes})  # a record changed twice is sent once
    review = next(c for c in changes if c["id"] == COP_RECORD)["record"]["fields"]["summary"]["ar"]
    assert review[0]["provenance"] == "reviewed"

    # ingesting the withdrawn record again restores it, and the feed says so
    Pipeline(served.catalogue, served.backend, LanguageDetector(), served.settings.languages).run(
        read_path(SAMPLES / "records" / "communityProtocol-ke-kaya-herbalists.json")
    )
    restored, _ = _mirror(served, token)
    assert [(c["id"], c["change"]) for c in restored] == [(PROTOCOL, "changed")]


def test_tokens_not_issued_here_are_refused(served: Served) -> None:
    for token in ("nonsense", "W10", "x" * 601, "WyJhIiwxXQ"):
        response = httpx.get(f"{served.url}/api/v1/changes", params={"since": token}, timeout=30)
        assert response.status_code in (400, 422), token
        assert response.json()["error"]["code"] in ("invalid_token", "invalid_parameter"), response.text
