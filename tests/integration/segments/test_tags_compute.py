"""Computed tags over hand-built lake tables on DuckDB: exactly the expected customers get each tag."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import ibis  # type: ignore[import-untyped]
import pyarrow as pa
import pytest

from huoke.segments.compile import compile_rule
from huoke.segments.compile_tables import Tables
from huoke.segments.dsl import parse_rule
from huoke.segments.normalise import normalise
from huoke.segments.tag_compute import computed_tags
from huoke.segments.tag_model import LifecycleThresholds, SpendThresholds, TagThresholds

Z = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2026, 11, 24, 9, 0, tzinfo=Z)
TODAY = AS_OF.date()


def at(days_ago: int, hour: int = 9) -> datetime:
    """An instant ``days_ago`` business days before the evaluation date, at ``hour`` local time."""
    return datetime.combine(TODAY - timedelta(days=days_ago), time(hour), Z).astimezone(UTC)


def customer(key: str, *, born: date | None = None, opened: date | None = None, **extra: Any) -> dict[str, Any]:
    return {"one_id": key, "customer_no": key, "status": "active", "birth_date": born, "opened_at": opened, **extra}


def holding(owner: str, product_type: str, yuan: int, status: str = "active") -> dict[str, Any]:
    return {"one_id": owner, "product_type": product_type, "status": status, "balance_fen": yuan * 100}


def txn(owner: str, when: datetime, fen: int, txn_type: str = "card_spend", direction: str = "debit") -> dict[str, Any]:
    return {"txn_id": f"{owner}-{when}-{fen}", "one_id": owner, "occurred_at": when, "amount_fen": fen,
            "direction": direction, "txn_type": txn_type}  # fmt: skip


def login(owner: str, when: datetime) -> dict[str, Any]:
    return {"event_id": f"{owner}-{when}", "one_id": owner, "type": "login", "occurred_at": when, "properties": "{}"}


CUSTOMERS = [
    customer("old", born=date(1949, 12, 31), opened=date(2015, 1, 1)),
    customer("fresh", born=date(1990, 1, 1), opened=date(2026, 10, 1)),
    customer("growing", born=date(1966, 3, 18), opened=date(2025, 6, 1)),
    customer("dormant", opened=date(2018, 1, 1)),
    customer("risk", opened=date(2018, 1, 1)),
    {"one_id": "risk~m", "status": "merged", "merged_into": "risk"},  # rows on it count for "risk"
    customer("closed", born=date(2009, 11, 25), opened=date(2018, 1, 1)),  # 17 tomorrow
    customer("future", opened=date(2026, 12, 1)),
    customer("created", created_at=datetime(2026, 11, 1, tzinfo=UTC)),
    {"one_id": "anon", "customer_no": None, "status": "active", "birth_date": date(1950, 1, 1)},
]
HOLDINGS = [
    holding("old", "wealth", 200_000),
    holding("old", "debit_card", 1_000),  # not AUM
    holding("fresh", "credit_card", 0),
    holding("growing", "time_deposit", 600_000),
    holding("dormant", "time_deposit", 6_000_000),
    holding("closed", "demand_deposit", 90_000, status="closed"),
    holding("future", "demand_deposit", 10),
    holding("anon", "wealth", 9_000_000),
]
TRANSACTIONS = [
    txn("old", at(100), 1_200_000),
    txn("fresh", at(3), 499_999),
    txn("fresh", at(4), 300_000, direction="credit"),  # a refund is no spending
    txn("fresh", at(365, 23), 1_000_000),  # 365 days ago: outside the last 365 days
    txn("growing", datetime.combine(TODAY - timedelta(days=364), time(0), Z).astimezone(UTC), 500_000),
    txn("growing", at(10), 2_000_000, txn_type="salary", direction="credit"),
    txn("dormant", at(200), 10_000, txn_type="transfer_out"),
    txn("risk", at(5), 100, txn_type="interest", direction="credit"),  # interest is no customer activity
    txn("old", AS_OF.astimezone(UTC) + timedelta(minutes=1), 9_000_000),  # after the evaluation time
]
EVENTS = [
    *(login("old", at(day, 8)) for day in range(15)),  # 15 distinct days in the last 30
    *(login("fresh", at(day)) for day in range(14)),
    login("fresh", at(0, 7)),  # a second login on a day already counted: still 14 days
    login("risk~m", at(70)),
    login("closed", at(1)),
]


def arrow(rows: list[dict[str, Any]]) -> pa.Table:
    """Rows as a table with every column any row has (``from_pylist`` alone keeps the first row's keys)."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    return pa.Table.from_pylist([{key: row.get(key) for key in columns} for row in rows])


def tables() -> Tables:
    data = {"customers": CUSTOMERS, "holdings": HOLDINGS, "transactions": TRANSACTIONS, "events": EVENTS}
    return Tables.from_arrow({name: arrow(rows) for name, rows in data.items()})


def tags_by_customer(found: Any) -> dict[str, set[str]]:
    rows = ibis.duckdb.connect().to_pyarrow(found).to_pylist()
    grouped: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        grouped[row["one_id"]].add(row["tag"])
    return dict(grouped)


def test_every_customer_gets_exactly_the_expected_computed_tags() -> None:
    found = tags_by_customer(computed_tags(tables(), AS_OF, Z, TagThresholds()))

    assert found == {
        "old": {"lifecycle_mature", "value_affluent", "active", "spend_high", "age_75_plus"},
        "fresh": {"lifecycle_new", "value_mass", "spend_low", "age_30_44"},
        "growing": {"lifecycle_growing", "value_wealthy", "spend_medium", "age_60_74"},
        "dormant": {"lifecycle_dormant", "value_private"},
        "risk": {"lifecycle_churn_risk", "value_mass"},
        "closed": {"lifecycle_churned", "value_mass", "age_under_18"},
        "future": {"value_mass"},
        "created": {"lifecycle_new", "value_mass"},
    }


def test_thresholds_change_who_gets_which_tag() -> None:
    thresholds = TagThresholds(
        lifecycle=LifecycleThresholds(churn_risk_days=80, dormant_days=250, churned_days=400),
        spend=SpendThresholds(floors={"big": 4_000}),
    )
    found = tags_by_customer(computed_tags(tables(), AS_OF, Z, thresholds))

    assert "lifecycle_mature" in found["risk"]  # 70 idle days is no churn risk at 80
    assert "lifecycle_churn_risk" in found["dormant"]  # 200 idle days is not dormant at 250
    assert {t for t in found["fresh"] | found["growing"] | found["old"] if t.startswith("spend_")} == {"spend_big"}


def test_later_evaluation_times_move_customers_along() -> None:
    in_40_days = tags_by_customer(computed_tags(tables(), AS_OF + timedelta(days=40), Z, TagThresholds()))
    in_115_days = tags_by_customer(computed_tags(tables(), AS_OF + timedelta(days=115), Z, TagThresholds()))

    assert "active" not in in_40_days["old"]  # no login in the last 30 days any more
    assert "lifecycle_growing" in in_40_days["fresh"]  # 94 days after opening, last login 40 days ago
    assert "lifecycle_churn_risk" in in_40_days["risk"]  # 110 idle days
    assert "lifecycle_dormant" in in_115_days["risk"]  # 185 idle days
    assert "lifecycle_churn_risk" in in_115_days["fresh"]  # 115 idle days


@pytest.mark.parametrize(
    ("tag", "rule"),
    [
        ("active", {"event": {"type": "login"}, "window": {"last_days": 30}, "agg": "distinct_days", "op": "ge",
                    "value": 15}),
        ("spend_high", {"txn": {"txn_type": "card_spend", "direction": "debit"}, "window": {"last_days": 365},
                        "agg": "sum", "op": "ge", "value": 10000}),
        ("spend_medium", {"txn": {"txn_type": "card_spend", "direction": "debit"}, "window": {"last_days": 365},
                          "agg": "sum", "op": "between", "value": [5000, 9999.99]}),
        ("value_wealthy", {"holding": {"product_type": ["demand_deposit", "time_deposit", "wealth", "fund"],
                                       "status": ["active", "dormant"]},
                           "agg": "sum_balance", "op": "between", "value": [500000, 5999999.99]}),
        ("age_60_74", {"attr": "age", "op": "between", "value": [60, 74]}),
    ],
)  # fmt: skip
def test_computed_tags_agree_with_the_segment_rule_that_says_the_same(tag: str, rule: dict[str, Any]) -> None:
    data = tables()
    found = tags_by_customer(computed_tags(data, AS_OF, Z, TagThresholds()))
    holders = {one_id for one_id, tags in found.items() if tag in tags}
    members = compile_rule(normalise(parse_rule(rule)), data, AS_OF, Z)
    matched = set(ibis.duckdb.connect().to_pyarrow(members).column("one_id").to_pylist()) - {"anon"}

    assert holders == matched
    assert holders  # the population has holders of every tag checked here
