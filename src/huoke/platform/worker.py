"""Workers of the durable work queue: claim due items in batches, run their subscribers, retry, park.

A batch is claimed in one short transaction that leases its items to this worker. They are then delivered in
a second transaction: the items still leased to this worker are locked first, the handlers run, and the done
marks commit with the handlers' writes. Handlers run without savepoints (twice as fast, measured) until one
fails; the batch is then rolled back and run again with a savepoint per handler. A worker killed mid-batch
leaves nothing half-done: its leases expire and another worker (or the restarted one) delivers the items again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from huoke.platform import work_store as store
from huoke.platform.runtime import Runtime
from huoke.platform.work import (
    BatchHandler,
    Handler,
    Subscriptions,
    WorkItem,
    backoff_seconds,
    error_text,
    take_earliest_enqueued,
)

# After work, an empty queue is looked at again this soon, then at doubling pauses up to worker_poll_seconds:
# a busy stream of events is picked up within milliseconds, an idle queue costs a look per poll interval.
FIRST_IDLE_WAIT = 0.005
# Work a worker runs between batches, given the clock's now; returns how much it did.
Periodic = Callable[[datetime], int]
log = logging.getLogger("huoke.work")


@dataclass
class Tally:
    """What a worker did: deliveries that succeeded, failed and will be retried, and items parked."""

    done: int = 0
    retried: int = 0
    parked: int = 0

    @property
    def processed(self) -> int:
        return self.done + self.retried + self.parked

    def add(self, other: Tally) -> None:
        self.done += other.done
        self.retried += other.retried
        self.parked += other.parked

    def as_dict(self) -> dict[str, int]:
        return {"processed": self.processed, "done": self.done, "retried": self.retried, "parked": self.parked}


@dataclass
class _Batch:
    """One delivery transaction's bookkeeping. ``failed`` is None on the first run, without savepoints."""

    session: Session
    failed: dict[int, str] | None
    tally: Tally = field(default_factory=Tally)
    finished: list[tuple[int, datetime]] = field(default_factory=list)


class _FirstFailure(Exception):
    """A handler failed in a batch run without savepoints (ITEM_ID None: at the final flush)."""

    def __init__(self, item_id: int | None, error: str) -> None:
        super().__init__(error)
        self.item_id, self.error = item_id, error


def _flush_fast(session: Session) -> None:
    try:
        session.flush()
    except Exception as exc:  # a handler's pending write failed: run the batch again, one savepoint each
        raise _FirstFailure(None, error_text(exc)) from exc


def _handle_in_savepoint(session: Session, handle: Handler, item: WorkItem, at: datetime) -> str | None:
    """Run HANDLE in a savepoint; on failure undo its writes and return the error, else None."""
    savepoint = session.begin_nested()
    try:
        handle(session, item, at)
        session.flush()
    except Exception as exc:  # any handler failure: undo its writes only
        savepoint.rollback()
        return error_text(exc)
    savepoint.commit()
    return None


