"""Property: for random rules over small random populations, the compiled query's members are exactly the
customers the reference evaluator matches; the lake tables are built from the same generated facts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from huoke.platform.errors import InvalidInput
from huoke.segments.dsl import parse_rule
from huoke.segments.facts import CustomerFacts, EventFact, HoldingFact, TxnFact
from huoke.segments.normalise import normalise
from tests.integration.segments.lake_facts import Population, compiled_members, evaluated_members, org_path
from tests.unit.segments.test_normalise import AS_OF, DOCUMENTS, NUMBER_OPS, SHANGHAI, WINDOWS

NUMBERS = st.one_of(st.integers(0, 40), st.sampled_from([2.5, 0.01, 12.345, 7]))
AGGS = st.sampled_from(["count", "sum", "avg", "min", "max", "distinct_days", "days_since_last"])
ACTIVITY = st.sampled_from(
    [{"event": {"type": "login"}}, {"event": {"type": "view"}}, {"txn": {"txn_type": "card_spend"}}, {"txn": {}}]
)
EXTRA_LEAVES = st.one_of(
    st.builds(lambda op, v: {"attr": "score", "op": op, "value": v}, NUMBER_OPS, NUMBERS),
    st.builds(lambda v: {"attr": "score", "op": "eq", "value": v}, st.sampled_from([True, False, "high", " 7 "])),
    st.builds(lambda v: {"attr": "score", "op": "contains", "value": v}, st.sampled_from(["7", "h"])),
    st.builds(lambda v: {"attr": "score", "op": "in", "value": v}, st.lists(st.integers(0, 8), min_size=1)),
    st.builds(lambda op: {"attr": "score", "op": op}, st.sampled_from(["is_null", "not_null"])),
    st.builds(lambda op, v: {"attr": "birth_date", "op": op, "value": v}, st.sampled_from(
        ["within_last_days", "anniversary_within_days"]), st.sampled_from([1, 2, 30, 200, 366, 400])),
    st.builds(lambda op, v: {"attr": "opened_at", "op": op, "value": v}, st.sampled_from(["before", "after", "eq"]),
              st.sampled_from(["2026-03-01", "2026-03-18", "2000-01-01"])),
    st.builds(
        lambda p, d, g, op, v: {"holding": {"product_type": p} | ({"opened_within_days": d} if d else {}),
                                "agg": g, "op": op, "value": v},
        st.sampled_from(["wealth", "time_deposit"]), st.sampled_from([None, 1, 5, 30]),
        st.sampled_from(["count", "sum_balance"]), NUMBER_OPS, NUMBERS,
    ),
    st.builds(lambda d: {"holding": {"approved_within_days": d}}, st.sampled_from([1, 2, 7, 30, 61])),
    st.builds(
        lambda d, op, v: {"holding": {"approved_within_days": d}, "agg": "count", "op": op, "value": v},
        st.sampled_from([1, 2, 7, 30, 61]), NUMBER_OPS, st.integers(0, 2),
    ),
    st.builds(
        lambda lo, w, g, op, v: {"txn": {"min_amount": lo}, "window": w, "agg": g, "op": op, "value": v},
        st.sampled_from([0, 0.5, 10]), WINDOWS, AGGS, NUMBER_OPS, NUMBERS,
    ),
    st.builds(
        lambda w, g, op, v, least: {"event": {"type": "view", "where": {"seconds": {"op": "ge", "value": least}}},
                                    "window": w, "agg": g, "op": op, "value": v}
                                   | ({"field": "seconds"} if g in ("sum", "avg", "min", "max") else {}),
        WINDOWS, AGGS, NUMBER_OPS, NUMBERS, st.sampled_from([0, 5, 7.5]),
    ),
    st.builds(
        lambda g, op: {"event": {"type": "view"}, "window": {"last_days": 30}, "agg": g, "field": "seconds", "op": op},
        st.sampled_from(["avg", "min", "max"]), st.sampled_from(["is_null", "not_null"]),
    ),
    st.builds(
        lambda x, w, y, h: {"did": x, "window": w, "then_not": y, "within_hours": h},
        ACTIVITY, WINDOWS, ACTIVITY, st.sampled_from([1, 6, 24, 48]),
    ),
)  # fmt: skip
LEAVES = st.one_of(DOCUMENTS.filter(lambda d: not {"all", "any", "not"} & set(d)), EXTRA_LEAVES)
RULES = st.recursive(
    st.one_of(DOCUMENTS, EXTRA_LEAVES),
    lambda inner: st.one_of(
        st.builds(lambda items: {"all": items}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda items: {"any": items}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda item: {"not": item}, inner),
    ),
    max_leaves=6,
)
# instants near the evaluation time, on the minute, incl. around Shanghai and UTC midnights
CLOCKS = st.sampled_from([(0, 0), (0, 30), (7, 59), (8, 0), (9, 0), (10, 0), (10, 1), (23, 30), (23, 59)])
INSTANTS = st.one_of(
    st.integers(-40 * 24 * 60, 90).map(lambda minutes: AS_OF + timedelta(minutes=minutes)),
    st.builds(
        lambda days, clock: datetime.combine(AS_OF.date() + timedelta(days=days), time(*clock), SHANGHAI),
        st.one_of(st.integers(-40, 0), st.sampled_from([0, -1, -2, -6, -7, -9, -17, -18, -29, -30])),
        CLOCKS,
    ),
)
DAYS = st.integers(-40, 2).map(lambda days: AS_OF.date() + timedelta(days=days))
SECONDS = st.sampled_from([None, 3, 7.5, "8", " 5 ", "long", True, -2])
HOLDINGS = st.builds(
    lambda kind, day, balance, approved: HoldingFact(
        kind, opened_at=datetime.combine(day, datetime.min.time(), SHANGHAI), approved_at=approved,
        balance_fen=balance),
    st.sampled_from(["wealth", "time_deposit"]), DAYS, st.one_of(st.none(), st.integers(0, 3_000_000)),
    st.one_of(st.none(), INSTANTS),
)  # fmt: skip
TXNS = st.builds(
    lambda when, fen, kind: TxnFact(when, fen, "debit", kind),
    INSTANTS,
    st.integers(1, 5000),
    st.sampled_from(["card_spend", "salary"]),
)
EVENTS = st.builds(
    lambda kind, when, seconds: EventFact(kind, when, {} if seconds is None else {"seconds": seconds}),
    st.sampled_from(["login", "view"]),
    INSTANTS,
    SECONDS,
)
CUSTOMERS = st.builds(
    lambda birth, city, score, opened, tags, segs, branch, holdings, txns, events: CustomerFacts(
        zone=SHANGHAI,
        attributes={"birth_date": birth, "city": city, "branch_code": branch, "opened_at": opened}
        | ({} if score == "absent" else {"score": score}),
        org_path=org_path(branch),
        tags=frozenset(tags),
        segments=frozenset(segs),
        holdings=tuple(holdings),
        transactions=tuple(txns),
        events=tuple(events),
    ),
    st.one_of(st.none(), st.dates(date(1930, 1, 1), date(2020, 12, 31)), st.just(date(2000, 2, 29))),
    st.sampled_from([None, "A", "B"]),
    st.sampled_from(["absent", None, 1, 3, 2.5, "4", " 7 ", "high", True, False, 12.345]),
    st.one_of(st.none(), DAYS),
    st.sets(st.sampled_from("xyz")),
    st.sets(st.sampled_from("st")),
    st.sampled_from([None, "SB1", "SB2", "SB3", "BR01"]),
    st.lists(HOLDINGS, max_size=2),
    st.lists(TXNS, max_size=6),
    st.lists(EVENTS, max_size=6),
)


@st.composite
def populations(draw: Any) -> Population:
    customers = draw(st.lists(CUSTOMERS, min_size=1, max_size=6))
    people = {f"c{i}": facts for i, facts in enumerate(customers)}
    rows = [(key, kind, i) for key, f in people.items() for kind, n in
            (("h", len(f.holdings)), ("t", len(f.transactions)), ("e", len(f.events))) for i in range(n)]  # fmt: skip
    merged = draw(st.sets(st.sampled_from(rows))) if rows else set()
    return Population(people, on_merged_unit=merged)


def agree(document: dict[str, Any], people: Population, as_of: datetime) -> None:
    try:
        rule = normalise(parse_rule(document))
    except InvalidInput:
        assume(False)
        raise
    assert compiled_members(rule, people, as_of) == evaluated_members(rule, people.customers, as_of)


AS_OFS = st.sampled_from([AS_OF, datetime(2026, 3, 17, 16, 30, tzinfo=UTC)])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(LEAVES, populations(), AS_OFS)
def test_each_compiled_leaf_finds_the_evaluated_members(
    document: dict[str, Any], people: Population, as_of: Any
) -> None:
    agree(document, people, as_of)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RULES, populations(), AS_OFS)
def test_compiled_rules_find_the_evaluated_members(document: dict[str, Any], people: Population, as_of: Any) -> None:
    agree(document, people, as_of)
