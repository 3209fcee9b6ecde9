"""OAI-PMH and RSS/Atom sources against fixture servers: resumption tokens, from/until, deleted
records, six-language Dublin Core, conditional feed requests, XML that must be refused; and the
sources commands with `harvest --all`."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.harvest import check_params, run_source
from ingest.harvest.http_client import PoliteClient, Politeness
from ingest.harvest.runner import HarvestRun
from ingest.pipeline import Pipeline
from record_catalogue.harvest_state import HarvestState
from record_catalogue.settings import Settings, load_settings
from record_catalogue.store import Catalogue
from search_index.factory import get_backend
from tests.ingest.harvest.conftest import CLI, ROOT, chm, environment
from tests.ingest.harvest.fixture_server import FixtureServer, World
from tests.ingest.harvest.worlds import GOOD, clearing_house

OAI_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
    "<responseDate>{date}</responseDate>"
    '<request verb="ListRecords">http://partner.example/oai</request><ListRecords>'
)
OAI_TAIL = "</ListRecords></OAI-PMH>"
SIX_TITLES = {
    "ar": "الاستراتيجية الوطنية للتنوع البيولوجي وخطة العمل",
    "en": "National biodiversity strategy and action plan",
    "es": "Estrategia y plan de acción nacionales en materia de diversidad biológica",
    "fr": "Stratégie et plan d'action nationaux pour la biodiversité",
    "ru": "Национальная стратегия и план действий по сохранению биоразнообразия",
    "zh": "国家生物多样性战略和行动计划",
}


def oai_record(identifier: str, datestamp: str, titles: dict[str, str], description: str = "") -> str:
    dc_titles = "".join(f'<dc:title xml:lang="{lang}">{text}</dc:title>' for lang, text in titles.items())
    return (
        f"<record><header><identifier>{identifier}</identifier><datestamp>{datestamp}</datestamp>"
        "<setSpec>nbsap</setSpec></header><metadata>"
        '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"{dc_titles}<dc:description xml:lang='en'>{description}</dc:description>"
        f"<dc:identifier>https://partner.example/docs/{identifier.rsplit(':', 1)[-1]}</dc:identifier>"
        f"<dc:date>{datestamp}</dc:date><dc:language>en</dc:language></oai_dc:dc></metadata></record>"
    )


def oai_page(date: str, records: list[str], token: str | None, size: int) -> bytes:
    tail = f'<resumptionToken completeListSize="{size}" cursor="0">{token or ""}</resumptionToken>'
    return (OAI_HEAD.format(date=date) + "".join(records) + tail + OAI_TAIL).encode()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data", es_url=None)


def run(pipeline: Pipeline, name: str, kind: str, url: str, **params: object) -> HarvestRun:
    state = HarvestState(pipeline.catalogue)
    source = state.ensure_source(name, kind, url, check_params(kind, url, dict(params)))
    with PoliteClient(Politeness(rate=500, retries=0)) as polite:
        return run_source(pipeline, state, source, pipeline.catalogue.new_run_id(), client=polite)


def reasons(pipeline: Pipeline, harvest: HarvestRun) -> list[str]:
    return [f"{e.source} {e.reason}" for e in pipeline.catalogue.errors(run_id=harvest.run_id)]


def test_oai_resumption_deleted_records_and_six_languages(
    pipeline: Pipeline, serve: Callable[[World], FixtureServer]
) -> None:
    world = World()
    world.oai_pages = [
        oai_page(
            "2026-12-01T10:00:00Z",
            [oai_record("oai:partner.example:1", "2026-11-02", SIX_TITLES, "The plan adopted in 2024.")],
            "page-1",
            2,
        ),
        oai_page(
            "2026-12-01T10:00:01Z",
            [oai_record("oai:partner.example:2", "2026-11-03", {"fr": "Rapport national sur les aires protégées"})],
            None,
            2,
        ),
    ]
    server = serve(world)
    first = run(pipeline, "partner", "oai", server.url + "/oai", set="nbsap")
    assert reasons(pipeline, first) == [] and first.counts.created == 2
    asked = [q for _p, q, _h in world.requests("/oai")]
    assert asked == [
        {"verb": ["ListRecords"], "metadataPrefix": ["oai_dc"], "set": ["nbsap"]},
        {"verb": ["ListRecords"], "resumptionToken": ["page-1"]},
    ]
    row = pipeline.catalogue.get("oai:partner.example:1")
    assert row is not None
    titles = {t.language: t.text for t in row.texts if t.field == "title" and t.provenance == "original"}
    assert titles == SIX_TITLES
    assert row.url == "https://partner.example/docs/1" and row.schema_name == "resource" and row.realm == "CHM"
    assert HarvestState(pipeline.catalogue).source("partner").high_water == "2026-12-01"  # type: ignore[union-attr]

    # Next run: from the mark; record 1 is deleted at the source.
    world.log.clear()
    world.oai_pages = [
        oai_page(
            "2026-12-05T10:00:00Z",
            [
                '<record><header status="deleted"><identifier>oai:partner.example:1</identifier>'
                "<datestamp>2026-12-04</datestamp></header></record>"
            ],
            None,
            1,
        )
    ]
    second = run(pipeline, "partner", "oai", server.url + "/oai", set="nbsap")
    assert [q.get("from") for _p, q, _h in world.requests("/oai")] == [["2026-12-01"]]
    assert second.counts.withdrawn == 1
    assert (gone := pipeline.catalogue.get("oai:partner.example:1")) is not None and gone.deleted_at is not None
    assert pipeline.catalogue.get("oai:partner.example:2") is not None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html><body>Repository under maintenance</body></html>", "invalid OAI-PMH: expected XML, got HTML"),
        (
            b"<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'><ListRecords><record>",
            "invalid OAI-PMH: invalid XML",
        ),
        (b"<feed/>", "invalid OAI-PMH: root element is feed, not OAI-PMH"),
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            b"<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'>&lol2;</OAI-PMH>",
            "refused XML: DTDForbidden",
        ),
        (
            b"<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'><error code='cannotDisseminateFormat'>"
            b"no such format</error></OAI-PMH>",
            "OAI-PMH error cannotDisseminateFormat: no such format",
        ),
    ],
)
def test_invalid_oai_is_reported_and_the_mark_stays(
    pipeline: Pipeline, serve: Callable[[World], FixtureServer], body: bytes, reason: str
) -> None:
    world = World()
    world.oai_pages = [body]
    server = serve(world)
    harvest = run(pipeline, "broken", "oai", server.url + "/oai")
    assert any(server.url + "/oai" in r and reason in r for r in reasons(pipeline, harvest)), reasons(pipeline, harvest)
    assert HarvestState(pipeline.catalogue).source("broken").high_water is None  # type: ignore[union-attr]


def test_endless_resumption_tokens_stop(pipeline: Pipeline, serve: Callable[[World], FixtureServer]) -> None:
    world = World()
    page = oai_page("2026-12-01T10:00:00Z", [oai_record("oai:x:1", "2026-11-02", {"en": "A title"})], "page-1", 9)
    world.oai_pages = [page, page, page]
    server = serve(world)
    harvest = run(pipeline, "loop", "oai", server.url + "/oai")
    assert any("endless list: resumptionToken 'page-1' came back" in r for r in reasons(pipeline, harvest))
    assert len(world.requests("/oai")) == 2


RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>CHM Costa Rica: noticias</title><language>es-CR</language>
<item><title>Nueva área marina protegida en el Pacífico</title>
<link>https://chm.example.cr/noticias/1</link><guid>https://chm.example.cr/noticias/1</guid>
<description>&lt;p&gt;El Gobierno declaró una nueva área marina protegida de 54.000 km².&lt;/p&gt;</description>
<pubDate>Mon, 02 Nov 2026 09:00:00 GMT</pubDate></item>
<item><title>Taller nacional sobre acceso a recursos genéticos</title>
<link>https://chm.example.cr/noticias/2</link><guid>https://chm.example.cr/noticias/2</guid>
<description>Taller con comunidades locales sobre el consentimiento fundamentado previo.</description>
<pubDate>Tue, 10 Nov 2026 09:00:00 GMT</pubDate></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr"><title>CHM Belgique</title><id>urn:chm:be</id>
<updated>2026-11-20T08:00:00Z</updated>
<entry><title>Journée mondiale des zones humides</title><id>urn:chm:be:news:7</id>
<link rel="alternate" href="https://chm.example.be/news/7"/><updated>2026-11-20T08:00:00Z</updated>
<summary type="html">&lt;p&gt;Visites guidées dans les zones humides protégées.&lt;/p&gt;</summary></entry>
</feed>"""


