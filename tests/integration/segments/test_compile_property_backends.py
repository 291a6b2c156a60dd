"""Property: on PostgreSQL and Spark too, compiled rules find exactly the customers the reference evaluator matches.

The same random rules and populations as ``test_compile_property`` (which runs many more examples on DuckDB);
fewer examples here, since every example loads a fresh population into the backend. Spark runs only a handful.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from sqlalchemy.engine import make_url

from huoke.platform.errors import InvalidInput
from huoke.segments.compile import compile_rule
from huoke.segments.compile_tables import Tables
from huoke.segments.dsl import parse_rule
from huoke.segments.normalise import normalise
from tests.integration.segments.backends import SPARK, lake_engine, spark_tables, unavailable, write_lake
from tests.integration.segments.lake_facts import Population, evaluated_members
from tests.integration.segments.test_compile_property import AS_OFS, LEAVES, populations
from tests.integration.segments.test_compile_property import RULES as TREES
from tests.unit.segments.test_normalise import SHANGHAI

EXAMPLES = {"postgres": (100, 40), "pyspark": (8, 4)}  # (leaves, trees) per backend


@pytest.fixture(scope="module", params=[pytest.param("postgres", marks=pytest.mark.postgres), SPARK])
def backend(
    request: pytest.FixtureRequest, pg_base_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Any]]:
    if request.param == "pyspark":
        engine = lake_engine("pyspark", write_lake({}, tmp_path_factory.mktemp("lake"), SHANGHAI), SHANGHAI)
        yield "pyspark", engine.backend  # Spark keeps its one session for the rest of the run
        return
    if pg_base_url is None:
        unavailable("PostgreSQL is not configured (HUOKE_TEST_DATABASE_URL)")
    yield from _postgres(str(pg_base_url))


def _postgres(url: str) -> Iterator[tuple[str, Any]]:
    import ibis  # type: ignore[import-untyped]  # noqa: PLC0415
    import psycopg  # noqa: PLC0415

    connection = psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))
    backend = ibis.postgres.from_connection(connection)
    yield "postgres", backend
    backend.disconnect()


def agree(backend: tuple[str, Any], document: dict[str, Any], people: Population, as_of: datetime) -> None:
    try:
        rule = normalise(parse_rule(document))
    except InvalidInput:
        assume(False)
        raise
    dialect, connection = backend
    if dialect == "pyspark":
        tables = spark_tables(connection, people.tables())
    else:
        tables = Tables.from_arrow(people.tables(), dialect=dialect)
    found = connection.to_pyarrow(compile_rule(rule, tables, as_of, SHANGHAI)).column("one_id").to_pylist()
    assert set(found) == evaluated_members(rule, people.customers, as_of)


def test_each_compiled_leaf_finds_the_evaluated_members_on_the_backend(backend: tuple[str, Any]) -> None:
    @settings(max_examples=EXAMPLES[backend[0]][0], deadline=None, suppress_health_check=list(HealthCheck))
    @given(LEAVES, populations(), AS_OFS)
    def check(document: dict[str, Any], people: Population, as_of: datetime) -> None:
        agree(backend, document, people, as_of)

    check()


def test_compiled_rules_find_the_evaluated_members_on_the_backend(backend: tuple[str, Any]) -> None:
    @settings(max_examples=EXAMPLES[backend[0]][1], deadline=None, suppress_health_check=list(HealthCheck))
    @given(TREES, populations(), AS_OFS)
    def check(document: dict[str, Any], people: Population, as_of: datetime) -> None:
        agree(backend, document, people, as_of)

    check()
