"""HEAD answered wherever GET is (FastAPI's routes answer 405 to it).

Link checkers, caches and monitoring probe with HEAD; they should get the headers a GET would
(status, type, length, ETag) and no body. The request is routed as a GET and the body dropped
on the way out, so no route needs to know.
"""

from __future__ import annotations

from search_api.asgi import HttpMiddleware, Message, Receive, Scope, Send


class HeadAsGet(HttpMiddleware):
    """ASGI middleware: a HEAD request is answered as its GET, without the body."""

    def handles(self, scope: Scope) -> bool:
        return bool(scope["method"] == "HEAD")

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def headers_only(message: Message) -> None:
            if message["type"] != "http.response.body":
                await send(message)
            elif not message.get("more_body", False):
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        await self.app({**scope, "method": "GET"}, receive, headers_only)
