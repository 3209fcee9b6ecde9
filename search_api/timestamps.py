"""How the API writes a time or a day: ``isoformat()`` (``2026-01-31T12:00:00+00:00``, ``2026-01-31``).

A response model declares its times as :data:`IsoDateTime` and its days as :data:`IsoDate`, so
that it can be read straight from the catalogue's rows (``model_validate(row, from_attributes=True)``)
and still write them as the API always has: pydantic's own datetime format would write ``Z`` for
UTC instead of ``+00:00``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import PlainSerializer

IsoDateTime = Annotated[datetime, PlainSerializer(datetime.isoformat, return_type=str)]
IsoDate = Annotated[date, PlainSerializer(date.isoformat, return_type=str)]
