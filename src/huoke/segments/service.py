"""Saved segments' use cases: create, update, list, show, preview, members and export (refresh: ``refresh``).

Each use case owns its transaction. Rules are checked against the catalogues before anything is saved; an
update that changes the rule or the schedule makes a new version, kept with every earlier one.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from huoke.customers import service as customers
from huoke.events.lake_service import sync_lake
from huoke.platform.errors import Conflict
from huoke.platform.query import open_engine
from huoke.platform.runtime import Runtime
from huoke.segments import definitions as defs
from huoke.segments import tag_store
from huoke.segments.customer_view import change_tag as change_tag  # noqa: PLC0414 - re-exported for journeys
from huoke.segments.customer_view import customer_facts as customer_facts  # noqa: PLC0414
from huoke.segments.customer_view import is_member as is_member  # noqa: PLC0414
from huoke.segments.customer_view import member_ids as member_ids  # noqa: PLC0414
from huoke.segments.membership import stored_members
from huoke.segments.model import check_name, check_schedule, next_run, realtime_capable
from huoke.segments.preview import preview_tree
from huoke.segments.store import SegmentMemberRow, SegmentRow, SegmentVersionRow
from huoke.segments.tag_service import load_thresholds

_UNSET: Any = object()


def known_tags(runtime: Runtime, session: Session) -> set[str]:
    """Every tag a rule may name: the computed tags (with the configured tiers) and rule and manual tags."""
    computed = load_thresholds(runtime.settings).computed_names()
    return set(computed) | {row.name for row in tag_store.definitions(session)}


def create_segment(
    runtime: Runtime,
    *,
    name: str,
    rule: Any,
    description: str | None = None,
    schedule: str | None = None,
) -> dict[str, Any]:
    """Save a new segment at version 1; Conflict when the name is taken. Members appear at its first refresh."""
    check_name(name)
    schedule = check_schedule(schedule)
    document = _document(rule)
    now = runtime.now()
    with runtime.uow() as uow:
        session = uow.session
        saved = defs.load_definitions(session)
        if name in saved:
            raise Conflict(f"a segment called {name!r} exists already; update it instead", code="segment_exists")
        defs.checked_tree(session, name, document, saved, known_tags(runtime, session))
        row = SegmentRow(
            name=name, description=description, version=1, rule=document, schedule=schedule, realtime=False,
            created_at=now, updated_at=now, member_count=0,
            next_refresh_at=next_run(schedule, now, runtime.settings.zone) if schedule else None,
        )  # fmt: skip
        session.add(row)
        session.flush()
        session.add(SegmentVersionRow(segment_id=row.id, version=1, rule=document, schedule=schedule, created_at=now))
        _mark_realtime(session, runtime.settings.live_retention_days)
        result = describe(row)
        uow.commit()
    return result


def update_segment(
    runtime: Runtime,
    *,
    name: str,
    rule: Any = _UNSET,
    description: Any = _UNSET,
    schedule: Any = _UNSET,
) -> dict[str, Any]:
    """Change a segment's rule, description or schedule (None clears them); a new rule or schedule is a new
    version. Members stay until the next refresh, which publishes the difference under the new version."""
    now = runtime.now()
    with runtime.uow() as uow:
        session = uow.session
        row = defs.segment_row(session, name, lock=True)
        changed = False
        if rule is not _UNSET:
            document = _document(rule)
            defs.checked_tree(session, name, document, defs.load_definitions(session), known_tags(runtime, session))
            changed |= document != row.rule
            row.rule = document
        if schedule is not _UNSET:
            schedule = check_schedule(schedule)
            changed |= schedule != row.schedule
            row.schedule = schedule
            row.next_refresh_at = next_run(schedule, now, runtime.settings.zone) if schedule else None
        if description is not _UNSET:
            row.description = description
        if changed:
            row.version += 1
            session.add(SegmentVersionRow(segment_id=row.id, version=row.version, rule=row.rule,
                                          schedule=row.schedule, created_at=now))  # fmt: skip
        row.updated_at = now
        session.flush()
        _mark_realtime(session, runtime.settings.live_retention_days)
        result = describe(row)
        uow.commit()
    return result


def _mark_realtime(session: Session, retention_days: int) -> None:
    """Whether each segment can be kept current per customer as events arrive (references may have changed)."""
    saved = defs.load_definitions(session)
    rows = {row.name: row for row in session.scalars(select(SegmentRow))}
    for name, definition in saved.items():
        rows[name].realtime = realtime_capable(defs.resolved(definition.tree, saved), retention_days)


def list_segments(runtime: Runtime) -> list[dict[str, Any]]:
    """Every saved segment with its version, schedule, member count and last refresh."""
    with runtime.uow() as uow:
        return [describe(row) for row in uow.session.scalars(select(SegmentRow).order_by(SegmentRow.name))]


def show_segment(runtime: Runtime, *, name: str) -> dict[str, Any]:
    """One saved segment, with its rule and every earlier version."""
    with runtime.uow() as uow:
        row = defs.segment_row(uow.session, name)
        versions = uow.session.scalars(
            select(SegmentVersionRow).where(SegmentVersionRow.segment_id == row.id).order_by(SegmentVersionRow.version)
        )
        history = [{"version": v.version, "rule": v.rule, "schedule": v.schedule,
                    "created_at": v.created_at.isoformat()} for v in versions]  # fmt: skip
        return {**describe(row), "rule": row.rule, "versions": history}


def describe(row: SegmentRow) -> dict[str, Any]:
    return {
        "name": row.name,
        "description": row.description,
        "version": row.version,
        "schedule": row.schedule,
        "realtime": row.realtime,
        "count": row.member_count,
        "refreshed_at": _iso(row.refreshed_at),
        "refreshed_as_of": _iso(row.refreshed_as_of),
        "next_refresh_at": _iso(row.next_refresh_at),
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
    }


def preview_rule(
    runtime: Runtime,
    *,
    rule: Any,
    as_of: datetime | None = None,
    sync: bool = True,
) -> dict[str, Any]:
    """`segments preview`: count, a sample of customer numbers and the SQL, without saving anything.

    With ``sync`` the lake first takes in live rows and any changes of the store (`huoke lake sync`)."""
    with runtime.uow() as uow:
        saved = defs.load_definitions(uow.session)
        tree = defs.resolved(
            defs.checked_tree(uow.session, None, _document(rule), saved, known_tags(runtime, uow.session)), saved
        )
    if sync:
        sync_lake(runtime)
    engine = open_engine(runtime.settings)
    try:
        return preview_tree(engine, tree, as_of or runtime.now(), runtime.settings.zone)
    finally:
        engine.close()


def segment_members(runtime: Runtime, *, name: str) -> dict[str, Any]:
    """`segments members`: the stored members' customer numbers (sorted) as of the last refresh."""
    with runtime.uow() as uow:
        row = defs.segment_row(uow.session, name)
        one_ids = stored_members(uow.session, row.id)
        numbers = customers.customer_numbers(uow.session, one_ids)
        return {
            "segment": row.name,
            "version": row.version,
            "refreshed_as_of": _iso(row.refreshed_as_of),
            "count": len(one_ids),
            "customer_nos": sorted(numbers.values()),
            "without_customer_no": len(one_ids) - len(numbers),
        }


