"""API keys: created once and shown once, stored only as a SHA-256 hash, revocable, with a role.

Keys are 32 random bytes, so a fast hash is enough (no password-style stretching needed): the
hash cannot be reversed and a leaked database does not leak keys.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from record_catalogue.audit import AuditAction, audit
from record_catalogue.codes import ROLES
from record_catalogue.db import translating_faults
from record_catalogue.errors import BadInput
from record_catalogue.models import ApiKey, plain, utcnow
from record_catalogue.store import Catalogue

KEY_PREFIX = "chm_"
# What a partner key may hold its searches to, and the form each value must have.
PRESET_VALUES: dict[str, re.Pattern[str]] = {
    "realm": re.compile(r"^(CHM|ABS|BCH)$"),
    "schema": re.compile(r"^[A-Za-z0-9]{1,100}$"),
    "government": re.compile(r"^[a-z]{2}$"),
    "original_language": re.compile(r"^([a-z]{2}|und)$"),
    "entity": re.compile(r"^[a-z\-]{1,30}:[^\s]{1,100}$"),
}
ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-]{1,253}(:[0-9]{1,5})?$")


def parse_presets(items: list[str]) -> dict[str, list[str]]:
    """``realm=ABS``-style presets as {filter: values}; a bad one is a KeyProblem naming it."""
    presets: dict[str, list[str]] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if name == "realm":
            value = value.upper()
        elif name == "government":
            value = value.lower()
        check = PRESET_VALUES.get(name)
        if not sep or check is None:
            raise KeyProblem(f"preset {item!r}: expected filter=value with filter one of {', '.join(PRESET_VALUES)}")
        if not check.match(value):
            raise KeyProblem(f"preset {item!r}: {value!r} is not a valid {name}")
        presets.setdefault(name, [])
        if value not in presets[name]:
            presets[name].append(value)
    return presets


def check_origins(origins: list[str]) -> list[str]:
    """Origins as browsers send them (scheme://host[:port], no path); a bad one is a KeyProblem."""
    for origin in origins:
        if not ORIGIN.match(origin):
            raise KeyProblem(f"origin {origin!r}: expected scheme://host[:port], e.g. https://partner.example")
    return list(dict.fromkeys(origins))


class KeyProblem(BadInput, ValueError):
    """A key operation that cannot be done (duplicate name, unknown key, bad role)."""


@dataclass(frozen=True)
class KeyInfo:
    """What may be shown about a key: never the key itself."""

    name: str
    role: str
    prefix: str
    rate_limit: int | None
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    presets: dict[str, list[str]] = field(default_factory=dict)
    origins: tuple[str, ...] = ()

    def has_role(self, role: str) -> bool:
        """``admin`` may do everything; otherwise the role must match."""
        return self.role == role or self.role == "admin"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _info(row: ApiKey) -> KeyInfo:
    return plain(KeyInfo, row, presets=dict(row.presets or {}), origins=tuple(row.origins or ()))


class KeyStore:
    """Key operations on the catalogue (the database's errors raised as the project's:
    ``db.translating_faults``; the API checks keys on every request)."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    @translating_faults
    def create(
        self,
        name: str,
        role: str,
        rate_limit: int | None = None,
        actor: str = "cli",
        presets: dict[str, list[str]] | None = None,
        origins: list[str] | None = None,
    ) -> str:
        """A new key for ``name`` with ``role``; the returned key is never stored or shown again.
        A partner key may carry ``presets`` (the server holds every search made with it to them)
        and ``origins`` (the browser origins allowed to call the API with it)."""
        if role not in ROLES:
            raise KeyProblem(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
        if (presets or origins) and role != "partner":
            raise KeyProblem("presets and origins are for partner keys (--role partner)")
        origins = check_origins(origins or [])
        if not name.strip():
            raise KeyProblem("a key needs a name (who or what uses it)")
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        try:
            with self.catalogue.sessions.begin() as session:
                session.add(
                    ApiKey(
                        name=name.strip(),
                        role=role,
                        key_hash=hash_key(key),
                        prefix=key[:10],
                        rate_limit=rate_limit,
                        presets=presets or None,
                        origins=origins or None,
                    )
                )
                detail = {"name": name, "role": role, "presets": presets or {}, "origins": origins}
                audit(session, AuditAction.KEY_CREATED, actor, detail=detail)
        except IntegrityError:
            raise KeyProblem(f"a key named {name!r} exists already; revoke it or choose another name") from None
        return key

    @translating_faults
    def verify(self, key: str) -> KeyInfo | None:
        """The key's details if it is valid and not revoked, else None."""
        with self.catalogue.sessions() as session:
            row = session.scalars(select(ApiKey).where(ApiKey.key_hash == hash_key(key))).first()
            if row is None or row.revoked_at is not None:
                return None
            return _info(row)

    @translating_faults
    def touch(self, name: str) -> None:
        """Remember when a key was last used (cheap, best effort)."""
        with self.catalogue.sessions.begin() as session:
            session.execute(update(ApiKey).where(ApiKey.name == name).values(last_used_at=utcnow()))

    @translating_faults
    def list(self) -> list[KeyInfo]:
        with self.catalogue.sessions() as session:
            return [_info(row) for row in session.scalars(select(ApiKey).order_by(ApiKey.created_at))]

    @translating_faults
    def revoke(self, name: str, actor: str = "cli") -> None:
        with self.catalogue.sessions.begin() as session:
            row = session.scalars(select(ApiKey).where(ApiKey.name == name)).first()
            if row is None:
                raise KeyProblem(f"no key named {name!r}")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
                audit(session, AuditAction.KEY_REVOKED, actor, detail={"name": name})
