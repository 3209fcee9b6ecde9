"""The thin part that differs between Elasticsearch 9 and OpenSearch: the client and its dialect.

Everything else (mappings, queries, aggregations, bulk, versions) is built once in this package
and sent as ready bytes through :meth:`EngineClient.request`, so both engines receive the very
same request bodies; a test captures them at the client boundary and compares. What differs:

- the official ``elasticsearch`` client refuses any server but Elasticsearch (it sends a
  ``compatible-with=9`` media type and checks ``X-Elastic-Product``), so OpenSearch goes through
  ``opensearch-py``;
- point in time: ``POST /<index>/_pit`` and ``DELETE /_pit {"id"}`` on Elasticsearch,
  ``POST /<index>/_search/point_in_time`` and ``DELETE /_search/point_in_time {"pit_id"}`` on
  OpenSearch (a search then names the point in time the same way on both);
- which versions the backend accepts.

Two clients per engine: reads retry on connection errors and timeouts; admin writes (create an
index, move an alias, delete) never retry at the transport level, because a re-sent write whose
first attempt succeeded fails or duplicates; the backend checks what happened instead.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypedDict, Unpack
from urllib.parse import urlsplit, urlunsplit

import orjson

from record_catalogue.errors import Cause, Unavailable
from record_catalogue.settings import Settings

Flavour = Literal["elasticsearch", "opensearch"]
FLAVOURS: tuple[Flavour, ...] = ("elasticsearch", "opensearch")

# Transport defaults: a search must answer in seconds; a bulk chunk may take longer; health must
# never hang the health endpoint.
REQUEST_TIMEOUT = 30.0
BULK_REQUEST_TIMEOUT = 120.0
HEALTH_REQUEST_TIMEOUT = 5.0
TRANSPORT_RETRIES = 3

_ES_JSON = "application/vnd.elasticsearch+json; compatible-with=9"
_ES_NDJSON = "application/vnd.elasticsearch+x-ndjson; compatible-with=9"


class EngineError(Unavailable):
    """A request the engine did not answer with success."""

    cause = Cause.SEARCH_UNAVAILABLE


class ApiFailure(EngineError):
    """The engine answered with an error status."""

    def __init__(self, status: int, body: object) -> None:
        self.status = status
        self.body = body
        super().__init__(f"{status}: {self.reason}")

    @property
    def error_type(self) -> str | None:
        """Elasticsearch's error type, e.g. ``index_not_found_exception``."""
        if isinstance(self.body, Mapping) and isinstance(self.body.get("error"), Mapping):
            return str(self.body["error"].get("type"))
        return None

    @property
    def reason(self) -> str:
        body = self.body
        if isinstance(body, Mapping):
            described = describe_error(body.get("error"))
            if described:
                return described
        if isinstance(body, str | bytes) and body:
            return " ".join((body.decode(errors="replace") if isinstance(body, bytes) else body).split())[:300]
        return f"status {self.status}"


def describe_error(error: object) -> str | None:
    """An engine's ``error`` object (of an answer, or of one bulk item) in one line:
    ``type: reason (cause)``; None when there is none."""
    if isinstance(error, Mapping):
        text = f"{error.get('type', 'error')}: {error.get('reason', '')}".strip()
        caused = error.get("caused_by")
        if isinstance(caused, Mapping) and caused.get("reason"):
            text += f" ({caused['reason']})"
        return text
    return str(error) if error else None


class Unreachable(EngineError):
    """No answer: connection refused, reset, DNS, TLS, or a timeout."""

    def __init__(self, reason: str, timeout: bool = False) -> None:
        self.reason = reason
        self.timeout = timeout
        super().__init__(reason)


def node_urls(settings: Settings) -> list[str]:
    """The nodes ``CHM_ES_URL`` names (comma-separated: the clients fail over between them)."""
    return [url.strip() for url in (settings.es_url or "").split(",") if url.strip()]


def redacted_url(url: str) -> str:
    """The URL(s) without any credentials in them, for messages."""
    if "," in url:
        return ",".join(redacted_url(part) for part in url.split(","))
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def encode_json(body: object) -> bytes:
    """One serialisation for both engines (so the bytes they receive are identical)."""
    return orjson.dumps(body)


