"""Index versions behind one alias: create, swap, retire, drop, written for a real cluster.

Versions are ``<alias>-v<timestamp>``. Reads go through the alias; a rebuild fills a new version
and moves the alias in one atomic ``_aliases`` call. What a real node taught:

- deletes name each index: a wildcard delete is refused where ``action.destructive_requires_name``
  is on (Elasticsearch's default since 8.0);
- admin writes are not re-sent by the transport; after a timeout we look at what the cluster
  holds: a create that timed out but succeeded is found by the token it carries in ``_meta``
  (never duplicated), an alias move is checked by reading the alias back;
- alias removals carry ``must_exist: false``, so an alias that moved meanwhile does not fail
  the whole request;
- the version an alias leaves is retired (marked in ``_meta``), not deleted: a search or a
  cursor's point in time that resolved the alias a moment before can finish; retired versions
  are dropped once older than the grace period, by the next rebuild or ``prune``.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from search_index.base import IndexUnavailable
from search_index.elastic.clients import ApiFailure, EngineClient, Unreachable, encode_json
from search_index.elastic.mapping import MAPPING_VERSION, index_mappings, index_settings

VERSION_DIGITS = 20  # YYYYmmddHHMMSSffffff
# Longer than a point in time is kept alive between two pages, and than any search takes.
RETIRED_GRACE_SECONDS = 600.0


class IndexVersions:
    """The versions of one alias on one engine."""

    def __init__(self, client: EngineClient, alias: str, languages: Sequence[str], where: str) -> None:
        self.client = client
        self.alias = alias
        self.languages = list(languages)
        self.where = where
        self._version_re = re.compile(rf"^{re.escape(alias)}-v\d{{{VERSION_DIGITS}}}$")

    def check(self, version: str) -> str:
        """Never let a name reach a delete or an alias action unless it is one of our versions."""
        if not self._version_re.match(version):
            raise ValueError(f"{version!r} is not a version of index {self.alias!r}")
        return version

    # -- reading ---------------------------------------------------------------------------

    def alias_targets(self) -> list[str]:
        """The indices the alias points at (normally one), oldest first."""
        try:
            answer = self.client.request("GET", f"/_alias/{self.alias}")
        except ApiFailure as exc:
            if exc.status == 404:
                return []
            raise
        return sorted(answer)

    def names(self) -> list[str]:
        """Every version, oldest first (``_cat/indices``: the same on both engines)."""
        answer = self.client.request(
            "GET", f"/_cat/indices/{self.alias}-v*", params={"format": "json", "h": "index", "expand_wildcards": "all"}
        )
        return sorted(str(row["index"]) for row in answer if self._version_re.match(str(row.get("index", ""))))

    def exists(self, index: str) -> bool:
        try:
            self.client.request("HEAD", f"/{index}")
        except ApiFailure as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def meta(self, version: str) -> dict[str, Any]:
        """The ``_meta`` block of a version's mapping (``{}`` if it is gone)."""
        try:
            answer = self.client.request("GET", f"/{version}/_mapping")
        except ApiFailure as exc:
            if exc.status == 404:
                return {}
            raise
        meta = answer.get(version, {}).get("mappings", {}).get("_meta", {})
        return dict(meta) if isinstance(meta, dict) else {}

    def check_compatible(self, version: str) -> None:
        """Refuse to write to an index another version of the project made."""
        made_by = self.meta(version).get("chm_search_mapping")
        if made_by != MAPPING_VERSION:
            raise IndexUnavailable(
                f"index {version} on {self.where} was made by another version of chm-search (mapping "
                f"{made_by!r}, this one writes {MAPPING_VERSION}); rebuild the index: chm-search index rebuild"
            )

    # -- writing ---------------------------------------------------------------------------

    def _next_name(self, existing: Sequence[str]) -> str:
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
        name = f"{self.alias}-v{stamp}"
        if existing and name <= existing[-1]:
            # The clock went back or two versions were created within a microsecond: keep the
            # names unique and in creation order.
            number = int(existing[-1].rsplit("-v", 1)[1]) + 1
            name = f"{self.alias}-v{number:0{VERSION_DIGITS}d}"
        return name

    def create(self) -> str:
        existing = self.names()
        for _ in range(5):
            version = self._next_name(existing)
            token = uuid.uuid4().hex
            mappings = index_mappings(self.languages)
            mappings["_meta"] = {**mappings["_meta"], "created_by": token}
            body = encode_json({"settings": index_settings(), "mappings": mappings})
            try:
                self.client.request("PUT", f"/{version}", body=body, admin=True)
            except ApiFailure as exc:
                if exc.error_type == "resource_already_exists_exception":
                    if self.meta(version).get("created_by") == token:
                        return version  # our own create, answered late
                    existing = [*existing, version]
                    continue
                raise
            except Unreachable as exc:
                if not exc.timeout:
                    raise
                # The create may have succeeded after the answer timed out: look before retrying.
                if self.meta(version).get("created_by") == token:
                    return version
                existing = [*existing, version]
                continue
            return version
        raise IndexUnavailable(f"could not find a free index version name for {self.alias!r} on {self.where}")

    def point_alias_at(self, version: str) -> None:
        """Move the alias to ``version`` in one atomic call; checked by reading it back."""
        self.check(version)
        actions: list[dict[str, Any]] = [
            {"remove": {"index": old, "alias": self.alias, "must_exist": False}}
            for old in self.alias_targets()
            if old != version
        ]
        actions.append({"add": {"index": version, "alias": self.alias}})
        try:
            self.client.request("POST", "/_aliases", body=encode_json({"actions": actions}), admin=True)
        except Unreachable as exc:
            if not exc.timeout or self.alias_targets() != [version]:
                raise
        for old in actions[:-1]:
            self.retire(str(old["remove"]["index"]))

    def withdraw(self, version: str) -> None:
        """Take ``version`` from behind the alias (a concurrent first version lost the race)."""
        action = {"remove": {"index": self.check(version), "alias": self.alias, "must_exist": False}}
        self.client.request("POST", "/_aliases", body=encode_json({"actions": [action]}), admin=True)

    def retire(self, version: str) -> None:
        """Mark a version the alias left, so it is dropped after the grace period."""
        body = encode_json({"_meta": {**self.meta(version), "retired_at": time.time()}})
        try:
            self.client.request("PUT", f"/{self.check(version)}/_mapping", body=body, admin=True)
        except ApiFailure as exc:
            if exc.status != 404:
                raise

    def prune(self, grace_seconds: float = RETIRED_GRACE_SECONDS) -> list[str]:
        """Drop retired versions older than the grace period; the names dropped."""
        live = set(self.alias_targets())
        dropped: list[str] = []
        now = time.time()
        for version in self.names():
            if version in live:
                continue
            retired_at = self.meta(version).get("retired_at")
            if isinstance(retired_at, int | float) and now - retired_at >= grace_seconds:
                self.drop(version)
                dropped.append(version)
        return dropped

    def drop(self, version: str) -> None:
        self.check(version)
        if version in self.alias_targets():
            raise ValueError(f"{version!r} is the version the alias {self.alias!r} points at; swap first")
        try:
            self.client.request("DELETE", f"/{version}", admin=True)
        except ApiFailure as exc:
            if exc.status != 404:  # already gone is what we wanted
                raise

    def destroy(self) -> None:
        """Delete every version by name (deleting an index removes it from the alias too)."""
        for version in self.names():
            try:
                self.client.request("DELETE", f"/{version}", admin=True)
            except ApiFailure as exc:
                if exc.status != 404:
                    raise
