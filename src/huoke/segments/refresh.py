"""Refreshing saved segments: evaluate each rule over the lake, diff against the stored members, publish changes.

The member set is computed by the query engine (no store transaction open meanwhile); then one transaction per
segment locks its row, diffs against the members stored at that moment, writes the change and its
`segment.entered` / `segment.exited` messages and a refresh record, and commits. A crash before the commit
changes nothing; a rerun diffs again, so no change is published twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import select

from huoke.events.lake_service import sync_lake
from huoke.platform.errors import InvalidInput, NotFound
from huoke.platform.query import QueryEngine, open_engine
from huoke.platform.runtime import Runtime
from huoke.platform.work import Subscriptions
from huoke.segments.compile import compile_rule
from huoke.segments.compile_tables import Tables
from huoke.segments.core import Core
from huoke.segments.definitions import Definition, load_definitions, resolved, segment_row
from huoke.segments.membership import Publication, add_members, remove_members, stored_members
from huoke.segments.model import membership_change, next_run
from huoke.segments.store import SegmentRefreshRow, SegmentRow

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]  # segment name, position (1-based), how many in all


def find_members(
    engine: QueryEngine, tree: Core, as_of: datetime, zone: tzinfo, tables: Tables | None = None
) -> list[str]:
    """The ONE_IDs of the profiles a resolved rule tree holds for at ``as_of``, over the engine's lake
    (``tables``: the engine's tables, when the caller has them already)."""
    members = compile_rule(tree, tables or Tables.from_engine(engine), as_of, zone)
    found: list[str] = engine.backend.to_pyarrow(members).column("one_id").to_pylist()
    return found


def refresh_segments(
    runtime: Runtime,
    subscriptions: Subscriptions,
    *,
    names: Sequence[str] = (),
    as_of: datetime | None = None,
    trigger: str = "manual",
    sync: bool = True,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """Refresh the named segments (all when none are named) at ``as_of`` (default now); one result each.

    With ``sync`` the lake first takes in live rows and fresh snapshots of the store (`huoke lake sync`).
    """
    when = as_of or runtime.now()
    if when.tzinfo is None:
        raise InvalidInput("the evaluation time needs a time zone", code="naive_datetime")
    with runtime.uow() as uow:
        saved = load_definitions(uow.session)
    targets = _targets(names, saved)
    if sync:
        sync_lake(runtime)
    engine = open_engine(runtime.settings)
    try:
        tables = Tables.from_engine(engine)  # one set of table expressions for every rule of this refresh
        results = []
        for position, name in enumerate(targets, start=1):
            if progress:
                progress(name, position, len(targets))
            found = find_members(engine, resolved(saved[name].tree, saved), when, runtime.settings.zone, tables)
            results.append(_store(runtime, subscriptions, saved[name], found, as_of=when, trigger=trigger))
        return results
    finally:
        engine.close()


def _targets(names: Sequence[str], saved: dict[str, Definition]) -> list[str]:
    unknown = [name for name in names if name not in saved]
    if unknown:
        raise NotFound(
            f"no saved segment is called {', '.join(map(repr, unknown))}",
            code="segment_not_found",
            details={"segments": unknown, "known": sorted(saved)[:50]},
        )
    return list(dict.fromkeys(names)) if names else sorted(saved)


def _store(
    runtime: Runtime,
    subscriptions: Subscriptions,
    definition: Definition,
    found: list[str],
    *,
    as_of: datetime,
    trigger: str,
) -> dict[str, Any]:
    now = runtime.now()
    with runtime.uow() as uow:
        session = uow.session
        row = segment_row(session, definition.name, lock=True)
        change = membership_change(stored_members(session, row.id), found)
        record = SegmentRefreshRow(
            segment_id=row.id, version=definition.version, as_of=as_of, started_at=now, trigger=trigger,
            members=len(found), entered=0, exited=0,
        )  # fmt: skip
        session.add(record)
        session.flush()
        about = Publication(row.id, row.name, definition.version, as_of, "refresh", f"refresh:{record.id}")
        record.exited = remove_members(session, subscriptions, about, change.exited, now)
        record.entered = add_members(session, subscriptions, about, change.entered, now)
        row.member_count = len(found)
        row.refreshed_at, row.refreshed_as_of = now, as_of
        result = _result(row, record)
        uow.commit()
    return result


def _result(row: SegmentRow, record: SegmentRefreshRow) -> dict[str, Any]:
    return {
        "segment": row.name,
        "version": record.version,
        "as_of": record.as_of.isoformat(),
        "count": record.members,
        "entered": record.entered,
        "exited": record.exited,
        "trigger": record.trigger,
    }


def run_scheduled(runtime: Runtime, subscriptions: Subscriptions, until: datetime) -> int:
    """Refresh every segment whose scheduled time has come by ``until``, earliest first; how many refreshes ran.

    Each runs at its scheduled time (or now, when that has passed on a real clock), then its next time is set
    from the cron expression, skipping times already past. Two workers may both run one slot: the diff makes
    the second a no-op.
    """
    done = 0
    while (due := _next_due(runtime, until)) is not None:
        name, at = due
        now = runtime.now()
        refresh_segments(runtime, subscriptions, names=[name], as_of=max(at, now), trigger="schedule")
        _advance(runtime, name, at, max(at, now))
        done += 1
    return done


def next_scheduled(runtime: Runtime, until: datetime) -> datetime | None:
    """The earliest scheduled refresh due by ``until``, if any (`huoke run --until` keeps time order with it)."""
    due = _next_due(runtime, until)
    return None if due is None else due[1]


def _next_due(runtime: Runtime, until: datetime) -> tuple[str, datetime] | None:
    with runtime.uow() as uow:
        query = (
            select(SegmentRow.name, SegmentRow.next_refresh_at)
            .where(SegmentRow.next_refresh_at.is_not(None), SegmentRow.next_refresh_at <= until)
            .order_by(SegmentRow.next_refresh_at, SegmentRow.id)
            .limit(1)
        )
        found = uow.session.execute(query).first()
    return None if found is None or found[1] is None else (found[0], found[1])


def _advance(runtime: Runtime, name: str, slot: datetime, ran_at: datetime) -> None:
    with runtime.uow() as uow:
        row = segment_row(uow.session, name, lock=True)
        if row.next_refresh_at == slot and row.schedule:  # untouched meanwhile (not rescheduled, not run by others)
            row.next_refresh_at = next_run(row.schedule, ran_at, runtime.settings.zone)
            uow.commit()
