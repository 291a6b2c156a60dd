"""A fingerprint of the customer tables, so the lake's snapshots of them are rewritten only after a change."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huoke.customers.store import CustomerRow, HoldingRow, OrgUnitRow


def snapshot_fingerprint(session: Session) -> int:
    """A number that changes whenever a profile, holding or org unit is added, changed or removed.

    Every write to these tables sets ``updated_at`` (and a removal changes the count), so count, highest id and
    newest ``updated_at`` per table identify the state the snapshots were taken from.
    """
    parts: list[tuple[Any, ...]] = [
        tuple(session.execute(select(func.count(), func.max(table.id), func.max(table.updated_at))).one())
        for table in (CustomerRow, HoldingRow)
    ]
    parts.append(tuple(session.execute(select(func.count(), func.max(OrgUnitRow.updated_at))).one()))
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    return int(digest[:15], 16)