def test_rss_then_conditional_then_atom(pipeline: Pipeline, serve: Callable[[World], FixtureServer]) -> None:
    world = World()
    world.feed = RSS.encode()
    server = serve(world)
    first = run(pipeline, "chm-cr", "feed", server.url + "/feed")
    assert reasons(pipeline, first) == [] and first.counts.created == 2
    rows = list(pipeline.catalogue.iter_records())
    assert {r.schema_name for r in rows} == {"news"} and {r.original_language for r in rows} == {"es"}
    assert {r.url for r in rows} == {"https://chm.example.cr/noticias/1", "https://chm.example.cr/noticias/2"}
    assert HarvestState(pipeline.catalogue).source("chm-cr").high_water == "2026-11-10T09:00:00+00:00"  # type: ignore[union-attr]

    second = run(pipeline, "chm-cr", "feed", server.url + "/feed")
    assert second.counts.not_modified == 1 and second.counts.fetched == 0
    assert world.requests("/feed")[-1][2]["if-none-match"].startswith('"')

    world.feed = ATOM.encode()
    world.feed_type = "application/atom+xml"
    third = run(pipeline, "chm-be", "feed", server.url + "/feed")
    assert reasons(pipeline, third) == [] and third.counts.created == 1
    atom = [r for r in pipeline.catalogue.iter_records() if r.url == "https://chm.example.be/news/7"]
    assert atom and atom[0].original_language == "fr"

    world.feed = b"<html><body>Page not found</body></html>"
    broken = run(pipeline, "chm-xx", "feed", server.url + "/feed")
    assert any("invalid feed: expected XML, got HTML" in r for r in reasons(pipeline, broken))


