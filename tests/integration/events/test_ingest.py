"""Live ingestion: per-item outcomes, identity through ONE_ID, idempotency, work for subscribers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from huoke.customers import service as customers
from huoke.customers.service import CustomerLookup
from huoke.events import service
from huoke.events.ingest import insert_new
from huoke.events.service import Ingestion
from huoke.events.store import EventRow, TransactionRow
from huoke.platform.errors import InvalidInput, PayloadTooLarge
from huoke.platform.runtime import Runtime
from huoke.platform.work_store import WorkItemRow
from huoke.platform.worker import WorkQueue
from tests.conftest import START
from tests.integration.events.conftest import Recorder

AT = "2026-11-24T08:30:00+08:00"


def event(event_id: str, **fields: object) -> dict[str, object]:
    return {"event_id": event_id, "type": "login", "occurred_at": AT, "customer_no": "C1", **fields}


def txn(txn_id: str, **fields: object) -> dict[str, object]:
    base = {"txn_id": txn_id, "customer_no": "C1", "occurred_at": AT, "amount": "88.50", "direction": "debit"}
    return {**base, "txn_type": "card_spend", "mcc": "5812", **fields}


def statuses(report: service.BatchReport) -> list[str]:
    return [r.status for r in report.results]


def errors_of(report: service.BatchReport, index: int) -> list[tuple[str, str]]:
    return [(e.field, e.reason) for e in report.results[index].errors]


def count(runtime: Runtime, entity: type) -> int:
    with runtime.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(entity)) or 0)


def test_each_bad_event_is_rejected_with_field_and_reason_and_the_rest_accepted(ingestion: Ingestion) -> None:
    future = (START + timedelta(minutes=10)).isoformat()
    report = ingestion.events(
        [
            event("e-ok"),
            event("e-type", type="teleport"),
            event("e-prop", type="product_view", properties={"product_code": "W1", "dwell_seconds": "long"}),
            {"event_id": "e-who", "type": "login", "occurred_at": AT},
            event("e-future", occurred_at=future),
            event("e-time", occurred_at="yesterday"),
            event("e-stranger", customer_no="C404"),
            "not an object",
        ],
        actor="test",
    )

    assert statuses(report) == ["accepted"] + ["rejected"] * 7
    assert errors_of(report, 1)[0][0] == "type"
    assert "unknown event type" in errors_of(report, 1)[0][1]
    assert errors_of(report, 2) == [("properties.dwell_seconds", "'long' is not of type 'number'")]
    assert errors_of(report, 3)[0][0] == "identity"
    assert "missing identity" in errors_of(report, 3)[0][1]
    assert errors_of(report, 4)[0][0] == "occurred_at"
    assert "in the future" in errors_of(report, 4)[0][1]
    assert errors_of(report, 5)[0][0] == "occurred_at"
    assert errors_of(report, 6) == [("identity.customer_no", "no customer with this number")]
    assert report.as_dict()["accepted"] == 1
    assert report.as_dict()["rejected"] == 7
    assert count(ingestion.runtime, EventRow) == 1


def test_a_repeated_event_id_is_a_duplicate_with_no_second_effect(ingestion: Ingestion, recorder: Recorder) -> None:
    first = ingestion.events([event("e-1"), event("e-1")], actor="test")
    again = ingestion.events([event("e-1", type="app_open")], actor="test")
    WorkQueue(ingestion.runtime, ingestion.subscriptions).drain(START + timedelta(hours=1))

    assert statuses(first) == ["accepted", "duplicate"]
    assert statuses(again) == ["duplicate"]
    assert count(ingestion.runtime, EventRow) == 1
    assert count(ingestion.runtime, WorkItemRow) == 1
    assert recorder.seen == {"event:e-1": 1}


def test_accepted_items_and_their_work_commit_together_and_are_delivered_once(
    ingestion: Ingestion, recorder: Recorder
) -> None:
    ingestion.events([event(f"e-{i}", type="search", properties={"query": "大额存单"}) for i in range(30)], actor="t")
    ingestion.transactions([txn(f"t-{i}") for i in range(20)], actor="t")

    processed = WorkQueue(ingestion.runtime, ingestion.subscriptions).drain(START + timedelta(minutes=5))

    assert processed == 50
    assert sorted(recorder.seen.values()) == [1] * 50


def test_transactions_resolve_by_account_or_customer_and_reject_bad_items(ingestion: Ingestion) -> None:
    report = ingestion.transactions(
        [
            txn("t-by-customer"),
            txn("t-by-account", customer_no=None, account_no="6222020000000001"),
            txn("t-zero", amount="0"),
            txn("t-negative", amount=-5),
            txn("t-3dp", amount="1.005"),
            txn("t-wrong-owner", customer_no="C2", account_no="6222020000000001"),
            txn("t-unknown-account", account_no="6222029999999999"),
            txn("t-no-identity", customer_no=None),
            txn("t-kind", txn_type="gift"),
        ],
        actor="test",
    )

    assert statuses(report) == ["accepted", "accepted"] + ["rejected"] * 7
    fields = [errors_of(report, i)[0][0] for i in range(2, 9)]
    assert fields == ["amount", "amount", "amount", "account_no", "account_no", "customer_no", "txn_type"]
    assert report.results[0].one_id == report.results[1].one_id
    with ingestion.runtime.uow() as uow:
        row = uow.session.scalars(select(TransactionRow).where(TransactionRow.txn_id == "t-by-account")).one()
        stored = (row.customer_no, row.amount_fen, row.account_masked)
    assert stored == ("C1", 8850, "622202******0001")


def test_an_anonymous_device_gets_a_profile_that_merges_when_the_person_logs_in(ingestion: Ingestion) -> None:
    browse = {"event_id": "e-anon", "type": "page_view", "occurred_at": AT, "properties": {"page": "/wealth"}}
    anonymous = ingestion.events([{**browse, "identity": {"device_id": "dev-42"}}], actor="test")
    login = event("e-login", identity={"customer_no": "C1", "device_id": "dev-42"})
    identified = ingestion.events([login], actor="test")

    unit = anonymous.results[0].one_id
    c1 = customers.show_customer(ingestion.runtime, CustomerLookup(customer_no="C1"))["one_id"]
    assert unit is not None
    assert unit != c1
    assert identified.results[0].status == "accepted"
    with ingestion.runtime.uow() as uow:
        assert customers.profile_of(uow.session, unit) == c1
        assert unit in customers.profile_units(uow.session, c1)


def test_a_known_device_resolves_without_creating_profiles(ingestion: Ingestion) -> None:
    ingestion.events([event("e-1", identity={"customer_no": "C1", "device_id": "dev-7"})], actor="t")
    with ingestion.runtime.uow() as uow:
        before = uow.session.scalar(select(func.count()).select_from(EventRow.metadata.tables["customers"]))

    later = ingestion.events([{**event("e-2"), "customer_no": None, "identity": {"device_id": "dev-7"}}], actor="t")

    with ingestion.runtime.uow() as uow:
        after = uow.session.scalar(select(func.count()).select_from(EventRow.metadata.tables["customers"]))
    assert later.results[0].status == "accepted"
    assert before == after


def test_custom_event_types_are_registered_with_a_schema_that_is_enforced(ingestion: Ingestion) -> None:
    schema = {
        "type": "object",
        "properties": {"loan_amount": {"type": "number", "minimum": 0}, "term_months": {"type": "integer"}},
        "required": ["loan_amount"],
    }
    made = service.register_event_type(
        ingestion.runtime, name="loan_calculator_used", schema=schema, description=None, actor="t"
    )
    report = ingestion.events(
        [
            event("c-ok", type="loan_calculator_used", properties={"loan_amount": 300000, "term_months": 36}),
            event("c-bad", type="loan_calculator_used", properties={"term_months": 1.5}),
        ],
        actor="t",
    )

    assert made == {"name": "loan_calculator_used", "version": 1, "standard": False}
    assert statuses(report) == ["accepted", "rejected"]
    assert {f for f, _ in errors_of(report, 1)} == {"properties.loan_amount", "properties.term_months"}


@pytest.mark.parametrize(
    ("name", "schema", "reason"),
    [
        ("login", {"type": "object"}, "a standard event type"),
        ("Bad Name", {"type": "object"}, "lower-case"),
        ("x_event", {"type": "array"}, "top level must be"),
        ("y_event", {"type": "object", "properties": {"a": {"type": "nonsense"}}}, "not a valid JSON Schema"),
    ],
)
def test_an_invalid_custom_type_is_refused_with_the_reason(
    ingestion: Ingestion, name: str, schema: dict[str, object], reason: str
) -> None:
    with pytest.raises(InvalidInput, match=reason):
        service.register_event_type(ingestion.runtime, name=name, schema=schema, description=None, actor="t")


def test_an_oversized_batch_is_refused_whole(ingestion: Ingestion) -> None:
    limit = ingestion.runtime.settings.ingest_max_items
    with pytest.raises(PayloadTooLarge):
        ingestion.events([event(f"e-{i}") for i in range(limit + 1)], actor="t")
    assert count(ingestion.runtime, EventRow) == 0


def test_a_concurrent_repeat_is_skipped_by_the_insert_itself(ingestion: Ingestion) -> None:
    """Two requests with one event id can both pass the duplicate check; the insert still stores it once."""
    ingestion.events([event("e-race")], actor="t")
    row = {"type": "login", "occurred_at": START, "received_at": START, "one_id": "u", "properties": {}}
    with ingestion.runtime.uow() as uow:
        inserted = insert_new(
            uow.session, EventRow, [{**row, "event_id": "e-race"}, {**row, "event_id": "e-new"}], "event_id"
        )
        uow.commit()

    assert inserted == {"e-new"}
    assert count(ingestion.runtime, EventRow) == 2


def test_a_type_registered_while_ingestion_runs_is_accepted_from_then_on(ingestion: Ingestion) -> None:
    before = ingestion.events([event("t-1", type="card_activated")], actor="t")
    service.register_event_type(
        ingestion.runtime, name="card_activated", schema={"type": "object"}, description=None, actor="t"
    )
    after = ingestion.events([event("t-2", type="card_activated")], actor="t")

    assert statuses(before) == ["rejected"]
    assert statuses(after) == ["accepted"]
