"""Relevance: does /api/v1/search find what a reader means, whatever language the query and the page are in?

    python bench/relevance.py                                  # Tantivy, the working tree
    python bench/relevance.py --baseline 3d2b6bf               # ... and the same set on an older commit
    python bench/relevance.py --engine opensearch [--es-url URL] [--baseline REF]
    python bench/relevance.py --json > relevance.json          # machine-readable, per query and page

The judged set lives in ``bench/data/relevance/`` (see its README): hand-written records in the
clearing-houses' JSON format, with one, several or all six language versions, and judged
queries in the six languages (words from a version, short labels, acronyms, names, document
symbols, unique identifiers, typos, unaccented and article-less forms, words split between
title and summary), each with the records a reader typing it wants (grade 2: what the query is
about; grade 1: also wanted).

How a run goes: the records are ingested with the project's own pipeline (as
``tests/api/conftest.py`` does) into a fresh catalogue and index, then every query is sent to
``GET /api/v1/search`` (FastAPI's TestClient over ``search_api.app.create_app``) once per page
language (``lang``), taking the first 30 results. Query translation models are hidden (an empty
``CHM_MODELS_DIR``), so the figures measure the engine, the analysis and the vocabulary, and
do not change with what a machine has installed. Each run happens in a child process whose
``sys.path`` starts with the source tree under test: the working tree, and with ``--baseline REF``
that commit checked out with ``git worktree add`` into a temporary directory (removed afterwards),
over the same engine (for OpenSearch, one node started with ``devservers.opensearch`` unless
``--es-url`` names one; each run uses, then deletes, an index of its own). An old API that cannot
run the set (a missing module, a parameter it refuses) is reported as such, not as zeros.

What is reported (recall@10: the share of a query's relevant records in its first 10 results;
nDCG@10 with gains 2^grade - 1), each as before -> after with a baseline:

- a 6x6 table of recall@10 and one of nDCG@10: query language (rows) x page language (columns),
  each cell the mean over that language's queries;
- "query language = record's": for the relevant records that have a version in the query's
  language, recall@10 with the page in the query's language (target >= 0.95), and with the page
  in each of the five other languages (target >= 0.95: the page language decides how results
  are shown, not what is found);
- the relevant records with no version in the query's language (reachable only through the
  vocabulary, names and identifiers, or translation), and the records with all six versions;
- unaccented (and Russian e for yo) and article-less Arabic queries: their recall@10 as a ratio of
  their exact forms' (target >= 0.95 each); Arabic spelling variants and typos likewise, no target;
- recall@10 by kind of query, and how many queries get a different ``total`` on different pages
  (the issue: one text, one total, whatever the page language);
- the queries that miss a relevant record on some page, with the rank it was found at (within the
  first 30) or the total that left it out.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import inspect
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data" / "relevance"
LANGUAGES: tuple[str, ...] = ("ar", "en", "es", "fr", "ru", "zh")
K = 10
FETCH = 30  # results asked for per search: recall is at K, the rest tells how far a miss ranked
TARGET = 0.95
WORKER_TIMEOUT = 1800

Judged = dict[str, Any]


# -- the judged set -------------------------------------------------------------------------------


def load_records(path: Path) -> dict[str, set[str]]:
    """Record id -> the languages it has a version in (keys of its language maps)."""
    records: dict[str, set[str]] = {}
    for file in sorted(path.rglob("*.json")):
        for doc in json.loads(file.read_text(encoding="utf-8")):
            langs: set[str] = set()
            for key, value in doc.items():
                if key != "header" and isinstance(value, dict) and value and all(k in LANGUAGES for k in value):
                    langs.update(value)
            identifier = doc["header"]["identifier"]
            if identifier in records:
                raise SystemExit(f"{file}: record {identifier} twice")
            records[identifier] = langs
    return records


def load_queries(path: Path, records: dict[str, set[str]]) -> list[Judged]:
    """The judged queries, checked: known languages, records and exact forms, unique ids."""
    queries: list[Judged] = json.loads(path.read_text(encoding="utf-8"))
    ids = {q["id"] for q in queries}
    if len(ids) != len(queries):
        raise SystemExit(f"{path}: query ids are not unique")
    for q in queries:
        problems = []
        if q["lang"] not in LANGUAGES:
            problems.append(f"language {q['lang']!r}")
        problems += [f"unknown record {r}" for r in q["relevant"] if r not in records]
        problems += [f"grade {g} of {r}" for r, g in q["relevant"].items() if g not in (1, 2)]
        if "exact" in q and q["exact"] not in ids:
            problems.append(f"unknown exact form {q['exact']}")
        if not q["relevant"]:
            problems.append("no relevant record")
        if problems:
            raise SystemExit(f"{path}: query {q['id']}: {', '.join(problems)}")
    return queries


# -- one run (in a child process, over one source tree) -------------------------------------------


def worker(args: argparse.Namespace) -> int:
    """Ingest the records with the source tree's own pipeline, run every query on every page."""
    source = Path(args.worker).resolve()
    # The tree under test first; not this script's directory (bench/ingest.py would hide ``ingest``).
    here = Path(__file__).resolve().parent
    sys.path[:] = [str(source), *(p for p in sys.path if p and Path(p).resolve() != here)]
    os.chdir(source)
    out: dict[str, Any] = {"source": str(source)}
    try:
        out.update(_run(source, args))
    except Exception as exc:  # the old code may lack a module, refuse a parameter, fail to ingest
        import traceback

        out["error"] = f"{type(exc).__name__}: {exc}"
        out["traceback"] = traceback.format_exc(limit=6)
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    return 0


