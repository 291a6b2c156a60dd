"""`huoke lake sync`: export live rows to the lake past a watermark, and refresh the store snapshots.

Rows are read in id order past the stream's watermark, written with a batch key naming their id range, and only
then is the watermark moved. A crash in between leaves the watermark behind; the next run writes the same range
under the same batch key, which replaces the first attempt's files — nothing is lost and nothing doubles.
Ids are handed out before commit, so a row with a lower id can commit after one with a higher id. Each run
therefore first fixes a bound: the highest id at a moment when no insert is in flight (PostgreSQL: taken under a
brief SHARE lock, which waits for inserting transactions to finish; SQLite has one writer at a time). Only rows
up to that bound are exported, so none is ever skipped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pyarrow as pa
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from huoke.customers import service as customers
from huoke.events import lake_tables
from huoke.events.store import ActivityRow, EventRow, TransactionRow
from huoke.platform.clockstate import load_clock
from huoke.platform.lake import Lake
from huoke.platform.runtime import Runtime
from huoke.platform.store import get_watermark, set_watermark

EXPORT_BATCH = 50_000
SNAPSHOT_STATE = "snapshot:customers"  # watermark: the fingerprint of the store the snapshots show
ACTIVITY_STATE = "snapshot:activity"
_STREAMS: dict[str, Any] = {lake_tables.EVENTS: EventRow, lake_tables.TRANSACTIONS: TransactionRow}


@dataclass
class SyncReport:
    exported: dict[str, int] = field(default_factory=dict)
    watermarks: dict[str, int] = field(default_factory=dict)
    snapshots: dict[str, int] = field(default_factory=dict)
    pruned: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "exported": self.exported,
            "watermarks": self.watermarks,
            "snapshots": self.snapshots,
            "pruned": self.pruned,
        }


def sync(
    runtime: Runtime, lake: Lake, *, progress: Callable[[str, int], None] | None = None, force: bool = False
) -> SyncReport:
    """Export every settled live row past its watermark, then replace the snapshot tables: the customer tables'
    only when the store changed since they were written (or ``force``), the activity figures every time."""
    report = SyncReport()
    for table, entity in _STREAMS.items():
        report.exported[table], report.watermarks[table] = _export_stream(runtime, lake, table, entity, progress)
        report.pruned[table] = _prune(runtime, entity, report.watermarks[table])
    snapshots: list[tuple[str, Callable[[Session], int], set[str], Callable[[], dict[str, pa.Table]]]] = [
        (SNAPSHOT_STATE, customers.snapshot_fingerprint, {"customers", "holdings", "org_units"},
         lambda: customers.snapshot_tables(runtime)),
        (ACTIVITY_STATE, _activity_fingerprint, {"customer_activity"},
         lambda: {"customer_activity": _activity(runtime)}),
    ]  # fmt: skip
    for state, fingerprint, names, build in snapshots:
        fresh = _changed(runtime, lake, state, fingerprint, names, force=force)
        if fresh is None:
            continue
        for name, data in build().items():
            lake.replace_snapshot(name, data)
            report.snapshots[name] = data.num_rows
        _remember(runtime, state, fresh)
    return report


def _changed(
    runtime: Runtime, lake: Lake, state: str, fingerprint: Callable[[Session], int], names: set[str], *, force: bool
) -> int | None:
    """The store's fingerprint when these snapshots must be written again; None when they are current."""
    with runtime.uow() as uow:
        now = fingerprint(uow.session)
        written = get_watermark(uow.session, state)
    present = names <= set(lake.tables())
    return now if force or not present or now != written else None


def _activity_fingerprint(session: Session) -> int:
    found = session.execute(select(func.count(), func.max(ActivityRow.updated_at))).one()
    return int(hashlib.sha256(repr(tuple(found)).encode()).hexdigest()[:15], 16)


def _remember(runtime: Runtime, name: str, value: int) -> None:
    with runtime.uow() as uow:
        set_watermark(uow.session, name, value, load_clock(uow.session).now())
        uow.commit()


def _export_stream(
    runtime: Runtime, lake: Lake, table: str, entity: Any, progress: Callable[[str, int], None] | None
) -> tuple[int, int]:
    exported = 0
    bound = _settled_bound(runtime, entity)
    while True:
        with runtime.uow() as uow:
            session = uow.session
            mark = get_watermark(session, f"lake.{table}")
            query = select(entity).where(entity.id > mark, entity.id <= bound).order_by(entity.id).limit(EXPORT_BATCH)
            rows = list(session.scalars(query))
            if not rows:
                return exported, mark
            data = lake_tables.from_rows(table, rows)
            last = rows[-1].id
            lake.append(table, data, time_column=lake_tables.TIME_COLUMN, batch_key=f"live-{mark + 1}-{last}")
            set_watermark(session, f"lake.{table}", last, load_clock(session).now())
            uow.commit()
        exported += len(rows)
        if progress is not None:
            progress(table, exported)


def _prune(runtime: Runtime, entity: Any, exported_up_to: int) -> int:
    """Remove live rows past the retention window that the lake already holds (the timeline reads them there)."""
    with runtime.uow() as uow:
        cutoff = load_clock(uow.session).now() - timedelta(days=runtime.settings.live_retention_days)
        done = uow.session.execute(delete(entity).where(entity.id <= exported_up_to, entity.received_at < cutoff))
        uow.commit()
    return int(getattr(done, "rowcount", 0) or 0)


def _settled_bound(runtime: Runtime, entity: Any) -> int:
    """The highest id below which every row has committed (or rolled back) for good."""
    with runtime.uow() as uow:
        session = uow.session
        if session.get_bind().dialect.name == "postgresql":
            name = session.get_bind().dialect.identifier_preparer.format_table(entity.__table__)
            session.execute(text(f"LOCK TABLE {name} IN SHARE MODE"))
        bound = session.scalar(select(func.max(entity.id))) or 0
        uow.commit()  # releases the lock at once
    return int(bound)


_ACTIVITY_SCHEMA = pa.schema(
    [
        ("one_id", pa.string()),
        *((name, lake_tables.TIMESTAMP) for name in ("first_seen_at", "last_seen_at", "last_login_at", "last_txn_at")),
        *((name, pa.int64()) for name in ("events_total", "txns_total", "debit_fen_total", "credit_fen_total")),
        ("updated_at", lake_tables.TIMESTAMP),
    ]
)


def _activity(runtime: Runtime) -> pa.Table:
    names = _ACTIVITY_SCHEMA.names
    with runtime.uow() as uow:
        rows = uow.session.execute(select(*(getattr(ActivityRow, n) for n in names))).all()
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return pa.table({n: list(c) for n, c in zip(names, columns, strict=True)}, schema=_ACTIVITY_SCHEMA)