def test_sources_commands_and_harvest_all(settings: Settings, serve: Callable[[World], FixtureServer]) -> None:
    clearing = serve(clearing_house())
    feeds = World()
    feeds.feed = RSS.encode()
    site = serve(feeds)
    for identifier in list(clearing.world.docs):
        if identifier not in GOOD:
            del clearing.world.docs[identifier]
    add = chm(
        settings, "sources", "add", "abs", "--kind", "cbd", "--url", clearing.url, "--realm", "ABS", "--rate", "100"
    )
    assert add.returncode == 0, add.stderr
    add = chm(settings, "sources", "add", "chm-cr", "--kind", "feed", "--url", site.url + "/feed")
    assert add.returncode == 0, add.stderr
    again = chm(settings, "sources", "add", "abs", "--kind", "cbd", "--url", clearing.url)
    assert again.returncode == 2 and "a source named 'abs' exists already" in again.stderr
    bad = chm(settings, "sources", "add", "x", "--kind", "oai", "--url", "ftp://nowhere")
    assert bad.returncode == 2 and "is not an http or https URL" in bad.stderr

    everything = chm(settings, "harvest", "--all")
    assert everything.returncode == 0, everything.stdout + everything.stderr
    assert "abs: 5 listed, 5 fetched" in everything.stdout and "chm-cr: 2 listed, 2 fetched" in everything.stdout
    listing = chm(settings, "sources", "list").stdout
    assert "abs  cbd" in listing and "mark 2023-05-02T09:00:00Z" in listing and "finished" in listing
    assert "chm-cr  feed" in listing

    run_one = chm(settings, "sources", "run", "chm-cr")
    assert run_one.returncode == 0 and "(1 not modified)" in run_one.stdout
    removed = chm(settings, "sources", "remove", "chm-cr")
    assert removed.returncode == 0 and "chm-cr" not in chm(settings, "sources", "list").stdout
    assert Catalogue(settings.catalogue_dsn).count() == 7  # the removed source's records stay


