"""The reference evaluator on one customer, with expectations worked out by hand from CONTRACTS.md §3.

Evaluation time throughout: Wednesday 2026-03-18 10:00 in Asia/Shanghai (02:00 UTC).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from huoke.segments.dsl import parse_rule
from huoke.segments.evaluate import evaluate
from huoke.segments.facts import CustomerFacts, EventFact, HoldingFact, TxnFact

SHANGHAI = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2026, 3, 18, 10, 0, tzinfo=SHANGHAI)


def at(day: str, clock: str = "12:00") -> datetime:
    """An instant given in Shanghai time."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=SHANGHAI)


def spend(when: datetime, yuan: float = 10, **fields: Any) -> TxnFact:
    base: dict[str, Any] = {"direction": "debit", "txn_type": "card_spend"}
    return TxnFact(occurred_at=when, amount_fen=round(yuan * 100), **{**base, **fields})


def customer(**fields: Any) -> CustomerFacts:
    return CustomerFacts(zone=SHANGHAI, **fields)


def matches(rule: dict[str, Any], facts: CustomerFacts, as_of: datetime = AS_OF) -> bool:
    return evaluate(parse_rule(rule), facts, as_of)


def attr(name: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"attr": name, "op": op, "value": value}


def txn_count(window: dict[str, Any], op: str = "ge", value: int = 1, **flt: Any) -> dict[str, Any]:
    return {"txn": flt, "window": window, "agg": "count", "op": op, "value": value}


# --- attributes and null semantics -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "age"), [("1966-03-18", 60), ("1966-03-19", 59), ("1966-03-17", 60), ("2000-02-29", 26)]
)
def test_age_is_whole_years_on_the_business_date(born: str, age: int) -> None:
    facts = customer(attributes={"birth_date": date.fromisoformat(born)})
    assert matches(attr("age", "eq", age), facts)


def test_age_turns_over_at_midnight_shanghai_not_utc() -> None:
    facts = customer(attributes={"birth_date": date(1966, 3, 19)})
    before_midnight = datetime(2026, 3, 18, 15, 59, tzinfo=UTC)  # 23:59 Shanghai on the 18th
    after_midnight = datetime(2026, 3, 18, 16, 0, tzinfo=UTC)  # 00:00 Shanghai on the 19th
    assert matches(attr("age", "eq", 59), facts, before_midnight)
    assert matches(attr("age", "eq", 60), facts, after_midnight)


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("eq", "杭州", True),
        ("ne", "杭州", False),
        ("ne", "宁波", True),
        ("in", ["宁波", "杭州"], True),
        ("not_in", ["宁波"], True),
        ("not_in", ["杭州"], False),
        ("contains", "州", True),
        ("starts_with", "杭", True),
        ("starts_with", "州", False),
        ("gt", "宁波", True),
        ("between", ["A", "Z"], False),
        ("is_null", None, False),
        ("not_null", None, True),
    ],
)
def test_text_attribute_operators(op: str, value: Any, expected: bool) -> None:
    assert matches(attr("city", op, value), customer(attributes={"city": "杭州"})) is expected


@pytest.mark.parametrize(
    ("op", "value"),
    [("eq", 60), ("ne", 60), ("lt", 60), ("ge", 0), ("between", [0, 200]), ("in", [60]), ("not_in", [60])],
)
def test_a_comparison_with_a_missing_value_is_false_and_its_not_is_true(op: str, value: Any) -> None:
    nobody = customer(attributes={"city": "杭州"})
    assert not matches(attr("age", op, value), nobody)
    assert matches({"not": attr("age", op, value)}, nobody)
    assert matches(attr("age", "is_null"), nobody)
    assert not matches(attr("age", "not_null"), nobody)


