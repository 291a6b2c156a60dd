"""Channels the platform delivers itself, in the dispatcher's transaction: the in-app inbox and RM tasks."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from huoke.customers.service import ContactCard
from huoke.messaging.rendering import Rendering
from huoke.messaging.store import InboxItemRow, MessageRow, TaskRow

CHANNELS = frozenset({"inbox", "rm_task"})
DEFAULT_TASK_DUE_HOURS = 24


def deliver(session: Session, card: ContactCard, row: MessageRow, rendering: Rendering, now: datetime) -> None:
    """Store an inbox item or an RM task for ROW and mark it sent."""
    if row.channel == "inbox":
        _inbox(session, row, rendering, now)
    else:
        _task(session, card, row, rendering, now)
    row.status, row.reason, row.sent_at, row.due_at = "sent", "sent", now, None
    row.attempts += 1
    row.provider = "store"


def _inbox(session: Session, row: MessageRow, rendering: Rendering, now: datetime) -> None:
    content = rendering.content
    session.add(
        InboxItemRow(
            message_id=row.message_id,
            one_id=row.one_id,
            title=content.subject or content.extra.get("title"),
            body=content.body,
            deep_link=content.extra.get("deep_link"),
            created_at=now,
        )
    )


def _task(session: Session, card: ContactCard, row: MessageRow, rendering: Rendering, now: datetime) -> None:
    """Assigned to the customer's RM; without one, to the fallback queue of the customer's branch."""
    due_hours = row.context.get("due_hours", DEFAULT_TASK_DUE_HOURS)
    to_queue = row.context.get("assignee") == "branch_queue"
    staff = None if to_queue else card.profile.attributes.get("rm_staff_no")
    session.add(
        TaskRow(
            task_id=uuid.uuid4().hex,
            message_id=row.message_id,
            one_id=row.one_id,
            customer_no=row.customer_no,
            staff_no=staff,
            queue=None if staff else (card.profile.attributes.get("branch_code") or "unassigned"),
            journey=row.journey,
            text=rendering.content.body,
            due_at=now + timedelta(hours=float(due_hours)),
            status="open",
            created_at=now,
        )
    )
