"""Subscribers that take a batch at once: a live worker hands them all their claimed items in one call; when
that call fails, the batch runs again item by item so only the bad item is retried; the time-ordered drain of
`huoke run --until` still delivers one item at a time. Work committed in the worker's own process wakes it."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from huoke.platform.runtime import Runtime
from huoke.platform.store import append_audit
from huoke.platform.work import Message, Subscriber, WorkItem
from huoke.platform.work_store import WorkItemRow
from huoke.platform.worker import WorkQueue
from tests.conftest import START
from tests.e2e.support.work_subscribers import Recorder, effects, put, subscriptions


@dataclass
class BatchRecorder:
    """Leaves one audit row per item, whether handed the items one by one or together; POISON fails."""

    name: str = "batched"
    poison: str | None = None
    batches: list[list[str]] = field(default_factory=list)
    singles: list[str] = field(default_factory=list)

    def handle(self, session: Session, item: WorkItem, now: datetime) -> None:
        self.singles.append(item.key)
        self._write(session, item, now)

    def handle_batch(self, session: Session, items: list[WorkItem], now: datetime) -> None:
        self.batches.append([item.key for item in items])
        for item in items:
            self._write(session, item, now)

    def _write(self, session: Session, item: WorkItem, now: datetime) -> None:
        if item.key == self.poison:
            raise RuntimeError(f"{item.key} is poison")
        append_audit(session, at=now, actor=self.name, action="work.test", subject=item.key, detail=item.payload)

    @property
    def subscriber(self) -> Subscriber:
        topics = frozenset({"test.tick"})
        return Subscriber(self.name, topics, self.handle, handle_batch=self.handle_batch)


def _ticks(count: int) -> list[Message]:
    return [Message("test.tick", f"e{i}", {"n": i}) for i in range(count)]


def test_a_live_worker_hands_a_batch_subscriber_all_its_items_in_one_call(runtime: Runtime) -> None:
    batched, plain = BatchRecorder(), Recorder("plain")
    subs = subscriptions(plain)
    subs.register(batched.subscriber)
    put(runtime, subs, *_ticks(5))

    tally = WorkQueue(runtime, subs).run_once()

    assert tally.done == 10
    assert batched.batches == [["e0", "e1", "e2", "e3", "e4"]]  # in claim order
    assert batched.singles == []
    assert effects(runtime, batched) == effects(runtime, plain) == {f"e{i}": 1 for i in range(5)}


def test_a_failing_batch_runs_again_item_by_item_and_only_the_bad_item_is_retried(runtime: Runtime) -> None:
    batched = BatchRecorder(poison="e2")
    subs = subscriptions()
    subs.register(batched.subscriber)
    put(runtime, subs, *_ticks(4))

    tally = WorkQueue(runtime, subs).run_once()

    assert (tally.done, tally.retried) == (3, 1)
    assert batched.singles == ["e0", "e1", "e2", "e3"]  # the second run, one savepoint each
    assert effects(runtime, batched) == {"e0": 1, "e1": 1, "e3": 1}  # the failed batch's writes were undone
    with runtime.uow() as uow:
        failed = uow.session.scalars(select(WorkItemRow).where(WorkItemRow.key == "e2")).one()
        assert (failed.status, failed.last_error) == ("ready", "RuntimeError: e2 is poison")


def test_the_time_ordered_drain_delivers_one_item_at_a_time(runtime: Runtime) -> None:
    batched = BatchRecorder()
    subs = subscriptions()
    subs.register(batched.subscriber)
    later = START + timedelta(minutes=5)
    put(runtime, subs, Message("test.tick", "now", {}), Message("test.tick", "later", {}, later))

    WorkQueue(runtime, subs).drain(START + timedelta(minutes=10))

    assert (batched.batches, batched.singles) == ([], ["now", "later"])
    assert effects(runtime, batched) == {"now": 1, "later": 1}


def test_work_committed_in_the_same_process_wakes_an_idle_worker_at_once(runtime: Runtime) -> None:
    recorder = Recorder("woken")
    subs = subscriptions(recorder)
    queue = WorkQueue(runtime, subs)
    queue.poll_seconds = 120.0  # without the wake-up, the item would wait two minutes
    stop = threading.Event()
    worker = threading.Thread(target=queue.run_forever, args=(stop,), daemon=True)
    worker.start()
    try:
        time.sleep(0.5)  # the worker finds nothing and goes idle
        put(runtime, subs, Message("test.tick", "wake", {}))
        deadline = time.monotonic() + 20
        while not effects(runtime, recorder) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        runtime.work_arrived.set()
        worker.join(timeout=10)

    assert effects(runtime, recorder) == {"wake": 1}
    assert not worker.is_alive()