def test_custom_attributes_compare_like_with_like() -> None:
    facts = customer(attributes={"vip_score": "7.5", "has_car": True, "nickname": "阿明", "joined": "2026-03-01"})
    assert matches(attr("vip_score", "gt", 7), facts)  # numeric text reads as a number
    assert not matches(attr("vip_score", "eq", "7.50"), facts)  # ...but text compares as text
    assert matches(attr("has_car", "eq", True), facts)
    assert not matches(attr("nickname", "gt", 1), facts)  # not a number: missing, so false
    assert not matches(attr("nickname", "ne", 1), facts)
    assert matches(attr("joined", "within_last_days", 18), facts)
    assert not matches(attr("joined", "within_last_days", 17), facts)


def test_date_attributes_use_business_dates() -> None:
    opened = datetime(2026, 2, 16, 16, 30, tzinfo=UTC)  # 00:30 on Feb 17 in Shanghai
    facts = customer(attributes={"opened_at": opened})
    assert matches(attr("opened_at", "eq", "2026-02-17"), facts)
    assert matches(attr("opened_at", "within_last_days", 30), facts)  # 18 - (-11) = 29 days ago
    assert not matches(attr("opened_at", "within_last_days", 29), facts)
    assert matches(attr("opened_at", "after", "2026-02-16"), facts)
    assert not matches(attr("opened_at", "before", "2026-02-17"), facts)


@pytest.mark.parametrize(
    ("birthday", "days", "expected"),
    [
        ("1950-03-18", 1, True),
        ("1950-03-24", 7, True),
        ("1950-03-25", 7, False),
        ("1950-03-17", 7, False),
        ("1950-03-17", 366, True),
    ],
)
def test_anniversary_counts_today_and_is_fewer_than_n_days_away(birthday: str, days: int, expected: bool) -> None:
    facts = customer(attributes={"birth_date": birthday})
    assert matches(attr("birth_date", "anniversary_within_days", days), facts) is expected


def test_february_29_birthdays_fall_on_february_28_in_other_years() -> None:
    facts = customer(attributes={"birth_date": date(2000, 2, 29)})
    feb_27 = datetime(2027, 2, 27, 9, 0, tzinfo=SHANGHAI)
    assert not matches(attr("birth_date", "anniversary_within_days", 1), facts, feb_27)
    assert matches(attr("birth_date", "anniversary_within_days", 2), facts, feb_27)
    leap = datetime(2028, 2, 28, 9, 0, tzinfo=SHANGHAI)
    assert not matches(attr("birth_date", "anniversary_within_days", 1), facts, leap)
    assert matches(attr("birth_date", "anniversary_within_days", 2), facts, leap)


# --- org, tags, segments, holdings ---------------------------------------------------------------------------


def test_in_org_is_the_branch_or_any_unit_above_it() -> None:
    facts = customer(attributes={"branch_code": "SB0101"}, org_path=("SB0101", "BR01", "HO"))
    assert matches({"in_org": "SB0101"}, facts)
    assert matches({"in_org": "BR01"}, facts)
    assert not matches({"in_org": "BR02"}, facts)
    assert not matches({"in_org": "BR01"}, customer(org_path=("BR01",)))  # no branch: not in any org


def test_tags_and_segments_are_membership() -> None:
    facts = customer(tags=frozenset({"silver"}), segments=frozenset({"payroll"}))
    assert matches({"all": [{"tag": "silver"}, {"segment": "payroll"}]}, facts)
    assert not matches({"any": [{"tag": "payroll"}, {"segment": "silver"}]}, facts)


GOLD = HoldingFact("credit_card", "CC-COFFEE", "gold", "primary", "active", at("2026-01-18"), at("2026-01-17"))
DEPOSIT = HoldingFact("time_deposit", "TD-1Y", status="active", opened_at=at("2025-01-01"), balance_fen=6_000_000)
SAVINGS = HoldingFact("demand_deposit", "DD", status="active", opened_at=at("2020-01-01"), balance_fen=4_000_000)


def test_a_holding_filter_alone_means_at_least_one_match() -> None:
    facts = customer(holdings=(GOLD, DEPOSIT))
    assert matches({"holding": {"card_level": ["gold", "platinum"], "card_role": "primary"}}, facts)
    assert not matches({"holding": {"card_level": "platinum"}}, facts)
    assert not matches({"holding": {"card_level": "gold", "product_type": "time_deposit"}}, facts)


