"""One result per document: copies recognised (symbol, CBD identifier, content), shown once with
every clearing-house and link, counted in each realm; nothing merged; a curator can split."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx

from ingest.withdraw import withdraw
from record_catalogue.keys import KeyStore
from record_catalogue.record import Record
from tests.commands import run
from tests.conftest import SAMPLES
from tests.publish.conftest import COP_RECORD, Served

COP_FILE = "UNEP-CBD-COP-12-11"  # samples/shared/UNEP-CBD-COP-12-11.txt
MANUAL = json.loads((SAMPLES / "records" / "resource-bch-risk-assessment-manual.json").read_text())
MANUAL_ID = MANUAL["header"]["identifier"]


def _search(served: Served, **params: Any) -> dict[str, Any]:
    response = httpx.get(f"{served.url}/api/v1/search", params={"lang": "en", "size": 50, **params}, timeout=30)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _ids(body: dict[str, Any]) -> list[str]:
    return [r["id"] for r in body["results"]]


def _facet(body: dict[str, Any], name: str) -> dict[str, int]:
    return {v["value"]: v["count"] for v in body["facets"][name]}


def _keys(served: Served) -> dict[str, str]:
    store = KeyStore(served.catalogue)
    return {"ingest": store.create("ABS partner", "ingest"), "curator": store.create("Ana", "curator")}


def test_the_cop_12_11_document_is_one_result_with_both_sources(served: Served) -> None:
    for q in ("UNEP/CBD/COP/12/11", "clearing-house mechanism", "Pyeongchang"):
        found = _search(served, q=q)
        ours = [r for r in found["results"] if r["id"] in (COP_RECORD, COP_FILE)]
        assert len(ours) == 1, (q, _ids(found))
        assert ours[0]["id"] == COP_RECORD  # the record in six languages is the one shown
        assert {s["id"] for s in ours[0]["sources"]} == {COP_RECORD, COP_FILE}
        assert all(s["url"] and s["realm"] == "CHM" for s in ours[0]["sources"])
    # the file's full text is searchable through the group: a phrase only the text file has
    assert _ids(_search(served, q='"Article 18 further states"')) == [COP_RECORD]
    everything = _search(served, q="")
    assert everything["total"] == 18 and COP_FILE not in _ids(everything)
    # nothing merged: the catalogue keeps both records as they came
    assert served.catalogue.get(COP_FILE) is not None and served.catalogue.get(COP_RECORD) is not None
    assert [r.id for r in served.catalogue.group_of(COP_FILE)] == [COP_RECORD, COP_FILE]
    record = httpx.get(f"{served.url}/api/v1/records/{COP_FILE}", timeout=30)
    assert record.status_code == 200 and record.json()["schema_name"] == "meetingDocument"


def test_identical_resources_pushed_to_abs_and_bch_count_in_both_realms(served: Served) -> None:
    keys = _keys(served)
    copy_for_abs = copy.deepcopy(MANUAL)
    copy_for_abs["header"]["identifier"] = "ABS-COPY-OF-THE-MANUAL"
    copy_for_abs["header"]["realm"] = "ABS"
    pushed = httpx.post(
        f"{served.url}/api/v1/records", json=copy_for_abs, headers={"X-API-Key": keys["ingest"]}, timeout=60
    )
    assert pushed.status_code == 200 and pushed.json()["created"] == 1, pushed.text
    title = MANUAL["title"]["en"]
    found = _search(served, q=title)
    ours = [r for r in found["results"] if r["id"] in (MANUAL_ID, "ABS-COPY-OF-THE-MANUAL")]
    assert len(ours) == 1 and sorted(ours[0]["realms"]) == ["ABS", "BCH"]
    assert {(s["id"], s["realm"]) for s in ours[0]["sources"]} == {
        (MANUAL_ID, "BCH"),
        ("ABS-COPY-OF-THE-MANUAL", "ABS"),
    }
    assert _facet(found, "realm").get("ABS", 0) >= 1 and _facet(found, "realm").get("BCH", 0) >= 1
    for realm in ("ABS", "BCH"):  # found under either clearing-house
        assert ours[0]["id"] in _ids(_search(served, q=title, realm=realm))
    browse = _search(served, q="")
    counts = _facet(browse, "realm")
    assert browse["total"] == 18 and counts["ABS"] + counts["BCH"] + counts["CHM"] == 19

    # a curator says they are not the same: two results again, and back
    split = httpx.post(
        f"{served.url}/api/v1/records/ABS-COPY-OF-THE-MANUAL/split", headers={"X-API-Key": keys["curator"]}, timeout=60
    )
    assert split.status_code == 200, split.text
    assert [m["id"] for m in split.json()["group"]] == ["ABS-COPY-OF-THE-MANUAL"] and split.json()["index_updated"]
    separate = [r["id"] for r in _search(served, q=title)["results"]]
    assert "ABS-COPY-OF-THE-MANUAL" in separate and MANUAL_ID in separate
    assert _search(served, q="")["total"] == 19
    assert [e.action for e in served.catalogue.audit_trail("ABS-COPY-OF-THE-MANUAL")][-1] == "record.split"
    forbidden = httpx.post(
        f"{served.url}/api/v1/records/{MANUAL_ID}/split", headers={"X-API-Key": keys["ingest"]}, timeout=30
    )
    assert forbidden.status_code == 403
    undo = httpx.post(
        f"{served.url}/api/v1/records/ABS-COPY-OF-THE-MANUAL/split",
        json={"split": False},
        headers={"X-API-Key": keys["curator"]},
        timeout=60,
    )
    assert undo.status_code == 200 and len(undo.json()["group"]) == 2
    assert _search(served, q="")["total"] == 18


def test_a_withdrawn_copy_leaves_the_other_shown_alone(served: Served) -> None:
    withdraw(served.catalogue, served.backend, [COP_RECORD], "ops")
    assert served.catalogue.group_of(COP_FILE)[0].group_id is None
    served.backend.refresh()
    hits = served.backend.search(
        __import__("search_index.base", fromlist=["SearchQuery"]).SearchQuery(text="Pyeongchang")
    )
    assert [h.id for h in hits.hits] == [COP_FILE] and hits.hits[0].source["sources"] == []


def test_keys_follow_the_cbd_rules() -> None:
    from record_catalogue.duplicates import document_keys

    def record(**fields: Any) -> Record:
        return Record(
            realm="BCH", schema_name="resource", title={"en": "A manual on risk assessment of LMOs"}, **fields
        )

    assert document_keys(record(id="BCH-VLR-SCBD-237429-2")) & document_keys(record(id="ABSCH-VLR-SCBD-237429-1"))
    assert "symbol:UNEP/CBD/COP/12/11" in document_keys(record(id="x", symbol="UNEP/CBD/COP/12/11"))
    short = Record(id="a", realm="ABS", schema_name="resource", title={"en": "Test"})
    assert not any(k.startswith("content:") for k in document_keys(short))  # too little to be sure
    other = record(id="y", summary={"en": "Something else entirely, for another audience."})
    assert not document_keys(record(id="x")) & document_keys(other)


def test_content_key_ignores_case_and_every_kind_of_space_and_keeps_its_stored_value() -> None:
    """Keys are stored (``document_keys`` table): the same content must give the same key as the
    catalogue already holds, whatever spaces (tabs, em, no-break, ideographic, line and
    paragraph separators) and case the copy has."""
    from record_catalogue.duplicates import document_keys

    spaced = Record(
        id="x",
        realm="BCH",
        schema_name="resource",
        government="br",
        title={"en": "  A\tmanual on\u2003risk\u00a0assessment \n\n of LMOs\u3000"},
        summary={"fr": "Un  manuel\x1cde\u2028ÉVALUATION des risques\x85"},
    )
    plain = spaced.model_copy(
        update={
            "id": "y",
            "realm": "ABS",
            "title": {"en": "A manual on risk assessment of LMOs"},
            "summary": {"fr": "Un manuel de évaluation des risques"},
        }
    )
    expected = {"content:1441df5d092d830772bc2b9012c91234a173ff19a82e7228b2a01c609d77c5ff"}
    assert document_keys(spaced) == document_keys(plain) == expected


def test_content_normalisation_is_its_plain_definition_on_random_texts() -> None:
    """``_normal`` skips the split and join for text spaced already: it must give what the plain
    definition gives for any text (every whitespace character, line breaks, runs of them at the
    ends and inside, letters that NFKC or case folding change)."""
    import random
    import sys
    import unicodedata

    from record_catalogue.duplicates import _normal

    spaces = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    alphabet = [*"abcXYZ é.,-/", "\n", "\n\n", " ", "  ", *spaces, "ﬁ", "Ⅻ", "，", "ẞ", "e\u0301", "\u200b", "٣", "漢"]
    rng = random.Random(15)
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert _normal(text) == " ".join(unicodedata.normalize("NFKC", text).casefold().split()), repr(text)
    assert _normal("A  line\nand a paragraph.\n\nEnd") == "a line and a paragraph. end"


def test_cli_splits_a_record(tmp_path: Path) -> None:
    assert run(tmp_path, "ingest", str(SAMPLES / "shared"), str(SAMPLES / "records")).returncode == 0
    result = run(tmp_path, "records", "split", COP_FILE)
    assert result.returncode == 0, result.stderr
    assert f"{COP_FILE}: split; shown with: {COP_FILE} (CHM)" in result.stdout
    assert run(tmp_path, "records", "split", "NOPE").returncode == 1
