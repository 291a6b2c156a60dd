"""The ten benchmark rules: each as huoke DSL and as the SQL a DBA would write by hand (DuckDB and PostgreSQL).

The evaluation time is ``AS_OF`` (2026-11-23 20:00 in Asia/Shanghai); its business date is ``TODAY``. The hand
SQL is written for this data model and this evaluation time, the way a DBA would write it:

* windows use the lake's ``date`` column (the business date every ``transactions`` and ``events`` row is
  partitioned by; loaded as a column into PostgreSQL) plus ``occurred_at <= as_of``;
* events are mapped to their profile through the identity units (an anonymous device merged into a customer
  counts for the customer); transactions and holdings are not: they always carry a customer number, so they
  are recorded on a customer's own profile, and ONE_ID never merges two customers;
* every answer is restricted to live profiles (not merged into another).

One SQL text serves both engines: both read ``properties ->> 'key'`` (JSON text in DuckDB, jsonb in PostgreSQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bench.segments_data import AS_OF

TODAY = AS_OF.date()


@dataclass(frozen=True)
class Rule:
    name: str
    covers: str
    dsl: dict[str, Any]
    sql: str


def _day(days_back: int) -> str:
    return f"DATE '{(TODAY - timedelta(days=days_back)).isoformat()}'"


def _instant(moment: datetime) -> str:
    return f"TIMESTAMPTZ '{moment.isoformat(sep=' ')}'"


def _window(alias: str, days: int) -> str:
    """Rows of the last ``days`` business dates, up to the evaluation time."""
    return f"{alias}.date BETWEEN {_day(days - 1)} AND {_day(0)} AND {alias}.occurred_at <= {_instant(AS_OF)}"


def _dates(alias: str, first: date, last: date) -> str:
    return (
        f"{alias}.date BETWEEN DATE '{first.isoformat()}' AND DATE '{last.isoformat()}' "
        f"AND {alias}.occurred_at <= {_instant(AS_OF)}"
    )


_LIVE = "c.merged_into IS NULL AND (c.status IS NULL OR c.status <> 'merged')"
_PROFILES = f"profiles AS (SELECT c.one_id FROM customers c WHERE {_LIVE})"
_UNITS = (
    "units AS (SELECT c.one_id AS unit, coalesce(c.merged_into, c.one_id) AS profile FROM customers c), "
    "events_of AS (SELECT u.profile, e.* FROM events e JOIN units u ON u.unit = e.one_id)"
)
_MMDD = "EXTRACT(MONTH FROM c.birth_date) * 100 + EXTRACT(DAY FROM c.birth_date)"
_OPENED = f"(h.opened_at IS NULL OR h.opened_at <= {_day(0)})"
_NUMBER = "CAST(e.properties ->> '{key}' AS DECIMAL(18, 3))"
_LAST_MONTH = (date(TODAY.year, TODAY.month, 1) - timedelta(days=1)).replace(day=1)
_MONTH_END = date(TODAY.year, TODAY.month, 1) - timedelta(days=1)


def _month_day(day: date) -> int:
    return day.month * 100 + day.day


def _age() -> str:
    mmdd = TODAY.month * 100 + TODAY.day
    return f"{TODAY.year} - EXTRACT(YEAR FROM c.birth_date) - CASE WHEN {_MMDD} > {mmdd} THEN 1 ELSE 0 END"


R01 = Rule(
    "age_branch_deposits",
    "attr age between + in_org + holding sum_balance (all)",
    {
        "all": [
            {"attr": "age", "op": "between", "value": [60, 75]},
            {"in_org": "BR01"},
            {
                "holding": {"product_type": ["demand_deposit", "time_deposit"], "status": "active"},
                "agg": "sum_balance",
                "op": "ge",
                "value": 100000,
            },
        ]
    },
    f"""
SELECT c.one_id FROM customers c
WHERE {_LIVE} AND {_age()} BETWEEN 60 AND 75
  AND (c.branch_code = 'BR01' OR c.branch_code IN (SELECT o.code FROM org_units o WHERE o.path LIKE '%/BR01/%'))
  AND c.one_id IN (
    SELECT h.one_id FROM holdings h
    WHERE h.product_type IN ('demand_deposit', 'time_deposit') AND h.status = 'active' AND {_OPENED}
    GROUP BY h.one_id HAVING sum(coalesce(h.balance_fen, 0)) >= 10000000)
