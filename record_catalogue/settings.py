"""All settings in one place, read from ``CHM_*`` environment variables and validated at start.

A bad value stops the program with a message naming the setting, rather than failing later in
some stage that happens to read it.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from record_catalogue.errors import ConfigurationError
from record_catalogue.languages import UN_LANGUAGES, known_languages
from record_catalogue.logs import LogFormat, LogLevel


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Runtime configuration; every field is overridable by ``CHM_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="CHM_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Holds the SQLite catalogue and the embedded index.")
    catalogue_url: str | None = Field(
        default=None, description="SQLAlchemy URL of the catalogue; default: SQLite in data_dir."
    )
    es_url: str | None = Field(
        default=None, description="Elasticsearch 9 or OpenSearch node(s), comma-separated; selects that backend."
    )
    es_flavour: Literal["auto", "elasticsearch", "opensearch"] = Field(
        default="auto", description="Which engine CHM_ES_URL names; auto asks the node."
    )
    es_username: str | None = None
    es_password: str | None = None
    es_api_key: str | None = None
    es_ca_certs: Path | None = None
    es_verify_certs: bool = True
    index_name: str = Field(default="chm-records", pattern=r"^[a-z0-9][a-z0-9_\-]{0,60}$")
    languages: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(UN_LANGUAGES))
    default_language: str = "en"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int | None = Field(
        default=None,
        ge=1,
        description="API processes `serve` runs (uvicorn workers); default: the cores this process may use.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["*"])
    rate_limit_anonymous: int = Field(default=120, ge=1, description="Requests per minute per IP without a key.")
    rate_limit_key: int = Field(default=1200, ge=1, description="Requests per minute per key (unless the key says).")
    rate_limit_failed_keys: int = Field(
        default=10, ge=1, description="Requests with an invalid X-API-Key per minute per IP before 429."
    )
    api_busy_timeout: float = Field(
        default=5.0,
        ge=0.0,
        le=60.0,
        description="Seconds an API request waits for another writer's catalogue or index lock; then 503 (CLI: 30).",
    )
    # The HTTP service's exposure: who may speak for the client, and the URL the public sees.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses or networks (CIDR) whose X-Forwarded-For / -Proto are believed; default none.",
    )
    public_url: str | None = Field(
        default=None, description="The service's public base URL (links, /opensearch.xml); default http://host:port/."
    )
    cursor_secret: SecretStr | None = Field(
        default=None,
        description="HMAC key signing search cursors; default: generated once into data_dir/cursor.key.",
    )
    cursor_max_age_seconds: int = Field(default=86_400, ge=60, description="A cursor older than this is refused.")
    # Limits, checked before any work is done on a request (README: "Limits").
    max_body_bytes: int = Field(default=65_536, ge=1024, description="Request body of any route not listed below.")
    max_detect_body_bytes: int = Field(default=2_097_152, ge=1024, description="Body of POST /detect.")
    max_push_body_bytes: int = Field(default=16_777_216, ge=1024, description="Body of POST /records.")
    max_detect_texts: int = Field(default=100, ge=1, description="Texts in one POST /detect.")
    max_detect_chars: int = Field(default=10_000, ge=1, description="Characters of one text in POST /detect.")
    max_query_chars: int = Field(default=1000, ge=10, description="Characters of a search query (q).")
    max_page_depth: int = Field(
        default=10_000, ge=100, le=10_000, description="page x size of a paged search (the engines' window)."
    )
    max_cursor_depth: int = Field(
        default=100_000, ge=100, le=1_000_000, description="Results a cursor may page through, from the first."
    )
    snippet_window_chars: int = Field(
        default=20_000, ge=1000, description="Leading characters of a stored text that snippets are cut from."
    )
    translate_batch_limit: int = Field(
        default=1000, ge=1, le=100_000, description="Texts in one LibreTranslate-compatible /translate request."
    )
    translate_char_limit: int = Field(
        default=50_000, ge=1, le=10_000_000, description="Characters in one /translate request, all texts together."
    )
    events_retention_days: int = Field(
        default=180, ge=0, le=3650, description="Days readers' events are kept; 0 records none."
    )
    # What one record or one document may cost at ingest (files, dumps and pushes alike).
    max_field_chars: int = Field(default=1_000_000, ge=1, description="Characters of one field in one language.")
    max_record_chars: int = Field(default=5_000_000, ge=1, description="Characters of all a record's text fields.")
    extract_max_pages: int = Field(default=2000, ge=1, description="Pages of one PDF.")
    extract_max_bytes: int = Field(
        default=64 * 1024 * 1024, ge=1024, description="Bytes one document may inflate to (streams, zip members)."
    )
    extract_max_seconds: float = Field(default=120.0, gt=0, description="Seconds of extraction per document.")
    extract_max_memory_mb: int = Field(default=1024, ge=128, description="Memory (MB) of one document's extraction.")
    # Machine translation (translate/): where models and the glossary live, how CTranslate2 runs,
    # how workers share the backlog. Argos' own ARGOS_* variables are set from these.
    models_dir: Path | None = Field(default=None, description="Argos packages; default: data_dir/models.")
    glossary_path: Path | None = Field(default=None, description="The glossary CSV; default: data_dir/glossary.csv.")
    argos_index_url: str = Field(
        default="https://raw.githubusercontent.com/argosopentech/argospm-index/main/index.json",
        description="The Argos package index (`chm-search models install`).",
    )
    translate_device: Literal["cpu", "cuda", "auto"] = "cpu"
    translate_compute_type: Literal[
        "default",
        "auto",
        "int8",
        "int8_float32",
        "int8_float16",
        "int8_bfloat16",
        "int16",
        "float16",
        "bfloat16",
        "float32",
    ] = "default"
    translate_inter_threads: int = Field(default=1, ge=1, le=256, description="Batches translated in parallel.")
    translate_intra_threads: int = Field(default=0, ge=0, le=256, description="Threads per batch; 0: CTranslate2's.")
    translate_batch_size: int = Field(default=32, ge=1, le=4096, description="Segments per translate_batch call.")
    translate_beam_size: int = Field(default=4, ge=1, le=16)
    translate_lease_seconds: float = Field(default=120.0, ge=2.0, description="A worker's hold on a batch.")
    translate_poll_seconds: float = Field(default=5.0, gt=0, description="--follow: the longest wait for new work.")
    export_max_rows: int = Field(
        default=10_000, ge=1, le=1_000_000, description="Rows one export of search results holds at most."
    )
    oai_repository_name: str = Field(default="chm-search: CBD clearing-houses", min_length=1, max_length=200)
    oai_admin_email: str = Field(
        default="admin@example.org",
        pattern=r"^\S+@(\S+\.)+\S+$",
        description="The OAI-PMH Identify contact (required by the protocol): set it to your own.",
    )
    oai_page_size: int = Field(default=100, ge=1, le=1000, description="Records per OAI-PMH list response.")
    log_format: LogFormat = Field(default="text", description="text, or json: one JSON object per log line.")
    log_level: LogLevel | None = Field(
        default=None, description="Default: INFO for serve (an access line per request), WARNING for other commands."
    )

    @field_validator("languages", "cors_origins", "trusted_proxies", mode="before")
    @classmethod
    def _csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("log_format", "log_level", mode="before")
    @classmethod
    def _any_case(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, str) and value:
            return value.upper() if info.field_name == "log_level" else value.lower()
        return None if value == "" else value

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: list[str]) -> list[str]:
        return known_languages(value)

    @field_validator("default_language")
    @classmethod
    def _known_default(cls, value: str) -> str:
        if value not in UN_LANGUAGES:
            raise ValueError(f"unknown language code {value!r}; known: {', '.join(UN_LANGUAGES)}")
        return value

    @field_validator("es_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        # Several nodes of one cluster, comma-separated: the client fails over between them.
        for url in value.split(","):
            parts = urlsplit(url.strip())
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"{url.strip()!r} is not an http(s) URL such as https://localhost:9200")
        return ",".join(url.strip() for url in value.split(","))

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network such as 10.0.0.0/8") from None
        return value

    @field_validator("cursor_secret")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("a cursor secret needs at least 16 characters (e.g. `openssl rand -hex 32`)")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(f"{value!r} is not an http(s) base URL such as https://search.example.org/")
        return value if value.endswith("/") else value + "/"

    @field_validator("catalogue_url")
    @classmethod
    def _sql_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        scheme = urlsplit(value).scheme
        if not (scheme.startswith("sqlite") or scheme.startswith("postgresql")):
            raise ValueError(f"{value!r} is not a sqlite:// or postgresql:// URL")
        return value

    @property
    def catalogue_dsn(self) -> str:
        """The catalogue URL, defaulting to a SQLite file inside the data directory."""
        return self.catalogue_url or f"sqlite:///{(self.data_dir / 'catalogue.sqlite3').resolve()}"

    @property
    def models_path(self) -> Path:
        """Where the Argos packages are installed (inside the data directory unless CHM_MODELS_DIR says)."""
        return self.models_dir or self.data_dir / "models"

    @property
    def base_url(self) -> str:
        """The public base URL ending in ``/``: ``public_url``, else where ``serve`` listens."""
        if self.public_url:
            return self.public_url
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    @property
    def index_dir(self) -> Path:
        """Where the embedded engine keeps its versioned index directories."""
        return self.data_dir / "index"


class SettingsError(ConfigurationError):
    """Raised with a readable message naming the ``CHM_*`` variable at fault."""


def load_settings(**overrides: object) -> Settings:
    """Read and validate settings; turn pydantic's error into one line per bad setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "?"
            problems.append(f"CHM_{name.upper()}: {err['msg']}")
        raise SettingsError("invalid settings: " + "; ".join(problems)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own with :func:`load_settings`)."""
    return load_settings()