def _run(source: Path, args: argparse.Namespace) -> dict[str, Any]:
    import warnings

    warnings.filterwarnings("ignore")
    from fastapi.testclient import TestClient

    import search_api
    from analyzers.detect import LanguageDetector
    from ingest.pipeline import Pipeline
    from ingest.sources.files import read_path
    from record_catalogue.settings import load_settings
    from record_catalogue.store import Catalogue
    from search_api.app import create_app
    from search_index.factory import get_backend

    loaded_from = Path(search_api.__file__).resolve()
    if source not in loaded_from.parents:
        raise RuntimeError(f"search_api was imported from {loaded_from}, not from the tree under test")

    work = Path(tempfile.mkdtemp(prefix="chm-relevance-"))
    overrides: dict[str, Any] = {
        "data_dir": work / "data",
        "index_name": f"chm-relevance-{uuid.uuid4().hex[:10]}",
        "rate_limit_anonymous": 1_000_000_000,
        "rate_limit_key": 1_000_000_000,
    }
    if args.es_url:
        overrides.update(es_url=args.es_url, es_flavour="opensearch")
    settings = load_settings(**overrides)
    catalogue = Catalogue(settings.catalogue_dsn)
    backend = get_backend(settings)
    result: dict[str, Any] = {}
    try:
        started = time.perf_counter()
        extra: dict[str, Any] = {}
        if "tagger" in inspect.signature(Pipeline).parameters:  # older trees tag no entities
            extra["tagger"] = importlib.import_module("ingest.tagging").RecordTagger(settings.languages)
        report = Pipeline(catalogue, backend, LanguageDetector(), settings.languages, **extra).run(
            read_path(Path(args.records))
        )
        catalogue.close()
        result["ingest_seconds"] = round(time.perf_counter() - started, 1)
        result["ingested"] = {"indexed": report.indexed, "errors": report.errors}
        if report.errors:
            raise RuntimeError(f"ingest reported {report.errors} error(s)")
        queries = json.loads(Path(args.queries).read_text(encoding="utf-8"))
        searches: dict[str, dict[str, Any]] = {}
        refused: dict[str, int] = defaultdict(int)
        started = time.perf_counter()
        with TestClient(create_app(settings)) as client:
            for q in queries:
                for page in LANGUAGES:
                    response = client.get("/api/v1/search", params={"q": q["q"], "lang": page, "size": FETCH})
                    entry: dict[str, Any] = {"status": response.status_code}
                    if response.status_code == 200:
                        body = response.json()
                        entry["ids"] = [hit["id"] for hit in body["results"]]
                        entry["total"] = body["total"]
                        understood = body.get("interpretation")
                        if understood and page == q["lang"]:
                            entry["query_language"] = understood.get("query_language")
                            entry["expansions"] = [
                                f"{e['typed']} -> {e['concept']}" for e in understood.get("expansions", [])
                            ]
                    else:
                        refused[f"{response.status_code} {response.text[:200]}"] += 1
                    searches[f"{q['id']}|{page}"] = entry
        result["search_seconds"] = round(time.perf_counter() - started, 1)
        result["searches"] = searches
        result["refused"] = dict(refused)
    finally:
        if settings.es_url:
            with contextlib.suppress(Exception):
                backend.destroy()
        with contextlib.suppress(Exception):
            backend.close()
        shutil.rmtree(work, ignore_errors=True)
    return result


