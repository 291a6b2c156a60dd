"""The `events.activity` subscriber: per-unit figures, each item counted exactly once."""

from __future__ import annotations

from datetime import UTC, timedelta

from huoke.app import build_ingestion, build_work_queue
from huoke.customers import service as customers
from huoke.customers.service import CustomerLookup
from huoke.events.store import ActivityRow
from huoke.platform.runtime import Runtime
from huoke.platform.work import Subscriber, Subscriptions
from tests.conftest import START


def test_activity_figures_follow_events_and_transactions_once_each(bank_runtime: Runtime) -> None:
    ingestion = build_ingestion(bank_runtime)
    at = START - timedelta(days=1)
    events = [
        {"event_id": "l1", "type": "login", "occurred_at": at.isoformat(), "customer_no": "C1"},
        {"event_id": "s1", "type": "search", "occurred_at": START.isoformat(), "customer_no": "C1",
         "properties": {"query": "理财"}},
    ]  # fmt: skip
    spend = {"customer_no": "C1", "occurred_at": at.isoformat(), "direction": "debit", "txn_type": "card_spend"}
    ingestion.events(events, actor="t")
    ingestion.transactions(
        [{**spend, "txn_id": "t1", "amount": "10.50"}, {**spend, "txn_id": "t2", "amount": 5}], actor="t"
    )
    ingestion.events(events, actor="t")  # repeats: no second count

    build_work_queue(bank_runtime).drain(START + timedelta(minutes=1))
    build_work_queue(bank_runtime).drain(START + timedelta(minutes=2))  # nothing left to count again

    one_id = customers.show_customer(bank_runtime, CustomerLookup(customer_no="C1"))["one_id"]
    with bank_runtime.uow() as uow:
        row = uow.session.get(ActivityRow, one_id)
        assert row is not None
        figures = (row.events_total, row.txns_total, row.debit_fen_total, row.credit_fen_total)
        times = (row.first_seen_at, row.last_seen_at, row.last_login_at, row.last_txn_at)
    assert figures == (2, 2, 1550, 0)
    assert times == (at.astimezone(UTC), START.astimezone(UTC), at.astimezone(UTC), at.astimezone(UTC))


def test_subscribers_may_name_topics_by_prefix() -> None:
    def ignore(*_: object) -> None:
        return None

    subs = Subscriptions(
        [Subscriber("all", frozenset({"event.*"}), ignore), Subscriber("one", frozenset({"event.login"}), ignore)]
    )

    assert [s.name for s in subs.for_topic("event.login")] == ["all", "one"]
    assert [s.name for s in subs.for_topic("event.custom_thing")] == ["all"]
    assert subs.for_topic("transaction.salary") == []
    assert subs.for_topic("eventual") == []
