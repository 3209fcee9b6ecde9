"""API keys: created once and shown once, stored only as a SHA-256 hash, revocable, with a role.

Keys are 32 random bytes, so a fast hash is enough (no password-style stretching needed): the
hash cannot be reversed and a leaked database does not leak keys.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from record_catalogue.models import ApiKey, AuditEntry, utcnow
from record_catalogue.store import Catalogue

ROLES: tuple[str, ...] = ("partner", "ingest", "curator", "translator", "admin")
KEY_PREFIX = "chm_"


class KeyProblem(ValueError):
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

    def has_role(self, role: str) -> bool:
        """``admin`` may do everything; otherwise the role must match."""
        return self.role == role or self.role == "admin"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _info(row: ApiKey) -> KeyInfo:
    return KeyInfo(row.name, row.role, row.prefix, row.rate_limit, row.created_at, row.revoked_at, row.last_used_at)


class KeyStore:
    """Key operations on the catalogue."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    def create(self, name: str, role: str, rate_limit: int | None = None, actor: str = "cli") -> str:
        """A new key for ``name`` with ``role``; the returned key is never stored or shown again."""
        if role not in ROLES:
            raise KeyProblem(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
        if not name.strip():
            raise KeyProblem("a key needs a name (who or what uses it)")
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        try:
            with self.catalogue.sessions.begin() as session:
                session.add(
                    ApiKey(name=name.strip(), role=role, key_hash=hash_key(key), prefix=key[:10], rate_limit=rate_limit)
                )
                session.add(AuditEntry(actor=actor, action="key.created", detail={"name": name, "role": role}))
        except IntegrityError:
            raise KeyProblem(f"a key named {name!r} exists already; revoke it or choose another name") from None
        return key

    def verify(self, key: str) -> KeyInfo | None:
        """The key's details if it is valid and not revoked, else None."""
        with self.catalogue.sessions() as session:
            row = session.scalars(select(ApiKey).where(ApiKey.key_hash == hash_key(key))).first()
            if row is None or row.revoked_at is not None:
                return None
            return _info(row)

    def touch(self, name: str) -> None:
        """Remember when a key was last used (cheap, best effort)."""
        with self.catalogue.sessions.begin() as session:
            session.execute(update(ApiKey).where(ApiKey.name == name).values(last_used_at=utcnow()))

    def list(self) -> list[KeyInfo]:
        with self.catalogue.sessions() as session:
            return [_info(row) for row in session.scalars(select(ApiKey).order_by(ApiKey.created_at))]

    def revoke(self, name: str, actor: str = "cli") -> None:
        with self.catalogue.sessions.begin() as session:
            row = session.scalars(select(ApiKey).where(ApiKey.name == name)).first()
            if row is None:
                raise KeyProblem(f"no key named {name!r}")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
                session.add(AuditEntry(actor=actor, action="key.revoked", detail={"name": name}))