def run_tree(source: Path, args: argparse.Namespace, es_url: str | None, label: str) -> dict[str, Any]:
    """One run in a child process; its raw answers, or an ``error``."""
    print(f"[{label}] ingesting and searching with {source} ...", file=sys.stderr, flush=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHM_") and k != "PYTHONPATH"}
    with tempfile.TemporaryDirectory(prefix="chm-relevance-") as tmp:
        models = Path(tmp) / "no-models"
        models.mkdir()
        env["CHM_MODELS_DIR"] = env["ARGOS_PACKAGES_DIR"] = str(models)  # the latter for --baseline commits
        out = Path(tmp) / "out.json"
        argv = [sys.executable, str(Path(__file__).resolve()), "--worker", str(source), "--out", str(out)]
        argv += ["--records", str(Path(args.records).resolve()), "--queries", str(Path(args.queries).resolve())]
        if es_url:
            argv += ["--es-url", es_url]
        started = time.perf_counter()
        try:
            done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=WORKER_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            return {"error": f"no answer within {WORKER_TIMEOUT} s"}
        if not out.exists():
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-8:])
            return {"error": f"the run exited with status {done.returncode}", "traceback": tail}
        result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    seconds = time.perf_counter() - started
    if "error" in result:
        print(f"[{label}] could not run: {result['error']}", file=sys.stderr, flush=True)
    else:
        print(
            f"[{label}] done in {seconds:.0f} s (ingest {result['ingest_seconds']} s, "
            f"{len(result['searches'])} searches {result['search_seconds']} s)",
            file=sys.stderr,
            flush=True,
        )
    return result


# -- metrics --------------------------------------------------------------------------------------


def recall(ids: Sequence[str], relevant: Sequence[str]) -> float:
    top = set(ids[:K])
    return sum(1 for r in relevant if r in top) / len(relevant)


def ndcg(ids: Sequence[str], grades: dict[str, int]) -> float:
    dcg = sum((2 ** grades.get(i, 0) - 1) / math.log2(rank + 2) for rank, i in enumerate(ids[:K]))
    ideal = sorted(grades.values(), reverse=True)[:K]
    best = sum((2**g - 1) / math.log2(rank + 2) for rank, g in enumerate(ideal))
    return dcg / best if best else 0.0


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


