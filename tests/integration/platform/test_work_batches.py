"""Subscribers that take a batch at once: a live worker hands them all their claimed items in one call; when
that call fails, the batch runs again item by item so only the bad item is retried; the time-ordered drain of
`huoke run --until` batches only items due at the same moment. Work committed in the worker's own process wakes it."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from huoke.platform.runtime import Runtime
from huoke.platform.store import AuditRow, append_audit
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


def test_the_time_ordered_drain_batches_only_items_due_at_the_same_moment(runtime: Runtime) -> None:
    batched = BatchRecorder()
    subs = subscriptions()
    subs.register(batched.subscriber)
    later = START + timedelta(minutes=5)
    put(runtime, subs, Message("test.tick", "now1", {}), Message("test.tick", "now2", {}))
    put(runtime, subs, Message("test.tick", "later", {}, later))

    WorkQueue(runtime, subs).drain(START + timedelta(minutes=10))

    assert (batched.batches, batched.singles) == ([["now1", "now2"], ["later"]], [])
    assert effects(runtime, batched) == {"now1": 1, "now2": 1, "later": 1}
    with runtime.uow() as uow:
        audit = uow.session.scalars(select(AuditRow).where(AuditRow.actor == "batched").order_by(AuditRow.id))
        assert [(row.subject, row.at) for row in audit] == [("now1", START), ("now2", START), ("later", later)]


def test_batch_subscribers_take_their_items_first_and_plain_ones_follow_in_claim_order(runtime: Runtime) -> None:
    order: list[str] = []
    batched = BatchRecorder()
    batched_handle = batched.handle_batch

    def note_batch(session: Session, items: list[WorkItem], now: datetime) -> None:
        order.append("batch:" + ",".join(item.key for item in items))
        batched_handle(session, items, now)

    def note_plain(_session: Session, item: WorkItem, _now: datetime) -> None:
        order.append(f"plain:{item.key}")

    subs = subscriptions()
    subs.register(replace(batched.subscriber, handle_batch=note_batch))
    put(runtime, subs, Message("test.tick", "a", {}), Message("test.tick", "b", {}))
    subs.register(Subscriber("plain", frozenset({"test.tick"}), note_plain))
    put(runtime, subs, Message("test.tick", "c", {}))

    WorkQueue(runtime, subs).run_once()

    # claimed a, b (batched), then c for both: the batch subscriber gets a, b and c together, then the plain one
    assert order == ["batch:a,b,c", "plain:c"]


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
