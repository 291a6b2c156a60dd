"""The work queue delivers what callers enqueue: once per subscriber, retried with backoff, parked when hopeless."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from huoke.platform.runtime import Runtime
from huoke.platform.store import ApiKeyRow
from huoke.platform.work import Message, Subscriber, WorkItem, enqueue
from huoke.platform.work_admin import queue_status, retry_parked
from huoke.platform.work_store import WorkItemRow
from huoke.platform.worker import WorkQueue
from tests.conftest import START
from tests.e2e.support.work_subscribers import Recorder, effects, put, subscriptions

HASH = "0" * 64


def _statuses(runtime: Runtime) -> dict[tuple[str, str], str]:
    with runtime.uow() as uow:
        rows = uow.session.scalars(select(WorkItemRow))
        return {(r.subscriber, r.key): r.status for r in rows}


def test_enqueue_queues_one_item_per_subscriber_and_skips_a_repeated_key(runtime: Runtime) -> None:
    a, b, other = Recorder("a"), Recorder("b"), Recorder("other", topics=("test.other",))
    subs = subscriptions(a, b, other)

    first = put(runtime, subs, Message("test.tick", "e1", {"n": 1}))
    again = put(runtime, subs, Message("test.tick", "e1", {"n": 1}), Message("test.tick", "e2", {"n": 2}))
    nobody = put(runtime, subs, Message("test.unheard", "e3", {}))

    assert (first, again, nobody) == (2, 2, 0)
    assert _statuses(runtime) == {
        ("a", "e1"): "ready",
        ("b", "e1"): "ready",
        ("a", "e2"): "ready",
        ("b", "e2"): "ready",
    }


def test_enqueued_work_commits_or_vanishes_with_the_callers_transaction(runtime: Runtime) -> None:
    subs = subscriptions(Recorder("a"))
    with runtime.uow() as uow:
        enqueue(uow.session, subs, topic="test.tick", key="rolled-back", payload={}, now=START)
        # no commit: the caller's use case failed, so its work must not exist either
    with runtime.uow() as uow:
        enqueue(uow.session, subs, topic="test.tick", key="committed", payload={}, now=START)
        uow.commit()

    assert _statuses(runtime) == {("a", "committed"): "ready"}


def test_run_once_delivers_due_items_once_and_leaves_future_ones_waiting(runtime: Runtime) -> None:
    a, b = Recorder("a"), Recorder("b")
    subs = subscriptions(a, b)
    later = START + timedelta(hours=1)
    put(runtime, subs, Message("test.tick", "now", {"n": 1}), Message("test.tick", "later", {"n": 2}, later))
    queue = WorkQueue(runtime, subs)

    tally = queue.run_once()
    again = queue.run_once()

    assert (tally.done, again.processed) == (2, 0)
    assert a.calls == [("now", START, 1)]
    assert effects(runtime, a) == effects(runtime, b) == {"now": 1}
    assert _statuses(runtime)[("a", "later")] == "ready"


def test_a_failed_delivery_is_retried_with_backoff_and_its_writes_are_undone(runtime: Runtime) -> None:
    flaky, steady = Recorder("flaky", fail_attempts=2), Recorder("steady")
    subs = subscriptions(flaky, steady)
    put(runtime, subs, Message("test.tick", "e1", {}))

    processed = WorkQueue(runtime, subs).drain(START + timedelta(hours=1))

    assert processed == 4  # steady once; flaky twice failed and once done
    assert [(at - START).total_seconds() for _, at, _ in flaky.calls] == [0, 30, 90]
    assert [attempt for _, _, attempt in flaky.calls] == [1, 2, 3]
    assert effects(runtime, flaky) == {"e1": 1}  # the failed attempts' writes were rolled back
    assert _statuses(runtime) == {("flaky", "e1"): "done", ("steady", "e1"): "done"}


def test_an_item_failing_every_time_is_parked_with_its_error_and_can_be_requeued(runtime: Runtime) -> None:
    broken = Recorder("broken", fail_attempts=99)
    subs = subscriptions(broken)
    put(runtime, subs, Message("test.tick", "e1", {}))
    queue = WorkQueue(runtime, subs)
    queue.max_attempts = 3

    queue.drain(START + timedelta(days=1))
    parked = queue_status(runtime, subs)["parked"]
    broken.fail_attempts = 0  # the defect is fixed
    requeued = retry_parked(runtime, subscriber="broken")
    queue.run_once()

    assert len(broken.calls) == 4
    assert [(p["key"], p["attempts"]) for p in parked] == [("e1", 3)]
    assert parked[0]["last_error"] == "RuntimeError: attempt 3 at e1 failed on purpose"
    assert requeued == {"requeued": 1, "subscriber": "broken"}
    assert effects(runtime, broken) == {"e1": 1}
    assert _statuses(runtime) == {("broken", "e1"): "done"}


def test_items_of_a_subscriber_that_no_longer_exists_are_parked_with_a_clear_error(runtime: Runtime) -> None:
    put(runtime, subscriptions(Recorder("gone"), Recorder("kept")), Message("test.tick", "e1", {}))
    kept = Recorder("kept")

    tally = WorkQueue(runtime, subscriptions(kept)).run_once()

    status = queue_status(runtime, subscriptions(kept))
    assert (tally.done, tally.parked) == (1, 1)
    assert status["parked"][0]["subscriber"] == "gone"
    assert "no subscriber named 'gone' is registered" in status["parked"][0]["last_error"]
    assert status["subscribers"]["gone"]["registered"] is False


def test_a_database_error_in_one_handler_spoils_nothing_else_in_the_batch(runtime: Runtime) -> None:
    def bad_sql(session: Session, item: WorkItem, _now: datetime) -> None:
        session.execute(text("SELECT * FROM no_such_table"))

    good = Recorder("good")
    subs = subscriptions(good)
    subs.register(Subscriber(name="bad", topics=frozenset({"test.tick"}), handle=bad_sql))
    put(runtime, subs, *(Message("test.tick", f"e{i}", {}) for i in range(3)))

    tally = WorkQueue(runtime, subs).run_once()

    assert (tally.done, tally.retried) == (3, 3)
    assert effects(runtime, good) == {"e0": 1, "e1": 1, "e2": 1}
    status = queue_status(runtime, subs)
    assert status["subscribers"]["bad"]["ready"] == 3
    assert status["subscribers"]["good"]["done"] == 3


def test_a_write_that_fails_only_when_flushed_is_pinned_on_its_own_item(runtime: Runtime) -> None:
    def handle(session: Session, item: WorkItem, now: datetime) -> None:
        key_id = "taken" if item.key == "e1" else f"key-{item.key}"
        session.add(ApiKeyRow(key_id=key_id, name=item.key, secret_hash=HASH, created_at=now, revoked_at=None))

    subs = subscriptions()
    subs.register(Subscriber(name="keys", topics=frozenset({"test.tick"}), handle=handle))
    with runtime.uow() as uow:
        uow.session.add(ApiKeyRow(key_id="taken", name="first", secret_hash=HASH, created_at=START, revoked_at=None))
        uow.commit()
    put(runtime, subs, *(Message("test.tick", f"e{i}", {}) for i in range(3)))

    tally = WorkQueue(runtime, subs).run_once()

    assert (tally.done, tally.retried) == (2, 1)
    assert _statuses(runtime) == {("keys", "e0"): "done", ("keys", "e1"): "ready", ("keys", "e2"): "done"}
    with runtime.uow() as uow:
        failed = uow.session.scalars(select(WorkItemRow).where(WorkItemRow.key == "e1")).one()
        assert failed.last_error is not None
        assert failed.last_error.startswith("IntegrityError")
