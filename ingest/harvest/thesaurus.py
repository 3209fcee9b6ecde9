"""The clearing-houses' thesaurus: six-language labels of the terms records refer to.

Documented by the Secretariat (``scbd/clearing-house-documentation``,
``swagger/json/thesaurus/general/countries.json``, ``.../national-target/gbf-targets.json``;
``scbd/api-examples``, ``schema-definitions/thesaurusAPICalls``):

- ``GET /api/v2013/thesaurus/domains/{domain}/terms``: an array of terms;
- ``GET /api/v2013/thesaurus/terms/{identifier}``: one term;

a term being ``{termId, identifier, name, title: {en, fr, ...}, shortTitle, description,
longDescription, broaderTerms, narrowerTerms, ...}``. Countries (``countries``: identifiers are
ISO codes, ``br``), regions (``regions``), Aichi targets (``AICHI-TARGETS``: ``AICHI-TARGET-11``,
with components such as ``AICHI-TARGET-01-C2``) and GBF targets (``GBF-TARGETS``:
``GBF-TARGET-03``) come by domain, a request each; any other term a record refers to by itself.
A term is asked for once: its labels (or the thesaurus's "not a term") are kept in the catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

from ingest.harvest.http_client import FetchError, PoliteClient
from ingest.harvest.runner import HarvestRun
from record_catalogue.harvest_state import ThesaurusTermLabels
from record_catalogue.languages import UN_LANGUAGES
from record_catalogue.term_labels import apply_term_labels
from search_index.base import IndexUnavailable
from search_index.sync import reindex

DOMAINS_PATH = "/api/v2013/thesaurus/domains/"
TERMS_PATH = "/api/v2013/thesaurus/terms/"
# Term identifiers are GUIDs, ISO codes or upper-case slugs; a reference to another record
# ("GUID@2") or anything else is not looked up.
TERM_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-.]{0,127}$")
DOMAIN_OF = (
    (re.compile(r"^[a-z]{2}$"), "countries"),
    (re.compile(r"^AICHI-TARGET-", re.IGNORECASE), "AICHI-TARGETS"),
    (re.compile(r"^GBF-TARGET-", re.IGNORECASE), "GBF-TARGETS"),
)
MAX_TERMS_PER_RUN = 2000  # single-term look-ups a run makes at most (the rest wait for the next run)


def _lstring(value: object) -> dict[str, str]:
    return {
        lang: " ".join(text.split())
        for lang, text in (value.items() if isinstance(value, dict) else [])
        if lang in UN_LANGUAGES and isinstance(text, str) and text.strip()
    }


def term_labels(term: object) -> ThesaurusTermLabels | None:
    """A term of the API as identifier and labels in the six languages: its ``shortTitle`` where
    it has one in a language (a label, where a target's ``title`` is its whole text), else its
    ``title`` (``name`` for English if neither)."""
    if not isinstance(term, dict) or not isinstance(term.get("identifier"), str):
        return None
    labels = _lstring(term.get("title")) | _lstring(term.get("shortTitle"))
    if "en" not in labels and isinstance(term.get("name"), str) and term["name"].strip():
        labels["en"] = " ".join(term["name"].split())
    return ThesaurusTermLabels(term["identifier"], None, labels)


def label_terms(run: HarvestRun, client: PoliteClient, base_url: str, identifiers: Iterable[str]) -> int:
    """Fetch the labels of the terms among ``identifiers`` not known yet; returns how many were stored."""
    base = base_url.rstrip("/")
    wanted = {i for i in identifiers if TERM_ID.match(i)}
    missing = wanted - set(run.state.terms(wanted))
    if not missing:
        return 0
    stored = 0
    for pattern, domain in DOMAIN_OF:
        if not any(pattern.match(i) for i in missing):
            continue
        url = base + DOMAINS_PATH + quote(domain, safe="") + "/terms"
        try:
            data = client.get(url, headers={"Accept": "application/json"}).json()
        except FetchError as exc:
            run.error(exc.url, f"thesaurus domain {domain}: {exc.reason}")
            continue
        if not isinstance(data, list):
            run.error(url, f"thesaurus domain {domain}: not a list of terms")
            continue
        terms = [t for t in (term_labels(item) for item in data) if t is not None]
        run.state.save_terms([ThesaurusTermLabels(t.identifier, domain, t.labels) for t in terms])
        stored += len(terms)
        missing -= {t.identifier for t in terms}
    for identifier in sorted(missing)[:MAX_TERMS_PER_RUN]:
        url = base + TERMS_PATH + quote(identifier, safe="")
        try:
            response = client.get(url, headers={"Accept": "application/json"})
            if response.status in (404, 410):
                run.state.save_terms([ThesaurusTermLabels(identifier, None, {})])  # not a term: not asked again
                continue
            term = term_labels(response.json())
        except FetchError as exc:
            run.error(exc.url, f"thesaurus term {identifier}: {exc.reason}")
            continue
        if term is None:
            run.error(url, f"thesaurus term {identifier}: not a term (no identifier)")
            continue
        run.state.save_terms([ThesaurusTermLabels(identifier, None, term.labels)])
        stored += 1
    return stored


def label_keywords(run: HarvestRun) -> int:
    """Give the records referring to the run's terms their keywords' labels, and index them.

    The run stores records before it fetches the labels of the terms they refer to, so the
    records' documents went to the index without those labels: the ones whose labels changed
    are indexed again now. How many were."""
    changed = apply_term_labels(run.pipeline.catalogue, term_ids=run.terms)
    if changed:
        try:
            reindex(run.pipeline.catalogue, run.pipeline.backend, changed)
        except IndexUnavailable as exc:  # their needs_index flag stays: the next run or reindex sends them
            run.error("index", f"{len(changed)} records with new keyword labels not indexed: {exc}")
    return len(changed)
