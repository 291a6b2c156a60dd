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

from sqlalchemy import func, select

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

    The segments due at the same time are refreshed together (one lake sync, one engine), at that time (or now,
    when it has passed on a real clock); then each one's next time is set from its cron expression, skipping
    times already past. Two workers may both run one slot: the diff makes the second a no-op.
    """
    done = 0
    while (due := _next_due(runtime, until)) is not None:
        at, names = due
        when = max(at, runtime.now())
        refresh_segments(runtime, subscriptions, names=names, as_of=when, trigger="schedule")
        for name in names:
            _advance(runtime, name, at, when)
        done += len(names)
    return done


def next_scheduled(runtime: Runtime, until: datetime) -> datetime | None:
    """The earliest scheduled refresh due by ``until``, if any (`huoke run --until` keeps time order with it)."""
    due = _next_due(runtime, until)
    return None if due is None else due[0]


def _next_due(runtime: Runtime, until: datetime) -> tuple[datetime, list[str]] | None:
    """The earliest scheduled time due by ``until`` and the segments scheduled for it."""
    with runtime.uow() as uow:
        earliest = uow.session.scalar(
            select(func.min(SegmentRow.next_refresh_at)).where(SegmentRow.next_refresh_at <= until)
        )
        if earliest is None:
            return None
        names = uow.session.scalars(
            select(SegmentRow.name).where(SegmentRow.next_refresh_at == earliest).order_by(SegmentRow.name)
        ).all()
    return earliest, list(names)


def _advance(runtime: Runtime, name: str, slot: datetime, ran_at: datetime) -> None:
    with runtime.uow() as uow:
        row = segment_row(uow.session, name, lock=True)
        if row.next_refresh_at == slot and row.schedule:  # untouched meanwhile (not rescheduled, not run by others)
            row.next_refresh_at = next_run(row.schedule, ran_at, runtime.settings.zone)
            uow.commit()
