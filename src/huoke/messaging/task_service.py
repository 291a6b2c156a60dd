"""Use cases of what the platform delivers itself: RM follow-up tasks and the customer's in-app inbox."""

from __future__ import annotations

import uuid
from datetime import timedelta, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huoke.customers.service import one_id_by_customer_no, profile_of, profile_record, staff_member
from huoke.messaging.store import InboxItemRow, TaskRow
from huoke.platform.errors import InvalidInput, NotFound
from huoke.platform.runtime import Runtime
from huoke.platform.store import append_audit

TASK_TEXT_MAX = 2000
TASK_STATUSES = ("open", "done", "cancelled")
TASK_OUTCOMES = ("reached", "not_reached", "interested", "not_interested", "converted", "wrong_number", "other")


def list_tasks(
    runtime: Runtime,
    *,
    staff_no: str | None = None,
    customer_no: str | None = None,
    status: str | None = None,
    queue: str | None = None,
    journey: str | None = None,
    limit: int = 200,
) -> dict[str, Any]:
    """RM follow-up tasks, earliest due first, filtered by staff member, customer, status or branch queue."""
    if status is not None and status not in TASK_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(TASK_STATUSES)}, not {status!r}", code="bad_status")
    query = select(TaskRow).order_by(TaskRow.due_at, TaskRow.task_id).limit(limit)
    if staff_no:
        query = query.where(TaskRow.staff_no == staff_no)
    if customer_no:
        query = query.where(TaskRow.customer_no == customer_no)
    if status:
        query = query.where(TaskRow.status == status)
    if queue:
        query = query.where(TaskRow.queue == queue)
    if journey:
        query = query.where(TaskRow.journey == journey)
    with runtime.uow() as uow:
        return {"tasks": [_task_view(row, runtime.settings.zone) for row in uow.session.scalars(query)]}


def close_task(runtime: Runtime, *, task_id: str, outcome: str, note: str | None, actor: str) -> dict[str, Any]:
    """Record a task's outcome; an open task becomes done (or cancelled), a closed one is not changed."""
    if outcome not in (*TASK_OUTCOMES, "cancelled"):
        raise InvalidInput(
            f"task {task_id}: field 'outcome' must be one of {', '.join(TASK_OUTCOMES)} or cancelled, not {outcome!r}",
            code="bad_outcome",
        )
    with runtime.uow() as uow:
        session, now = uow.session, runtime.now()
        row = session.get(TaskRow, task_id)
        if row is None:
            raise NotFound(f"no task {task_id}", code="task_not_found")
        if row.status != "open":
            return _task_view(row, runtime.settings.zone)
        row.status = "cancelled" if outcome == "cancelled" else "done"
        row.outcome, row.note, row.closed_at = outcome, note, now
        append_audit(session, at=now, actor=actor, action="task.closed", subject=task_id, detail={"outcome": outcome})
        view = _task_view(row, runtime.settings.zone)
        uow.commit()
    return view


def inbox(runtime: Runtime, *, one_id: str, unread_only: bool = False, limit: int = 100) -> dict[str, Any]:
    """A customer's in-app inbox, newest first."""
    with runtime.uow() as uow:
        profile = profile_of(uow.session, one_id)
        query = select(InboxItemRow).where(InboxItemRow.one_id == profile)
        if unread_only:
            query = query.where(InboxItemRow.read_at.is_(None))
        rows = uow.session.scalars(query.order_by(InboxItemRow.created_at.desc(), InboxItemRow.id.desc()).limit(limit))
        items = [_inbox_view(row, runtime.settings.zone) for row in rows]
    return {"one_id": profile, "items": items, "unread": sum(1 for i in items if i["read_at"] is None)}


def mark_read(runtime: Runtime, *, one_id: str, item_id: int) -> dict[str, Any]:
    """Mark one inbox item read (again is harmless)."""
    with runtime.uow() as uow:
        session, now = uow.session, runtime.now()
        row = session.get(InboxItemRow, item_id)
        if row is None or row.one_id != profile_of(session, one_id):
            raise NotFound(f"customer {one_id} has no inbox item {item_id}", code="inbox_item_not_found")
        row.read_at = row.read_at or now
        view = _inbox_view(row, runtime.settings.zone)
        uow.commit()
    return view


def _task_view(row: TaskRow, zone: tzinfo) -> dict[str, Any]:
    return {
        "task_id": row.task_id,
        "customer_no": row.customer_no,
        "staff_no": row.staff_no,
        "queue": row.queue,
        "journey": row.journey,
        "text": row.text,
        "due_at": row.due_at.astimezone(zone).isoformat(),
        "status": row.status,
        "outcome": row.outcome,
        "note": row.note,
        "message_id": row.message_id,
        "created_at": row.created_at.astimezone(zone).isoformat(),
        "closed_at": row.closed_at.astimezone(zone).isoformat() if row.closed_at else None,
    }


def _inbox_view(row: InboxItemRow, zone: tzinfo) -> dict[str, Any]:
    return {
        "id": row.id,
        "message_id": row.message_id,
        "title": row.title,
        "body": row.body,
        "deep_link": row.deep_link,
        "created_at": row.created_at.astimezone(zone).isoformat(),
        "read_at": row.read_at.astimezone(zone).isoformat() if row.read_at else None,
    }


def create_task(
    runtime: Runtime, *, customer_no: str, text: str, due_hours: float, staff_no: str | None, actor: str
) -> dict[str, Any]:
    """A follow-up task created by hand: for STAFF_NO, else the customer's RM, else the branch queue."""
    if not text.strip() or len(text) > TASK_TEXT_MAX:
        raise InvalidInput("field 'text' must be 1 to 2,000 characters", code="bad_text")
    if not 0 < due_hours <= 24 * 90:
        raise InvalidInput(f"field 'due_hours' must be above 0 and at most 2160, not {due_hours}", code="bad_due")
    with runtime.uow() as uow:
        session, now = uow.session, runtime.now()
        record = profile_record(session, customer_one_id_in(session, customer_no), runtime.settings.zone)
        if record is None:
            raise NotFound(f"no customer with customer_no {customer_no}", code="customer_not_found")
        if staff_no is not None and staff_member(session, staff_no) is None:
            raise NotFound(f"field 'staff_no': no staff member {staff_no}", code="staff_not_found")
        assignee = staff_no or record.attributes.get("rm_staff_no")
        row = TaskRow(
            task_id=uuid.uuid4().hex,
            one_id=record.one_id,
            customer_no=customer_no,
            staff_no=assignee,
            queue=None if assignee else (record.attributes.get("branch_code") or "unassigned"),
            text=text,
            due_at=now + timedelta(hours=due_hours),
            status="open",
            created_at=now,
        )
        session.add(row)
        append_audit(session, at=now, actor=actor, action="task.created", subject=row.task_id, detail={})
        view = _task_view(row, runtime.settings.zone)
        uow.commit()
    return view


def customer_one_id_in(session: Session, customer_no: str) -> str:
    one_id = one_id_by_customer_no(session, customer_no)
    if one_id is None:
        raise NotFound(f"no customer with customer_no {customer_no}", code="customer_not_found")
    return one_id