class Scored:
    """One run's answers scored against the judgements."""

    def __init__(self, run: dict[str, Any], queries: list[Judged], records: dict[str, set[str]]) -> None:
        self.run = run
        self.queries = queries
        self.records = records
        self.by_id = {q["id"]: q for q in queries}

    def ids(self, q: Judged, page: str) -> list[str] | None:
        entry = self.run["searches"].get(f"{q['id']}|{page}", {})
        return entry.get("ids") if entry.get("status") == 200 else None

    def recall(self, q: Judged, page: str, subset: Sequence[str] | None = None) -> float | None:
        ids = self.ids(q, page)
        relevant = list(q["relevant"]) if subset is None else list(subset)
        if ids is None or not relevant:
            return None
        return recall(ids, relevant)

    def ndcg(self, q: Judged, page: str) -> float | None:
        ids = self.ids(q, page)
        return None if ids is None else ndcg(ids, q["relevant"])

    def cell(self, metric: str, lang: str, page: str) -> float | None:
        values = [
            v
            for q in self.queries
            if q["lang"] == lang
            and (v := (self.recall(q, page) if metric == "recall" else self.ndcg(q, page))) is not None
        ]
        return mean(values)

    def restricted(self, which: str, pages: str) -> float | None:
        """Mean recall@10 over the relevant records that have (``same``), lack (``other``) a version
        in the query's language, or have all six (``six``); pages: ``same`` as the query's, ``other``
        the five others, ``all``."""
        values: list[float] = []
        for q in self.queries:
            if which == "same":
                subset = [r for r in q["relevant"] if q["lang"] in self.records[r]]
            elif which == "other":
                subset = [r for r in q["relevant"] if q["lang"] not in self.records[r]]
            else:
                subset = [r for r in q["relevant"] if len(self.records[r]) == len(LANGUAGES)]
            if not subset:
                continue
            for page in LANGUAGES:
                if (pages == "same" and page != q["lang"]) or (pages == "other" and page == q["lang"]):
                    continue
                value = self.recall(q, page, subset)
                if value is not None:
                    values.append(value)
        return mean(values)

    def kind(self, kind: str) -> tuple[float | None, int]:
        chosen = [q for q in self.queries if kind in q["kind"]]
        values = [v for q in chosen for p in LANGUAGES if (v := self.recall(q, p)) is not None]
        return mean(values), len(chosen)

    def ratio(self, kind: str) -> tuple[float | None, float | None, float | None, int]:
        """Variants of ``kind`` against their exact forms: (variant recall, exact recall, ratio, n)."""
        variant: list[float] = []
        exact: list[float] = []
        chosen = [q for q in self.queries if kind in q["kind"] and "exact" in q]
        for q in chosen:
            for page in LANGUAGES:
                v, e = self.recall(q, page), self.recall(self.by_id[q["exact"]], page)
                if v is not None and e is not None:
                    variant.append(v)
                    exact.append(e)
        if not exact:
            return None, None, None, len(chosen)
        total_exact = sum(exact)
        ratio = sum(variant) / total_exact if total_exact else None
        return mean(variant), mean(exact), ratio, len(chosen)

    def total_varies(self) -> list[str]:
        """Queries whose ``total`` differs between page languages."""
        varying = []
        for q in self.queries:
            totals = {self.run["searches"].get(f"{q['id']}|{p}", {}).get("total") for p in LANGUAGES}
            if len(totals) > 1:
                varying.append(q["id"])
        return varying

    def misses(self) -> list[dict[str, Any]]:
        """Per query: each relevant record missing from the first 10 on some page, where it was."""
        found: list[dict[str, Any]] = []
        for q in self.queries:
            missing: dict[str, dict[str, str]] = {}
            for page in LANGUAGES:
                entry = self.run["searches"].get(f"{q['id']}|{page}", {})
                ids = entry.get("ids")
                for r in q["relevant"]:
                    if ids is None:
                        missing.setdefault(r, {})[page] = f"HTTP {entry.get('status')}"
                    elif r not in ids[:K]:
                        where = f"rank {ids.index(r) + 1}" if r in ids else f"not matched (total {entry.get('total')})"
                        missing.setdefault(r, {})[page] = where
            if missing:
                same = self.run["searches"].get(f"{q['id']}|{q['lang']}", {})
                found.append(
                    {
                        "query": q["id"],
                        "q": q["q"],
                        "lang": q["lang"],
                        "kind": q["kind"],
                        "missing": {
                            r: {"languages": sorted(self.records[r]), "grade": q["relevant"][r], "pages": pages}
                            for r, pages in missing.items()
                        },
                        "query_language": same.get("query_language"),
                        "expansions": same.get("expansions"),
                    }
                )
        return found

    def summary(self) -> dict[str, Any]:
        kinds = sorted({k for q in self.queries for k in q["kind"]})
        variants = {k: self.ratio(k) for k in ("unaccented", "article-less", "ar-spelling", "typo")}
        return {
            "recall": {lang: {page: self.cell("recall", lang, page) for page in LANGUAGES} for lang in LANGUAGES},
            "ndcg": {lang: {page: self.cell("ndcg", lang, page) for page in LANGUAGES} for lang in LANGUAGES},
            "all": {
                "recall": mean([v for q in self.queries for p in LANGUAGES if (v := self.recall(q, p)) is not None]),
                "ndcg": mean([v for q in self.queries for p in LANGUAGES if (v := self.ndcg(q, p)) is not None]),
            },
            "same_language_same_page": self.restricted("same", "same"),
            "same_language_other_page": self.restricted("same", "other"),
            "other_language_all_pages": self.restricted("other", "all"),
            "six_language_records_all_pages": self.restricted("six", "all"),
            "variants": {
                k: {"recall": v[0], "exact_recall": v[1], "ratio": v[2], "queries": v[3]} for k, v in variants.items()
            },
            "kinds": {k: {"recall": v[0], "queries": v[1]} for k in kinds for v in [self.kind(k)]},
            "total_varies": self.total_varies(),
            "refused": self.run.get("refused", {}),
        }


# -- output ---------------------------------------------------------------------------------------


def fmt(value: float | None) -> str:
    return "  -  " if value is None else f"{value:.2f}"


