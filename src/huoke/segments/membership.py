"""Stored segment memberships and the `segment.entered` / `segment.exited` messages their changes publish.

Writes happen in the caller's session, together with the messages, so a membership change and its message
commit (or vanish) together. Inserts skip members already present and deletes report what they removed, so a
refresh and a real-time re-evaluation racing on the same customer publish each change once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from huoke.platform.db import key_in
from huoke.platform.work import Message, Subscriptions, enqueue_many
from huoke.segments.store import SegmentMemberRow

ENTERED = "segment.entered"
EXITED = "segment.exited"
_BATCH = 5000


@dataclass(frozen=True)
class Publication:
    """Who the messages speak for: the segment, its version, the evaluation time and what caused the change."""

    segment_id: int
    segment: str
    version: int
    as_of: datetime
    source: str  # refresh | realtime
    cause: str  # the refresh id or the triggering work item's key: makes message keys unique


def stored_members(session: Session, segment_id: int) -> set[str]:
    """The segment's members as stored now."""
    query = select(SegmentMemberRow.one_id).where(SegmentMemberRow.segment_id == segment_id)
    return set(session.scalars(query))


def add_members(
    session: Session, subscriptions: Subscriptions, about: Publication, one_ids: Sequence[str], now: datetime
) -> int:
    """Insert the members not present yet and publish `segment.entered` for each; how many entered."""
    entered: list[str] = []
    make = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    for start in range(0, len(one_ids), _BATCH):
        rows = [
            {"segment_id": about.segment_id, "one_id": one_id, "entered_at": about.as_of, "version": about.version}
            for one_id in one_ids[start : start + _BATCH]
        ]
        statement = make(SegmentMemberRow).on_conflict_do_nothing().returning(SegmentMemberRow.one_id)
        entered.extend(session.scalars(statement, rows))
    _publish(session, subscriptions, about, ENTERED, one_ids=entered, now=now)
    return len(entered)


def remove_members(
    session: Session, subscriptions: Subscriptions, about: Publication, one_ids: Sequence[str], now: datetime
) -> int:
    """Delete the members still present and publish `segment.exited` for each; how many exited."""
    exited: list[str] = []
    dialect = session.get_bind().dialect.name
    for start in range(0, len(one_ids), _BATCH):
        statement = (
            delete(SegmentMemberRow)
            .where(
                SegmentMemberRow.segment_id == about.segment_id,
                key_in(SegmentMemberRow.one_id, list(one_ids[start : start + _BATCH]), dialect),
            )
            .returning(SegmentMemberRow.one_id)
            .execution_options(synchronize_session=False)
        )
        exited.extend(session.scalars(statement))
    _publish(session, subscriptions, about, EXITED, one_ids=exited, now=now)
    return len(exited)


def _publish(
    session: Session, subscriptions: Subscriptions, about: Publication, topic: str, *, one_ids: list[str], now: datetime
) -> None:
    if one_ids and subscriptions.for_topic(topic):
        enqueue_many(session, subscriptions, (_message(about, topic, one_id) for one_id in one_ids), now=now)


def _message(about: Publication, topic: str, one_id: str) -> Message:
    change = "entered" if topic == ENTERED else "exited"
    payload: dict[str, Any] = {
        "segment": about.segment,
        "segment_id": about.segment_id,
        "version": about.version,
        "one_id": one_id,
        "change": change,
        "as_of": about.as_of.isoformat(),
        "source": about.source,
    }
    cause = hashlib.sha256(about.cause.encode()).hexdigest()[:24]
    return Message(topic=topic, key=f"seg:{about.segment_id}:{cause}:{change}:{one_id}", payload=payload)
