"""Leases, stops and time: killed workers' items come back, `run --until` delivers in time order."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from huoke.platform.clockstate import set_clock
from huoke.platform.errors import InvalidInput
from huoke.platform.runtime import Runtime
from huoke.platform.service import Platform
from huoke.platform.store import AuditRow, append_audit
from huoke.platform.work import Message, Subscriber, WorkItem, enqueue
from huoke.platform.work_admin import purge_done, queue_status
from huoke.platform.worker import WorkQueue
from tests.conftest import START
from tests.e2e.support.work_subscribers import Recorder, effects, move_clock, put, subscriptions


def test_an_expired_lease_lets_another_worker_deliver_and_the_late_worker_skips(runtime: Runtime) -> None:
    rec = Recorder("a")
    subs = subscriptions(rec)
    put(runtime, subs, Message("test.tick", "e1", {}))
    slow, other = WorkQueue(runtime, subs, worker_id="slow"), WorkQueue(runtime, subs, worker_id="other")

    claimed = slow.claim(START)  # then the slow worker stalls (or dies) past its lease
    before_expiry = other.run_once()
    move_clock(runtime, START + slow.lease)
    after_expiry = other.run_once()
    late = slow.deliver(claimed, now=START)

    assert [i.key for i in claimed] == ["e1"]
    assert (before_expiry.processed, after_expiry.done, late.processed) == (0, 1, 0)
    assert rec.calls == [("e1", START + slow.lease, 2)]
    assert effects(runtime, rec) == {"e1": 1}


def test_an_item_whose_worker_keeps_dying_is_parked_as_abandoned(runtime: Runtime) -> None:
    rec = Recorder("a")
    subs = subscriptions(rec)
    put(runtime, subs, Message("test.tick", "poison", {}))
    queue = WorkQueue(runtime, subs)
    queue.max_attempts = 2
    now = START
    for _ in range(queue.max_attempts):  # each claim's worker is killed before it delivers
        assert len(queue.claim(now)) == 1
        now += queue.lease
        move_clock(runtime, now)

    tally = queue.run_once()

    assert (tally.parked, rec.calls) == (1, [])
    assert "abandoned 2 times" in queue_status(runtime, subs)["parked"][0]["last_error"]


def test_a_stopped_worker_gives_its_unprocessed_items_back_at_once(runtime: Runtime) -> None:
    stop = threading.Event()
    seen: list[str] = []

    def handle(_session: Session, item: WorkItem, _now: datetime) -> None:
        seen.append(item.key)
        stop.set()  # SIGTERM arrives while the first item is being handled

    subs = subscriptions()
    subs.register(Subscriber(name="a", topics=frozenset({"test.tick"}), handle=handle))
    put(runtime, subs, *(Message("test.tick", f"e{i}", {}) for i in range(3)))
    queue = WorkQueue(runtime, subs)

    stopped = queue.run_once(stop)
    resumed = WorkQueue(runtime, subs).claim(START)

    assert (stopped.done, seen) == (1, ["e0"])
    assert [(i.key, i.attempts) for i in resumed] == [("e1", 1), ("e2", 1)]


def test_drain_delivers_in_time_order_including_work_falling_due_meanwhile(runtime: Runtime) -> None:
    tried: list[tuple[str, timedelta]] = []
    flaky = {"retry": True}

    def handle(session: Session, item: WorkItem, now: datetime) -> None:
        tried.append((item.key, now - START))
        append_audit(session, at=now, actor="s", action="work.test", subject=item.key, detail={})
        if item.key == "a":  # a handler's own follow-up, ten minutes later
            later = now + timedelta(minutes=10)
            enqueue(session, subs, topic="test.tick", key="a+", payload={}, now=now, available_at=later)
        if item.key == "b" and flaky.pop("retry", False):
            raise RuntimeError("once")

    subs = subscriptions()
    subs.register(Subscriber(name="s", topics=frozenset({"test.tick"}), handle=handle))
    at = {"a": timedelta(hours=1), "b": timedelta(hours=1, minutes=5), "c": timedelta(hours=2), "d": timedelta(days=2)}
    put(runtime, subs, *(Message("test.tick", key, {}, START + offset) for key, offset in at.items()))

    processed = WorkQueue(runtime, subs).drain(START + timedelta(days=1))

    assert processed == 5  # a, b failed, b, a+, c; d is not due yet
    assert ("b", timedelta(hours=1, minutes=5)) in tried  # the failed attempt, whose write was undone
    assert _committed(runtime) == [
        ("a", timedelta(hours=1)),
        ("b", timedelta(hours=1, minutes=5, seconds=30)),  # the retry, 30 s later, comes before the follow-up
        ("a+", timedelta(hours=1, minutes=10)),
        ("c", timedelta(hours=2)),
    ]


def _committed(runtime: Runtime) -> list[tuple[str, timedelta]]:
    """The test handler's committed writes, in the order they were made."""
    with runtime.uow() as uow:
        rows = uow.session.scalars(select(AuditRow).where(AuditRow.action == "work.test").order_by(AuditRow.id))
        return [(row.subject, row.at - START) for row in rows]


def test_run_until_delivers_due_work_on_the_way_and_moves_the_clock(runtime: Runtime) -> None:
    rec = Recorder("a")
    subs = subscriptions(rec)
    put(runtime, subs, *(Message("test.tick", f"h{h}", {}, START + timedelta(hours=h)) for h in (1, 3, 30)))
    platform = Platform(runtime=runtime, due_work=[WorkQueue(runtime, subs).drain])

    result = platform.run_until(START + timedelta(hours=24))

    assert result == {"processed": 2, "now": "2026-11-25T09:00:00+08:00"}
    assert [(key, at - START) for key, at, _ in rec.calls] == [("h1", timedelta(hours=1)), ("h3", timedelta(hours=3))]


def test_run_until_on_a_real_clock_is_refused_before_anything_is_delivered(runtime: Runtime) -> None:
    rec = Recorder("a")
    subs = subscriptions(rec)
    put(runtime, subs, Message("test.tick", "e1", {}))
    with runtime.uow() as uow:
        set_clock(uow.session, "real", None)
        uow.commit()
    platform = Platform(runtime=runtime, due_work=[WorkQueue(runtime, subs).drain])

    with pytest.raises(InvalidInput, match="needs a simulated clock"):
        platform.run_until(START + timedelta(days=400))

    assert rec.calls == []


def test_status_counts_items_and_purge_removes_only_old_done_ones(runtime: Runtime) -> None:
    subs = subscriptions(Recorder("a"), Recorder("b", fail_attempts=99))
    put(runtime, subs, Message("test.tick", "e1", {}), Message("test.tick", "e2", {}, START + timedelta(hours=1)))
    queue = WorkQueue(runtime, subs)
    queue.run_once()
    move_clock(runtime, START + timedelta(days=10))

    status = queue_status(runtime, subs)
    purged = purge_done(runtime, older_than_days=7)
    kept = queue_status(runtime, subs)["totals"]

    assert status["subscribers"]["a"] == {
        "ready": 1,
        "due": 1,
        "in_flight": 0,
        "done": 1,
        "parked": 0,
        "registered": True,
    }
    assert status["subscribers"]["b"]["ready"] == 2
    assert status["oldest_due_age_seconds"] == (timedelta(days=10) - timedelta(seconds=30)).total_seconds()  # b's retry
    assert purged["purged"] == 1
    assert kept == {"ready": 3, "due": 3, "in_flight": 0, "done": 0, "parked": 0}
