"""The work queue's table and the statements on it. Never commits: the caller's unit of work does.

Claims are single ``UPDATE … WHERE id IN (due items) RETURNING`` statements. On PostgreSQL the due items are
selected ``FOR UPDATE SKIP LOCKED``, so many workers claim side by side without waiting on each other; on
SQLite the statement is a write from its first step, so one worker at a time holds the store's write lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    case,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from huoke.platform.db import Base, UtcDateTime

Status = Literal["ready", "done", "parked"]
READY: Status = "ready"
DONE: Status = "done"
PARKED: Status = "parked"
_ROWS_PER_INSERT = 500  # keeps every INSERT well under SQLite's limit on bound parameters


class WorkItemRow(Base):
    """One delivery of one message (topic + key + payload) to one subscriber."""

    __tablename__ = "work_items"
    __table_args__ = (
        UniqueConstraint("subscriber", "key"),
        Index("ix_work_items_claim", "status", "available_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    subscriber: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(160))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    enqueued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    available_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default=READY)
    locked_by: Mapped[str | None] = mapped_column(String(128))
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


def insert_items(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert work items, silently skipping any (subscriber, key) already queued; the number inserted."""
    dialect = session.get_bind().dialect.name
    table = cast(Table, WorkItemRow.__table__)
    if dialect == "postgresql" and _plain_insert(session, table, rows):
        return len(rows)
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # One cached statement executed with many parameter sets (insertmanyvalues batches them), not a fresh
    # multi-VALUES statement per call: compiling that dominated ingestion time.
    statement = make(table).on_conflict_do_nothing(index_elements=["subscriber", "key"]).returning(table.c.id)
    inserted = 0
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = list(rows[start : start + _ROWS_PER_INSERT])
        inserted += len(session.execute(statement, chunk).all())
    return inserted


