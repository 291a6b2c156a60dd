"""Pure decisions about saved segments: references and cycles, real-time eligibility, schedules, diffs."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from huoke.platform.errors import InvalidInput
from huoke.segments import core
from huoke.segments.dsl import parse_rule
from huoke.segments.model import (
    check_name,
    check_schedule,
    find_cycle,
    inline,
    membership_change,
    next_run,
    realtime_capable,
    recheck_hours,
    references,
    topic_wanted,
    trigger_topics,
)
from huoke.segments.normalise import normalise

SHANGHAI = ZoneInfo("Asia/Shanghai")


def tree(rule: object) -> core.Core:
    return normalise(parse_rule(rule))


def test_references_are_found_at_any_depth() -> None:
    rule = tree({"all": [{"segment": "a"}, {"not": {"any": [{"segment": "b"}, {"in_org": "HO"}]}}]})
    assert references(rule) == {"a", "b"}


def test_a_cycle_is_reported_as_the_chain_that_closes_it() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle("a", lambda n: graph.get(n, set())) == ["a", "b", "c", "a"]
    assert find_cycle("d", lambda n: graph.get(n, set())) is None  # d reaches a cycle it is not part of
    assert find_cycle("x", lambda n: {"x"} if n == "x" else set()) == ["x", "x"]


def test_inlining_a_negated_reference_negates_the_referenced_rule_down_to_its_leaves() -> None:
    seniors = tree({"all": [{"attr": "age", "op": "ge", "value": 60}, {"attr": "gender", "op": "eq", "value": "F"}]})
    result = inline(tree({"not": {"segment": "seniors"}}), {"seniors": seniors})

    assert isinstance(result, core.Or)
    assert all(isinstance(item, core.Not) for item in result.items)
    assert references(result) == set()


def test_inlining_a_cycle_that_slipped_through_fails_loudly() -> None:
    loop = tree({"segment": "a"})
    with pytest.raises(InvalidInput, match="cycle"):
        inline(loop, {"a": loop})


@pytest.mark.parametrize(
    ("rule", "capable"),
    [
        ({"attr": "age", "op": "ge", "value": 60}, True),
        ({"event": {"type": "login"}, "window": {"last_days": 30}, "agg": "count", "op": "ge", "value": 15}, True),
        ({"event": {"type": "login"}, "window": {"last_days": 89}, "agg": "count", "op": "ge", "value": 1}, True),
        ({"event": {"type": "login"}, "window": {"last_days": 90}, "agg": "count", "op": "ge", "value": 1}, False),
        ({"txn": {}, "window": {"calendar": "this_year"}, "agg": "sum", "op": "ge", "value": 1}, False),
        ({"txn": {}, "window": {"calendar": "last_month"}, "agg": "sum", "op": "ge", "value": 1}, True),
        (
            {"txn": {}, "window": {"from": "2026-01-01", "to": "2026-01-31"}, "agg": "count", "op": "ge", "value": 1},
            False,
        ),
        ({"all": [{"in_org": "HO"}, {"tag": "vip"}]}, False),
        ({"holding": {"product_type": "wealth"}}, True),
    ],
)
def test_real_time_needs_own_rows_within_the_live_retention(rule: object, capable: bool) -> None:
    assert realtime_capable(tree(rule), retention_days=90) is capable


def test_trigger_topics_name_what_can_change_membership() -> None:
    rule = tree({
        "any": [
            {"event": {"type": "login"}, "window": {"last_days": 7}, "agg": "count", "op": "ge", "value": 2},
            {"did": {"event": {"type": "product_view"}}, "window": {"last_days": 7},
             "then_not": {"txn": {"txn_type": ["wealth_purchase", "wealth_redeem"]}}, "within_hours": 48},
            {"attr": "age", "op": "ge", "value": 60},
        ]
    })  # fmt: skip
    topics = trigger_topics(rule)

    assert topics == {"event.login", "event.product_view", "transaction.wealth_purchase", "transaction.wealth_redeem"}
    assert recheck_hours(rule, "event.product_view") == {48}
    assert recheck_hours(rule, "event.login") == set()
    assert topic_wanted("transaction.salary", {"transaction.*"})
    assert not topic_wanted("event.search", topics)


def test_membership_change_lists_who_enters_and_who_leaves() -> None:
    change = membership_change(["a", "b", "c"], ["c", "d", "b", "e"])
    assert (change.entered, change.exited) == (["d", "e"], ["a"])


def test_cron_times_are_read_in_the_business_time_zone() -> None:
    after = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert next_run("0 6 * * *", after, SHANGHAI) == datetime(2026, 11, 24, 22, 0, tzinfo=UTC)
    assert next_run("30 9 * * 1", after, SHANGHAI) == datetime(2026, 11, 30, 1, 30, tzinfo=UTC)  # next Monday


@pytest.mark.parametrize("expression", ["every day", "0 6 * *", "61 * * * *", "0 6 * * * *", ""])
def test_malformed_schedules_are_refused(expression: str) -> None:
    with pytest.raises(InvalidInput, match="cron"):
        check_schedule(expression)


@pytest.mark.parametrize("name", ["", "two words", "a/b", "x" * 65, "tab\there"])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput, match="segment name"):
        check_name(name)