def test_approved_within_days_counts_the_approval_day_as_day_zero() -> None:
    facts = customer(holdings=(GOLD,))  # approved 2026-01-17, 60 days before 2026-03-18
    assert matches({"holding": {"approved_within_days": 61}}, facts)
    assert not matches({"holding": {"approved_within_days": 60}}, facts)
    assert matches({"holding": {"opened_within_days": 60}}, facts)  # opened the 18th: 59 days


def test_holding_count_and_summed_balance_in_yuan() -> None:
    facts = customer(holdings=(GOLD, DEPOSIT, SAVINGS))
    deposits = {"product_type": ["demand_deposit", "time_deposit"]}
    assert matches({"holding": deposits, "agg": "sum_balance", "op": "ge", "value": 100000}, facts)
    assert not matches({"holding": deposits, "agg": "sum_balance", "op": "gt", "value": 100000}, facts)
    assert matches({"holding": {}, "agg": "count", "op": "eq", "value": 3}, facts)
    assert matches({"holding": {"status": "closed"}, "agg": "sum_balance", "op": "eq", "value": 0}, facts)


def test_holdings_opened_after_the_evaluation_time_do_not_count() -> None:
    later = HoldingFact("wealth", opened_at=AS_OF + timedelta(minutes=1))
    assert not matches({"holding": {"product_type": "wealth"}}, customer(holdings=(later,)))


# --- transactions, windows and aggregates --------------------------------------------------------------------


def test_last_n_days_is_the_evaluation_day_and_the_n_minus_1_days_before() -> None:
    facts = customer(transactions=(spend(at("2026-03-12", "00:00")),))
    assert matches(txn_count({"last_days": 7}), facts)
    assert not matches(txn_count({"last_days": 6}), facts)


def test_2330_utc_is_already_the_next_business_day_in_shanghai() -> None:
    late = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)  # 07:30 on Mar 11 in Shanghai
    facts = customer(transactions=(spend(late),))
    assert matches(txn_count({"from": "2026-03-11", "to": "2026-03-11"}), facts)
    assert not matches(txn_count({"from": "2026-03-10", "to": "2026-03-10"}), facts)
    assert matches(txn_count({"last_days": 8}), facts)
    assert not matches(txn_count({"last_days": 7}), facts)


def test_rows_after_the_evaluation_time_never_count() -> None:
    facts = customer(transactions=(spend(AS_OF), spend(AS_OF + timedelta(seconds=1))))
    assert matches(txn_count({"last_days": 1}, "eq", 1), facts)
    assert matches(txn_count({"calendar": "this_week"}, "eq", 1), facts)


@pytest.mark.parametrize(
    ("calendar", "first", "last"),
    [
        ("this_week", "2026-03-16", "2026-03-18"),
        ("last_week", "2026-03-09", "2026-03-15"),
        ("this_month", "2026-03-01", "2026-03-18"),
        ("last_month", "2026-02-01", "2026-02-28"),
        ("this_year", "2026-01-01", "2026-03-18"),
    ],
)
def test_calendar_windows_are_natural_periods_with_weeks_from_monday(calendar: str, first: str, last: str) -> None:
    day = timedelta(days=1)
    inside = customer(transactions=(spend(at(first, "00:00")), spend(at(last, "09:59"))))
    outside = customer(transactions=(spend(at(first, "00:00") - day), spend(at(last, "23:59") + day)))
    assert matches(txn_count({"calendar": calendar}, "eq", 2), inside)
    assert matches(txn_count({"calendar": calendar}, "eq", 0), outside)


