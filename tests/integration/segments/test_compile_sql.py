"""Values that look like SQL are plain data for the compiled query: they match nothing (or exactly their own text)
and break nothing; the SQL text stays one statement with each value a quoted literal."""

from __future__ import annotations

from typing import Any

import ibis  # type: ignore[import-untyped]
import pytest
import sqlglot

from huoke.segments.compile import Tables, compile_rule
from huoke.segments.dsl import parse_rule
from huoke.segments.normalise import normalise
from tests.integration.segments.lake_facts import compiled_members
from tests.integration.segments.test_compile import AS_OF, POPULATION, SQLISH, Z

HOSTILE = ["'; DROP TABLE customers; --", "x' OR '1'='1", "%", "_", "\\", '"; SELECT 1; --', "') OR TRUE --"]


def documents(text: str) -> list[dict[str, Any]]:
    return [
        {"attr": "city", "op": "eq", "value": text},
        {"attr": "city", "op": "contains", "value": text},
        {"attr": "city", "op": "starts_with", "value": text},
        {"attr": "city", "op": "in", "value": [text, "Nowhere"]},
        {"attr": "vip_level", "op": "eq", "value": text},
        {"tag": text},
        {"segment": text},
        {"in_org": text},
        {"holding": {"product_code": text}},
        {"txn": {"channel": text}, "window": {"last_days": 30}, "agg": "count", "op": "ge", "value": 1},
        {"event": {"type": text}, "window": {"last_days": 30}, "agg": "count", "op": "ge", "value": 1},
        {
            "event": {"type": "product_view", "where": {"product_code": text}},
            "window": {"last_days": 30},
            "agg": "count",
            "op": "ge",
            "value": 1,
        },
    ]


@pytest.mark.parametrize("text", HOSTILE)
def test_sql_looking_values_match_nobody_and_leave_the_tables_intact(text: str) -> None:
    for document in documents(text):
        rule = normalise(parse_rule(document))
        assert compiled_members(rule, POPULATION, AS_OF) == set(), document
        sql = str(ibis_sql(rule))
        assert len(sqlglot.parse(sql, read="duckdb")) == 1
    everyone = normalise(parse_rule({"not": {"tag": text}}))
    assert compiled_members(everyone, POPULATION, AS_OF) == {"O", "Y", "B", "M"}


def test_a_stored_sql_looking_text_matches_only_itself() -> None:
    rule = normalise(parse_rule({"attr": "note", "op": "eq", "value": SQLISH}))
    assert compiled_members(rule, POPULATION, AS_OF) == {"O"}
    assert compiled_members(
        normalise(parse_rule({"attr": "note", "op": "contains", "value": "DROP"})), POPULATION, AS_OF
    ) == {"O"}


def ibis_sql(rule: Any) -> str:
    return str(ibis.to_sql(compile_rule(rule, Tables.from_arrow(POPULATION.tables()), AS_OF, Z), dialect="duckdb"))