class WorkQueue:
    """Delivers queued work to the registered subscribers, on the data dir's clock."""

    def __init__(
        self,
        runtime: Runtime,
        subscriptions: Subscriptions,
        *,
        worker_id: str | None = None,
        periodic: Sequence[Periodic] = (),
    ) -> None:
        self.runtime = runtime
        self.subscriptions = subscriptions
        self.periodic = list(periodic)
        self._periodic_at = -1.0e9
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        settings = runtime.settings
        self.batch_size = settings.worker_batch_size
        self.lease = timedelta(seconds=settings.worker_lease_seconds)
        self.max_attempts = settings.worker_max_attempts
        self.poll_seconds = settings.worker_poll_seconds

    def run_once(self, stop: threading.Event | None = None) -> Tally:
        """Claim one batch of items due now and deliver it; stops between items once STOP is set."""
        now = self.runtime.now()
        return self.deliver(self.claim(now), now=now, stop=stop)

    def run_forever(self, stop: threading.Event) -> Tally:
        """Deliver due work until STOP is set, polling every ``worker_poll_seconds`` when idle."""
        total = Tally()
        log.info("worker %s started", self.worker_id)
        arrived, idle = self.runtime.work_arrived, FIRST_IDLE_WAIT
        while not stop.is_set():
            arrived.clear()  # work committed from here on wakes the idle wait below at once
            try:
                tally = self.run_once(stop)
            except SQLAlchemyError as exc:  # the store is unreachable or busy: wait and try again
                log.warning("worker %s: store error, retrying after a pause: %s", self.worker_id, error_text(exc))
                stop.wait(self.poll_seconds)
                continue
            total.add(tally)
            ran = self.run_periodic()
            if tally.processed or ran:
                idle = FIRST_IDLE_WAIT
            else:  # look again soon after recent work, then less often, up to every poll_seconds
                arrived.wait(idle)
                idle = min(idle * 2, self.poll_seconds)
        log.info("worker %s stopped after %d deliveries", self.worker_id, total.processed)
        return total

    def run_periodic(self) -> int:
        """Run the periodic jobs (e.g. scheduled segment refreshes) at most once per poll interval; a failing job
        is logged and tried again at the next interval. Returns how many pieces of work they did."""
        if not self.periodic or time.monotonic() - self._periodic_at < self.poll_seconds:
            return 0
        self._periodic_at = time.monotonic()
        done = 0
        for job in self.periodic:
            try:
                done += job(self.runtime.now())
            except Exception as exc:  # a job's failure must not stop the delivery of queued work
                log.warning("worker %s: periodic job failed, retrying later: %s", self.worker_id, error_text(exc))
        return done

    def drain(self, until: datetime) -> int:
        """Deliver, in (due time, id) order, every item due by UNTIL, including those falling due meanwhile.

        For `huoke run --until`: each handler gets ``now`` = max(the item's due time, the clock's now).
        Returns the number of items processed (delivered, retried or parked).
        """
        total = Tally()
        while True:
            now = self.runtime.now()
            items = self.claim(now, due_by=until)
            if not items:
                return total.processed
            total.add(self.deliver(items, now=now, in_time_order=True))

    def claim(self, now: datetime, *, due_by: datetime | None = None) -> list[WorkItem]:
        """Lease a batch of due items to this worker (committed at once so other workers skip them)."""
        horizon = due_by or now
        with self.runtime.uow() as uow:
            rows = store.claim(
                uow.session,
                worker=self.worker_id,
                due_by=horizon,
                lease_free_at=horizon,
                lease_until=now + self.lease,
                limit=self.batch_size,
            )
            items = [_item(row) for row in rows]
            uow.commit()
        if items:
            log.debug("worker %s claimed %d items: %s", self.worker_id, len(items), [i.id for i in items])
        return items

    def deliver(
        self, items: list[WorkItem], *, now: datetime, stop: threading.Event | None = None, in_time_order: bool = False
    ) -> Tally:
        """Run the subscribers of claimed ITEMS in one transaction; items taken over meanwhile are skipped.

        Handlers first run without savepoints. When one fails, the batch is rolled back and run again with a
        savepoint per handler, so the failure undoes only its own writes. The handlers before it in the batch
        then run a second time (at-least-once delivery); their writes still commit only once.
        """
        if not items:
            return Tally()
        try:
            return self._deliver_batch(items, now, stop, in_time_order, failed=None)
        except _FirstFailure as first:
            failed = {first.item_id: first.error} if first.item_id is not None else {}
            return self._deliver_batch(items, now, stop, in_time_order, failed=failed)

    def _deliver_batch(
        self,
        items: list[WorkItem],
        now: datetime,
        stop: threading.Event | None,
        in_time_order: bool,
        failed: dict[int, str] | None,
    ) -> Tally:
        with self.runtime.uow() as uow:
            held = store.hold(uow.session, [i.id for i in items], worker=self.worker_id, lease_until=now + self.lease)
            batch = _Batch(uow.session, failed)
            pending = [item for item in items if item.id in held]
            while pending:
                if stop is not None and stop.is_set():
                    break
                if failed is None:
                    window = pending[: _same_time(pending, now)] if in_time_order else list(pending)
                    del pending[: len(window)]
                    scheduled = self._deliver_window(batch, window, pending, now, stop)
                else:
                    item = pending.pop(0)
                    scheduled = self._deliver_one(batch, item, max(item.available_at, now))
                if in_time_order and pending and scheduled is not None and scheduled < pending[0].available_at:
                    break  # something now falls due before the rest of the batch: claim again, in order
            if failed is None:
                _flush_fast(uow.session)
            store.release(uow.session, [i.id for i in pending], worker=self.worker_id)
            store.mark_done(uow.session, batch.finished)
            uow.commit()
        return batch.tally

    def _deliver_window(
        self,
        batch: _Batch,
        window: list[WorkItem],
        pending: list[WorkItem],
        now: datetime,
        stop: threading.Event | None,
    ) -> datetime | None:
        """Deliver WINDOW (items due at one moment, or a live worker's whole batch): each batch-capable
        subscriber gets its items in one call, in claim order; the other items then go one by one. Items left
        when STOP is set go back to the front of PENDING. Returns the earliest due time they scheduled."""
        groups: dict[str, tuple[BatchHandler, list[WorkItem]]] = {}
        singles: list[WorkItem] = []
        for item in window:
            subscriber = self.subscriptions.get(item.subscriber)
            if (
                subscriber is not None
                and subscriber.handle_batch is not None
                and subscriber.takes(item.topic)
                and item.attempts <= self.max_attempts
            ):
                groups.setdefault(item.subscriber, (subscriber.handle_batch, []))[1].append(item)
            else:
                singles.append(item)
        take_earliest_enqueued(batch.session)
        for handle_batch, group in groups.values():
            at = max(now, *(item.available_at for item in group))
            try:
                handle_batch(batch.session, group, at)
            except Exception as exc:  # roll the whole batch back and run it again with savepoints, item by item
                raise _FirstFailure(None, error_text(exc)) from exc
            batch.finished.extend((item.id, at) for item in group)
            batch.tally.done += len(group)
        scheduled = take_earliest_enqueued(batch.session)
        for index, item in enumerate(singles):
            if stop is not None and stop.is_set():
                pending[:0] = singles[index:]
                break
            later = self._deliver_one(batch, item, max(item.available_at, now))
            scheduled = later if scheduled is None else min(scheduled, later or scheduled)
        return scheduled

    def _deliver_one(self, batch: _Batch, item: WorkItem, at: datetime) -> datetime | None:
        """Deliver ITEM at AT; the earliest due time it scheduled (a retry or new work), if any."""
        subscriber = self.subscriptions.get(item.subscriber)
        if subscriber is None:
            return self._park(batch, item, at, f"no subscriber named {item.subscriber!r} is registered (removed?)")
        if not subscriber.takes(item.topic):
            return self._park(batch, item, at, f"subscriber {item.subscriber!r} no longer takes topic {item.topic!r}")
        if item.attempts > self.max_attempts:
            return self._park(batch, item, at, f"abandoned {item.attempts - 1} times: its worker died handling it")
        if batch.failed is not None and item.id in batch.failed:
            return self._fail(batch, item, at, batch.failed[item.id])  # it failed in the first run of this batch
        take_earliest_enqueued(batch.session)
        if batch.failed is None:
            try:
                subscriber.handle(batch.session, item, at)
            except Exception as exc:  # roll the whole batch back and run it again with savepoints
                raise _FirstFailure(item.id, error_text(exc)) from exc
        elif (error := _handle_in_savepoint(batch.session, subscriber.handle, item, at)) is not None:
            take_earliest_enqueued(batch.session)
            return self._fail(batch, item, at, error)
        batch.finished.append((item.id, at))
        batch.tally.done += 1
        return take_earliest_enqueued(batch.session)

    def _fail(self, batch: _Batch, item: WorkItem, at: datetime, error: str) -> datetime | None:
        if item.attempts >= self.max_attempts:
            return self._park(batch, item, at, error)
        retry_at = at + timedelta(seconds=backoff_seconds(item.attempts))
        log.warning(
            "work item %d (%s, key %s) failed attempt %d, retry at %s: %s",
            *(item.id, item.subscriber, item.key, item.attempts, retry_at.isoformat(), error),
        )
        store.record_failure(batch.session, store.Failure(item.id, error, retry_at, at))
        batch.tally.retried += 1
        return retry_at

    def _park(self, batch: _Batch, item: WorkItem, at: datetime, error: str) -> datetime | None:
        log.error(
            "work item %d (%s, key %s) parked after %d attempts: %s",
            *(item.id, item.subscriber, item.key, item.attempts, error),
        )
        store.record_failure(batch.session, store.Failure(item.id, error, None, at))
        batch.tally.parked += 1
        return None  # parking schedules nothing


def _same_time(pending: list[WorkItem], now: datetime) -> int:
    """How many items at the head of PENDING are delivered at the same moment as the first."""
    first = max(pending[0].available_at, now)
    return next((i for i, item in enumerate(pending) if max(item.available_at, now) != first), len(pending))


def _item(row: store.WorkItemRow) -> WorkItem:
    return WorkItem(
        id=row.id,
        subscriber=row.subscriber,
        topic=row.topic,
        key=row.key,
        payload=row.payload,
        attempts=row.attempts,
        enqueued_at=row.enqueued_at,
        available_at=row.available_at,
    )


class BackgroundWorker:
    """A worker loop on a daemon thread, for `huoke serve`: ``start()``, then ``stop()`` on shutdown."""

    def __init__(self, queue: WorkQueue) -> None:
        self._queue = queue
        self.stopping = threading.Event()
        self._thread = threading.Thread(
            target=queue.run_forever, args=(self.stopping,), name="huoke-worker", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> bool:
        """Ask the loop to finish its current item and wait for it; False if it is still busy after TIMEOUT."""
        self.stopping.set()
        self._queue.runtime.work_arrived.set()  # end an idle wait at once
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()
