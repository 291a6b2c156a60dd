"""Parsing segment rules: every §3 form is accepted, and every mistake is named by its JSON path."""

from __future__ import annotations

import json
from typing import Any

import pytest

from huoke.platform.errors import InvalidInput
from huoke.segments.dsl import AllRule, AttrRule, HoldingRule, NotRule, TxnRule, parse_rule

WINDOW = {"last_days": 30}
VALID: list[dict[str, Any]] = [
    {"all": [{"tag": "vip"}, {"segment": "payroll"}]},
    {"any": [{"in_org": "BR01"}, {"not": {"tag": "staff"}}]},
    {"attr": "age", "op": "between", "value": [60, 75]},
    {"attr": "gender", "op": "in", "value": ["F", "U"]},
    {"attr": "city", "op": "contains", "value": "杭州"},
    {"attr": "customer_no", "op": "starts_with", "value": "C00"},
    {"attr": "occupation", "op": "is_null"},
    {"attr": "risk_level", "op": "not_in", "value": ["C4", "C5"]},
    {"attr": "opened_at", "op": "within_last_days", "value": 30},
    {"attr": "opened_at", "op": "before", "value": "2020-01-01"},
    {"attr": "birth_date", "op": "after", "value": "1960-12-31"},
    {"attr": "birth_date", "op": "anniversary_within_days", "value": 7},
    {"attr": "birth_date", "op": "lt", "value": "1965-01-01"},
    {"attr": "vip_score", "op": "ge", "value": 7.5},
    {"attr": "has_car", "op": "eq", "value": True},
    {"holding": {"product_type": "wealth"}},
    {"holding": {"card_level": ["gold", "platinum"], "card_role": "primary", "approved_within_days": 61}},
    {"holding": {"status": "active", "opened_within_days": 90}, "agg": "count", "op": "ge", "value": 2},
    {"holding": {"product_type": "time_deposit"}, "agg": "sum_balance", "op": "gt", "value": 50000.5},
    {"txn": {"txn_type": "card_spend", "min_amount": 99}, "window": WINDOW, "agg": "count", "op": "ge", "value": 3},
    {
        "txn": {"mcc": ["5814"], "max_amount": 10.5},
        "window": {"calendar": "this_week"},
        "agg": "sum",
        "op": "lt",
        "value": 100,
    },
    {"txn": {}, "window": {"from": "2026-01-01", "to": "2026-03-31"}, "agg": "days_since_last", "op": "not_null"},
    {
        "txn": {"direction": "credit", "channel": "app", "product_code": "WM-CASH"},
        "window": WINDOW,
        "agg": "avg",
        "op": "ge",
        "value": 1,
    },
    {"event": {"type": "login"}, "window": WINDOW, "agg": "distinct_days", "op": "ge", "value": 15},
    {
        "event": {
            "type": "product_view",
            "where": {"product_code": "WM-CASH", "dwell_seconds": {"op": "ge", "value": 60}},
        },
        "window": {"calendar": "last_month"},
        "agg": "max",
        "field": "dwell_seconds",
        "op": "gt",
        "value": 10,
    },
    {
        "did": {"event": {"type": "product_view"}},
        "window": {"last_days": 7},
        "then_not": {"txn": {"txn_type": "wealth_purchase"}},
        "within_hours": 48,
    },
]


@pytest.mark.parametrize("document", VALID)
def test_every_form_parses_and_writes_back_the_same_rule(document: dict[str, Any]) -> None:
    rule = parse_rule(document)
    assert parse_rule(rule.to_json()) == rule


def test_the_distinguishing_key_picks_the_form_and_json_text_is_accepted() -> None:
    rule = parse_rule('{"all": [{"not": {"attr": "age", "op": "gt", "value": 60}}]}')
    assert isinstance(rule, AllRule)
    assert isinstance(rule.all[0], NotRule)
    assert isinstance(rule.all[0].not_, AttrRule)
    holding = parse_rule({"holding": {"product_type": "wealth"}})
    assert isinstance(holding, HoldingRule)
    assert holding.holding.product_type == ("wealth",)


