"""Three backends, one answer: every conformance rule finds the hand-worked members on DuckDB, PostgreSQL and Spark.

The data set and the rules are in ``conformance_rules``; each expected member set was worked out by hand and is
also checked against the reference evaluator. DuckDB and Spark (``local[2]``) read the data from a Parquet lake
through ``open_engine``; PostgreSQL reads it from a schema of its own. One engine per backend serves every rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from huoke.platform.query import QueryEngine
from huoke.segments.compile import compile_rule
from huoke.segments.compile_tables import Tables
from huoke.segments.dsl import parse_rule
from huoke.segments.normalise import normalise
from tests.integration.segments.backends import BACKENDS, SPARK, lake_engine, postgres_engine, write_lake
from tests.integration.segments.conformance_rules import AS_OF, POPULATION, RULES, Z
from tests.integration.segments.lake_facts import evaluated_members

NAMES = [name for name, _, _ in RULES]


@pytest.fixture(scope="module")
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, pg_base_url: str | None
) -> Iterator[QueryEngine]:
    kind = request.param
    if kind == "postgres":
        yield from postgres_engine(pg_base_url, POPULATION.tables())
        return
    lake = write_lake(POPULATION.tables(), tmp_path_factory.mktemp(f"lake-{kind}"), Z)
    found = lake_engine(kind, lake, Z)
    yield found
    if kind == "duckdb":  # Spark keeps its one session for the rest of the run
        found.close()


@pytest.fixture(scope="module")
def tables(engine: QueryEngine) -> Tables:
    return Tables.from_engine(engine)  # once per engine: looking the tables up costs Spark a catalog call each


def members(engine: QueryEngine, tables: Tables, document: dict[str, Any]) -> set[str]:
    expression = compile_rule(normalise(parse_rule(document)), tables, AS_OF, Z)
    return set(engine.backend.to_pyarrow(expression).column("one_id").to_pylist())


def test_the_rules_cover_every_node_operator_aggregate_and_window() -> None:
    text = repr([document for _, document, _ in RULES])
    nodes = ["'all'", "'any'", "'not'", "'attr'", "'in_org'", "'tag'", "'segment'", "'holding'", "'txn'", "'event'",
             "'did'", "'then_not'", "'agg': 'count'", "'agg': 'sum_balance'"]  # fmt: skip
    operators = ["eq", "ne", "lt", "le", "gt", "ge", "between", "in", "not_in", "is_null", "not_null", "contains",
                 "starts_with", "within_last_days", "before", "after", "anniversary_within_days"]  # fmt: skip
    aggregates = ["count", "sum", "avg", "min", "max", "distinct_days", "days_since_last"]
    windows = ["'last_days'", "'from'", "this_week", "last_week", "this_month", "last_month", "this_year"]
    filters = ["product_type", "product_code", "card_level", "card_role", "'status'", "opened_within_days",
               "approved_within_days", "txn_type", "direction", "channel", "mcc", "min_amount", "max_amount",
               "'where'", "'field'"]  # fmt: skip
    wanted = nodes + [f"'op': '{op}'" for op in operators] + [f"'agg': '{a}'" for a in aggregates] + windows + filters
    assert [item for item in wanted if item not in text] == []
    assert len(RULES) >= 40
    assert len(set(NAMES)) == len(NAMES)


@pytest.mark.parametrize(("name", "document", "expected"), RULES, ids=NAMES)
def test_the_reference_evaluator_finds_the_hand_worked_members(name: str, document: Any, expected: str) -> None:
    assert evaluated_members(normalise(parse_rule(document)), POPULATION.customers, AS_OF) == set(expected), name


@pytest.mark.parametrize("engine", BACKENDS, indirect=True)
@pytest.mark.parametrize(("name", "document", "expected"), RULES, ids=NAMES)
def test_every_backend_finds_the_hand_worked_members(
    engine: QueryEngine, tables: Tables, name: str, document: Any, expected: str
) -> None:
    assert members(engine, tables, document) == set(expected), name


@pytest.mark.parametrize("engine", BACKENDS, indirect=True)
def test_the_engines_read_the_data_set_from_where_huoke_keeps_it(engine: QueryEngine) -> None:
    expected = ["customers", "events", "holdings", "memberships", "org_units", "tags", "transactions"]
    assert sorted(engine.registered) == expected
    assert engine.backend.to_pyarrow(engine.table("transactions").count()).as_py() == 10


@pytest.mark.parametrize("engine", [SPARK], indirect=True)
def test_spark_runs_on_the_configured_local_master_in_utc(engine: QueryEngine) -> None:
    session = engine.backend._session
    assert session.sparkContext.master == "local[2]"
    assert session.conf.get("spark.sql.session.timeZone") == "UTC"