def test_oai_from_and_until_bound_the_list_and_the_mark(
    pipeline: Pipeline, serve: Callable[[World], FixtureServer]
) -> None:
    world = World()
    world.oai_pages = [
        oai_page("2026-12-01T10:00:00Z", [oai_record("oai:x:9", "2026-10-02", {"en": "Wetlands inventory"})], None, 1)
    ]
    server = serve(world)
    harvest = run(pipeline, "bounded", "oai", server.url + "/oai", **{"from": "2026-10-01", "until": "2026-10-31"})
    assert reasons(pipeline, harvest) == [] and harvest.counts.created == 1
    [(_path, query, _headers)] = world.requests("/oai")
    assert query["from"] == ["2026-10-01"] and query["until"] == ["2026-10-31"]
    # Complete up to `until` only: the mark says so, and the next run starts there.
    assert HarvestState(pipeline.catalogue).source("bounded").high_water == "2026-10-31"  # type: ignore[union-attr]


def three_pages(broken_middle: bool = False) -> list[bytes]:
    """A list of three pages (page-1, page-2 the tokens), the middle one invalid when asked."""
    middle = (
        b"<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'><ListRecords><record>"
        if broken_middle
        else oai_page(
            "2026-12-02T10:00:01Z", [oai_record("oai:p:2", "2026-11-03", {"en": "Wetlands report"})], "page-2", 3
        )
    )
    return [
        oai_page("2026-12-02T10:00:00Z", [oai_record("oai:p:1", "2026-11-02", {"en": "Forest plan"})], "page-1", 3),
        middle,
        oai_page("2026-12-02T10:00:02Z", [oai_record("oai:p:3", "2026-11-04", {"en": "Coral reefs"})], None, 3),
    ]


def broken_list(serve: Callable[[World], FixtureServer]) -> tuple[World, str]:
    """A repository whose list breaks on its second page (after giving out token page-1): the world,
    to change or read, and its OAI-PMH URL."""
    world = World()
    world.oai_pages = three_pages(broken_middle=True)
    return world, serve(world).url + "/oai"


def oai_asked(world: World) -> list[dict[str, list[str]]]:
    return [q for _p, q, _h in world.requests("/oai")]


def test_a_list_stopped_half_way_continues_from_its_saved_token(
    settings: Settings, pipeline: Pipeline, serve: Callable[[World], FixtureServer]
) -> None:
    world, url = broken_list(serve)
    state = HarvestState(pipeline.catalogue)
    first = run(pipeline, "partner", "oai", url, set="nbsap")
    assert first.stopped is not None and "invalid OAI-PMH" in first.stopped
    assert pipeline.catalogue.get("oai:p:1") is not None and first.counts.created == 1
    saved = state.resumption("partner")
    assert saved is not None and saved.token == "page-1" and saved.first_date == "2026-12-02T10:00:00Z"
    assert state.source("partner").high_water is None  # type: ignore[union-attr]
    listing = chm(settings, "sources", "list").stdout
    assert f"list stopped at {saved.saved_at}: the next run continues from resumptionToken 'page-1'" in listing

    # the repository is fixed: the next run asks for page-1 first, not the list's beginning
    world.log.clear()
    world.oai_pages = three_pages()
    second = run(pipeline, "partner", "oai", url, set="nbsap")
    assert second.stopped is None and reasons(pipeline, second) == []
    assert oai_asked(world) == [
        {"verb": ["ListRecords"], "resumptionToken": ["page-1"]},
        {"verb": ["ListRecords"], "resumptionToken": ["page-2"]},
    ]
    assert (second.counts.created, second.counts.unchanged) == (2, 0)
    assert second.notes == ["continuing the list stopped at " + saved.saved_at + " from its resumptionToken 'page-1'"]
    # the mark is the first response's date of the whole list (the first run's), the token forgotten
    assert state.source("partner").high_water == "2026-12-02"  # type: ignore[union-attr]
    assert state.resumption("partner") is None
    assert sorted(r.id for r in pipeline.catalogue.iter_records()) == ["oai:p:1", "oai:p:2", "oai:p:3"]
    assert "resumptionToken" not in chm(settings, "sources", "list").stdout


