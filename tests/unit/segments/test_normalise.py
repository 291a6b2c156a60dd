"""The normaliser: sugar to core nodes, negation on leaves, flat groups; same answers, input untouched."""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from huoke.platform.errors import InvalidInput
from huoke.segments import core
from huoke.segments.dsl import Rule, parse_rule
from huoke.segments.evaluate import evaluate
from huoke.segments.facts import CustomerFacts, EventFact, HoldingFact, TxnFact
from huoke.segments.normalise import desugar, normalise

SHANGHAI = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2026, 3, 18, 10, 0, tzinfo=SHANGHAI)
AGE_GT_60 = {"attr": "age", "op": "gt", "value": 60}


def test_not_of_a_comparison_stays_an_explicit_negation_because_missing_values_fail_both() -> None:
    tree = normalise(parse_rule({"not": AGE_GT_60}))
    assert isinstance(tree, core.Not)
    assert tree.item == core.AttrTest("age", "number", core.Compare("gt", Fraction(60)))
    no_age = CustomerFacts(zone=SHANGHAI)
    assert evaluate(tree, no_age, AS_OF)
    assert not evaluate(parse_rule({"attr": "age", "op": "le", "value": 60}), no_age, AS_OF)


def test_de_morgan_pushes_not_to_the_leaves_and_groups_flatten() -> None:
    rule = parse_rule(
        {"not": {"all": [{"tag": "a"}, {"any": [{"tag": "b"}, {"not": {"tag": "c"}}]}, {"all": [{"tag": "d"}]}]}}
    )
    a, b, c, d = (core.HasTag(name) for name in "abcd")
    assert normalise(rule) == core.Or((core.Not(a), core.And((core.Not(b), c)), core.Not(d)))


def test_is_null_and_not_null_swap_under_not_as_they_are_exact_complements() -> None:
    tree = normalise(parse_rule({"not": {"attr": "city", "op": "is_null"}}))
    assert tree == core.AttrTest("city", "text", core.Compare("not_null"))


def test_sugar_becomes_core_nodes_with_exact_values() -> None:
    assert normalise(parse_rule({"holding": {"product_type": "wealth"}})) == core.HoldingAgg(
        core.HoldingMatch(product_type=("wealth",)), "count", core.Compare("ge", Fraction(1))
    )
    total = normalise(parse_rule({"holding": {}, "agg": "sum_balance", "op": "ge", "value": 100000.5}))
    assert isinstance(total, core.HoldingAgg)
    assert total.test == core.Compare("ge", Fraction(10_000_050))  # fen
    spend = normalise(
        parse_rule(
            {
                "txn": {"min_amount": 0.1},
                "window": {"last_days": 7},
                "agg": "avg",
                "op": "between",
                "value": [0.1, 99.99],
            }
        )
    )
    assert isinstance(spend, core.TxnAgg)
    assert spend.match.min_fen == Fraction(10)
    assert spend.test == core.Compare("between", (Fraction(10), Fraction(9999)))
    born = normalise(parse_rule({"attr": "birth_date", "op": "lt", "value": "1966-01-01"}))
    assert isinstance(born, core.AttrTest)
    assert born.test == core.Compare("lt", date(1966, 1, 1))


# --- properties on generated rules and customers -------------------------------------------------------------

