"""The SQL each backend is given for a few representative rules, kept in ``tests/snapshots/segments``.

A change to the compiler that changes the SQL shows up here as a diff to review. Rules compile against unbound
tables under their lake names, so the text is the same on every run. To accept new SQL, run with
``HUOKE_UPDATE_SNAPSHOTS=1`` and review the changed files.
"""

from __future__ import annotations

import os
from pathlib import Path

import ibis  # type: ignore[import-untyped]
import pytest

from huoke.segments.compile import compile_rule
from huoke.segments.compile_json import DIALECTS, Dialect
from huoke.segments.compile_tables import Tables
from huoke.segments.dsl import parse_rule
from huoke.segments.normalise import normalise
from tests.integration.segments.conformance_rules import AS_OF, RULES, Z

SNAPSHOTS = Path(__file__).parents[2] / "snapshots" / "segments"
UPDATE = "HUOKE_UPDATE_SNAPSHOTS"
REPRESENTATIVE = [
    "age_between",  # a computed attribute
    "code_lt_code_point",  # a custom attribute read from JSON, ordered by code point
    "in_org_head_office",  # the org tree
    "holding_sum_ge",  # holdings summed per profile across merged units
    "txn_avg_exact",  # an exact average: sum against value × count
    "txn_distinct_days",  # business dates of instants
    "event_where",  # event properties from JSON
    "did_view_no_purchase",  # did … then_not
    "not_all",  # negation against all profiles
]
DOCUMENTS = {name: document for name, document, _ in RULES}


def sql_of(name: str, dialect: Dialect) -> str:
    expression = compile_rule(normalise(parse_rule(DOCUMENTS[name])), Tables.named(dialect), AS_OF, Z)
    return str(ibis.to_sql(expression, dialect=dialect)).rstrip() + "\n"


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_the_compiled_sql_is_the_reviewed_sql(name: str, dialect: Dialect) -> None:
    path = SNAPSHOTS / f"{name}.{dialect}.sql"
    sql = sql_of(name, dialect)
    if os.environ.get(UPDATE) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(sql.encode())  # bytes: the SQL's trim characters include a carriage return
    assert path.is_file(), f"no snapshot {path.name}: run with {UPDATE}=1 and review it"
    assert sql == path.read_bytes().decode(), f"{path.name} changed: review, then run with {UPDATE}=1"


def test_the_same_rule_compiles_to_the_same_sql_every_time() -> None:
    assert sql_of("txn_distinct_days", "pyspark") == sql_of("txn_distinct_days", "pyspark")


def test_every_snapshot_belongs_to_a_representative_rule() -> None:
    expected = {f"{name}.{dialect}.sql" for name in REPRESENTATIVE for dialect in DIALECTS}
    assert {path.name for path in SNAPSHOTS.glob("*.sql")} <= expected
