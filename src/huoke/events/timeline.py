"""A customer's timeline: recent live events and transactions from the store merged with lake history.

Newest first. Items of every identity unit ONE_ID merged into the profile are included (an anonymous device's
browsing shows up once the person logged in). A row already exported to the lake is shown once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huoke.customers import service as customers
from huoke.events.model import TXN_TYPES
from huoke.events.store import EventRow, TransactionRow
from huoke.platform.runtime import Runtime

MAX_LIMIT = 1000


@dataclass(frozen=True)
class TimelineQuery:
    one_id: str
    types: frozenset[str] = frozenset()
    since: datetime | None = None
    limit: int = 50

    def wants_events(self) -> bool:
        return not self.types or any(t not in TXN_TYPES for t in self.types)

    def wants_transactions(self) -> bool:
        return not self.types or any(t in TXN_TYPES for t in self.types)


# History from the lake: (units, query) -> entries in the same shape, newest first.
HistoryReader = Callable[[Sequence[str], TimelineQuery], list[dict[str, Any]]]


def timeline(runtime: Runtime, query: TimelineQuery, history: HistoryReader | None = None) -> dict[str, Any]:
    """The profile's newest items (live window and lake history), at most ``query.limit``."""
    zone = runtime.settings.zone
    with runtime.uow() as uow:
        profile = customers.profile_of(uow.session, query.one_id)
        units = customers.profile_units(uow.session, profile)
        live = _live(uow.session, units, query, zone)
    older = history(units, query) if history is not None else []
    entries = merge_newest([live, older], query.limit)
    return {"one_id": profile, "units": units, "entries": entries}


def merge_newest(sources: Iterable[list[dict[str, Any]]], limit: int) -> list[dict[str, Any]]:
    """Newest first, each (kind, id) once — the first source wins (the live store over the lake)."""
    seen: set[tuple[str, str]] = set()
    merged: list[dict[str, Any]] = []
    for entry in sorted((e for s in sources for e in s), key=lambda e: e["_at"], reverse=True):
        ident = (entry["kind"], entry["id"])
        if ident not in seen:
            seen.add(ident)
            merged.append({k: v for k, v in entry.items() if k != "_at"})
    return merged[:limit]


def _live(session: Session, units: Sequence[str], query: TimelineQuery, zone: tzinfo) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    if query.wants_events():
        entries += [event_entry(r, zone, "live") for r in _newest(session, EventRow, EventRow.type, units, query)]
    if query.wants_transactions():
        rows = _newest(session, TransactionRow, TransactionRow.txn_type, units, query)
        entries += [txn_entry(r, zone, "live") for r in rows]
    return entries


def _newest(session: Session, entity: Any, kind: Any, units: Sequence[str], query: TimelineQuery) -> list[Any]:
    """The units' newest rows of ENTITY (events or transactions), filtered by KIND and time as asked."""
    statement = select(entity).where(entity.one_id.in_(list(units)))
    if query.types:
        statement = statement.where(kind.in_(sorted(query.types)))
    if query.since is not None:
        statement = statement.where(entity.occurred_at >= query.since)
    return list(session.scalars(statement.order_by(entity.occurred_at.desc()).limit(query.limit)))


def event_entry(row: Any, zone: tzinfo, source: str) -> dict[str, Any]:
    """A timeline entry for an event (a store row or a lake record with the same field names)."""
    return {
        "_at": row.occurred_at,
        "kind": "event",
        "id": row.event_id,
        "type": row.type,
        "occurred_at": row.occurred_at.astimezone(zone).isoformat(),
        "channel": row.channel,
        "properties": row.properties,
        "source": source,
    }


def txn_entry(row: Any, zone: tzinfo, source: str) -> dict[str, Any]:
    """A timeline entry for a transaction; the amount in yuan as text with two decimals."""
    return {
        "_at": row.occurred_at,
        "kind": "transaction",
        "id": row.txn_id,
        "type": row.txn_type,
        "occurred_at": row.occurred_at.astimezone(zone).isoformat(),
        "channel": row.channel,
        "amount": str((Decimal(row.amount_fen) / 100).quantize(Decimal("0.01"))),
        "direction": row.direction,
        "mcc": row.mcc,
        "merchant": row.merchant,
        "product_code": row.product_code,
        "source": source,
    }