WINDOWS = st.sampled_from(
    [
        {"last_days": 1},
        {"last_days": 7},
        {"calendar": "this_week"},
        {"calendar": "last_month"},
        {"from": "2026-03-01", "to": "2026-03-17"},
    ]
)
NUMBER_OPS = st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"])
LEAVES = st.one_of(
    st.builds(lambda op, v: {"attr": "age", "op": op, "value": v}, NUMBER_OPS, st.integers(0, 100)),
    st.builds(lambda v: {"attr": "city", "op": "in", "value": v}, st.lists(st.sampled_from("ABC"), min_size=1)),
    st.sampled_from(
        [
            {"attr": "city", "op": "is_null"},
            {"attr": "age", "op": "not_null"},
            {"attr": "birth_date", "op": "anniversary_within_days", "value": 30},
            {"attr": "score", "op": "between", "value": [2, 5]},
        ]
    ),
    st.builds(lambda t: {"tag": t}, st.sampled_from("xyz")),
    st.builds(lambda s: {"segment": s}, st.sampled_from("st")),
    st.builds(lambda o: {"in_org": o}, st.sampled_from(["BR01", "SB1"])),
    st.builds(lambda p: {"holding": {"product_type": p}}, st.sampled_from(["wealth", "time_deposit"])),
    st.builds(
        lambda w, g, op, v: {"txn": {"txn_type": "card_spend"}, "window": w, "agg": g, "op": op, "value": v},
        WINDOWS,
        st.sampled_from(["count", "sum", "avg", "max", "distinct_days", "days_since_last"]),
        NUMBER_OPS,
        st.integers(0, 40),
    ),
    st.builds(
        lambda w, op, v: {"event": {"type": "login"}, "window": w, "agg": "count", "op": op, "value": v},
        WINDOWS,
        NUMBER_OPS,
        st.integers(0, 3),
    ),
    st.builds(
        lambda w, h: {
            "did": {"event": {"type": "login"}},
            "window": w,
            "then_not": {"txn": {"txn_type": "card_spend"}},
            "within_hours": h,
        },
        WINDOWS,
        st.integers(1, 72),
    ),
)
DOCUMENTS = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.builds(lambda items: {"all": items}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda items: {"any": items}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda item: {"not": item}, inner),
    ),
    max_leaves=8,
)
INSTANTS = st.integers(-40 * 24 * 60, 60).map(lambda minutes: AS_OF + timedelta(minutes=minutes))
FACTS = st.builds(
    lambda birth, city, score, tags, segs, branch, holdings, txns, logins: CustomerFacts(
        zone=SHANGHAI,
        attributes={"birth_date": birth, "city": city, "score": score, "branch_code": branch},
        org_path=(branch, "BR01") if branch else (),
        tags=frozenset(tags),
        segments=frozenset(segs),
        holdings=tuple(holdings),
        transactions=tuple(txns),
        events=tuple(EventFact("login", when) for when in logins),
    ),
    st.one_of(st.none(), st.dates(date(1930, 1, 1), date(2020, 12, 31))),
    st.sampled_from([None, "A", "B"]),
    st.sampled_from([None, 1, 3, "4", "high"]),
    st.sets(st.sampled_from("xyz")),
    st.sets(st.sampled_from("st")),
    st.sampled_from([None, "SB1", "SB2"]),
    st.lists(st.builds(HoldingFact, st.sampled_from(["wealth", "time_deposit"]), opened_at=INSTANTS), max_size=2),
    st.lists(st.builds(TxnFact, INSTANTS, st.integers(1, 5000), st.just("debit"), st.just("card_spend")), max_size=5),
    st.lists(INSTANTS, max_size=4),
)


def parsed(document: dict[str, Any]) -> Rule:
    try:
        return parse_rule(document)
    except InvalidInput:
        assume(False)
        raise


def assert_normal_form(tree: core.Core, parent: type | None = None) -> None:
    if isinstance(tree, core.Not):
        assert not isinstance(tree.item, core.CORE_TYPES[:3])
    elif isinstance(tree, core.And | core.Or):
        assert type(tree) is not parent
        assert len(tree.items) > 1
        for item in tree.items:
            assert_normal_form(item, type(tree))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS)
def test_normalising_twice_is_normalising_once_and_the_input_is_untouched(document: dict[str, Any]) -> None:
    original = copy.deepcopy(document)
    rule = parsed(document)
    written = rule.to_json()
    once = normalise(rule)
    assert normalise(once) == once
    assert_normal_form(once)
    assert document == original
    assert rule.to_json() == written


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS, FACTS)
def test_the_normalised_rule_gives_the_same_answer_as_the_rule(document: dict[str, Any], facts: CustomerFacts) -> None:
    rule = parsed(document)
    expected = evaluate(rule, facts, AS_OF)
    assert evaluate(normalise(rule), facts, AS_OF) == expected
    assert evaluate(desugar(rule), facts, AS_OF) == expected
