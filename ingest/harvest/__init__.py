"""Harvesting: pulling records from the clearing-houses' API, partners' OAI-PMH repositories and
national sites' news feeds, incrementally and politely.

One small module per concern: ``http_client`` (rate, retries, limits), ``cbd_api`` (the
clearing-houses' index and document API), ``thesaurus`` (labels of the terms records refer to),
``oai`` (OAI-PMH ListRecords), ``feeds`` (RSS/Atom), ``runner`` (storing a page through the
ingest pipeline, withdrawing, reporting errors). Each source is configured once in the catalogue
(``record_catalogue.harvest_state``) with its high-water mark; ``run_source`` runs one.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ingest.harvest.cbd_api import PAGE_SIZE, CbdApi, check_schemas, harvest_cbd, parse_since
from ingest.harvest.feeds import harvest_feed
from ingest.harvest.http_client import PoliteClient, Politeness
from ingest.harvest.oai import OaiRequest, harvest_oai
from ingest.harvest.runner import HarvestCounts, HarvestRun
from ingest.harvest.thesaurus import label_keywords, label_terms
from ingest.pipeline import Pipeline
from record_catalogue.codes import RunStatus, SourceKind
from record_catalogue.harvest_state import HarvestState, SourceConfig
from record_catalogue.realms import realm_catalog

__all__ = ["HarvestCounts", "HarvestRun", "check_params", "politeness_of", "run_source", "source_name"]

NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,99}$")
DEFAULT_SCHEMA = {SourceKind.OAI: "resource", SourceKind.FEED: "news"}
POLITENESS_KEYS = ("rate", "timeout", "retries", "max_bytes")


def source_name(value: str) -> str:
    """A source name: lower-case letters, digits, ``-`` and ``_``; ValueError otherwise."""
    if not NAME.match(value):
        raise ValueError(f"source name {value!r}: use lower-case letters, digits, '-' and '_' (at most 100)")
    return value


def check_params(kind: SourceKind, url: str, params: dict[str, Any]) -> dict[str, Any]:
    """A source's settings, checked now so that a scheduled run cannot fail on them later."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"{url!r} is not an http or https URL")
    out = dict(params)
    realm = str(out.get("realm") or ("ABS" if kind == SourceKind.CBD else "CHM")).upper()
    if realm not in realm_catalog().schemas:
        raise ValueError(f"unknown realm {realm!r}; known: {', '.join(sorted(realm_catalog().schemas))}")
    out["realm"] = realm
    if kind == SourceKind.CBD:
        out["schemas"] = list(out.get("schemas") or [])
        check_schemas(realm, out["schemas"])
        out["page_size"] = int(out.get("page_size") or PAGE_SIZE)
        if not 1 <= out["page_size"] <= 1000:
            raise ValueError("page size must be between 1 and 1000")
    else:
        schema = str(out.get("schema") or DEFAULT_SCHEMA[kind])
        realm_catalog().resolve(schema, realm)  # ValueError names an unknown schema
        out["schema"] = schema
    if kind == SourceKind.OAI:
        out["prefix"] = str(out.get("prefix") or "oai_dc")
        for key in ("from", "until"):
            if out.get(key):
                out[key] = parse_since(str(out[key])).date().isoformat()
    for key in POLITENESS_KEYS:
        if out.get(key) is None:
            out.pop(key, None)
    politeness_of(out)
    return out


def politeness_of(params: dict[str, Any]) -> Politeness:
    """The request rate and limits a source's settings ask for (defaults otherwise)."""
    given = {key: params[key] for key in POLITENESS_KEYS if params.get(key) is not None}
    politeness = Politeness(**given)
    if politeness.rate <= 0 or politeness.timeout <= 0 or politeness.retries < 0 or politeness.max_bytes <= 0:
        raise ValueError("rate, timeout and max_bytes must be positive, retries zero or more")
    return politeness


def run_source(
    pipeline: Pipeline,
    state: HarvestState,
    source: SourceConfig,
    run_id: str,
    *,
    since: datetime | None = None,
    client: PoliteClient | None = None,
) -> HarvestRun:
    """Run one source once: read what changed since its mark (or ``since``), store it, move the mark.

    SourceBusy (nothing done) when another process is running the same source."""
    with state.running(source.name):  # SourceBusy when another process runs it now
        current = state.source(source.name) or source  # its mark as that other run may have left it
        return _run(pipeline, state, current, run_id, since, client)


def _run(
    pipeline: Pipeline,
    state: HarvestState,
    source: SourceConfig,
    run_id: str,
    since: datetime | None,
    client: PoliteClient | None,
) -> HarvestRun:
    pipeline.actor = f"harvest:{source.name}"
    run = HarvestRun(pipeline, state, source, run_id)
    params = source.params
    own = client is None
    http = client or PoliteClient(politeness_of(params))
    state.run_started(source.name, run_id)
    status = RunStatus.FAILED
    try:
        if source.kind == SourceKind.CBD:
            api = CbdApi(http, source.url, params["realm"], params.get("schemas") or [], params.get("page_size", 100))
            start = since or (parse_since(source.high_water) if source.high_water else None)
            harvest_cbd(run, api, start, sweep=params.get("sweep", True))
            label_terms(run, http, source.url, run.terms)
            label_keywords(run)
        elif source.kind == SourceKind.OAI:
            start_day = since.date().isoformat() if since else (source.high_water or params.get("from"))
            request = OaiRequest(source.url, params["prefix"], params.get("set"), start_day, params.get("until"))
            harvest_oai(run, http, request, params["realm"], params["schema"])
        elif source.kind == SourceKind.FEED:
            harvest_feed(run, http, source.url, params["realm"], params["schema"])
        else:
            run.error(source.url, f"unknown source kind {source.kind!r}")
        status = RunStatus.FINISHED
    finally:
        run.counts.requests = http.requests
        if own:
            http.close()
        state.run_finished(source.name, status, run.counts.as_dict())
    return run
