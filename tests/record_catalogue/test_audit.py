"""The audit trail's one writer (``record_catalogue.audit``): typed action names, on both catalogues."""

from __future__ import annotations

from typing import Any, cast

import pytest

from record_catalogue.audit import AuditAction
from record_catalogue.store import Catalogue


def test_an_entry_reads_back_with_its_action_and_detail(catalogue: Catalogue) -> None:
    catalogue.audit("tester", AuditAction.RECORD_SPLIT, "REC-1", group="g-1")
    catalogue.audit("tester", AuditAction.RECORD_UNSPLIT, "REC-1")
    trail = catalogue.audit_trail("REC-1")
    assert [(e.actor, e.action, e.detail) for e in trail] == [
        ("tester", "record.split", {"group": "g-1"}),
        ("tester", "record.unsplit", {}),
    ]
    assert all(AuditAction(e.action) for e in trail)


def test_an_unknown_action_is_refused_and_nothing_is_written(catalogue: Catalogue) -> None:
    with pytest.raises(ValueError, match=r"record\.bogus"):
        catalogue.audit("tester", cast(Any, "record.bogus"), "REC-1")
    assert catalogue.audit_trail("REC-1") == []
