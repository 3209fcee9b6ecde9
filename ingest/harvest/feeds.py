"""Harvest a national site's news feed: RSS 2.0, RSS 1.0 (RDF) or Atom, parsed with defusedxml.

A feed is asked for conditionally (the ETag and Last-Modified of its last answer, kept with the
source): an unchanged feed costs the site a 304. Each entry becomes a record of the source's
realm and schema (``news`` by default): its title, its summary or content (HTML reduced to
text), its link and date, in the language the entry or the feed declares (``xml:lang``,
``<language>``), detected when neither does. Entries are identified by their ``guid``/``id``
(their link when they have none), so an entry edited on the site updates its record. The
high-water mark is the newest entry date stored; entries older than it are not read again.
"""

from __future__ import annotations

import email.utils
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree.ElementTree import Element

from pydantic import ValidationError

from ingest.harvest.http_client import FetchError, PoliteClient
from ingest.harvest.runner import HarvestRun
from ingest.harvest.xml_safe import XmlProblem, language_of, parse_xml, text_of
from ingest.html_text import html_to_text
from ingest.sources import SourceError
from record_catalogue.languages import UNDETERMINED
from record_catalogue.record import Link, Record

ATOM = "{http://www.w3.org/2005/Atom}"
RSS1 = "{http://purl.org/rss/1.0/}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
LANG = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True)
class Entry:
    """One feed entry, before it becomes a record."""

    key: str
    title: str
    summary: str
    link: str | None
    when: datetime | None
    language: str | None


def _when(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _lang(value: str | None) -> str | None:
    if not value:
        return None
    primary = value.split("-")[0].split("_")[0].strip().lower()
    return primary if LANG.match(primary) else None


def _html(element: Element | None) -> str:
    """An element holding (escaped) HTML or plain text, as plain text."""
    if element is None:
        return ""
    raw = "".join(element.itertext())
    return html_to_text(raw) if "<" in raw else " ".join(raw.split())


def entries(root: Element) -> list[Entry]:
    """The entries of an RSS 2.0, RSS 1.0 or Atom document; ValueError for anything else."""
    if root.tag == "rss":
        channel = root.find("channel")
        if channel is None:
            raise ValueError("RSS without a channel")
        feed_lang = _lang(text_of(channel.find("language"))) or _lang(language_of(channel))
        out = []
        for item in channel.findall("item"):
            link = text_of(item.find("link")) or None
            guid = text_of(item.find("guid")) or link or text_of(item.find("title"))
            content = item.find(f"{CONTENT}encoded")
            out.append(
                Entry(
                    guid,
                    _html(item.find("title")),
                    _html(item.find("description")) or _html(content),
                    link,
                    _when(text_of(item.find("pubDate")) or text_of(item.find(f"{DC}date"))),
                    _lang(language_of(item)) or _lang(text_of(item.find(f"{DC}language"))) or feed_lang,
                )
            )
        return out
    if root.tag == f"{RDF}RDF":
        channel = root.find(f"{RSS1}channel")
        feed_lang = _lang(text_of(channel.find(f"{DC}language"))) if channel is not None else None
        out = []
        for item in root.findall(f"{RSS1}item"):
            link = text_of(item.find(f"{RSS1}link")) or None
            key = item.get(f"{RDF}about") or link or text_of(item.find(f"{RSS1}title"))
            out.append(
                Entry(
                    key,
                    _html(item.find(f"{RSS1}title")),
                    _html(item.find(f"{RSS1}description")),
                    link,
                    _when(text_of(item.find(f"{DC}date"))),
                    _lang(text_of(item.find(f"{DC}language"))) or feed_lang,
                )
            )
        return out
    if root.tag == f"{ATOM}feed":
        feed_lang = _lang(language_of(root))
        out = []
        for entry in root.findall(f"{ATOM}entry"):
            links = entry.findall(f"{ATOM}link")
            alternate = [e.get("href") for e in links if e.get("rel", "alternate") == "alternate" and e.get("href")]
            link = alternate[0] if alternate else None
            key = text_of(entry.find(f"{ATOM}id")) or link or text_of(entry.find(f"{ATOM}title"))
            out.append(
                Entry(
                    key,
                    _html(entry.find(f"{ATOM}title")),
                    _html(entry.find(f"{ATOM}summary")) or _html(entry.find(f"{ATOM}content")),
                    link,
                    _when(text_of(entry.find(f"{ATOM}updated")) or text_of(entry.find(f"{ATOM}published"))),
                    _lang(language_of(entry)) or feed_lang,
                )
            )
        return out
    raise ValueError(f"not an RSS or Atom feed (root element {root.tag})")


def entry_record(entry: Entry, source_name: str, url: str, realm: str, schema: str) -> Record | SourceError:
    """A feed entry as a record of ``source_name`` (its id a digest of the entry's key)."""
    rid = f"{source_name}-" + hashlib.sha256(entry.key.encode()).hexdigest()[:32]
    if not entry.key or not (entry.title or entry.summary):
        return SourceError(url, entry.key[:100], "feed entry without a title or a summary", rid)
    lang = entry.language or UNDETERMINED
    try:
        return Record(
            id=rid,
            realm=realm,  # type: ignore[arg-type]
            schema_name=schema,
            title={lang: entry.title} if entry.title else {},
            summary={lang: entry.summary} if entry.summary else {},
            date=entry.when.date() if entry.when else None,
            url=entry.link if entry.link and entry.link.startswith(("http://", "https://")) else None,
            links=[Link(url=entry.link, name=None)] if entry.link and entry.link.startswith("http") else [],
            declared_languages=[lang] if entry.language else [],
            source=url,
            source_position=entry.key[:100],
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        return SourceError(url, entry.key[:100], f"{'.'.join(map(str, first['loc']))}: {first['msg']}", rid)


def harvest_feed(run: HarvestRun, client: PoliteClient, url: str, realm: str, schema: str) -> None:
    """One run: fetch the feed if it changed, store entries newer than the mark, move the mark."""
    name = run.source.name
    validators = run.source.validators
    try:
        response = client.get(
            url,
            headers={"Accept": "application/rss+xml, application/atom+xml, application/xml, text/xml"},
            etag=validators.get("etag"),
            last_modified=validators.get("last_modified"),
        )
    except FetchError as exc:
        run.stop(exc.url, exc.reason)
        return
    if response.not_modified:
        run.counts.not_modified += 1
        return
    if response.status in (404, 410):
        run.stop(response.url, f"HTTP {response.status}: no feed here")
        return
    try:
        found = entries(parse_xml(response.body))
    except (XmlProblem, ValueError) as exc:
        run.stop(response.url, f"invalid feed: {exc}")
        return
    mark = _when(run.source.high_water) if run.source.high_water else None
    fresh = [e for e in found if mark is None or e.when is None or e.when > mark]
    run.counts.listed += len(found)
    records = [entry_record(e, name, response.url, realm, schema) for e in fresh]
    run.counts.fetched += sum(1 for r in records if isinstance(r, Record))
    if records:
        run.store(records)
    newest = max((e.when for e in fresh if e.when is not None), default=None)
    if newest is not None and (mark is None or newest > mark):
        run.state.set_high_water(name, newest.astimezone(UTC).isoformat())
    run.state.set_validators(
        name, {k: v for k, v in {"etag": response.etag, "last_modified": response.last_modified}.items() if v}
    )
