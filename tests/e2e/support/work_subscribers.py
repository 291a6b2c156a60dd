"""Test subscribers for the work queue: they record each delivery and leave one store effect per delivery."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huoke.platform.clockstate import advance_clock
from huoke.platform.runtime import Runtime
from huoke.platform.store import AuditRow, append_audit
from huoke.platform.work import Message, Subscriber, Subscriptions, WorkItem, enqueue_many


@dataclass
class Recorder:
    """Writes an audit row per delivery (its store effect), then fails the first FAIL_ATTEMPTS attempts."""

    name: str
    topics: tuple[str, ...] = ("test.tick",)
    fail_attempts: int = 0
    calls: list[tuple[str, datetime, int]] = field(default_factory=list)

    def handle(self, session: Session, item: WorkItem, now: datetime) -> None:
        self.calls.append((item.key, now, item.attempts))
        append_audit(session, at=now, actor=self.name, action="work.test", subject=item.key, detail=item.payload)
        session.flush()
        if item.attempts <= self.fail_attempts:
            raise RuntimeError(f"attempt {item.attempts} at {item.key} failed on purpose")

    @property
    def subscriber(self) -> Subscriber:
        return Subscriber(name=self.name, topics=frozenset(self.topics), handle=self.handle)


def subscriptions(*recorders: Recorder) -> Subscriptions:
    return Subscriptions(r.subscriber for r in recorders)


def effects(runtime: Runtime, recorder: Recorder) -> dict[str, int]:
    """How many committed effects each key has from RECORDER."""
    statement = select(AuditRow.subject, func.count()).where(AuditRow.actor == recorder.name).group_by(AuditRow.subject)
    with runtime.uow() as uow:
        return {subject: int(n) for subject, n in uow.session.execute(statement)}


def put(runtime: Runtime, subs: Subscriptions, *messages: Message) -> int:
    """Enqueue MESSAGES in one committed transaction at the clock's now; the number of items queued."""
    with runtime.uow() as uow:
        queued = enqueue_many(uow.session, subs, messages, now=runtime.now())
        uow.commit()
    return queued


def move_clock(runtime: Runtime, until: datetime) -> None:
    """Move the simulated clock forward without delivering anything."""
    with runtime.uow() as uow:
        advance_clock(uow.session, until)
        uow.commit()