def test_transaction_filters() -> None:
    rows = (
        spend(at("2026-03-17"), 99, mcc="5814", channel="pos"),
        spend(at("2026-03-17"), 98.99, mcc="5814"),
        spend(at("2026-03-17"), 500, txn_type="salary", direction="credit", product_code="DD"),
    )
    facts = customer(transactions=rows)
    window = {"last_days": 7}
    assert matches(txn_count(window, "eq", 2, min_amount=99), facts)  # 99 and the 500 salary
    assert matches(txn_count(window, "eq", 2, max_amount=99), facts)
    assert matches(txn_count(window, "eq", 2, mcc="5814"), facts)
    assert matches(txn_count(window, "eq", 1, channel=["pos", "app"]), facts)
    assert matches(txn_count(window, "eq", 1, direction="credit", txn_type="salary", product_code="DD"), facts)
    assert matches(txn_count(window, "eq", 0, txn_type="fee"), facts)


def agg(name: str, op: str, value: Any) -> dict[str, Any]:
    return {"txn": {"txn_type": "card_spend"}, "window": {"last_days": 30}, "agg": name, "op": op, "value": value}


def test_transaction_aggregates_in_yuan_and_days() -> None:
    rows = (
        spend(at("2026-03-01", "08:00"), 10.10),
        spend(at("2026-03-01", "20:00"), 20),
        spend(at("2026-03-15"), 30.05),
    )
    facts = customer(transactions=rows)
    assert matches(agg("count", "eq", 3), facts)
    assert matches(agg("sum", "eq", 60.15), facts)
    assert matches(agg("avg", "eq", 20.05), facts)
    assert matches(agg("min", "eq", 10.1), facts)
    assert matches(agg("max", "between", [30.05, 30.05]), facts)
    assert matches(agg("distinct_days", "eq", 2), facts)
    assert matches(agg("days_since_last", "eq", 3), facts)


def test_no_matching_transactions_count_zero_sum_zero_and_the_rest_is_missing() -> None:
    nobody = customer()
    assert matches(agg("count", "eq", 0), nobody)
    assert matches(agg("sum", "eq", 0), nobody)
    assert matches(agg("distinct_days", "lt", 1), nobody)
    for name in ("avg", "min", "max", "days_since_last"):
        assert not matches(agg(name, "ge", 0), nobody)
        assert not matches(agg(name, "lt", 0), nobody)
        assert matches({"not": agg(name, "ge", 0)}, nobody)
    assert matches({"txn": {}, "window": {"last_days": 30}, "agg": "days_since_last", "op": "is_null"}, nobody)


# --- events and did … then_not -------------------------------------------------------------------------------


def view(when: datetime, code: str = "WM-CASH", seconds: Any = 75) -> EventFact:
    return EventFact("product_view", when, {"product_code": code, "dwell_seconds": seconds})


def test_event_filters_and_property_aggregates() -> None:
    facts = customer(
        events=(
            view(at("2026-03-17"), seconds=75),
            view(at("2026-03-16"), "DC-1", 30),
            view(at("2026-03-15"), seconds="n/a"),
            EventFact("login", at("2026-03-17")),
        )
    )
    wealth = {"type": "product_view", "where": {"product_code": {"op": "starts_with", "value": "WM-"}}}
    window = {"last_days": 7}
    assert matches({"event": wealth, "window": window, "agg": "count", "op": "eq", "value": 2}, facts)
    assert matches(
        {
            "event": {"type": "product_view", "where": {"product_code": "DC-1"}},
            "window": window,
            "agg": "count",
            "op": "eq",
            "value": 1,
        },
        facts,
    )
    dwell = {"type": "product_view"}
    for name, value in (("sum", 105), ("avg", 52.5), ("min", 30), ("max", 75)):
        assert matches(
            {"event": dwell, "window": window, "agg": name, "field": "dwell_seconds", "op": "eq", "value": value}, facts
        )
    long_view = {"type": "product_view", "where": {"dwell_seconds": {"op": "ge", "value": 60}}}
    assert matches({"event": long_view, "window": window, "agg": "count", "op": "eq", "value": 1}, facts)


WEALTH_VIEW_NO_BUY = {
    "did": {"event": {"type": "product_view", "where": {"dwell_seconds": {"op": "ge", "value": 60}}}},
    "window": {"last_days": 7},
    "then_not": {"txn": {"txn_type": "wealth_purchase"}},
    "within_hours": 48,
}


