"""Pure item rules: each problem names the field and the reason; amounts become exact fen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from huoke.events.catalogue import check_custom_type, validators
from huoke.events.model import EventIn, ItemError, Limits, TransactionIn, parse_event, parse_transaction

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
LIMITS = Limits(zone=SHANGHAI, now=NOW, max_future_skew=timedelta(minutes=5))
SCHEMAS = validators({})


def txn(**fields: object) -> dict[str, object]:
    base = {"txn_id": "T1", "customer_no": "C1", "occurred_at": "2026-11-24T08:00", "direction": "debit"}
    return {**base, "amount": "10.00", "txn_type": "card_spend", **fields}


@pytest.mark.parametrize(
    ("amount", "fen"), [("0.01", 1), (12.3, 1230), ("99999.99", 9_999_999), (5, 500), ("1e2", 10_000)]
)
def test_amounts_in_yuan_become_exact_fen(amount: object, fen: int) -> None:
    parsed = parse_transaction(txn(amount=amount), LIMITS)
    assert isinstance(parsed, TransactionIn)
    assert parsed.amount_fen == fen


@pytest.mark.parametrize("amount", ["0", 0, -1, "-0.01", "1.001", "abc", None, True, "NaN", "Infinity"])
def test_amounts_that_are_not_positive_yuan_are_rejected_on_the_amount_field(amount: object) -> None:
    parsed = parse_transaction(txn(amount=amount), LIMITS)
    assert isinstance(parsed, list)
    assert [e.field for e in parsed] == ["amount"]


def test_naive_times_are_business_zone_and_the_future_is_bounded_by_the_skew() -> None:
    ok = parse_transaction(txn(occurred_at="2026-11-24T09:04"), LIMITS)
    late = parse_transaction(txn(occurred_at="2026-11-24T09:06"), LIMITS)

    assert isinstance(ok, TransactionIn)
    assert ok.occurred_at == datetime(2026, 11, 24, 1, 4, tzinfo=UTC)
    assert isinstance(late, list)
    assert late[0].field == "occurred_at"
    assert "in the future" in late[0].reason


def test_every_problem_of_an_item_is_reported_not_only_the_first() -> None:
    parsed = parse_transaction({"txn_id": "", "amount": "-3", "direction": "sideways", "txn_type": "gift"}, LIMITS)
    assert isinstance(parsed, list)
    assert {e.field for e in parsed} == {"txn_id", "customer_no", "occurred_at", "amount", "direction", "txn_type"}


def test_event_identity_comes_from_customer_no_or_the_identity_object() -> None:
    base = {"event_id": "e1", "type": "login", "occurred_at": "2026-11-24T08:00"}
    by_number = parse_event({**base, "customer_no": "C1"}, LIMITS, SCHEMAS)
    by_device = parse_event({**base, "identity": {"device_id": " d-1 "}}, LIMITS, SCHEMAS)
    conflicting = parse_event({**base, "customer_no": "C1", "identity": {"customer_no": "C2"}}, LIMITS, SCHEMAS)
    unknown_kind = parse_event({**base, "identity": {"imei": "x"}}, LIMITS, SCHEMAS)

    assert isinstance(by_number, EventIn)
    assert by_number.identity == {"customer_no": "C1"}
    assert isinstance(by_device, EventIn)
    assert by_device.identity == {"device_id": "d-1"}
    assert conflicting == [ItemError("customer_no", "differs from identity.customer_no")]
    assert isinstance(unknown_kind, list)
    assert unknown_kind[0].field == "identity.imei"


def test_standard_property_schemas_are_enforced_with_the_property_named() -> None:
    base = {"event_id": "e1", "type": "product_view", "occurred_at": "2026-11-24T08:00", "customer_no": "C1"}
    missing = parse_event({**base, "properties": {"product_code": "W1"}}, LIMITS, SCHEMAS)
    negative = parse_event({**base, "properties": {"product_code": "W1", "dwell_seconds": -2}}, LIMITS, SCHEMAS)
    fine = parse_event(
        {**base, "properties": {"product_code": "W1", "dwell_seconds": 42.5, "extra": 1}}, LIMITS, SCHEMAS
    )

    assert isinstance(missing, list)
    assert missing[0].field == "properties.dwell_seconds"
    assert isinstance(negative, list)
    assert negative[0].field == "properties.dwell_seconds"
    assert isinstance(fine, EventIn)


def test_custom_type_rules() -> None:
    assert check_custom_type("loan_quote", {"type": "object"}) == []
    assert check_custom_type("page_view", {"type": "object"})
    assert check_custom_type("x", {"type": "object"})  # too short
    assert check_custom_type("quote", [])
