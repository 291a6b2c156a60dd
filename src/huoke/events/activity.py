"""The `events.activity` subscriber: running activity figures per identity unit (last seen, last login, last
transaction, counts and debit/credit totals), which segments read for recency and frequency.

Runs in the worker's transaction with the item's completion, so each event or transaction counts exactly once.
One upsert per unit (per item, or per unit of a delivered batch) keeps concurrent workers safe on both
PostgreSQL and SQLite.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from huoke.events.catalogue import STANDARD_SCHEMAS
from huoke.events.model import TXN_TYPES
from huoke.events.store import ActivityRow
from huoke.platform.work import Subscriber, WorkItem

NAME = "events.activity"
TOPICS = frozenset(
    [*(f"event.{t}" for t in STANDARD_SCHEMAS), "event.*", *(f"transaction.{t}" for t in TXN_TYPES), "transaction.*"]
)


def subscriber() -> Subscriber:
    return Subscriber(NAME, TOPICS, record_activity, handle_batch=record_activities)


def record_activity(session: Session, item: WorkItem, now: datetime) -> None:
    """Fold one delivered event or transaction into its unit's activity figures."""
    _upsert(session, [_figures(item, now)])


def record_activities(session: Session, items: list[WorkItem], now: datetime) -> None:
    """``record_activity`` for a batch: the items are folded per unit first, then one upsert per unit, in
    ONE_ID order (so concurrent workers lock rows in the same order)."""
    folded: dict[str, dict[str, Any]] = {}
    for item in items:
        figures = _figures(item, now)
        known = folded.get(figures["one_id"])
        folded[figures["one_id"]] = figures if known is None else _fold(known, figures)
    _upsert(session, [folded[one_id] for one_id in sorted(folded)])


def _figures(item: WorkItem, now: datetime) -> dict[str, Any]:
    payload = item.payload
    at = datetime.fromisoformat(payload["occurred_at"])
    is_txn = item.topic.startswith("transaction.")
    return {
        "one_id": payload["one_id"],
        "first_seen_at": at,
        "last_seen_at": at,
        "last_login_at": at if payload.get("type") == "login" else None,
        "last_txn_at": at if is_txn else None,
        "events_total": 0 if is_txn else 1,
        "txns_total": 1 if is_txn else 0,
        "debit_fen_total": _fen(payload, "debit"),
        "credit_fen_total": _fen(payload, "credit"),
        "updated_at": now,
    }


def _fold(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Two sets of figures of one unit as one, the way the upsert combines them."""
    return {
        "one_id": old["one_id"],
        "first_seen_at": min(old["first_seen_at"], new["first_seen_at"]),
        "last_seen_at": max(old["last_seen_at"], new["last_seen_at"]),
        "last_login_at": _latest(old["last_login_at"], new["last_login_at"]),
        "last_txn_at": _latest(old["last_txn_at"], new["last_txn_at"]),
        **{key: old[key] + new[key] for key in ("events_total", "txns_total", "debit_fen_total", "credit_fen_total")},
        "updated_at": new["updated_at"],
    }


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    make = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = make(ActivityRow)
    new = statement.excluded
    table = ActivityRow.__table__.c
    statement = statement.on_conflict_do_update(
        index_elements=["one_id"],
        set_={
            "first_seen_at": _earlier(table.first_seen_at, new.first_seen_at),
            "last_seen_at": _later(table.last_seen_at, new.last_seen_at),
            "last_login_at": _later(table.last_login_at, new.last_login_at),
            "last_txn_at": _later(table.last_txn_at, new.last_txn_at),
            "events_total": table.events_total + new.events_total,
            "txns_total": table.txns_total + new.txns_total,
            "debit_fen_total": table.debit_fen_total + new.debit_fen_total,
            "credit_fen_total": table.credit_fen_total + new.credit_fen_total,
            "updated_at": new.updated_at,
        },
    )
    session.execute(statement, rows)


def _fen(payload: dict[str, Any], direction: str) -> int:
    return int(payload.get("amount_fen", 0)) if payload.get("direction") == direction else 0


def _later(old: Any, new: Any) -> Any:
    return case((old.is_(None), new), (new.is_(None), old), (new > old, new), else_=old)


def _earlier(old: Any, new: Any) -> Any:
    return case((new < old, new), else_=old)
