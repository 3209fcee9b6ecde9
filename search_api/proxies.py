"""Who the client is: the peer's address, or what a trusted proxy says it forwarded for.

Per-IP rate limits (anonymous callers, failed keys) key on the client address, so a client must
not be able to choose it: ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed only from the
proxies listed in ``CHM_TRUSTED_PROXIES`` (none by default; ``chm-search serve`` also turns off
uvicorn's own handling, which trusts loopback). Behind a chain of trusted proxies the client is
the last address in ``X-Forwarded-For`` that is not itself one of them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from search_api.asgi import ASGIApp, Receive, Scope, Send, header

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


class TrustedProxies:
    """The configured proxy networks, and the client they make of a request's addresses."""

    def __init__(self, entries: Sequence[str]) -> None:
        self.networks: list[Network] = [ipaddress.ip_network(entry, strict=False) for entry in entries]

    def trusts(self, host: str) -> bool:
        address = _address(host)
        return address is not None and any(address in network for network in self.networks)

    def client(self, peer: str, forwarded_for: str | None) -> str:
        """The client's address: ``peer`` unless a trusted proxy forwarded the request."""
        if not self.networks or forwarded_for is None or not self.trusts(peer):
            return peer
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        for hop in reversed(hops):
            if _address(hop) is None:
                return peer  # garbage in the header: believe nothing of it
            if not self.trusts(hop):
                return hop
        return hops[0] if hops else peer


class ProxyHeadersMiddleware:
    """Rewrites the scope's client (and scheme) from forwarding headers of trusted proxies only."""

    def __init__(self, app: ASGIApp, trusted: Sequence[str]) -> None:
        self.app = app
        self.proxies = TrustedProxies(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.proxies.networks and scope.get("client"):
            peer, port = scope["client"]
            if self.proxies.trusts(peer):
                client = self.proxies.client(peer, header(scope, b"x-forwarded-for"))
                scope["client"] = (client, port if client == peer else 0)
                proto = (header(scope, b"x-forwarded-proto") or "").strip().lower()
                if proto in ("http", "https"):
                    scope["scheme"] = proto
        await self.app(scope, receive, send)