def _plain_insert(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> bool:
    """PostgreSQL: a pipelined executemany in a savepoint (the common case: nothing queued yet under these keys);
    False if an item was already queued, and the caller inserts again skipping those."""
    try:
        with session.begin_nested():
            session.execute(table.insert(), list(rows))
    except IntegrityError:
        return False
    return True


def claim(
    session: Session, *, worker: str, due_by: datetime, lease_free_at: datetime, lease_until: datetime, limit: int
) -> list[WorkItemRow]:
    """Lease up to LIMIT ready items due by DUE_BY whose lease is free at LEASE_FREE_AT, oldest first.

    Each claim counts as an attempt, so an item whose worker keeps dying is eventually parked.
    """
    due = (
        select(WorkItemRow.id)
        .where(
            WorkItemRow.status == READY,
            WorkItemRow.available_at <= due_by,
            or_(WorkItemRow.locked_until.is_(None), WorkItemRow.locked_until <= lease_free_at),
        )
        .order_by(WorkItemRow.available_at, WorkItemRow.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("due")
    )
    statement = (
        update(WorkItemRow)
        .where(WorkItemRow.id.in_(select(due.c.id)))
        .values(locked_by=worker, locked_until=lease_until, attempts=WorkItemRow.attempts + 1)
        .returning(WorkItemRow)
        .execution_options(synchronize_session=False)
    )
    rows = list(session.scalars(statement))
    return sorted(rows, key=lambda row: (row.available_at, row.id))


def hold(session: Session, ids: Iterable[int], *, worker: str, lease_until: datetime) -> set[int]:
    """Lock the items of IDS still leased to WORKER and ready; the ids held. Others were taken over."""
    statement = (
        update(WorkItemRow)
        .where(WorkItemRow.id.in_(list(ids)), WorkItemRow.locked_by == worker, WorkItemRow.status == READY)
        .values(locked_until=lease_until)
        .returning(WorkItemRow.id)
        .execution_options(synchronize_session=False)
    )
    return set(session.scalars(statement))


def mark_done(session: Session, finished: Sequence[tuple[int, datetime]]) -> None:
    """Mark items done at their finishing instants, ending their leases."""
    if not finished:
        return
    rows = [
        {"id": item_id, "status": DONE, "finished_at": at, "locked_by": None, "locked_until": None}
        for item_id, at in finished
    ]
    session.execute(update(WorkItemRow), rows)  # an ORM bulk update by primary key: one executemany


@dataclass(frozen=True)
class Failure:
    """What a failed delivery leaves behind: the next try (or parking) and the error."""

    item_id: int
    error: str
    retry_at: datetime | None  # None: parked
    at: datetime


def record_failure(session: Session, failure: Failure) -> None:
    """Schedule the item's next try, or park it when RETRY_AT is None; the lease ends either way."""
    values: dict[str, Any] = {"last_error": failure.error, "locked_by": None, "locked_until": None}
    if failure.retry_at is None:
        values |= {"status": PARKED, "finished_at": failure.at}
    else:
        values |= {"available_at": failure.retry_at}
    statement = update(WorkItemRow).where(WorkItemRow.id == failure.item_id).values(**values)
    session.execute(statement.execution_options(synchronize_session=False))


def release(session: Session, ids: Iterable[int], *, worker: str) -> None:
    """Give claimed but unprocessed items back at once, without counting the claim as an attempt."""
    statement = (
        update(WorkItemRow)
        .where(WorkItemRow.id.in_(list(ids)), WorkItemRow.locked_by == worker, WorkItemRow.status == READY)
        .values(locked_by=None, locked_until=None, attempts=WorkItemRow.attempts - 1)
        .execution_options(synchronize_session=False)
    )
    session.execute(statement)


def requeue_parked(session: Session, *, now: datetime, subscriber: str | None) -> int:
    """Make parked items (of one SUBSCRIBER, or all) ready now with a fresh attempt count; how many."""
    statement = (
        update(WorkItemRow)
        .where(WorkItemRow.status == PARKED)
        .values(status=READY, attempts=0, available_at=now, finished_at=None, locked_by=None, locked_until=None)
        .returning(WorkItemRow.id)
        .execution_options(synchronize_session=False)
    )
    if subscriber is not None:
        statement = statement.where(WorkItemRow.subscriber == subscriber)
    return len(session.scalars(statement).all())


def purge_done(session: Session, *, before: datetime) -> int:
    """Delete done items finished before BEFORE; how many."""
    statement = delete(WorkItemRow).where(WorkItemRow.status == DONE, WorkItemRow.finished_at < before)
    return len(session.scalars(statement.returning(WorkItemRow.id)).all())


def counts(session: Session, *, now: datetime) -> list[tuple[str, str, bool, bool, int]]:
    """(subscriber, status, leased, due, count) groups: leased = under a live lease, due = ready and due."""
    flags = select(
        WorkItemRow.subscriber,
        WorkItemRow.status,
        case((WorkItemRow.locked_until > now, 1), else_=0).label("leased"),
        case(((WorkItemRow.status == READY) & (WorkItemRow.available_at <= now), 1), else_=0).label("due"),
    ).subquery()
    columns = (flags.c.subscriber, flags.c.status, flags.c.leased, flags.c.due)
    statement = select(*columns, func.count()).group_by(*columns)
    return [(r[0], r[1], bool(r[2]), bool(r[3]), int(r[4])) for r in session.execute(statement)]


def oldest_due(session: Session, *, now: datetime) -> datetime | None:
    statement = select(func.min(WorkItemRow.available_at)).where(
        WorkItemRow.status == READY, WorkItemRow.available_at <= now
    )
    value: datetime | None = session.scalar(statement)
    return value


def parked_items(session: Session, *, limit: int) -> list[WorkItemRow]:
    statement = (
        select(WorkItemRow)
        .where(WorkItemRow.status == PARKED)
        .order_by(WorkItemRow.finished_at.desc(), WorkItemRow.id.desc())
        .limit(limit)
    )
    return list(session.scalars(statement))


def has_subscriber(session: Session, subscriber: str) -> bool:
    return session.scalar(select(WorkItemRow.id).where(WorkItemRow.subscriber == subscriber).limit(1)) is not None