def test_did_counts_only_x_whose_hours_have_passed() -> None:
    assert matches(WEALTH_VIEW_NO_BUY, customer(events=(view(AS_OF - timedelta(hours=48)),)))
    assert not matches(WEALTH_VIEW_NO_BUY, customer(events=(view(AS_OF - timedelta(hours=47, minutes=59)),)))


def test_did_is_false_when_y_follows_within_the_hours() -> None:
    seen = AS_OF - timedelta(hours=72)
    bought = spend(seen + timedelta(hours=48), 1000, txn_type="wealth_purchase")
    too_late = spend(seen + timedelta(hours=48, seconds=1), 1000, txn_type="wealth_purchase")
    assert not matches(WEALTH_VIEW_NO_BUY, customer(events=(view(seen),), transactions=(bought,)))
    assert matches(WEALTH_VIEW_NO_BUY, customer(events=(view(seen),), transactions=(too_late,)))
    earlier = spend(seen - timedelta(hours=1), 1000, txn_type="wealth_purchase")
    assert matches(WEALTH_VIEW_NO_BUY, customer(events=(view(seen),), transactions=(earlier,)))


def test_did_needs_x_inside_the_window_and_matching_the_filter() -> None:
    old = view(at("2026-03-11", "23:59"))  # 8 business days ago
    short = view(AS_OF - timedelta(hours=72), seconds=59)
    assert not matches(WEALTH_VIEW_NO_BUY, customer(events=(old, short)))
    assert matches(WEALTH_VIEW_NO_BUY, customer(events=(view(at("2026-03-12", "00:00")),)))


def test_one_unfollowed_x_is_enough() -> None:
    first, second = AS_OF - timedelta(hours=100), AS_OF - timedelta(hours=60)
    bought = spend(first + timedelta(hours=1), 1000, txn_type="wealth_purchase")
    assert matches(WEALTH_VIEW_NO_BUY, customer(events=(view(first), view(second)), transactions=(bought,)))


# --- the examples of §3 and PRODUCT.md --------------------------------------------------------------------------


def test_silver_customers_with_deposits_in_one_branch_tree() -> None:
    rule = {
        "all": [
            attr("age", "between", [60, 75]),
            {"in_org": "BR01"},
            {
                "holding": {"product_type": ["demand_deposit", "time_deposit"]},
                "agg": "sum_balance",
                "op": "ge",
                "value": 100000,
            },
        ]
    }
    facts = customer(
        attributes={"birth_date": date(1951, 3, 18), "branch_code": "SB0101"},
        org_path=("SB0101", "BR01", "HO"),
        holdings=(DEPOSIT, SAVINGS),
    )
    assert matches(rule, facts)  # exactly 75 today: between is inclusive
    assert matches(rule, replace(facts, attributes={**facts.attributes, "birth_date": date(1950, 3, 19)}))
    older = customer(
        attributes={"birth_date": date(1950, 3, 18), "branch_code": "SB0101"},
        org_path=("SB0101", "BR01", "HO"),
        holdings=(DEPOSIT, SAVINGS),
    )
    assert not matches(rule, older)


def test_active_means_logins_on_15_of_the_last_30_days() -> None:
    rule = {"event": {"type": "login"}, "window": {"last_days": 30}, "agg": "distinct_days", "op": "ge", "value": 15}
    days = [AS_OF - timedelta(days=2 * n) for n in range(15)]  # every other day: 15 days within 29 days
    twice = tuple(EventFact("login", d - timedelta(hours=h)) for d in days for h in (0, 1))
    assert matches(rule, customer(events=twice))
    assert not matches(rule, customer(events=twice[2:]))


def test_unhandled_node_kinds_fail_loudly() -> None:
    with pytest.raises(KeyError):
        evaluate(object(), customer(), AS_OF)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="aware"):
        evaluate(parse_rule({"tag": "a"}), customer(), datetime(2026, 1, 1))  # noqa: DTZ001