def pair(before: float | None, after: float | None, with_before: bool) -> str:
    return f"{fmt(before)} → {fmt(after)}" if with_before else fmt(after)


def verdict(value: float | None) -> str:
    return "" if value is None else ("PASS" if value >= TARGET else "FAIL")


def print_report(meta: dict[str, Any], after: dict[str, Any], before: dict[str, Any] | None) -> None:
    both = before is not None
    print(f"Relevance benchmark: {meta['records']} records, {meta['queries']} queries x 6 page languages")
    print(f"engine: {meta['engine']}; after: {meta['after']}")
    if meta.get("baseline"):
        print(f"before: {meta['baseline']}" + (f" -- could not run: {meta['baseline_error']}" if not both else ""))
    print("translation models: none (query translation off); recall and nDCG at 10")
    for metric, title in (("recall", "recall@10"), ("ndcg", "nDCG@10")):
        print(f"\n{title}{' (before → after)' if both else ''}: query language (rows) x page language (columns)")
        width = 14 if both else 6
        print("      " + "".join(f"{page:>{width}}" for page in LANGUAGES))
        for lang in LANGUAGES:
            cells = [
                pair(before[metric][lang][page] if before else None, after[metric][lang][page], both)
                for page in LANGUAGES
            ]
            print(f"  {lang}  " + "".join(f"{c:>{width}}" for c in cells))
    b: dict[str, Any] = before or {}

    def line(label: str, old: float | None, new: float | None, target: bool = False) -> None:
        goal = f">= {TARGET} {verdict(new)}" if target else ""
        print(f"  {label:<62} {pair(old, new, both):>14}   {goal}".rstrip())

    print("\nrecall@10" + (" (before → after)" if both else ""))
    line("all queries, all pages", b.get("all", {}).get("recall"), after["all"]["recall"])
    line("nDCG@10, all queries, all pages", b.get("all", {}).get("ndcg"), after["all"]["ndcg"])
    for key, label, target in (
        ("same_language_same_page", "query language = record's, page in the query's language", True),
        ("same_language_other_page", "query language = record's, page in another language", True),
        ("other_language_all_pages", "record has no version in the query's language, all pages", False),
        ("six_language_records_all_pages", "records with all six versions, all pages", False),
    ):
        line(label, b.get(key), after[key], target)
    for kind, label, target in (
        ("unaccented", "unaccented (and е for ё) / exact form", True),
        ("article-less", "Arabic without the article / exact form", True),
        ("ar-spelling", "Arabic alef without hamza / exact form", False),
        ("typo", "typos (one edit, 5+ letters) / exact form", False),
    ):
        v = after["variants"][kind]
        bv = b.get("variants", {}).get(kind, {})
        line(f"{label} ({v['queries']} queries)", bv.get("ratio"), v["ratio"], target)
        variant, exact = (
            pair(bv.get("recall"), v["recall"], both),
            pair(bv.get("exact_recall"), v["exact_recall"], both),
        )
        print(f"      recall {variant} vs exact forms {exact}")
    print("\nrecall@10 by kind of query, all pages" + (" (before → after)" if both else ""))
    for kind, v in after["kinds"].items():
        bv = b.get("kinds", {}).get(kind, {})
        print(f"  {kind + ' (' + str(v['queries']) + ')':<24} {pair(bv.get('recall'), v['recall'], both):>14}")
    varies = after["total_varies"]
    bvaries = b.get("total_varies")
    print(
        "\nqueries whose total depends on the page language: "
        + (f"{len(bvaries)} → " if bvaries is not None else "")
        + f"{len(varies)}"
        + (f" ({', '.join(varies)})" if varies else "")
    )
    for label, run in (("before", before), ("after", after)):
        if run and run["refused"]:
            print(f"{label}: refused searches: {run['refused']}")


def print_misses(misses: list[dict[str, Any]], limit: int) -> None:
    print(f"\nqueries missing a relevant record from the first {K} on some page (after): {len(misses)}")
    for m in misses[:limit]:
        head = f"  {m['query']} [{m['lang']}, {'/'.join(m['kind'])}] {m['q']!r}"
        extra = []
        if m.get("query_language"):
            extra.append(f"detected {m['query_language']}")
        if m.get("expansions"):
            extra.append("vocabulary: " + "; ".join(m["expansions"]))
        print(head + (f"  ({', '.join(extra)})" if extra else ""))
        for record, info in m["missing"].items():
            pages = info["pages"]
            shown = sorted(set(pages.values()))
            where = (
                f"all pages: {shown[0]}"
                if len(pages) == len(LANGUAGES) and len(shown) == 1
                else ", ".join(f"{p}: {w}" for p, w in sorted(pages.items()))
            )
            print(f"      {record} ({'+'.join(info['languages'])}, grade {info['grade']}): {where}")
    if len(misses) > limit:
        print(f"  ... {len(misses) - limit} more (--misses N, or --json)")


