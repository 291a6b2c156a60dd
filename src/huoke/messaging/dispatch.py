"""The dispatcher: claim due messages, decide again, render, send, record.

Three short transactions per batch. (1) Claim: lease due messages so other dispatchers skip them. (2)
Prepare: re-apply the contact policy at send time (consents may have changed), render, deliver inbox items
and RM tasks in place, and mark the rest ``sending``. (3) Record each provider's answer: sent, a retry with
backoff and jitter, or failed (dead-lettered) with the reason. A dispatcher killed between (2) and (3)
leaves leased ``sending`` messages: when the lease ends another pass sends them again under the same
idempotency key, which providers use to drop the repeat — so no message is lost, none is doubled by a
provider that honours the key.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from huoke.messaging.prepare import Prepared, prepare_batch
from huoke.messaging.sending import AsyncSender, Attempted
from huoke.messaging.store import AttemptRow, MessageRow
from huoke.platform.runtime import Runtime
from huoke.platform.work import error_text

log = logging.getLogger(__name__)
DUE = ("queued", "deferred")
RETRY_BASE = "attempts_before_retry"  # set in a message's context when an operator queues a dead letter again


@dataclass(frozen=True)
class _InFlight:
    """A prepared batch whose sends are under way."""

    lease: str
    prepared: Prepared
    future: Future[list[Attempted]]
    now: datetime


class Dispatcher:
    """Sends the outbox of one data dir through SENDER, on the data dir's clock."""

    def __init__(self, runtime: Runtime, sender: AsyncSender, *, dispatcher_id: str | None = None) -> None:
        self.runtime = runtime
        self.sender = sender
        self.id = dispatcher_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        settings = runtime.settings
        self.batch_size = settings.dispatch_batch_size
        self.lease = timedelta(seconds=settings.dispatch_lease_seconds)
        self.max_attempts = settings.dispatch_max_attempts
        self._random = random.Random()  # noqa: S311 - jitter, not a secret

    def dispatch_once(self, *, due_by: datetime | None = None, in_time_order: bool = False) -> int:
        """One batch: claim, prepare, send, record. Returns the number of messages it settled or sent."""
        batch = self._start(due_by=due_by, in_time_order=in_time_order)
        return 0 if batch is None else self._finish(batch)

    def dispatch_available(self, *, budget_seconds: float) -> int:
        """Batch after batch until nothing is due or the budget is spent, preparing the next batch while the
        previous one is on the wire. Each batch is recorded only after its own answers arrived."""
        started, total, flying = time.monotonic(), 0, None
        while time.monotonic() - started < budget_seconds:
            batch = self._start()
            if flying is not None:
                total += self._finish(flying)
            flying = batch
            if batch is None:
                break
        if flying is not None:
            total += self._finish(flying)
        return total

    def _start(self, *, due_by: datetime | None = None, in_time_order: bool = False) -> _InFlight | None:
        now = self.runtime.now()
        lease = self._claim(now, due_by or now)
        if lease is None:
            return None
        prepared = self._prepare(lease, now, in_time_order=in_time_order)
        future = self.sender.submit([p.message for p in prepared.outbound])
        return _InFlight(lease, prepared, future, now)

    def _finish(self, batch: _InFlight) -> int:
        attempts = batch.future.result()
        self._record(batch.lease, batch.prepared, attempts, batch.now)
        return batch.prepared.settled + len(attempts)

    def drain(self, until: datetime) -> int:
        """For `huoke run --until`: every message due by UNTIL, in time order (retries falling due included)."""
        total = 0
        while done := self.dispatch_once(due_by=until, in_time_order=True):
            total += done
        return total

    def run_forever(self, stop: threading.Event, poll_seconds: float) -> int:
        total = 0
        while not stop.is_set():
            try:
                done = self.dispatch_available(budget_seconds=poll_seconds * 10)
            except Exception as exc:  # the store is away or busy: wait and try again
                log.warning("dispatcher %s: %s; retrying after a pause", self.id, error_text(exc))
                done = 0
            total += done
            if done == 0:
                stop.wait(poll_seconds)
        return total

    def _claim(self, now: datetime, due_by: datetime) -> str | None:
        token, lease_until = uuid.uuid4().hex, max(now, due_by) + self.lease
        with self.runtime.uow() as uow:
            rows = claim(uow.session, due_by=due_by, free_at=max(now, due_by), limit=self.batch_size)
            for row in rows:
                row.lease_until, row.lease_token = lease_until, token
            uow.commit()
        return token if rows else None

    def _prepare(self, lease: str, now: datetime, *, in_time_order: bool) -> Prepared:
        with self.runtime.uow() as uow:
            rows = leased(uow.session, lease)
            prepared = prepare_batch(uow.session, self.runtime, rows, now=now, in_time_order=in_time_order)
            uow.commit()
        return prepared

    def _record(self, lease: str, prepared: Prepared, attempts: Sequence[Attempted], now: datetime) -> None:
        at_of = {p.message.message_id: p.now for p in prepared.outbound}
        with self.runtime.uow() as uow:
            rows = {row.message_id: row for row in leased(uow.session, lease)}
            for attempted in attempts:
                row = rows.get(attempted.message.message_id)
                if row is not None:
                    self._settle(uow.session, row, attempted, max(now, at_of[row.message_id]))
            uow.commit()

    def _settle(self, session: Session, row: MessageRow, attempted: Attempted, now: datetime) -> None:
        outcome = attempted.outcome
        row.attempts += 1
        row.lease_until, row.lease_token = None, None
        row.provider = attempted.provider
        session.add(
            AttemptRow(
                message_id=row.message_id,
                attempt=row.attempts,
                at=now,
                provider=attempted.provider,
                outcome=outcome.kind,
                reason=outcome.reason[:48],
                detail=outcome.detail[:2000] or None,
                provider_id=outcome.provider_id,
                duration_ms=attempted.duration_ms,
            )
        )
        if outcome.kind == "sent":
            row.status, row.reason, row.sent_at, row.due_at = "sent", "sent", now, None
            row.provider_id = outcome.provider_id
        elif outcome.kind == "transient" and row.attempts - row.context.get(RETRY_BASE, 0) < self.max_attempts:
            row.status, row.reason, row.due_at = "queued", f"retry_{outcome.reason}"[:48], now + self._backoff(row)
        else:
            exhausted = outcome.kind == "transient"
            row.status, row.failed_at, row.due_at = "failed", now, None
            row.reason = ("retries_exhausted" if exhausted else outcome.reason)[:48]

    def _backoff(self, row: MessageRow) -> timedelta:
        """Exponential backoff with jitter: base × 2^(attempt−1), capped, then a random 50–100 % of it."""
        settings = self.runtime.settings
        ceiling = min(
            settings.dispatch_retry_cap_seconds, settings.dispatch_retry_base_seconds * 2 ** (row.attempts - 1)
        )
        return timedelta(seconds=ceiling * (0.5 + self._random.random() / 2))


def claim(session: Session, *, due_by: datetime, free_at: datetime, limit: int) -> list[MessageRow]:
    """Due messages whose lease is free, oldest due first (SKIP LOCKED on PostgreSQL)."""
    query = (
        select(MessageRow)
        .where(
            MessageRow.status.in_(DUE),
            MessageRow.due_at <= due_by,
            or_(MessageRow.lease_until.is_(None), MessageRow.lease_until <= free_at),
        )
        .order_by(MessageRow.due_at, MessageRow.message_id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def leased(session: Session, lease: str) -> list[MessageRow]:
    """The messages this dispatcher holds under LEASE (one taken over by another dispatcher is not)."""
    query = select(MessageRow).where(MessageRow.lease_token == lease).order_by(MessageRow.due_at, MessageRow.message_id)
    return list(session.scalars(query))