def test_a_refused_token_starts_the_list_again_from_its_date(
    pipeline: Pipeline, serve: Callable[[World], FixtureServer]
) -> None:
    world, url = broken_list(serve)
    state = HarvestState(pipeline.catalogue)
    run(pipeline, "partner", "oai", url, **{"from": "2026-10-01"})
    assert state.resumption("partner") is not None
    # the repository has forgotten its tokens (restarted, expired): page-1 is badResumptionToken
    world.log.clear()
    records = [
        oai_record("oai:p:1", "2026-11-02", {"en": "Forest plan"}),
        oai_record("oai:p:2", "2026-11-03", {"en": "Wetlands report"}),
        oai_record("oai:p:3", "2026-11-04", {"en": "Coral reefs"}),
    ]
    world.oai_pages = [oai_page("2026-12-03T09:00:00Z", records, None, 3)]  # one page: no page-1 any more
    again = run(pipeline, "partner", "oai", url, **{"from": "2026-10-01"})
    assert again.stopped is None and reasons(pipeline, again) == []
    assert oai_asked(world) == [
        {"verb": ["ListRecords"], "resumptionToken": ["page-1"]},
        {"verb": ["ListRecords"], "metadataPrefix": ["oai_dc"], "from": ["2026-10-01"]},
    ]
    continuing, note = again.notes
    assert continuing.startswith("continuing the list stopped at ")
    assert note.startswith(
        "the repository refused the saved resumptionToken 'page-1' (OAI-PMH error badResumptionToken"
    )
    assert note.endswith("starting the list again (prefix oai_dc, from 2026-10-01)")
    assert (again.counts.created, again.counts.unchanged) == (2, 1)  # the stopped run's record costs nothing
    assert state.resumption("partner") is None
    assert state.source("partner").high_water == "2026-12-03"  # type: ignore[union-attr]


def test_a_token_saved_for_another_request_is_not_used(
    pipeline: Pipeline, serve: Callable[[World], FixtureServer]
) -> None:
    world, url = broken_list(serve)
    run(pipeline, "partner", "oai", url, set="nbsap")
    world.log.clear()
    world.oai_pages = three_pages()
    other = run(pipeline, "partner", "oai", url, set="reports")
    assert oai_asked(world)[0] == {"verb": ["ListRecords"], "metadataPrefix": ["oai_dc"], "set": ["reports"]}
    assert other.notes == [
        "the saved resumptionToken 'page-1' continues another request (prefix oai_dc, set nbsap); "
        "starting the list again (prefix oai_dc, set reports)"
    ]
    assert HarvestState(pipeline.catalogue).resumption("partner") is None


def test_a_killed_oai_harvest_continues_from_its_token(
    settings: Settings, serve: Callable[[World], FixtureServer]
) -> None:
    world = World()
    world.oai_pages = three_pages()
    world.oai_slow = {2: 60.0}  # the last page: the run is killed waiting for it
    server = serve(world)
    args = ["harvest", "oai", server.url + "/oai", "--name", "partner", "--rate", "200", "--timeout", "120"]
    process = subprocess.Popen(
        [*CLI, *args], env=environment(settings), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    while not any(q.get("resumptionToken") == ["page-2"] for q in oai_asked(world)):
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    catalogue = Catalogue(settings.catalogue_dsn)
    assert sorted(r.id for r in catalogue.iter_records()) == ["oai:p:1", "oai:p:2"]
    world.log.clear()
    world.oai_slow = {}
    result = chm(settings, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "continuing the list stopped at " in result.stdout and "resumptionToken 'page-2'" in result.stdout
    assert oai_asked(world) == [{"verb": ["ListRecords"], "resumptionToken": ["page-2"]}]
    assert sorted(r.id for r in catalogue.iter_records()) == ["oai:p:1", "oai:p:2", "oai:p:3"]
    backend = get_backend(settings)
    try:
        assert backend.count() == 3  # one document per record: nothing twice
    finally:
        backend.close()
    assert HarvestState(catalogue).source("partner").high_water == "2026-12-02"  # type: ignore[union-attr]