# -- orchestration --------------------------------------------------------------------------------


def git(*argv: str) -> str:
    return subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()


def describe_working_tree() -> str:
    head = git("log", "-1", "--format=%h %s")
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return f"working tree at {head[:80]}" + (" + uncommitted changes" if dirty else "")


@contextlib.contextmanager
def worktree(ref: str) -> Iterator[tuple[Path, str]]:
    """``ref`` checked out (detached) in a temporary directory, removed afterwards."""
    commit = git("rev-parse", "--verify", f"{ref}^{{commit}}")
    described = git("log", "-1", "--format=%h %s", commit)[:80]
    base = Path(tempfile.mkdtemp(prefix="chm-relevance-baseline-"))
    path = base / "src"
    git("worktree", "add", "--detach", str(path), commit)
    try:
        yield path, described
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            git("worktree", "remove", "--force", str(path))
        shutil.rmtree(base, ignore_errors=True)
        with contextlib.suppress(subprocess.CalledProcessError):
            git("worktree", "prune")


@contextlib.contextmanager
def engine(args: argparse.Namespace) -> Iterator[str | None]:
    """The OpenSearch URL the runs use (a node started here unless --es-url), or None for Tantivy."""
    if args.engine == "tantivy":
        yield None
        return
    if args.es_url:
        yield args.es_url
        return
    sys.path.insert(0, str(ROOT))
    from devservers.opensearch import start_cluster

    with tempfile.TemporaryDirectory(prefix="chm-relevance-os-") as tmp:
        print("starting an OpenSearch node ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        with start_cluster(Path(tmp), nodes=1) as cluster:
            print(f"OpenSearch up in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
            yield cluster.url


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("tantivy", "opensearch"), default="tantivy")
    parser.add_argument("--es-url", help="an OpenSearch node to use instead of starting one")
    parser.add_argument("--baseline", metavar="REF", help="also run the set on this commit (git worktree)")
    parser.add_argument("--json", action="store_true", help="print JSON (summary, per-query misses, raw answers)")
    parser.add_argument("--misses", type=int, default=60, metavar="N", help="list at most N queries with misses")
    parser.add_argument("--records", default=str(DATA / "records"), help=argparse.SUPPRESS)
    parser.add_argument("--queries", default=str(DATA / "queries.json"), help=argparse.SUPPRESS)
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # internal: run in this source tree
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)

    records = load_records(Path(args.records))
    queries = load_queries(Path(args.queries), records)
    meta: dict[str, Any] = {
        "engine": args.engine,
        "records": len(records),
        "queries": len(queries),
        "pages": list(LANGUAGES),
        "k": K,
        "after": describe_working_tree(),
    }
    before_run: dict[str, Any] | None = None
    with engine(args) as es_url:
        after_run = run_tree(ROOT, args, es_url, "after")
        if args.baseline:
            with worktree(args.baseline) as (path, described):
                meta["baseline"] = described
                before_run = run_tree(path, args, es_url, "before")
    if "error" in after_run:
        print(f"the working tree could not run the set: {after_run['error']}\n{after_run.get('traceback', '')}")
        return 1
    after = Scored(after_run, queries, records)
    before = Scored(before_run, queries, records) if before_run and "error" not in before_run else None
    if before_run and "error" in before_run:
        meta["baseline_error"] = before_run["error"]
    summary_after = after.summary()
    summary_before = before.summary() if before else None
    misses = after.misses()
    if args.json:
        payload = {
            "meta": meta,
            "after": summary_after,
            "before": summary_before,
            "misses_after": misses,
            "misses_before": before.misses() if before else None,
            "raw": {"after": after_run, "before": before_run},
        }
        print(json.dumps(payload, ensure_ascii=False, indent=1))
        return 0
    print_report(meta, summary_after, summary_before)
    print_misses(misses, args.misses)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
