"""Bulk loads with refreshes off, and the index's own settings put back however the load ends.

Why: with the default ``refresh_interval`` (1 s) a node makes a new searchable segment every
second of a long load, and merges them later. Measured on one OpenSearch node, 500-document
chunks sent a second apart cost the node 1.43 ms of CPU a record, 0.28 ms with
``refresh_interval: -1`` (README, Figures). A load therefore turns refreshes off and refreshes
itself where readers must see its records (the ingest pipeline every ``COMMIT_EVERY`` records
and at the end, a rebuild before its swap). A version being built, which no reader sees yet,
also gets no replica while it is filled (each document is then written once, not once per
copy); the replicas the index is meant to have are put back, and allocated, before the swap.

What is put back is what the index held before the load (``GET _settings``), on success and on
failure alike. One exception: an index found with refreshes already off was left so by another
load, still running or killed part-way; the setting it held before that load is unknown, so the
one our index settings give (none: the engine's default) is put back rather than ``-1``, which
would leave the index without refreshes for good. Loads in one process share one suspension
(counted), so concurrent pushes through one API server do not undo each other's.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from search_index.elastic.clients import ApiFailure, EngineClient, Unreachable, encode_json

REFRESH_OFF = "-1"
# Settings a load changes, as ``GET _settings?flat_settings=true`` names them.
REFRESH = "index.refresh_interval"
REPLICAS = "index.number_of_replicas"
AUTO_EXPAND = "index.auto_expand_replicas"
# How long a rebuilt version's replicas may take to be allocated before the swap goes ahead
# anyway (the cluster is then yellow, and health says so).
REPLICA_WAIT = "60s"


def read_settings(client: EngineClient, index: str, names: tuple[str, ...]) -> dict[str, str | None]:
    """The named settings of ``index`` as it holds them (None: not set, the engine's default)."""
    answer = client.request("GET", f"/{index}/_settings", params={"flat_settings": "true"})
    held: Mapping[str, Any] = answer.get(index, {}).get("settings", {}) if isinstance(answer, Mapping) else {}
    return {name: (None if held.get(name) is None else str(held[name])) for name in names}


def write_settings(client: EngineClient, index: str, values: Mapping[str, str | None]) -> None:
    """Set (None: reset to the engine's default) the named settings of ``index``."""
    client.request("PUT", f"/{index}/_settings", body=encode_json(dict(values)), admin=True)


def original(held: Mapping[str, str | None]) -> dict[str, str | None]:
    """What to put back: what was held, except a refresh left off by another load (see above)."""
    out = dict(held)
    if out.get(REFRESH) == REFRESH_OFF:
        out[REFRESH] = None
    return out


def wait_for_replicas(client: EngineClient, index: str) -> None:
    """Until every copy of ``index`` is allocated, or ``REPLICA_WAIT`` has passed (then carry on)."""
    try:
        client.request(
            "GET",
            f"/_cluster/health/{index}",
            params={"wait_for_status": "green", "timeout": REPLICA_WAIT},
            timeout=120,
        )
    except ApiFailure as exc:
        if exc.status != 408:  # timed out waiting: searches still answer from the primary
            raise


class LiveLoad:
    """A load into the version behind the alias, shared by the loads of one process.

    Refreshes are turned off only once a load has sent more than ``threshold`` documents: a push
    of a few records keeps the index as it is (two settings updates would cost more than the
    refreshes they save). Replicas are never touched here: the live index keeps its redundancy.
    """

    def __init__(self, client: EngineClient, threshold: int) -> None:
        self.client = client
        self.threshold = threshold
        self._lock = threading.Lock()
        self._depth = 0
        self._sent = 0
        self._suspended: dict[str, dict[str, str | None]] = {}  # index -> settings to put back

    def enter(self) -> None:
        with self._lock:
            self._depth += 1

    def exit(self, failed: bool) -> None:
        """The end of one load; the last one of the process puts the settings back."""
        with self._lock:
            self._depth -= 1
            if self._depth:
                return
            self._sent = 0
            suspended, self._suspended = self._suspended, {}
        restore_all(self.client, suspended, failed)

    def before_bulk(self, index: str) -> None:
        """Called before documents go to ``index``: turn its refreshes off once the load is big."""
        with self._lock:
            if not self._depth or self._sent < self.threshold or index in self._suspended:
                return
            held = read_settings(self.client, index, (REFRESH,))
            write_settings(self.client, index, {REFRESH: REFRESH_OFF})
            self._suspended[index] = original(held)

    def after_bulk(self, count: int) -> None:
        with self._lock:
            if self._depth:
                self._sent += count


def restore_all(client: EngineClient, suspended: Mapping[str, Mapping[str, str | None]], failed: bool) -> None:
    """Put each index's settings back. After a failed load, a failure to restore does not hide
    the load's own error (it is the one to act on; the next load puts the settings back)."""
    problem: Exception | None = None
    for index, values in suspended.items():
        try:
            write_settings(client, index, values)
        except ApiFailure as exc:
            if exc.status == 404:  # the index is gone (dropped by a rebuild's grace period): nothing to restore
                continue
            problem = problem or exc
        except Unreachable as exc:
            problem = problem or exc
    if problem is not None and not failed:
        raise problem


class FreshLoad:
    """Filling a version no reader sees yet: refreshes off and no replica; then its settings back
    and (after a load that succeeded) its replicas allocated, before anything swaps it in."""

    def __init__(self, client: EngineClient, version: str) -> None:
        self.client = client
        self.version = version
        self.held: dict[str, str | None] = {}

    def enter(self) -> None:
        self.held = read_settings(self.client, self.version, (REFRESH, REPLICAS, AUTO_EXPAND))
        write_settings(self.client, self.version, {AUTO_EXPAND: "false", REPLICAS: "0", REFRESH: REFRESH_OFF})

    def exit(self, failed: bool) -> None:
        restore_all(self.client, {self.version: original(self.held)}, failed)
        if not failed and (
            self.held.get(REPLICAS) not in (None, "0") or self.held.get(AUTO_EXPAND) not in (None, "false")
        ):
            wait_for_replicas(self.client, self.version)