def export_members(runtime: Runtime, *, name: str, path: Path) -> dict[str, Any]:
    """Write the members to CSV (or Parquet for a ``.parquet`` path): one_id, customer_no, entered_at, version."""
    with runtime.uow() as uow:
        row = defs.segment_row(uow.session, name)
        members = uow.session.execute(
            select(SegmentMemberRow.one_id, SegmentMemberRow.entered_at, SegmentMemberRow.version)
            .where(SegmentMemberRow.segment_id == row.id)
            .order_by(SegmentMemberRow.one_id)
        ).all()
        numbers = customers.customer_numbers(uow.session, [m[0] for m in members])
    table = pa.table({
        "one_id": pa.array([m[0] for m in members], pa.string()),
        "customer_no": pa.array([numbers.get(m[0]) for m in members], pa.string()),
        "entered_at": pa.array([m[1] for m in members], pa.timestamp("us", tz="UTC")),
        "version": pa.array([m[2] for m in members], pa.int32()),
    })  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".parquet":
        pq.write_table(table, path)
    else:
        pacsv.write_csv(table, path)
    return {"segment": name, "count": table.num_rows, "path": str(path)}


def _document(rule: Any) -> Any:
    """A rule given as JSON text becomes a document here, so errors and storage see the same thing."""
    if isinstance(rule, str | bytes):
        try:
            return json.loads(rule)
        except ValueError:
            return rule  # the parser reports it with its position
    return rule


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
