"""One customer as journeys see them: the profile, holdings and recent live activity, with the tags held and
the segments belonged to now; and a journey's tag step. In the caller's session; nothing here commits."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from huoke.customers import service as customers
from huoke.platform.runtime import Runtime
from huoke.segments import tag_store
from huoke.segments.facts import CustomerFacts
from huoke.segments.realtime import live_facts
from huoke.segments.store import SegmentMemberRow, SegmentRow


def customer_facts(session: Session, runtime: Runtime, one_id: str, now: datetime) -> CustomerFacts | None:
    """The live profile ONE_ID stands for, with its tags and segment memberships, or None."""
    settings = runtime.settings
    record = customers.profile_record(session, one_id, settings.zone)
    if record is None:
        return None
    since = now - timedelta(days=settings.live_retention_days + 1)
    facts = live_facts(session, record, since, settings.zone)
    held = {row.tag for row in tag_store.history(session, record.units) if row.removed_at is None}
    member_of = session.scalars(
        select(SegmentRow.name)
        .join(SegmentMemberRow, SegmentMemberRow.segment_id == SegmentRow.id)
        .where(SegmentMemberRow.one_id == record.one_id)
    )
    return dataclasses.replace(facts, tags=frozenset(held), segments=frozenset(member_of))


def is_member(session: Session, *, segment: str, one_id: str) -> bool:
    """Whether ONE_ID is a member of saved segment SEGMENT now."""
    found = session.scalar(
        select(SegmentMemberRow.one_id)
        .join(SegmentRow, SegmentMemberRow.segment_id == SegmentRow.id)
        .where(SegmentRow.name == segment, SegmentMemberRow.one_id == one_id)
    )
    return found is not None


def member_ids(session: Session, segment: str) -> list[str]:
    """The profiles in saved segment SEGMENT now (empty for an unknown segment)."""
    query = (
        select(SegmentMemberRow.one_id)
        .join(SegmentRow, SegmentMemberRow.segment_id == SegmentRow.id)
        .where(SegmentRow.name == segment)
        .order_by(SegmentMemberRow.one_id)
    )
    return list(session.scalars(query))


def change_tag(session: Session, *, one_id: str, tag: str, add: bool, at: datetime, by: str) -> bool:
    """Give ONE_ID the manual tag TAG (or take it away); False when nothing changed."""
    held = tag_store.open_pairs(session, [one_id], [tag])
    if add:
        return bool(not held and tag_store.assign(session, [(one_id, tag, "manual")], at=at, by=by))
    return bool(held and tag_store.close_ids(session, list(held.values()), at=at, by=by))