def error_of(document: Any, **known: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        parse_rule(document, **known)
    assert caught.value.code == "invalid_rule"
    assert caught.value.details["path"] in caught.value.message
    return caught.value


FORM_KEYS = ["all", "any", "not", "attr", "in_org", "tag", "segment", "holding", "txn", "event", "did"]
ATTR_OPS = ["eq", "ne", "lt", "le", "gt", "ge", "between", "in", "not_in", "is_null", "not_null"]


@pytest.mark.parametrize(
    ("document", "path", "value", "allowed"),
    [
        (
            {"all": [{"tag": "a"}, {"tag": "b"}, {"attr": "age", "op": "older", "value": 1}]},
            "$.all[2].op",
            "older",
            None,
        ),
        ({"all": [{"attr": "age", "op": "contains", "value": "6"}]}, "$.all[0].op", "contains", ATTR_OPS),
        (
            {"attr": "gender", "op": "within_last_days", "value": 3},
            "$.op",
            "within_last_days",
            [*ATTR_OPS, "contains", "starts_with"],
        ),
        ({"any": [{"colour": "red"}]}, "$.any[0]", ["colour"], FORM_KEYS),
        ({"not": {"tag": "a", "segment": "b"}}, "$.not", ["segment", "tag"], FORM_KEYS),
        ({"all": "tag"}, "$.all", "tag", None),
        ({"all": []}, "$.all", [], None),
        ([{"tag": "a"}], "$", [{"tag": "a"}], FORM_KEYS),
        ({"tag": "a", "colour": 1}, "$.colour", 1, ["tag"]),
        ({"holding": {"product_type": "wealthy"}}, "$.holding.product_type", "wealthy", None),
        (
            {"holding": {"card_level": ["gold", "golden"]}},
            "$.holding.card_level[1]",
            "golden",
            ["standard", "gold", "platinum", "diamond"],
        ),
        ({"holding": {"status": "active"}, "op": "ge", "value": 1}, "$.agg", None, ["count", "sum_balance"]),
        ({"holding": {}, "agg": "avg", "op": "ge", "value": 1}, "$.agg", "avg", ["count", "sum_balance"]),
        (
            {"txn": {}, "window": {"last": 3}, "agg": "count", "op": "ge", "value": 1},
            "$.window",
            {"last": 3},
            ["last_days", "from", "calendar"],
        ),
        (
            {"txn": {}, "window": {"calendar": "this_decade"}, "agg": "count", "op": "ge", "value": 1},
            "$.window.calendar",
            "this_decade",
            ["this_week", "last_week", "this_month", "last_month", "this_year"],
        ),
        (
            {"txn": {}, "window": WINDOW, "agg": "median", "op": "ge", "value": 1},
            "$.agg",
            "median",
            ["count", "sum", "avg", "min", "max", "distinct_days", "days_since_last"],
        ),
        (
            {"txn": {"txn_type": "coffee"}, "window": WINDOW, "agg": "count", "op": "ge", "value": 1},
            "$.txn.txn_type",
            "coffee",
            None,
        ),
        (
            {"txn": {"min_amount": 10, "max_amount": 5}, "window": WINDOW, "agg": "count", "op": "ge", "value": 1},
            "$.txn.max_amount",
            5,
            None,
        ),
        (
            {"txn": {}, "window": WINDOW, "agg": "count", "op": "starts_with", "value": "1"},
            "$.op",
            "starts_with",
            ATTR_OPS,
        ),
        ({"txn": {}, "window": WINDOW, "agg": "count", "op": "ge"}, "$.value", None, None),
        ({"event": {"type": "login"}, "window": WINDOW, "agg": "sum", "op": "ge", "value": 1}, "$.field", None, None),
        (
            {
                "event": {"type": "login", "where": {"method": {"value": "sms"}}},
                "window": WINDOW,
                "agg": "count",
                "op": "ge",
                "value": 1,
            },
            "$.event.where.method.op",
            None,
            None,
        ),
        (
            {"did": {"event": {"type": "a"}}, "window": WINDOW, "then_not": {"holding": {}}, "within_hours": 2},
            "$.then_not",
            {"holding": {}},
            ["event", "txn"],
        ),
        ({"did": {"txn": {}}, "window": WINDOW, "then_not": {"txn": {}}, "within_hours": 0}, "$.within_hours", 0, None),
    ],
)
def test_invalid_rules_name_the_path_the_value_and_the_choices(
    document: Any, path: str, value: Any, allowed: list[str] | None
) -> None:
    error = error_of(document)
    assert error.details["path"] == path
    assert error.details["value"] == value
    if allowed is not None:
        assert error.details["allowed"] == allowed


@pytest.mark.parametrize(
    ("op", "value"),
    [
        ("between", [75, 60]),
        ("between", [60]),
        ("between", 60),
        ("between", [1, "x"]),
        ("within_last_days", 0),
        ("within_last_days", 1.5),
        ("within_last_days", True),
        ("within_last_days", "7"),
        ("in", []),
        ("in", "F"),
        ("not_in", [1, "F"]),
        ("before", "2024/01/01"),
        ("after", "2024-02-30"),
        ("anniversary_within_days", -1),
        ("is_null", 1),
        ("contains", ""),
        ("eq", [1]),
        ("eq", None),
        ("eq", {"a": 1}),
        ("gt", float("nan")),
    ],
)
def test_values_must_fit_the_operator(op: str, value: Any) -> None:
    error = error_of({"all": [{"tag": "x"}, {"attr": "my_attr", "op": op, "value": value}]})
    assert error.details["path"] == "$.all[1].value"
    assert error.details["value"] == value or op == "gt"


@pytest.mark.parametrize("name", ["Age", "1st", "has space", "x" * 65, "名字", "drop_table;"])
def test_custom_attribute_names_are_lower_snake_case(name: str) -> None:
    assert error_of({"attr": name, "op": "is_null"}).details["path"] == "$.attr"


def test_standard_attributes_keep_their_types() -> None:
    assert error_of({"attr": "age", "op": "eq", "value": "sixty"}).details["path"] == "$.value"
    assert error_of({"attr": "birth_date", "op": "eq", "value": 1960}).details["path"] == "$.value"
    assert error_of({"attr": "city", "op": "eq", "value": 1}).details["path"] == "$.value"


def test_catalogues_reject_unknown_names_with_the_path() -> None:
    rule = {
        "all": [
            {"attr": "vip_score", "op": "ge", "value": 1},
            {"tag": "vip"},
            {"not": {"segment": "s1"}},
            {"event": {"type": "logn"}, "window": WINDOW, "agg": "count", "op": "ge", "value": 1},
        ]
    }
    assert error_of(rule, known_attributes={"score"}).details["path"] == "$.all[0].attr"
    assert error_of(rule, known_tags={"gold"}).details["path"] == "$.all[1].tag"
    assert error_of(rule, known_segments=set()).details["path"] == "$.all[2].not.segment"
    error = error_of(rule, known_event_types={"login"})
    assert (error.details["path"], error.details["value"], error.details["allowed"]) == (
        "$.all[3].event.type",
        "logn",
        ["login"],
    )
    parse_rule(
        rule, known_attributes={"vip_score"}, known_tags={"vip"}, known_segments={"s1"}, known_event_types={"logn"}
    )
    assert parse_rule({"attr": "age", "op": "ge", "value": 60}, known_attributes=set())


def nested_nots(depth: int) -> dict[str, Any]:
    rule: dict[str, Any] = {"tag": "a"}
    for _ in range(depth - 1):
        rule = {"not": rule}
    return rule


def test_rules_nest_at_most_eight_levels() -> None:
    parse_rule(nested_nots(8))
    error = error_of(nested_nots(9))
    assert (error.details["path"], error.details["value"]) == ("$" + ".not" * 8, ["tag"])
    assert error_of(nested_nots(5000)).details["path"] == "$" + ".not" * 8  # no recursion blow-up


def test_rules_have_at_most_two_hundred_nodes() -> None:
    parse_rule({"all": [{"tag": f"t{i}"} for i in range(199)]})
    error = error_of({"any": [{"tag": f"t{i}"} for i in range(100_000)]})
    assert error.details["path"] == "$.any[199]"


def test_invalid_json_text_is_reported_at_the_root() -> None:
    assert error_of('{"all": [').details["path"] == "$"


@pytest.mark.parametrize(
    "text", ["x' OR '1'='1", "'; DROP TABLE customers; --", "1; SELECT * FROM pg_user", "%' --", "\\x00"]
)
def test_sql_looking_values_are_kept_as_inert_data(text: str) -> None:
    rule = parse_rule(
        {
            "all": [
                {"attr": "city", "op": "eq", "value": text},
                {"tag": text},
                {"txn": {"mcc": text}, "window": WINDOW, "agg": "count", "op": "ge", "value": 1},
            ]
        }
    )
    assert json.dumps(rule.to_json(), ensure_ascii=False).count(json.dumps(text, ensure_ascii=False)[1:-1]) == 3


def test_parsed_rules_are_immutable() -> None:
    rule = parse_rule({"txn": {}, "window": WINDOW, "agg": "count", "op": "ge", "value": 1})
    assert isinstance(rule, TxnRule)
    with pytest.raises(ValueError, match="frozen"):
        rule.op = "lt"  # type: ignore[misc]
