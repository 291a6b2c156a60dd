"""Real-time membership: a customer's own event re-evaluates them at once, with no refresh, and only segments
that their profile and recent live rows decide take part."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from huoke.events.service import Ingestion
from huoke.platform.runtime import Runtime
from huoke.platform.work import Subscriber, Subscriptions, WorkItem
from huoke.platform.work_store import WorkItemRow
from huoke.platform.worker import WorkQueue
from huoke.segments import membership, realtime, service
from tests.conftest import START
from tests.integration.customers import bank_files as bank

LOGGED_IN_TWICE = {"event": {"type": "login"}, "window": {"last_days": 7}, "agg": "count", "op": "ge", "value": 2}
VIEWED_NOT_BOUGHT = {
    "did": {"event": {"type": "product_view", "where": {"dwell_seconds": {"op": "ge", "value": 60}}}},
    "window": {"last_days": 7},
    "then_not": {"txn": {"txn_type": "wealth_purchase"}},
    "within_hours": 48,
}


class Journeys:
    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    def __call__(self, session: Session, item: WorkItem, now: datetime) -> None:
        self.seen.append(item.payload)


@pytest.fixture
def setup(runtime: Runtime, tmp_path: Path) -> tuple[Ingestion, WorkQueue, Journeys]:
    bank.import_bank(runtime, tmp_path / "bank")
    journeys = Journeys()
    subscriptions = Subscriptions(
        [Subscriber("test.journeys", frozenset({membership.ENTERED, membership.EXITED}), journeys)]
    )
    subscriptions.register(realtime.subscriber(runtime, subscriptions))
    return Ingestion(runtime, subscriptions), WorkQueue(runtime, subscriptions), journeys


def login(number: int, at: datetime, customer_no: str = "C2") -> dict[str, Any]:
    return {"event_id": f"login-{number}", "type": "login", "occurred_at": at.isoformat(), "customer_no": customer_no}


def members(runtime: Runtime, name: str) -> list[str]:
    return service.segment_members(runtime, name=name)["customer_nos"]


def test_a_second_login_puts_the_customer_in_the_segment_without_a_refresh(
    runtime: Runtime, setup: tuple[Ingestion, WorkQueue, Journeys]
) -> None:
    ingestion, queue, journeys = setup
    created = service.create_segment(runtime, name="engaged", rule=LOGGED_IN_TWICE)

    ingestion.events([login(1, START - timedelta(hours=3))], actor="test")
    queue.drain(START)
    after_one = members(runtime, "engaged")
    ingestion.events([login(2, START - timedelta(hours=1))], actor="test")
    queue.drain(START)

    assert created["realtime"] is True
    assert after_one == []
    assert members(runtime, "engaged") == ["C2"]
    assert [(m["segment"], m["change"], m["source"], m["version"]) for m in journeys.seen] == [
        ("engaged", "entered", "realtime", 1)
    ]


def test_viewing_a_wealth_product_enters_the_segment_48_hours_later_unless_they_buy(
    runtime: Runtime, setup: tuple[Ingestion, WorkQueue, Journeys]
) -> None:
    ingestion, queue, journeys = setup
    service.create_segment(runtime, name="interested", rule=VIEWED_NOT_BOUGHT)
    view = {"type": "product_view", "occurred_at": (START - timedelta(hours=1)).isoformat(),
            "properties": {"product_code": "W1", "dwell_seconds": 75}}  # fmt: skip
    ingestion.events([{**view, "event_id": "v1", "customer_no": "C2"}, {**view, "event_id": "v2", "customer_no": "C1"}],
                     actor="test")  # fmt: skip
    queue.drain(START)
    before = members(runtime, "interested")
    bought_at = (START - timedelta(minutes=30)).isoformat()
    purchase = {"txn_id": "t1", "customer_no": "C1", "occurred_at": bought_at, "amount": "50000",
                "direction": "debit", "txn_type": "wealth_purchase", "product_code": "W1"}  # fmt: skip
    report = ingestion.transactions([purchase], actor="test")
    queue.drain(START + timedelta(hours=48))

    assert report.count("accepted") == 1
    assert before == []
    assert members(runtime, "interested") == ["C2"]  # C1 bought within the 48 hours
    assert [(m["change"], m["source"]) for m in journeys.seen] == [("entered", "realtime")]


def test_events_no_real_time_segment_reads_queue_nothing_for_it(
    runtime: Runtime, setup: tuple[Ingestion, WorkQueue, Journeys]
) -> None:
    ingestion, _queue, _journeys = setup
    service.create_segment(runtime, name="engaged", rule=LOGGED_IN_TWICE)
    service.create_segment(runtime, name="seniors_by_tag", rule={"all": [{"attr": "age", "op": "ge", "value": 60}]})
    search = {"event_id": "s1", "type": "search", "occurred_at": START.isoformat(), "customer_no": "C2",
              "properties": {"query": "理财"}}  # fmt: skip
    ingestion.events([search, login(1, START)], actor="test")

    with runtime.uow() as uow:
        queued = uow.session.scalars(select(WorkItemRow.topic).where(WorkItemRow.subscriber == realtime.NAME)).all()
    assert queued == ["event.login"]


def test_segments_that_need_the_whole_lake_are_not_real_time(runtime: Runtime) -> None:
    yearly = {"txn": {"txn_type": "card_spend"}, "window": {"last_days": 365}, "agg": "sum", "op": "ge", "value": 1}
    seniors = service.create_segment(runtime, name="seniors", rule={"attr": "age", "op": "ge", "value": 60})
    spenders = service.create_segment(runtime, name="spenders", rule=yearly)
    both = service.create_segment(runtime, name="both", rule={"all": [{"segment": "seniors"}, {"segment": "spenders"}]})

    assert (seniors["realtime"], spenders["realtime"], both["realtime"]) == (True, False, False)
