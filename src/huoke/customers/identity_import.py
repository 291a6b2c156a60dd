"""Identity rows and ONE_ID for a chunk of imported profiles: keep each unit's keys, resolve shared ones."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from huoke.customers.resolution import resolve
from huoke.customers.store import CustomerRow, IdentityRow
from huoke.platform.bulk import insert_rows

Keys = list[tuple[str, str, str]]  # kind, blind index, masked: the keys one unit's row carries now
IDENTITY_COLUMNS = ("one_id", "origin_one_id", "kind", "value_bidx", "masked", "detached", "created_at")


def key_values(changed: dict[str, Keys]) -> set[str]:
    """Every blind-index value the changed units carry."""
    return {bidx for keys in changed.values() for _, bidx, _ in keys}


def sync_identities(session: Session, changed: dict[str, Keys], updated: set[str], now: datetime) -> None:
    """Make each unit's own identity rows exactly its row's keys (a changed phone replaces the old one).
    Units created in this chunk have no identity rows yet and own themselves: only ``updated`` ones are read."""
    stored: dict[str, dict[tuple[str, str], int]] = {u: {} for u in changed}
    owners: dict[str, str] = {}
    if updated:
        owners = _owners(session, updated)
        query = select(IdentityRow.id, IdentityRow.origin_one_id, IdentityRow.kind, IdentityRow.value_bidx)
        for ident_id, origin, kind, bidx in session.execute(query.where(IdentityRow.origin_one_id.in_(updated))):
            stored[origin][(kind, bidx)] = ident_id
        stale = [i for u in updated for k, i in stored[u].items() if k not in {(a, b) for a, b, _ in changed[u]}]
        if stale:
            session.execute(delete(IdentityRow).where(IdentityRow.id.in_(stale)))
    fresh = [
        (owners.get(u, u), u, kind, bidx, shown, False, now)
        for u, keys in changed.items()
        for kind, bidx, shown in keys
        if (kind, bidx) not in stored[u]
    ]
    insert_rows(session, IdentityRow.__table__, IDENTITY_COLUMNS, fresh)


def _owners(session: Session, units: set[str]) -> dict[str, str]:
    query = select(CustomerRow.one_id, CustomerRow.merged_into).where(CustomerRow.one_id.in_(units))
    return {one_id: merged_into or one_id for one_id, merged_into in session.execute(query)}


def resolve_shared(session: Session, changed: dict[str, Keys], outside: set[str], *, now: datetime, actor: str) -> None:
    """Run ONE_ID only where a key is shared with another unit, in this chunk or (``outside``) in the store:
    the common case costs nothing beyond the one lookup that found ``outside``."""
    counts = Counter(bidx for keys in changed.values() for _, bidx, _ in keys)
    shared_inside = {bidx for bidx, n in counts.items() if n > 1}
    if not shared_inside and not outside:
        return
    # the component search expands from these seeds through shared keys to the changed units themselves
    seeds = {u for u, keys in changed.items() if any(b in shared_inside for _, b, _ in keys)} | outside
    resolve(session, seeds, now=now, actor=actor)
