"""Carrying out what the engine decided, in the caller's transaction: store the instance and its step log,
queue messages and RM tasks through messaging, change tags, and queue webhook calls on the work queue.

Every effect carries the engine's idempotency key, so delivering the same trigger or timer twice (the work
queue delivers at least once) has its effects once: messaging and the work queue drop a known key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert
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


@dataclass
class Written:
    """What one advance writes: the instance's new column values and its step-log rows."""

    update: dict[str, Any] = field(default_factory=dict)
    logs: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Owner:
    """The instance an advance belongs to, as its effects need it."""

    instance_id: str
    one_id: str
    journey_id: int


def apply(ctx: Context, row: InstanceRow, advance: Advance, now: datetime) -> None:
    """Store the advanced instance (an ORM row) and carry out its actions."""
    written = carry_out(ctx, Owner(row.instance_id, row.one_id, row.journey_id), advance, now)
    for column, value in written.update.items():
        setattr(row, column, value)
    if written.logs:
        ctx.session.execute(insert(StepLogRow), written.logs)


def carry_out(
    ctx: Context, owner: Owner, advance: Advance, now: datetime, *, sends: list[SendRequest] | None = None
) -> Written:
    """Queue the advance's messages, tasks, tag changes and webhooks; return what to write for the instance
    (messages name the journey they come from). With SENDS, messages and tasks are added to it for the caller
    to queue together with others, instead of being queued here."""
    instance = advance.instance
    written = Written(
        update={"status": instance.status, "step": instance.step, "wake_at": instance.wake_at,
                "visits": instance.visits, "updated_at": now, "lease_until": None, "lease_token": None}
    )  # fmt: skip
    requests: list[SendRequest] = []
    for action in advance.actions:
        request = _effect(ctx, owner, action, now, journey=instance.journey, written=written)
        if request is not None:
            requests.append(request)
    if sends is not None:
        sends.extend(requests)
    elif requests:
        enqueue_in(ctx.session, ctx.runtime, requests, now=now)
    return written


def _effect(
    ctx: Context, owner: Owner, action: Action, now: datetime, *, journey: str, written: Written
) -> SendRequest | None:
    if isinstance(action, SendMessage | CreateTask):
        return _request(owner, action, journey)
    if isinstance(action, ChangeTag):
        change_tag(ctx.session, one_id=owner.one_id, tag=action.tag, add=action.add, at=now,
                   by=f"journey:{owner.journey_id}")  # fmt: skip
    elif isinstance(action, CallWebhook):
        payload = {"url": action.url, "instance_id": owner.instance_id, "one_id": owner.one_id,
                   "journey_id": owner.journey_id}  # fmt: skip
        enqueue_many(ctx.session, ctx.subscriptions, [Message(WEBHOOK_TOPIC, action.idempotency_key, payload)], now=now)
    else:
        _record(owner, action, now, written)
    return None


def _request(owner: Owner, action: SendMessage | CreateTask, journey: str) -> SendRequest:
    context: dict[str, Any] = {}
    priority = 5
    if isinstance(action, CreateTask):
        context = {"due_hours": action.due_hours, "assignee": action.assignee}
    else:
        priority = action.priority
    return SendRequest(
        one_id=owner.one_id,
        template=action.template,
        idempotency_key=action.idempotency_key,
        source="journey",
        priority=priority,
        journey=journey,
        context=context,
    )


def _record(owner: Owner, action: Action, now: datetime, written: Written) -> None:
    if isinstance(action, StepLogged):
        written.logs.append(_log(owner, action.at, action.step, action.kind, action.outcome))
    elif isinstance(action, Completed | Exited):
        written.update["ended_at"] = action.at
        written.update["end_reason"] = "completed" if isinstance(action, Completed) else action.reason[:48]
    elif isinstance(action, Ignored):
        written.logs.append(_log(owner, now, "-", "ignored", action.reason))


def _log(owner: Owner, at: datetime, step: str, kind: str, outcome: str) -> dict[str, Any]:
    return {"instance_id": owner.instance_id, "at": at, "step": step, "kind": kind, "outcome": outcome}
