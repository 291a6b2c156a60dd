"""The conformance data set and rules: five hand-built customers and rules whose members were worked out by hand.

Evaluated at Wednesday 2026-03-18 10:00 Asia/Shanghai (02:00 UTC). Business weeks start on Monday, so
"this week" is 03-16 … 03-18, "last week" 03-09 … 03-15, "last 7 days" 03-12 … 03-18, "last 30 days"
02-17 … 03-18, "last month" 02-01 … 02-28.

- **L** (Li): born 1961-03-19 (64, birthday tomorrow), F, 上海, branch SB1 (under BR01 under HO), RM S01, risk C3,
  teacher; custom: score 7.5 (JSON number), level "gold", staff false, since "2026-03-10", code "A-1",
  nested {"x": 1}. Tag silver, segment payroll. Wealth WM1 (opened 03-01, 500,000 yuan); gold primary credit
  card CC1 (opened 03-12, approved 03-11 15:00). Spends 10.00 (app, MCC 5411, 03-17 09:00) and 20.01 (POS,
  03-16 09:00, recorded on a merged identity unit); salary 10,000 credited 03-05; a wealth purchase at 12:00
  today (after the evaluation time). Logins 03-16 09:00 (merged unit) and 03-16 23:30 UTC (03-17 07:30 in
  Shanghai); a product view of WM-CASH for 75 s on 03-14.
- **W** (Wang): born 2000-02-29 (26), M, Beijing, branch SB3 (under BR02), opened 2025-06-01, risk C5; custom:
  score "12.50" (text), level null, staff true, since "2026-02-30" (no such day), code "a-2". Tag vip. A dormant
  time deposit TD1 of 1,000 yuan on a merged unit. Spend 500.00 on 02-20; wealth purchase 3,000.00 on 03-15
  20:00. A view of WM-CASH for "30" s on 03-15 10:00; logins 03-02 08:00 and 03-12 07:00 (03-11 23:00 UTC).
- **B** (blank): nothing known at all.
- **M** (Ma): born 1980-06-15 (45), F, Shanghai, branch BR02; custom: score "high", level "Gold". Wealth WM2
  opened today (10,000 yuan) and a mortgage from 2019 (2,000,000 yuan). Logs in at 09:00 every day 03-01 … 03-17.
- **Z** (Zhao): born 1990-03-18 (36 today), gender U, shenzhen, branch XX (not in the org tree); custom: score
  1e-07, level "", staff "true" (text), since "2026-03-18", code "B-3". Tags silver and vip, segments payroll
  and dormant. Platinum supplementary credit card CC2 (opened 03-05, approved 01-16 10:00, balance 0); a fund
  FD1 opened tomorrow. Spends 30.00 (app, product P9) at 03-12 00:00 and 99.99 at 03-11 23:59; 1,234.56
  transferred in (counter) exactly at the evaluation time; a spend one minute after it. Views on 03-10
  (seconds true) and 03-17 21:00 (seconds -2, product FUND-1); a login at 09:59 today.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from huoke.segments.facts import CustomerFacts, EventFact, HoldingFact, TxnFact
from tests.integration.segments.lake_facts import Population, org_path

Z = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")
AS_OF = datetime(2026, 3, 18, 10, 0, tzinfo=Z)


def at(month: int, day: int, hour: int = 9, minute: int = 0, zone: ZoneInfo = Z) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=zone)


LI = CustomerFacts(
    Z,
    {"birth_date": date(1961, 3, 19), "gender": "F", "city": "上海", "branch_code": "SB1", "rm_staff_no": "S01",
     "risk_level": "C3", "occupation": "teacher", "opened_at": date(2016, 5, 1), "score": 7.5, "level": "gold",
     "staff": False, "since": "2026-03-10", "code": "A-1", "nested": {"x": 1}},
    org_path("SB1"),
    tags=frozenset({"silver"}),
    segments=frozenset({"payroll"}),
    holdings=(
        HoldingFact("wealth", "WM1", status="active", opened_at=at(3, 1, 0), balance_fen=50_000_000),
        HoldingFact("credit_card", "CC1", "gold", "primary", "active", opened_at=at(3, 12, 0),
                    approved_at=at(3, 11, 15)),
    ),
    transactions=(
        TxnFact(at(3, 17), 1000, "debit", "card_spend", channel="app", mcc="5411"),
        TxnFact(at(3, 16), 2001, "debit", "card_spend", channel="pos", mcc="5812"),
        TxnFact(at(3, 5, 10), 1_000_000, "credit", "salary"),
        TxnFact(at(3, 18, 12), 5000, "debit", "wealth_purchase"),
    ),
    events=(
        EventFact("login", at(3, 16)),
        EventFact("login", at(3, 16, 23, 30, UTC)),
        EventFact("product_view", at(3, 14, 10), {"product_code": "WM-CASH", "seconds": 75}),
    ),
)  # fmt: skip
WANG = CustomerFacts(
    Z,
    {"birth_date": date(2000, 2, 29), "gender": "M", "city": "Beijing", "branch_code": "SB3", "risk_level": "C5",
     "opened_at": date(2025, 6, 1), "score": "12.50", "level": None, "staff": True, "since": "2026-02-30",
     "code": "a-2"},
    org_path("SB3"),
    tags=frozenset({"vip"}),
    holdings=(HoldingFact("time_deposit", "TD1", status="dormant", opened_at=datetime(2025, 1, 1, tzinfo=Z),
                          balance_fen=100_000),),
    transactions=(
        TxnFact(at(2, 20, 12), 50_000, "debit", "card_spend", channel="app"),
        TxnFact(at(3, 15, 20), 300_000, "debit", "wealth_purchase"),
    ),
    events=(
        EventFact("product_view", at(3, 15, 10), {"product_code": "WM-CASH", "seconds": "30"}),
        EventFact("login", at(3, 2, 8)),
        EventFact("login", at(3, 12, 7)),
    ),
)  # fmt: skip
BLANK = CustomerFacts(Z)
MA = CustomerFacts(
    Z,
    {"birth_date": date(1980, 6, 15), "gender": "F", "city": "Shanghai", "branch_code": "BR02", "score": "high",
     "level": "Gold"},
    org_path("BR02"),
    holdings=(
        HoldingFact("wealth", "WM2", status="active", opened_at=at(3, 18, 0), balance_fen=1_000_000),
        HoldingFact("mortgage", "MG1", status="active", opened_at=datetime(2019, 1, 1, tzinfo=Z),
                    balance_fen=200_000_000),
    ),
    events=tuple(EventFact("login", at(3, day)) for day in range(1, 18)),
)  # fmt: skip
ZHAO = CustomerFacts(
    Z,
    {"birth_date": date(1990, 3, 18), "gender": "U", "city": "shenzhen", "branch_code": "XX", "score": 1e-07,
     "level": "", "staff": "true", "since": "2026-03-18", "code": "B-3"},
    org_path("XX"),
    tags=frozenset({"silver", "vip"}),
    segments=frozenset({"payroll", "dormant"}),
    holdings=(
        HoldingFact("credit_card", "CC2", "platinum", "supplementary", "active", opened_at=at(3, 5, 0),
                    approved_at=datetime(2026, 1, 16, 10, tzinfo=Z), balance_fen=0),
        HoldingFact("fund", "FD1", status="active", opened_at=at(3, 19, 0), balance_fen=99_900),
    ),
    transactions=(
        TxnFact(at(3, 12, 0), 3000, "debit", "card_spend", channel="app", product_code="P9"),
        TxnFact(at(3, 11, 23, 59), 9999, "debit", "card_spend", channel="app"),
        TxnFact(AS_OF, 123_456, "credit", "transfer_in", channel="counter"),
        TxnFact(at(3, 18, 10, 1), 1, "debit", "card_spend"),
    ),
    events=(
        EventFact("product_view", at(3, 10), {"seconds": True}),
        EventFact("product_view", at(3, 17, 21), {"seconds": -2, "product_code": "FUND-1"}),
        EventFact("login", at(3, 18, 9, 59)),
    ),
)  # fmt: skip
POPULATION = Population(
    {"L": LI, "W": WANG, "B": BLANK, "M": MA, "Z": ZHAO},
    on_merged_unit={("L", "t", 1), ("L", "e", 0), ("W", "h", 0)},
)


def attr(name: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"attr": name, "op": op} | ({} if value is None else {"value": value})


def txn(flt: dict[str, Any], window: dict[str, Any], agg: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"txn": flt, "window": window, "agg": agg, "op": op} | ({} if value is None else {"value": value})


def event(flt: dict[str, Any], window: dict[str, Any], agg: str, op: str, value: Any = None, **extra: Any) -> Any:
    return {"event": flt, "window": window, "agg": agg, "op": op, **extra} | ({} if value is None else {"value": value})


def did(x: dict[str, Any], window: dict[str, Any], y: dict[str, Any], hours: int) -> dict[str, Any]:
    return {"did": x, "window": window, "then_not": y, "within_hours": hours}


W7, W30 = {"last_days": 7}, {"last_days": 30}
SPEND, LOGIN, VIEW = {"txn_type": "card_spend"}, {"type": "login"}, {"type": "product_view"}
MARCH_10, THIS_MONTH = {"from": "2026-03-10", "to": "2026-03-10"}, {"calendar": "this_month"}
LONG, FUND = {"op": "ge", "value": 60}, {"op": "starts_with", "value": "FUND"}
WEALTH = {"product_type": "wealth"}

# (name, rule, members by hand)
RULES: list[tuple[str, dict[str, Any], str]] = [
    # profile attributes: every operator, numbers, texts by code point, dates, and missing values
    ("age_gt", attr("age", "gt", 60), "L"),
    ("not_age_gt", {"not": attr("age", "gt", 60)}, "WBMZ"),  # a missing age is not > 60, so its not holds
    ("age_le", attr("age", "le", 60), "WMZ"),
    ("age_ge", attr("age", "ge", 45), "LM"),
    ("age_ne", attr("age", "ne", 64), "WMZ"),
    ("age_between", attr("age", "between", [26, 36]), "WZ"),
    ("age_in", attr("age", "in", [26, 45]), "WM"),
    ("age_not_in", attr("age", "not_in", [26, 64]), "MZ"),
    ("age_is_null", attr("age", "is_null"), "B"),
    ("gender_eq", attr("gender", "eq", "F"), "LM"),
    ("city_ne", attr("city", "ne", "Shanghai"), "LWZ"),
    ("city_lt_code_point", attr("city", "lt", "a"), "WM"),  # upper case sorts before lower case
    ("city_gt_code_point", attr("city", "gt", "Z"), "LZ"),  # 上海 and shenzhen
    ("city_contains", attr("city", "contains", "hai"), "M"),
    ("city_starts_with", attr("city", "starts_with", "上"), "L"),
    ("city_in", attr("city", "in", ["Beijing", "shenzhen"]), "WZ"),
    ("city_not_in", attr("city", "not_in", ["Beijing"]), "LMZ"),
    ("birth_before", attr("birth_date", "before", "1970-01-01"), "L"),
    ("birth_after", attr("birth_date", "after", "1989-12-31"), "WZ"),
    ("birth_eq", attr("birth_date", "eq", "1990-03-18"), "Z"),
    ("birthday_today", attr("birth_date", "anniversary_within_days", 1), "Z"),
    ("birthday_by_tomorrow", attr("birth_date", "anniversary_within_days", 2), "LZ"),
    ("birthday_feb29", attr("birth_date", "anniversary_within_days", 347), "LMZ"),  # W: Feb 28 2027, 347 days
    ("opened_within", attr("opened_at", "within_last_days", 365), "W"),
    ("rm_is_null", attr("rm_staff_no", "is_null"), "WBMZ"),
    ("risk_not_null", attr("risk_level", "not_null"), "LW"),
    # custom attributes: JSON numbers, numeric texts, booleans, JSON null, absent keys, objects, bad dates
    ("score_ge", attr("score", "ge", 7.5), "LW"),
    ("score_lt_tiny", attr("score", "lt", 1), "Z"),
    ("score_eq_text", attr("score", "eq", "high"), "M"),
    ("score_in", attr("score", "in", [7.5, 12.5]), "LW"),
    ("score_not_in", attr("score", "not_in", [7.5]), "WZ"),  # M's "high" is no number: not in is false
    ("score_is_null", attr("score", "is_null"), "B"),
    ("level_is_null", attr("level", "is_null"), "WB"),  # JSON null and absent
    ("level_eq", attr("level", "eq", "gold"), "L"),
    ("staff_eq_true", attr("staff", "eq", True), "W"),
    ("staff_eq_text", attr("staff", "eq", "true"), "Z"),
    ("since_after", attr("since", "after", "2026-03-01"), "LZ"),  # W's 2026-02-30 is no date
    ("since_within", attr("since", "within_last_days", 1), "Z"),
    ("code_lt_code_point", attr("code", "lt", "B"), "L"),  # a-2 sorts after B by code point
    ("code_between", attr("code", "between", ["A", "C"]), "LZ"),
    ("nested_not_null", attr("nested", "not_null"), "L"),
    # org tree, tags, segments
    ("in_org_branch", {"in_org": "BR01"}, "L"),
    ("in_org_head_office", {"in_org": "HO"}, "LWM"),
    ("not_in_org", {"not": {"in_org": "BR02"}}, "LBZ"),
    ("tag", {"tag": "silver"}, "LZ"),
    ("not_tag", {"not": {"tag": "vip"}}, "LBM"),
    ("segment", {"segment": "payroll"}, "LZ"),
    # holdings: every filter field, count and sum of balances, holdings opened after the evaluation time
    ("holding_type", {"holding": {"product_type": "wealth"}}, "LM"),
    ("holding_opened_within", {"holding": {"product_type": "wealth", "opened_within_days": 7}}, "M"),
    ("holding_level_role", {"holding": {"card_level": "gold", "card_role": "primary"}}, "L"),
    ("holding_status", {"holding": {"status": "dormant"}}, "W"),
    ("holding_opened_later", {"holding": {"product_type": "fund"}}, ""),
    ("holding_code_status", {"holding": {"product_code": ["CC1", "CC2"], "status": "active"}}, "LZ"),
    ("holding_approved_within", {"holding": {"approved_within_days": 8}}, "L"),
    ("holding_approved_62", {"holding": {"product_type": "credit_card", "approved_within_days": 62}}, "LZ"),
    ("holding_count_zero", {"holding": {}, "agg": "count", "op": "eq", "value": 0}, "B"),
    (
        "holding_sum_ge",
        {"holding": {"product_type": ["time_deposit", "wealth"]}, "agg": "sum_balance", "op": "ge", "value": 100000},
        "L",
    ),
    ("holding_sum_lt", {"holding": {}, "agg": "sum_balance", "op": "lt", "value": 1000}, "BZ"),
    # transactions: every aggregate, every window form, every filter field, window edges in business time
    ("txn_count", txn(SPEND, W7, "count", "ge", 2), "L"),  # Z's 23:59 spend is a day before the window
    ("txn_count_eq", txn(SPEND, W7, "count", "eq", 1), "Z"),
    ("txn_sum", txn(SPEND, W7, "sum", "ge", 30), "LZ"),
    ("txn_sum_zero", txn(SPEND, W7, "sum", "eq", 0), "WBM"),
    ("txn_avg", txn(SPEND, W30, "avg", "gt", 30), "WZ"),
    ("txn_avg_exact", txn(SPEND, W30, "avg", "eq", 15.005), "L"),
    ("txn_avg_is_null", txn(SPEND, W30, "avg", "is_null"), "BM"),
    ("txn_min", txn({}, W30, "min", "le", 10), "L"),
    ("txn_max", txn({}, W30, "max", "ge", 3000), "LW"),
    ("txn_channel_mcc", txn({"channel": "app", "mcc": "5411"}, W7, "count", "eq", 1), "L"),
    ("txn_amounts", txn({"min_amount": 30, "max_amount": 100}, W30, "count", "ge", 2), "Z"),
    ("txn_product_code", txn({"product_code": "P9"}, W7, "count", "ge", 1), "Z"),
    ("txn_types_between", txn({"txn_type": ["transfer_in", "salary"]}, W30, "sum", "between", [1000, 20000]), "LZ"),
    ("txn_this_month", txn({"direction": "credit"}, {"calendar": "this_month"}, "count", "ge", 1), "LZ"),
    ("txn_last_month", txn(SPEND, {"calendar": "last_month"}, "count", "ge", 1), "W"),
    ("txn_last_week", txn(SPEND, {"calendar": "last_week"}, "sum", "eq", 129.99), "Z"),
    ("txn_this_week", txn({}, {"calendar": "this_week"}, "count", "ge", 2), "L"),
    ("txn_this_year", txn({}, {"calendar": "this_year"}, "sum", "ge", 3500), "LW"),
    ("txn_from_to", txn(SPEND, {"from": "2026-03-17", "to": "2026-03-17"}, "count", "eq", 1), "L"),
    ("txn_distinct_days", txn({}, W7, "distinct_days", "eq", 2), "LZ"),
    ("txn_days_since_last", txn({}, W30, "days_since_last", "le", 1), "LZ"),
    ("txn_days_since_null", txn({}, W30, "days_since_last", "is_null"), "BM"),
    ("txn_after_as_of", txn({"txn_type": "wealth_purchase"}, W7, "count", "ge", 1), "W"),
    # events: property conditions, aggregates over a property, UTC days that are the next business day
    ("event_count", event(LOGIN, W7, "count", "ge", 2), "LM"),
    ("event_count_eq", event(LOGIN, W7, "count", "eq", 1), "WZ"),
    ("event_business_day", event(LOGIN, {"from": "2026-03-16", "to": "2026-03-16"}, "count", "eq", 1), "LM"),
    ("event_this_week", event(LOGIN, {"calendar": "this_week"}, "count", "eq", 2), "LM"),
    ("event_distinct_days", event(LOGIN, W30, "distinct_days", "ge", 15), "M"),
    ("event_where", event(VIEW | {"where": {"product_code": "WM-CASH", "seconds": LONG}}, W7, "count", "ge", 1), "L"),
    ("event_where_starts_with", event(VIEW | {"where": {"product_code": FUND}}, THIS_MONTH, "count", "ge", 1), "Z"),
    ("event_sum_field", event(VIEW, W7, "sum", "ge", 30, field="seconds"), "LW"),
    ("event_avg_field", event(VIEW, W7, "avg", "eq", 30, field="seconds"), "W"),
    ("event_min_field", event(VIEW, W7, "min", "lt", 0, field="seconds"), "Z"),
    (
        "event_max_not_numeric",  # Z's view on 03-10 has seconds true: a row, but no number
        {"all": [event(VIEW, MARCH_10, "count", "eq", 1), event(VIEW, MARCH_10, "max", "is_null", field="seconds")]},
        "Z",
    ),
    ("event_days_since_last", event(LOGIN, W30, "days_since_last", "ge", 5), "W"),
    # did … then_not: events then transactions, events then events, transactions then events
    ("did_view_no_purchase", did({"event": VIEW}, W7, {"txn": {"txn_type": "wealth_purchase"}}, 48), "L"),
    ("did_login_no_spend", did({"event": LOGIN}, W7, {"txn": SPEND}, 12), "LWM"),  # same-instant rows don't follow
    ("did_login_no_login", did({"event": LOGIN}, W7, {"event": LOGIN}, 72), "W"),
    ("did_spend_no_login", did({"txn": SPEND}, W30, {"event": LOGIN}, 24), "LWZ"),
    # and / or / not
    ("all", {"all": [{"tag": "silver"}, {"in_org": "BR01"}]}, "L"),
    ("any", {"any": [{"tag": "vip"}, {"segment": "payroll"}]}, "LWZ"),
    ("not_all", {"not": {"all": [attr("city", "eq", "Shanghai"), attr("age", "gt", 40)]}}, "LWBZ"),
    ("not_any", {"not": {"any": [{"tag": "silver"}, {"segment": "dormant"}]}}, "WBM"),
    (
        "any_of_all",
        {"any": [{"all": [attr("city", "eq", "上海"), {"holding": WEALTH}]}, attr("staff", "eq", True)]},
        "LW",
    ),
    (
        "all_of_any",
        {"all": [{"not": {"tag": "vip"}}, {"any": [attr("age", "lt", 50), attr("score", "is_null")]}]},
        "BM",
    ),
]
