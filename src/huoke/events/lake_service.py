"""Lake use cases of the events context: history loads, `huoke lake sync`, compaction, and timeline history."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from huoke.customers import service as customers
from huoke.events import catalogue, history_rules, lake_sync, lake_tables
from huoke.events.history import HistoryKind, HistorySummary, Progress, load_history
from huoke.events.service import list_event_types
from huoke.events.timeline import HistoryReader, TimelineQuery, event_entry, txn_entry
from huoke.platform.lake import Lake
from huoke.platform.runtime import Runtime

COMPACT_ORDER = ["one_id", "occurred_at"]


def history_load(
    runtime: Runtime, *, kind: HistoryKind, path: Path, errors_path: Path, progress: Progress | None = None
) -> HistorySummary:
    """Load a history file (or folder of Parquet parts) into the lake without triggering subscribers."""
    columns = customers.identity_directory(runtime)
    types = frozenset(t["name"] for t in list_event_types(runtime)) | frozenset(catalogue.STANDARD_SCHEMAS)
    directory = history_rules.Directory(
        **columns, event_types=types, blind_index=lambda n: runtime.cipher.blind_index("account_no", n)
    )
    skew = timedelta(seconds=runtime.settings.event_max_future_skew_seconds)
    lake = Lake.from_settings(runtime.settings)
    try:
        return load_history(
            lake, kind=kind, path=path, directory=directory, now=runtime.now(), max_future_skew=skew,
            errors_path=errors_path, progress=progress,
        )  # fmt: skip
    finally:
        lake.close()


def sync_lake(runtime: Runtime) -> dict[str, Any]:
    """`huoke lake sync`: live rows past the watermarks, and fresh snapshots of the store."""
    lake = Lake.from_settings(runtime.settings)
    try:
        return lake_sync.sync(runtime, lake).as_dict()
    finally:
        lake.close()


def compact_lake(runtime: Runtime) -> dict[str, Any]:
    """`huoke lake compact`: each date's small files merged and sorted by customer, so point reads skip most."""
    lake = Lake.from_settings(runtime.settings)
    try:
        done = {}
        for table in (lake_tables.EVENTS, lake_tables.TRANSACTIONS):
            if table in lake.tables():
                result = lake.compact(table, sort_by=COMPACT_ORDER)
                done[table] = {
                    "dates": result.dates,
                    "files_before": result.files_before,
                    "files_after": result.files_after,
                }
        vacuumed = lake.vacuum()
        return {"compacted": done, "vacuumed_files": vacuumed.files_removed}
    finally:
        lake.close()


def history_reader(runtime: Runtime) -> HistoryReader:
    """Timeline history from the lake: each unit's newest rows, partitions read newest first."""
    lake = Lake.from_settings(runtime.settings)
    zone = runtime.settings.zone

    def read(units: Sequence[str], query: TimelineQuery) -> list[dict[str, Any]]:
        since = query.since.astimezone(zone).date() if query.since else None
        entries: list[dict[str, Any]] = []
        for table, wanted, entry in (
            (lake_tables.EVENTS, query.wants_events(), event_entry),
            (lake_tables.TRANSACTIONS, query.wants_transactions(), txn_entry),
        ):
            if not wanted or table not in lake.tables():
                continue
            for unit in units:
                rows = lake.read_newest(table, column="one_id", value=unit, since=since, limit=_enough(query))
                entries += [entry(_Row(r), zone, "lake") for r in rows.to_pylist() if _wanted(r, query, table)]
        return entries

    return read


def _enough(query: TimelineQuery) -> int:
    return query.limit * 4 if query.types else query.limit


def _wanted(row: dict[str, Any], query: TimelineQuery, table: str) -> bool:
    kind = row["type"] if table == lake_tables.EVENTS else row["txn_type"]
    if query.types and kind not in query.types:
        return False
    return query.since is None or row["occurred_at"] >= query.since


class _Row:
    """A lake record read like a store row (properties parsed back from JSON text)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)
        if isinstance(values.get("properties"), str):
            self.properties = json.loads(values["properties"])


def erase_customer_history(runtime: Runtime, one_id: str) -> dict[str, Any]:
    """Remove a customer's rows (every identity unit of the profile) from every lake table, rewriting only the
    files that hold them; the store's own rows are left to the data-subject request that calls this."""
    with runtime.uow() as uow:
        units = customers.profile_units(uow.session, customers.profile_of(uow.session, one_id))
    lake = Lake.from_settings(runtime.settings)
    try:
        removed = {}
        for table in lake.tables():
            if "one_id" in lake.schema(table).names:
                result = lake.erase(table, column="one_id", values=units)
                removed[table] = result.rows_removed
        return {"one_id": units[0], "units": units, "rows_removed": removed}
    finally:
        lake.close()