""",
)
R02 = Rule(
    "two_credit_cards",
    "holding count",
    {"holding": {"product_type": "credit_card", "status": "active"}, "agg": "count", "op": "ge", "value": 2},
    f"""
WITH {_PROFILES}
SELECT p.one_id FROM profiles p WHERE p.one_id IN (
  SELECT h.one_id FROM holdings h WHERE h.product_type = 'credit_card' AND h.status = 'active' AND {_OPENED}
  GROUP BY h.one_id HAVING count(*) >= 2)
""",
)
R03 = Rule(
    "high_spenders",
    "txn sum over 365 days",
    {
        "txn": {"txn_type": "card_spend", "direction": "debit"},
        "window": {"last_days": 365},
        "agg": "sum",
        "op": "ge",
        "value": 10000,
    },
    f"""
WITH {_PROFILES}
SELECT t.one_id FROM transactions t
WHERE t.txn_type = 'card_spend' AND t.direction = 'debit' AND {_window("t", 365)}
  AND t.one_id IN (SELECT one_id FROM profiles)
GROUP BY t.one_id HAVING sum(t.amount_fen) >= 1000000
""",
)
R04 = Rule(
    "active_users",
    "event distinct_days over 30 days",
    {"event": {"type": "login"}, "window": {"last_days": 30}, "agg": "distinct_days", "op": "ge", "value": 6},
    f"""
WITH {_PROFILES}, {_UNITS}
SELECT e.profile AS one_id FROM events_of e
WHERE e.type = 'login' AND {_window("e", 30)} AND e.profile IN (SELECT one_id FROM profiles)
GROUP BY e.profile HAVING count(DISTINCT e.date) >= 6
""",
)
R05 = Rule(
    "wealth_view_no_purchase",
    "did event (where starts_with, ge) then_not txn within 48 h",
    {
        "did": {
            "event": {
                "type": "product_view",
                "where": {
                    "product_code": {"op": "starts_with", "value": "WM-"},
                    "dwell_seconds": {"op": "ge", "value": 60},
                },
            }
        },
        "window": {"last_days": 7},
        "then_not": {"txn": {"txn_type": "wealth_purchase"}},
        "within_hours": 48,
    },
    f"""
WITH {_PROFILES}, {_UNITS},
viewed AS (
  SELECT e.profile, e.occurred_at AS at FROM events_of e
  WHERE e.type = 'product_view' AND {_window("e", 7)} AND e.occurred_at <= {_instant(AS_OF - timedelta(hours=48))}
    AND e.properties ->> 'product_code' LIKE 'WM-%' AND {_NUMBER.format(key="dwell_seconds")} >= 60),
bought AS (
  SELECT t.one_id, t.occurred_at AS at FROM transactions t
  WHERE t.txn_type = 'wealth_purchase' AND {_window("t", 7)})
SELECT DISTINCT v.profile AS one_id FROM viewed v
WHERE v.profile IN (SELECT one_id FROM profiles)
  AND NOT EXISTS (SELECT 1 FROM bought b
                  WHERE b.one_id = v.profile AND b.at > v.at AND b.at <= v.at + INTERVAL '48 hours')
""",
)
R06 = Rule(
    "rfm_champions",
    "three txn aggregates (days_since_last, count, sum) in all",
    {
        "all": [
            {
                "txn": {"txn_type": "card_spend"},
                "window": {"last_days": 365},
                "agg": "days_since_last",
                "op": "le",
                "value": 30,
            },
            {"txn": {"txn_type": "card_spend"}, "window": {"last_days": 365}, "agg": "count", "op": "ge", "value": 24},
            {"txn": {"txn_type": "card_spend"}, "window": {"last_days": 365}, "agg": "sum", "op": "ge", "value": 20000},
        ]
    },
    f"""