def encode_ndjson(lines: list[Mapping[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(line) + b"\n" for line in lines)


class RequestOptions(TypedDict, total=False):
    """How one request goes out; every option may be left out."""

    params: Mapping[str, str] | None  # the query string
    body: bytes | None  # ready bytes (``encode_json``/``encode_ndjson``)
    ndjson: bool  # the body is newline-delimited JSON (bulk)
    admin: bool  # an admin write: through the client that never retries (see the module's docstring)
    timeout: float | None  # instead of the client's own


class EngineClient(abc.ABC):
    """Sends ready requests to one engine and speaks its dialect where the two differ."""

    flavour: Flavour

    @abc.abstractmethod
    def request(self, method: str, path: str, **options: Unpack[RequestOptions]) -> Any:
        """Send one request; the parsed JSON answer, or ``ApiFailure``/``Unreachable``."""

    @abc.abstractmethod
    def supported_version(self, info: Mapping[str, Any]) -> str | None:
        """Why this node (``GET /``) cannot be used, or None."""

    @abc.abstractmethod
    def open_point_in_time(self, index: str, keep_alive: str) -> str:
        """Open a point in time on ``index``; its id."""

    @abc.abstractmethod
    def close_point_in_time(self, pit_id: str) -> None:
        """Release a point in time (a missing one is not an error)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Close connections."""


def _connection_options(settings: Settings) -> dict[str, Any]:
    """Authentication and TLS options both clients take under the same names."""
    options: dict[str, Any] = {}
    if settings.es_api_key:
        options["api_key"] = settings.es_api_key
    elif settings.es_username:
        options["basic_auth"] = (settings.es_username, settings.es_password or "")
    if any(urlsplit(url).scheme == "https" for url in node_urls(settings)):
        options["verify_certs"] = settings.es_verify_certs
        if settings.es_ca_certs is not None:
            if not settings.es_ca_certs.is_file():
                # Otherwise the first request fails with a TLS error that does not name the file.
                raise ValueError(
                    f"CHM_ES_CA_CERTS names {settings.es_ca_certs}, which is not a readable file; "
                    "give the CA certificate (PEM) that signed the node's HTTP certificate"
                )
            options["ca_certs"] = str(settings.es_ca_certs)
        if not settings.es_verify_certs:
            options["ssl_show_warn"] = False
    return options


class _TransportClient(EngineClient):
    """What both adapters share: a retrying reader and a non-retrying admin client, one
    ``request`` front, the point-in-time calls and the version check, each driven by the
    flavour's dialect below; a subclass only builds its clients and sends one request."""

    product: str  # the engine's name in messages
    majors: tuple[str, ...]  # the major versions this backend accepts ...
    majors_wanted: str  # ... as a message says them
    pit_path: str  # where a point in time is opened (below the index) and closed (at the root)
    pit_id_key: str  # the id's key in the answer to the open

    _reader: Any
    _admin: Any

    def _open(self, client_class: Callable[..., Any], settings: Settings, options: dict[str, Any]) -> None:
        """The reader, which retries, and the admin client, which never does, on the same nodes."""
        url = node_urls(settings)
        self._reader = client_class(url, max_retries=TRANSPORT_RETRIES, retry_on_timeout=True, **options)
        self._admin = client_class(url, max_retries=0, retry_on_timeout=False, **options)

    def request(self, method: str, path: str, **options: Unpack[RequestOptions]) -> Any:
        return self._send(self._admin if options.get("admin") else self._reader, method, path, options)

    @abc.abstractmethod
    def _send(self, client: Any, method: str, path: str, options: RequestOptions) -> Any:
        """One request through this flavour's client, its errors as ``ApiFailure``/``Unreachable``."""

    @abc.abstractmethod
    def _pit_close_body(self, pit_id: str) -> dict[str, Any]:
        """The body that names a point in time to release."""

    def supported_version(self, info: Mapping[str, Any]) -> str | None:
        version = info.get("version", {})
        number = str(version.get("number", "?"))
        node: Flavour = "opensearch" if version.get("distribution") == "opensearch" else "elasticsearch"
        if node != self.flavour:
            return f"the node is {_PRODUCTS[node]} {number}, not {self.product}: set CHM_ES_FLAVOUR={node}"
        if number.split(".")[0] not in self.majors:
            return f"{self.product} {number}; this backend needs {self.majors_wanted}"
        return None

    def open_point_in_time(self, index: str, keep_alive: str) -> str:
        answer = self.request("POST", f"/{index}{self.pit_path}", params={"keep_alive": keep_alive})
        return str(answer[self.pit_id_key])

    def close_point_in_time(self, pit_id: str) -> None:
        try:
            self.request("DELETE", self.pit_path, body=encode_json(self._pit_close_body(pit_id)))
        except ApiFailure as exc:
            if exc.status != 404:
                raise

    def close(self) -> None:
        self._reader.close()
        self._admin.close()


class ElasticsearchClient(_TransportClient):
    """Elasticsearch 9 through the official client (its major must match the server's)."""

    flavour: Flavour = "elasticsearch"
    product = "Elasticsearch"
    majors = ("9",)
    majors_wanted = "9.x (the client's major must match the server's)"
    pit_path = "/_pit"
    pit_id_key = "id"

    def __init__(self, settings: Settings) -> None:
        from elasticsearch import Elasticsearch

        self._open(Elasticsearch, settings, {"request_timeout": REQUEST_TIMEOUT, **_connection_options(settings)})

    def _send(self, client: Any, method: str, path: str, options: RequestOptions) -> Any:
        from elastic_transport import ConnectionTimeout
        from elasticsearch import ApiError, TransportError

        params, body, timeout = dict(options.get("params") or {}), options.get("body"), options.get("timeout")
        if timeout is not None:
            client = client.options(request_timeout=timeout)
        headers = {"accept": _ES_JSON}
        if body is not None:
            headers["content-type"] = _ES_NDJSON if options.get("ndjson") else _ES_JSON
        try:
            response = client.perform_request(method, path, params=params, headers=headers, body=body)
        except ApiError as exc:
            raise ApiFailure(exc.meta.status, exc.body) from None
        except ConnectionTimeout as exc:
            raise Unreachable(_es_transport_reason(exc), timeout=True) from None
        except TransportError as exc:
            raise Unreachable(_es_transport_reason(exc)) from None
        return response.body

    def _pit_close_body(self, pit_id: str) -> dict[str, Any]:
        return {"id": pit_id}


def _es_transport_reason(exc: Exception) -> str:
    """The innermost cause of a transport error, e.g. ``[Errno 111] Connection refused``."""
    from elasticsearch import TransportError

    inner: BaseException = exc
    while isinstance(inner, TransportError) and inner.errors:
        inner = inner.errors[0]
    text = str(inner.message) if isinstance(inner, TransportError) else str(inner)
    return " ".join(text.split()) or type(inner).__name__


class OpenSearchClient(_TransportClient):
    """OpenSearch 2.x/3.x through ``opensearch-py``."""

    flavour: Flavour = "opensearch"
    product = "OpenSearch"
    majors = ("2", "3")
    majors_wanted = "2.x or 3.x"
    pit_path = "/_search/point_in_time"
    pit_id_key = "pit_id"

    def __init__(self, settings: Settings) -> None:
        from opensearchpy import OpenSearch

        # opensearch-py logs every error status at WARNING, expected 404s included; the backend
        # reports what matters itself, in one line.
        logging.getLogger("opensearch").setLevel(logging.ERROR)
        options = _connection_options(settings)
        if "basic_auth" in options:
            options["http_auth"] = options.pop("basic_auth")
        if "api_key" in options:
            options["headers"] = {"authorization": f"ApiKey {options.pop('api_key')}"}
        self._open(OpenSearch, settings, {"timeout": REQUEST_TIMEOUT, **options})

    def _send(self, client: Any, method: str, path: str, options: RequestOptions) -> Any:
        from opensearchpy.exceptions import ConnectionError as OsConnectionError
        from opensearchpy.exceptions import ConnectionTimeout, TransportError

        params, body, timeout = dict(options.get("params") or {}), options.get("body"), options.get("timeout")
        headers = {"content-type": "application/x-ndjson" if options.get("ndjson") else "application/json"}
        try:
            answer = client.transport.perform_request(
                method, path, params=params, body=body, headers=headers, timeout=timeout
            )
        except ConnectionTimeout as exc:
            raise Unreachable(_os_reason(exc), timeout=True) from None
        except OsConnectionError as exc:
            raise Unreachable(_os_reason(exc)) from None
        except TransportError as exc:
            status = exc.status_code if isinstance(exc.status_code, int) else 0
            raise ApiFailure(status, exc.info if exc.info is not None else exc.error) from None
        if method == "HEAD" and answer is False:
            # opensearch-py answers a HEAD's 404 with False instead of raising, as for every other call.
            raise ApiFailure(404, None)
        return answer

    def _pit_close_body(self, pit_id: str) -> dict[str, Any]:
        return {"pit_id": [pit_id]}


_PRODUCTS: dict[Flavour, str] = {"elasticsearch": ElasticsearchClient.product, "opensearch": OpenSearchClient.product}


def _os_reason(exc: Exception) -> str:
    info = getattr(exc, "info", None)
    inner = info if isinstance(info, BaseException) else exc
    return " ".join(str(inner).split()) or type(inner).__name__


def make_client(settings: Settings, flavour: Flavour) -> EngineClient:
    """The client for a flavour; configuration mistakes raise ``ValueError`` naming the setting."""
    try:
        if flavour == "elasticsearch":
            return ElasticsearchClient(settings)
        return OpenSearchClient(settings)
    except ImportError as exc:
        package = "elasticsearch" if flavour == "elasticsearch" else "opensearch-py"
        raise ValueError(f"the {package} package is not installed ({exc}); reinstall chm-search") from None
    except (TypeError, OSError) as exc:
        raise ValueError(f"cannot configure the {flavour} client: {exc}; check the CHM_ES_* settings") from None


def detect_flavour(settings: Settings) -> Flavour:
    """Which engine ``CHM_ES_URL`` names, from the node's own ``GET /`` answer.

    Asked through opensearch-py, which talks to both (the official Elasticsearch client refuses
    any other product).
    """
    client = OpenSearchClient(settings)
    try:
        info = client.request("GET", "/", timeout=HEALTH_REQUEST_TIMEOUT)
    finally:
        client.close()
    distribution = info.get("version", {}).get("distribution") if isinstance(info, Mapping) else None
    return "opensearch" if distribution == "opensearch" else "elasticsearch"
