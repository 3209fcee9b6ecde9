"""One display policy (search_index.documents: best_texts and reader_language): a record's title in
a reader's language is the same in search results, the record API and the record page."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient

from record_catalogue.languages import UN_LANGUAGES


def test_search_records_and_the_page_show_the_same_version(client: TestClient) -> None:
    compared = 0
    for lang in UN_LANGUAGES:
        results = client.get("/api/v1/search", params={"lang": lang, "size": 100}).json()["results"]
        assert results
        for result in results:
            record = client.get(f"/api/v1/records/{result['id']}", params={"lang": lang}).json()
            assert (record["title"], record["summary"]) == (result["title"], result["summary"]), (lang, result["id"])
            if record["title"]:
                page = client.get(f"/record/{result['id']}", params={"lang": lang})
                assert page.status_code == 200 and html.escape(record["title"], quote=False) in page.text
            compared += 1
    assert compared >= 6 * 10
