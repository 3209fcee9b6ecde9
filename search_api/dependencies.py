"""The routes' dependencies as typed aliases: ``services: ServicesDep``, ``key: CuratorKey``.

One definition each, so that a route says what it needs in its signature's types and every
route asking for a curator asks in the same way (``require_role`` admits ``admin`` too).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from record_catalogue.keys import KeyInfo
from search_api.auth import require_role
from search_api.services import Services, get_services

ServicesDep = Annotated[Services, Depends(get_services)]
"""The app's services (catalogue, backend, detector, vocabulary …)."""

CuratorKey = Annotated[KeyInfo, Depends(require_role("curator"))]
"""The caller's key, which must have role ``curator`` (or ``admin``): 401 without one, 403 otherwise."""

IngestKey = Annotated[KeyInfo, Depends(require_role("ingest"))]
"""The caller's key, which must have role ``ingest`` (or ``admin``)."""
