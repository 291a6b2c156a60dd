"""The compiled DuckDB query finds exactly the customers the reference evaluator matches, rule by rule.

Four hand-built customers (O: 65, Shanghai, branch SB1, silver, wealth; Y: born Feb 29 2000, Beijing, SB3, vip;
B: nothing known; M: 45, branch BR02, logs in daily) are evaluated at Wednesday 2026-03-18 10:00 Shanghai.
Every rule is checked against the expected members worked out by hand AND against ``evaluate()``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from huoke.segments.compile import NotCompiled, compile_rule
from huoke.segments.compile_tables import Tables
from huoke.segments.dsl import parse_rule
from huoke.segments.facts import CustomerFacts, EventFact, HoldingFact, TxnFact
from huoke.segments.normalise import normalise
from tests.integration.segments.lake_facts import Population, compiled_members, evaluated_members, org_path

Z = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")
AS_OF = datetime(2026, 3, 18, 10, 0, tzinfo=Z)
SQLISH = "a'; DROP TABLE customers; --"


def at(month: int, day: int, hour: int = 9, zone: ZoneInfo = Z) -> datetime:
    return datetime(2026, month, day, hour, 0 if hour != 23 else 30, tzinfo=zone)  # 23:30 for the late hour


def opened(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, tzinfo=Z)


OLD = CustomerFacts(
    Z,
    {"birth_date": date(1960, 3, 20), "gender": "F", "city": "Shanghai", "branch_code": "SB1", "risk_level": "R3",
     "opened_at": date(2020, 5, 1), "score": 7.5, "vip_level": "gold", "is_staff": False, "note": SQLISH},
    org_path("SB1"),
    tags=frozenset({"silver"}),
    segments=frozenset({"payroll"}),
    holdings=(
        HoldingFact("wealth", "WM1", status="active", opened_at=opened(3, 1), balance_fen=50_000_000),
        HoldingFact("credit_card", "CC1", "gold", "primary", "active", opened_at=opened(3, 10)),
    ),
    transactions=(
        TxnFact(at(3, 17), 1000, "debit", "card_spend", channel="app", mcc="5411"),
        TxnFact(at(3, 16), 2001, "debit", "card_spend", channel="pos", mcc="5812"),
        TxnFact(at(3, 5, 10), 1_000_000, "credit", "salary"),
        TxnFact(at(3, 18, 12), 5000, "debit", "wealth_purchase"),  # after the evaluation time
    ),
    events=(
        EventFact("login", at(3, 16)),
        EventFact("login", at(3, 16, 23, UTC)),  # 07:30 on the 17th in Shanghai
        EventFact("product_view", at(3, 14, 10), {"product_code": "WM-CASH", "seconds": 75}),
    ),
)  # fmt: skip
YOUNG = CustomerFacts(
    Z,
    {"birth_date": date(2000, 2, 29), "gender": "M", "city": "Beijing", "branch_code": "SB3",
     "opened_at": date(2025, 6, 1), "score": "12.50", "vip_level": None, "is_staff": True},
    org_path("SB3"),
    tags=frozenset({"vip"}),
    holdings=(HoldingFact("time_deposit", "TD1", status="dormant", opened_at=opened(1, 1, 2025), balance_fen=100_000),),
    transactions=(
        TxnFact(at(2, 20, 12), 50_000, "debit", "card_spend", channel="app"),
        TxnFact(at(3, 15, 20), 300_000, "debit", "wealth_purchase"),
    ),
    events=(
        EventFact("product_view", at(3, 15, 10), {"product_code": "WM-CASH", "seconds": "30"}),
        EventFact("login", at(3, 2, 8)),
        EventFact("login", at(3, 12, 7)),  # 23:00 UTC on the 11th: inside "last 7 days" by business date
    ),
)  # fmt: skip
BLANK = CustomerFacts(Z)
MID = CustomerFacts(
    Z,
    {"birth_date": date(1980, 6, 15), "city": "Shanghai", "branch_code": "BR02", "score": "high", "gender": "F"},
    org_path("BR02"),
    holdings=(
        HoldingFact("wealth", "WM2", status="active", opened_at=opened(3, 18), balance_fen=1_000_000),
        HoldingFact("mortgage", "MG1", status="active", opened_at=opened(1, 1, 2019), balance_fen=200_000_000),
    ),
    events=tuple(EventFact("login", at(3, day)) for day in range(1, 18)),
)
POPULATION = Population(
    {"O": OLD, "Y": YOUNG, "B": BLANK, "M": MID}, on_merged_unit={("O", "t", 1), ("O", "e", 0), ("Y", "h", 0)}
)


def attr(name: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"attr": name, "op": op} | ({} if value is None else {"value": value})


def txn(flt: dict[str, Any], window: dict[str, Any], agg: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"txn": flt, "window": window, "agg": agg, "op": op} | ({} if value is None else {"value": value})


def event(flt: dict[str, Any], window: dict[str, Any], agg: str, op: str, value: Any = None, **extra: Any) -> Any:
    return {"event": flt, "window": window, "agg": agg, "op": op, **extra} | ({} if value is None else {"value": value})


def did(x: dict[str, Any], days: int, y: dict[str, Any], hours: int) -> dict[str, Any]:
    return {"did": x, "window": {"last_days": days}, "then_not": y, "within_hours": hours}


W7, W30 = {"last_days": 7}, {"last_days": 30}
SPEND = {"txn_type": "card_spend"}
VIEW = {"type": "product_view"}
LOGIN = {"type": "login"}
CASES: list[tuple[dict[str, Any], str]] = [
    (attr("age", "gt", 60), "O"),
    ({"not": attr("age", "gt", 60)}, "YBM"),
    (attr("age", "le", 60), "YM"),
    (attr("age", "between", [26, 45]), "YM"),
    (attr("age", "eq", 65), "O"),
    (attr("age", "in", [26, 65]), "OY"),
    (attr("age", "not_in", [26]), "OM"),
    (attr("age", "is_null"), "B"),
    (attr("age", "not_null"), "OYM"),
    (attr("city", "eq", "Shanghai"), "OM"),
    (attr("city", "ne", "Shanghai"), "Y"),
    (attr("city", "in", ["Beijing", "Guangzhou"]), "Y"),
    (attr("city", "not_in", ["Beijing"]), "OM"),
    (attr("city", "contains", "hai"), "OM"),
    (attr("city", "starts_with", "Bei"), "Y"),
    (attr("city", "lt", "C"), "Y"),
    (attr("birth_date", "before", "1970-01-01"), "O"),
    (attr("birth_date", "after", "1990-01-01"), "Y"),
    (attr("opened_at", "within_last_days", 365), "Y"),
    (attr("birth_date", "anniversary_within_days", 3), "O"),
    (attr("birth_date", "anniversary_within_days", 2), ""),
    (attr("birth_date", "anniversary_within_days", 347), "OM"),  # Feb 29 falls on Feb 28 2027: 347 days away
    (attr("birth_date", "anniversary_within_days", 348), "OYM"),
    (attr("birth_date", "eq", "1960-03-20"), "O"),
    (attr("birth_date", "between", ["1975-01-01", "2001-01-01"]), "YM"),
    (attr("score", "ge", 7.5), "OY"),
    (attr("score", "lt", 10), "O"),
    (attr("score", "eq", 12.5), "Y"),
    ({"not": attr("score", "ge", 7.5)}, "BM"),
    (attr("score", "is_null"), "B"),
    (attr("vip_level", "is_null"), "YBM"),
    (attr("vip_level", "eq", "gold"), "O"),
    (attr("is_staff", "eq", True), "Y"),
    (attr("is_staff", "eq", False), "O"),
    (attr("score", "eq", "high"), "M"),
    (attr("score", "contains", "2.5"), "Y"),
    ({"in_org": "BR01"}, "O"),
    ({"in_org": "HO"}, "OYM"),
    ({"in_org": "SB3"}, "Y"),
    ({"not": {"in_org": "BR01"}}, "YBM"),
    ({"tag": "silver"}, "O"),
    ({"not": {"tag": "vip"}}, "OBM"),
    ({"segment": "payroll"}, "O"),
    ({"holding": {"product_type": "wealth"}}, "OM"),
    ({"holding": {"product_type": "wealth", "opened_within_days": 7}}, "M"),
    ({"holding": {"card_level": "gold", "card_role": "primary"}}, "O"),
    ({"holding": {"status": "dormant"}}, "Y"),
    ({"holding": {}, "agg": "count", "op": "eq", "value": 0}, "B"),
    ({"holding": {"product_type": ["time_deposit", "wealth"]}, "agg": "sum_balance", "op": "ge", "value": 100000}, "O"),
    ({"holding": {}, "agg": "sum_balance", "op": "ge", "value": 1000}, "OYM"),
    (txn(SPEND, W7, "count", "ge", 2), "O"),
    (txn(SPEND, W7, "sum", "ge", 30), "O"),
    (txn(SPEND, W7, "sum", "eq", 0), "YBM"),
    (txn(SPEND, W30, "avg", "gt", 15), "OY"),
    (txn(SPEND, W30, "avg", "eq", 15.005), "O"),
    (txn(SPEND, W30, "avg", "is_null"), "BM"),
    (txn({}, W30, "min", "le", 10), "O"),
    (txn({}, W30, "max", "ge", 3000), "OY"),
    (txn({"channel": "app", "mcc": "5411"}, W7, "count", "eq", 1), "O"),
    (txn({"min_amount": 20, "max_amount": 30}, W7, "count", "ge", 1), "O"),
    (txn({"direction": "credit"}, {"calendar": "this_month"}, "count", "ge", 1), "O"),
    (txn(SPEND, {"calendar": "last_month"}, "count", "ge", 1), "Y"),
    (txn(SPEND, {"from": "2026-03-17", "to": "2026-03-17"}, "count", "eq", 1), "O"),
    (txn({"txn_type": "wealth_purchase"}, W7, "count", "ge", 1), "Y"),
    (txn({}, W7, "distinct_days", "eq", 2), "O"),
    (txn({}, W30, "days_since_last", "le", 1), "O"),
    (txn({}, W30, "days_since_last", "is_null"), "BM"),
    (event(LOGIN, W7, "count", "ge", 2), "OM"),
    (event(LOGIN, {"from": "2026-03-16", "to": "2026-03-16"}, "count", "eq", 1), "OM"),
    (event(LOGIN, {"calendar": "this_week"}, "count", "eq", 2), "OM"),
    (event(LOGIN, W30, "distinct_days", "ge", 15), "M"),
    (
        event(
            VIEW | {"where": {"product_code": "WM-CASH", "seconds": {"op": "ge", "value": 60}}}, W7, "count", "ge", 1
        ),
        "O",
    ),
    (event(VIEW, W7, "sum", "ge", 30, field="seconds"), "OY"),
    (event(VIEW, W7, "avg", "eq", 30, field="seconds"), "Y"),
    (event(VIEW, W7, "max", "is_null", field="seconds"), "BM"),
    (event(LOGIN, W30, "days_since_last", "ge", 5), "Y"),
    (event(LOGIN, W7, "count", "eq", 1), "Y"),
    (did({"event": VIEW}, 7, {"txn": {"txn_type": "wealth_purchase"}}, 48), "O"),
    (did({"event": LOGIN}, 7, {"txn": SPEND}, 12), "OYM"),
    (did({"event": LOGIN}, 7, {"event": LOGIN}, 24), "OYM"),
    (did({"event": LOGIN}, 7, {"event": LOGIN}, 72), "Y"),
    ({"all": [{"tag": "silver"}, {"in_org": "BR01"}]}, "O"),
    ({"any": [{"tag": "vip"}, {"segment": "payroll"}]}, "OY"),
    ({"not": {"all": [attr("city", "eq", "Shanghai"), attr("age", "gt", 60)]}}, "YBM"),
    (
        {
            "any": [
                {"all": [attr("city", "eq", "Shanghai"), {"holding": {"product_type": "wealth"}}]},
                attr("is_staff", "eq", True),
            ]
        },
        "OYM",
    ),
]


@pytest.mark.parametrize(("document", "expected"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_compiled_members_are_the_hand_worked_and_the_evaluated_ones(document: dict[str, Any], expected: str) -> None:
    rule = normalise(parse_rule(document))
    assert evaluated_members(rule, POPULATION.customers, AS_OF) == set(expected)
    assert compiled_members(rule, POPULATION, AS_OF) == set(expected)


def test_merged_away_units_are_never_members_and_their_rows_count_for_the_profile() -> None:
    everyone = normalise(parse_rule({"not": {"tag": "nobody-has-this"}}))
    assert compiled_members(everyone, POPULATION, AS_OF) == {"O", "Y", "B", "M"}
    own_unit_only = Population(POPULATION.customers)
    spend_twice = normalise(parse_rule(txn(SPEND, W7, "count", "ge", 2)))
    assert compiled_members(spend_twice, own_unit_only, AS_OF) == compiled_members(spend_twice, POPULATION, AS_OF)


def test_as_of_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        compile_rule(normalise(parse_rule({"tag": "x"})), Tables.from_arrow({}), datetime(2026, 3, 18), Z)  # noqa: DTZ001 - naive on purpose


def test_numbers_beyond_exact_decimal_range_are_not_compiled_and_say_so() -> None:
    rule = normalise(parse_rule({"attr": "score", "op": "eq", "value": 0.00000000001}))
    with pytest.raises(NotCompiled, match="decimal places"):
        compile_rule(rule, Tables.from_arrow({}), AS_OF, Z)