WITH {_PROFILES}
SELECT t.one_id FROM transactions t
WHERE t.txn_type = 'card_spend' AND {_window("t", 365)} AND t.one_id IN (SELECT one_id FROM profiles)
GROUP BY t.one_id
HAVING max(t.date) >= {_day(30)} AND count(*) >= 24 AND sum(t.amount_fen) >= 2000000
""",
)
R07 = Rule(
    "dormant_90_days",
    "not event count + not txn count (no activity in 90 days)",
    {
        "all": [
            {"not": {"event": {"type": "login"}, "window": {"last_days": 90}, "agg": "count", "op": "ge", "value": 1}},
            {"not": {"txn": {}, "window": {"last_days": 90}, "agg": "count", "op": "ge", "value": 1}},
        ]
    },
    f"""
WITH {_PROFILES}, {_UNITS}
SELECT one_id FROM profiles
EXCEPT SELECT e.profile FROM events_of e WHERE e.type = 'login' AND {_window("e", 90)}
EXCEPT SELECT t.one_id FROM transactions t WHERE {_window("t", 90)}
""",
)
R08 = Rule(
    "birthday_next_7_days",
    "attr anniversary_within_days",
    {"attr": "birth_date", "op": "anniversary_within_days", "value": 7},
    f"""
SELECT c.one_id FROM customers c
WHERE {_LIVE} AND {_MMDD} BETWEEN {_month_day(TODAY)} AND {_month_day(TODAY + timedelta(days=6))}
""",
)
R09 = Rule(
    "wealth_browsers",
    "event sum of a property, where starts_with, 30 days",
    {
        "event": {"type": "product_view", "where": {"product_code": {"op": "starts_with", "value": "WM-"}}},
        "window": {"last_days": 30},
        "agg": "sum",
        "field": "dwell_seconds",
        "op": "ge",
        "value": 300,
    },
    f"""
WITH {_PROFILES}, {_UNITS}
SELECT e.profile AS one_id FROM events_of e
WHERE e.type = 'product_view' AND {_window("e", 30)} AND e.properties ->> 'product_code' LIKE 'WM-%'
  AND e.profile IN (SELECT one_id FROM profiles)
GROUP BY e.profile HAVING sum({_NUMBER.format(key="dwell_seconds")}) >= 300
""",
)
R10 = Rule(
    "cards_or_unpaid_women",
    "any of (holding + calendar-month txn count) and (attr in + attr eq + not txn count)",
    {
        "any": [
            {
                "all": [
                    {"holding": {"product_type": "credit_card", "card_level": ["gold", "platinum", "diamond"]}},
                    {
                        "txn": {"txn_type": "card_spend"},
                        "window": {"calendar": "last_month"},
                        "agg": "count",
                        "op": "ge",
                        "value": 5,
                    },
                ]
            },
            {
                "all": [
                    {"attr": "city", "op": "in", "value": ["杭州市", "宁波市"]},
                    {"attr": "gender", "op": "eq", "value": "F"},
                    {
                        "not": {
                            "txn": {"txn_type": "salary"},
                            "window": {"last_days": 90},
                            "agg": "count",
                            "op": "ge",
                            "value": 1,
                        }
                    },
                ]
            },
        ]
    },
    f"""
WITH {_PROFILES},
carded AS (
  SELECT h.one_id FROM holdings h
  WHERE h.product_type = 'credit_card' AND h.card_level IN ('gold', 'platinum', 'diamond') AND {_OPENED}),
spent AS (
  SELECT t.one_id FROM transactions t WHERE t.txn_type = 'card_spend' AND {_dates("t", _LAST_MONTH, _MONTH_END)}
  GROUP BY t.one_id HAVING count(*) >= 5),
unpaid AS (
  SELECT c.one_id FROM customers c
  WHERE c.city IN ('杭州市', '宁波市') AND c.gender = 'F'
    AND NOT EXISTS (SELECT 1 FROM transactions t
                    WHERE t.one_id = c.one_id AND t.txn_type = 'salary' AND {_window("t", 90)}))
SELECT one_id FROM (
  SELECT one_id FROM carded WHERE one_id IN (SELECT one_id FROM spent)
  UNION SELECT one_id FROM unpaid) s
WHERE one_id IN (SELECT one_id FROM profiles)
""",
)

RULES: tuple[Rule, ...] = (R01, R02, R03, R04, R05, R06, R07, R08, R09, R10)
BY_NAME = {rule.name: rule for rule in RULES}
