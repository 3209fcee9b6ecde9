"""The embedded engine behind the thinnest HTTP layer: bench/search.py's "direct over HTTP" side.

    python bench/direct_server.py --data-dir DIR --requests N --port PORT

``GET /q/<n>`` runs ``TantivyBackend.search`` of the ``n``-th query of bench/search.py's mix of
``N`` (the very ``SearchQuery`` the API builds for those parameters, made here before the
server listens) and answers ``{"total", "ids"}``. It runs on what ``chm-search serve`` runs on
(uvicorn, the same event loop and HTTP parser, the search in anyio's worker threads as FastAPI
runs a sync route), so that the benchmark's clients pay the same for both sides and the
difference between this and ``/api/v1/search`` is our application alone: FastAPI, the
middleware, parsing and widening the query, the interpretation, the response.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import anyio.to_thread  # noqa: E402
import orjson  # noqa: E402
import uvicorn  # noqa: E402

from bench.search import Queries, query_mix  # noqa: E402
from record_catalogue.settings import load_settings  # noqa: E402
from search_index.base import SearchQuery  # noqa: E402
from search_index.tantivy_backend import TantivyBackend  # noqa: E402

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def make_app(backend: TantivyBackend, queries: list[SearchQuery]) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """The ASGI app answering ``/q/<n>`` with the engine's total and ids for query ``n``."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        path = str(scope["path"])
        try:
            query = queries[int(path.rsplit("/", 1)[-1])]
        except (ValueError, IndexError):
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b"no such query"})
            return
        results = await anyio.to_thread.run_sync(backend.search, query)
        body = orjson.dumps({"total": results.total, "ids": [hit.id for hit in results.hits]})
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--requests", type=int, required=True, help="the size of bench/search.py's mix")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    data = Path(args.data_dir)
    mix = query_mix(args.requests)
    to_query = Queries(mix, load_settings(data_dir=data))
    backend = TantivyBackend(data / "index")
    app = make_app(backend, [to_query(params) for params in mix])
    try:
        uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False, server_header=False)
    finally:
        backend.close()


if __name__ == "__main__":
    main()
