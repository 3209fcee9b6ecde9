"""Headers every response carries, and what every HTML page needs whatever route made it.

HTML routes set their own Content Security Policy (``routes/pages.py``, ``routes/docs.py``); any
HTML response without one gets the strictest, so a new route cannot forget it. Pages that may not
be framed say so twice: ``frame-ancestors`` in the policy and ``X-Frame-Options`` for browsers that
ignore it. ``/embed`` exists to be framed by any site (``frame-ancestors *``): ``X-Frame-Options``
has no value meaning "anyone", so that page alone goes without it.
"""

from __future__ import annotations

from search_api.asgi import HttpMiddleware, Message, Receive, Scope, Send

STRICT_CSP = (
    b"default-src 'none'; img-src 'self' data:; style-src 'self'; base-uri 'none'; "
    b"form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeadersMiddleware(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {bytes(k).lower(): bytes(v) for k, v in headers}
                if b"x-content-type-options" not in names:
                    headers.append((b"x-content-type-options", b"nosniff"))
                if names.get(b"content-type", b"").lower().startswith(b"text/html"):
                    csp = names.get(b"content-security-policy")
                    if csp is None:
                        csp = STRICT_CSP
                        headers.append((b"content-security-policy", csp))
                    if b"x-frame-options" not in names and b"frame-ancestors *" not in csp:
                        same = b"frame-ancestors 'self'" in csp
                        headers.append((b"x-frame-options", b"SAMEORIGIN" if same else b"DENY"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, secured)
