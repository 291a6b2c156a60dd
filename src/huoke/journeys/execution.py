"""Carrying out what the engine decided, in the caller's transaction: store the instance and its step log,
queue messages and RM tasks through messaging, change tags, and queue webhook calls on the work queue.

Every effect carries the engine's idempotency key, so delivering the same trigger or timer twice (the work
queue delivers at least once) has its effects once: messaging and the work queue drop a known key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from huoke.journeys.actions import (
    Action,
    CallWebhook,
    ChangeTag,
    Completed,
    CreateTask,
    Exited,
    Ignored,
    SendMessage,
    StepLogged,
)
from huoke.journeys.engine import Advance, Instance
from huoke.journeys.store import InstanceRow, StepLogRow
from huoke.messaging.service import SendRequest, enqueue_in
from huoke.platform.runtime import Runtime
from huoke.platform.work import Message, Subscriptions, enqueue_many
from huoke.segments.service import change_tag

WEBHOOK_TOPIC = "journeys.webhook"


@dataclass(frozen=True)
class Context:
    """Where effects go: the runtime, the session of the caller's transaction, subscribers of the queue."""

    runtime: Runtime
    session: Session
    subscriptions: Subscriptions


def instance_of(row: InstanceRow, journey: str) -> Instance:
    return Instance(
        instance_id=row.instance_id,
        journey=journey,
        version=row.version,
        one_id=row.one_id,
        status=row.status,  # type: ignore[arg-type]
        step=row.step,
        wake_at=row.wake_at,
        entered_at=row.entered_at,
        holdout=row.holdout,
        visits=row.visits,
    )


def apply(ctx: Context, row: InstanceRow, advance: Advance, now: datetime) -> None:
    """Store the advanced instance and carry out its actions (messages name the journey they come from)."""
    instance = advance.instance
    row.status, row.step, row.wake_at, row.visits = instance.status, instance.step, instance.wake_at, instance.visits
    row.updated_at = now
    row.lease_until, row.lease_token = None, None
    sends: list[SendRequest] = []
    for action in advance.actions:
        request = _effect(ctx, row, action, now, advance.instance.journey)
        if request is not None:
            sends.append(request)
    if sends:
        enqueue_in(ctx.session, ctx.runtime, sends, now=now)


def _effect(ctx: Context, row: InstanceRow, action: Action, now: datetime, journey: str) -> SendRequest | None:
    if isinstance(action, SendMessage | CreateTask):
        return _request(row, action, journey)
    if isinstance(action, ChangeTag):
        change_tag(
            ctx.session, one_id=row.one_id, tag=action.tag, add=action.add, at=now, by=f"journey:{row.journey_id}"
        )
    elif isinstance(action, CallWebhook):
        payload = {
            "url": action.url,
            "instance_id": row.instance_id,
            "one_id": row.one_id,
            "journey_id": row.journey_id,
        }
        enqueue_many(ctx.session, ctx.subscriptions, [Message(WEBHOOK_TOPIC, action.idempotency_key, payload)], now=now)
    else:
        _record(ctx.session, row, action, now)
    return None


def _request(row: InstanceRow, action: SendMessage | CreateTask, journey: str) -> SendRequest:
    context: dict[str, Any] = {}
    priority = 5
    if isinstance(action, CreateTask):
        context = {"due_hours": action.due_hours, "assignee": action.assignee}
    else:
        priority = action.priority
    return SendRequest(
        one_id=row.one_id,
        template=action.template,
        idempotency_key=action.idempotency_key,
        source="journey",
        priority=priority,
        journey=journey,
        context=context,
    )


def _record(session: Session, row: InstanceRow, action: Action, now: datetime) -> None:
    if isinstance(action, StepLogged):
        session.add(StepLogRow(instance_id=row.instance_id, at=action.at, step=action.step, kind=action.kind,
                               outcome=action.outcome))  # fmt: skip
    elif isinstance(action, Completed | Exited):
        row.ended_at = action.at
        row.end_reason = "completed" if isinstance(action, Completed) else action.reason[:48]
    elif isinstance(action, Ignored):
        session.add(StepLogRow(instance_id=row.instance_id, at=now, step=row.step or "-", kind="ignored",
                               outcome=action.reason))  # fmt: skip
