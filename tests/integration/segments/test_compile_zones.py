"""Business dates in a zone with daylight saving: the days of 23 and 25 hours count rows on the right day.

Berlin moves its clocks forward at 02:00 on 2026-03-29 (a 23-hour day) and back at 03:00 on 2026-10-25
(a 25-hour day). One customer logs in around those days; each rule's answer was worked out by hand and is
checked against the reference evaluator, on DuckDB and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import make_url

from huoke.segments.compile import compile_rule
from huoke.segments.compile_tables import Tables
from huoke.segments.dsl import parse_rule
from huoke.segments.facts import CustomerFacts, EventFact
from huoke.segments.normalise import normalise
from tests.integration.segments.backends import unavailable
from tests.integration.segments.lake_facts import Population, evaluated_members

BERLIN = ZoneInfo("Europe/Berlin")
SPRING = datetime(2026, 3, 31, 12, 0, tzinfo=BERLIN)
AUTUMN = datetime(2026, 10, 26, 12, 0, tzinfo=BERLIN)


def login(month: int, day: int, hour: int, minute: int) -> EventFact:
    return EventFact("login", datetime(2026, month, day, hour, minute, tzinfo=BERLIN))


LOGINS = (
    login(3, 28, 23, 30),  # 22:30 UTC
    login(3, 29, 1, 59),  # before the change, 00:59 UTC
    login(3, 29, 3, 0),  # after it, 01:00 UTC
    login(3, 29, 23, 59),  # 21:59 UTC: more than 4 × 24 hours after the window's start, still the 29th
    login(3, 30, 0, 0),  # 22:00 UTC
    login(10, 25, 0, 30),  # summer time, 22:30 UTC on the 24th
    login(10, 25, 23, 30),  # winter time, 22:30 UTC
    login(10, 26, 0, 30),  # 23:30 UTC on the 25th
)
POPULATION = Population({"C": CustomerFacts(BERLIN, {"city": "Berlin"}, events=LOGINS), "N": CustomerFacts(BERLIN)})


def logins(window: dict[str, Any], agg: str, op: str, value: int) -> dict[str, Any]:
    return {"event": {"type": "login"}, "window": window, "agg": agg, "op": op, "value": value}


CASES = [
    (logins({"last_days": 7}, "distinct_days", "eq", 3), SPRING, "C"),  # 03-28, 03-29, 03-30
    (logins({"last_days": 7}, "days_since_last", "eq", 1), SPRING, "C"),
    (logins({"from": "2026-03-29", "to": "2026-03-29"}, "count", "eq", 3), SPRING, "C"),
    (logins({"from": "2026-03-29", "to": "2026-03-29"}, "distinct_days", "eq", 1), SPRING, "C"),
    (logins({"last_days": 3}, "distinct_days", "eq", 2), AUTUMN, "C"),  # 10-25 and 10-26
    (logins({"from": "2026-10-25", "to": "2026-10-25"}, "count", "eq", 2), AUTUMN, "C"),
    (logins({"last_days": 3}, "days_since_last", "eq", 0), AUTUMN, "C"),
    (logins({"calendar": "this_year"}, "distinct_days", "eq", 5), AUTUMN, "C"),
]


@pytest.fixture(scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, pg_base_url: str | None) -> Iterator[tuple[str, Any]]:
    import ibis  # type: ignore[import-untyped]  # noqa: PLC0415

    if request.param == "duckdb":
        connection = ibis.duckdb.connect()
    else:
        if pg_base_url is None:
            unavailable("PostgreSQL is not configured (HUOKE_TEST_DATABASE_URL)")
        import psycopg  # noqa: PLC0415

        url = make_url(str(pg_base_url)).set(drivername="postgresql").render_as_string(hide_password=False)
        connection = ibis.postgres.from_connection(psycopg.connect(url))
    yield request.param, connection
    connection.disconnect()


@pytest.mark.parametrize(("document", "as_of", "expected"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_days_of_23_and_25_hours_keep_rows_on_their_business_date(
    backend: tuple[str, Any], document: dict[str, Any], as_of: datetime, expected: str
) -> None:
    rule = normalise(parse_rule(document))
    dialect, connection = backend
    tables = Tables.from_arrow(POPULATION.tables(), dialect=dialect)
    found = set(connection.to_pyarrow(compile_rule(rule, tables, as_of, BERLIN)).column("one_id").to_pylist())
    assert evaluated_members(rule, POPULATION.customers, as_of) == set(expected)
    assert found == set(expected)
