"""The lake's data loaded into PostgreSQL for the segments benchmark, as a DBA would set it up.

Schema ``bench_segments``: ``customers`` (attributes as jsonb), ``holdings``, ``org_units``, and
``transactions`` / ``events`` with every column a rule can filter on plus the row id and the business
``date`` the lake partitions by (properties as jsonb). Loaded with ``COPY … FROM STDIN (FORMAT csv)`` from the
lake's own files, then indexed (primary keys; ``(txn_type, date)``, ``(type, date)``, holdings by owner and by
product type, customers by merge target) and analysed. Queries run with ``work_mem = 256MB`` for the session;
the server's own settings are left alone (the machine is shared).
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as ds

from bench.segments_data import ZONE
from huoke.platform.lake import Lake

SCHEMA = "bench_segments"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
SESSION = ("SET work_mem = '256MB'", f"SET search_path = {SCHEMA}", "SET TimeZone = 'Asia/Shanghai'")
TABLES = {
    "org_units": "code text PRIMARY KEY, name text, parent_code text, level text, path text",
    "customers": (
        "one_id text PRIMARY KEY, customer_no text, status text, merged_into text, gender text, birth_date date, "
        "branch_code text, rm_staff_no text, opened_at date, risk_level text, occupation text, "
        "marital_status text, city text, created_at timestamptz, attributes jsonb"
    ),
    "holdings": (
        "one_id text, customer_no text, account_masked text, product_code text, product_type text, status text, "
        "opened_at date, closed_at date, balance_fen bigint, credit_limit_fen bigint, card_level text, "
        "card_role text, approved_at timestamptz"
    ),
    "transactions": (
        "txn_id text, occurred_at timestamptz, one_id text, amount_fen bigint, direction text, txn_type text, "
        "channel text, mcc text, product_code text, date date"
    ),
    "events": (
        "event_id text, type text, occurred_at timestamptz, one_id text, channel text, properties jsonb, date date"
    ),
}
INDEXES = (
    "CREATE INDEX ON customers (merged_into)",
    "CREATE INDEX ON holdings (one_id)",
    "CREATE INDEX ON holdings (product_type)",
    "CREATE INDEX ON transactions (txn_type, date)",
    "CREATE INDEX ON events (type, date)",
)
Log = Callable[[str], None]


def database_url() -> str:
    url = os.environ.get("HUOKE_BENCH_DATABASE_URL") or os.environ.get("HUOKE_TEST_DATABASE_URL") or DEFAULT_URL
    return url.replace("postgresql+psycopg://", "postgresql://")


def connect() -> psycopg.Connection[Any]:
    connection = psycopg.connect(database_url(), autocommit=True)
    for statement in SESSION:
        connection.execute(statement)
    return connection


def loaded_counts(connection: psycopg.Connection[Any]) -> dict[str, int] | None:
    """Row counts of an existing load, or None when the schema is not there."""
    found = connection.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (SCHEMA,)).fetchone()
    if found is None:
        return None
    counts = {}
    for name in TABLES:
        row = connection.execute(f"SELECT count(*) FROM {SCHEMA}.{name}").fetchone()
        counts[name] = int(row[0]) if row else 0
    return counts


def load(root: Path, expected: dict[str, int], log: Log) -> dict[str, Any]:
    """Load the lake into ``bench_segments`` unless a load with the same row counts is already there."""
    with connect() as connection:
        counts = loaded_counts(connection)
        if counts is not None and all(counts.get(k) == v for k, v in expected.items()):
            log(f"reusing PostgreSQL schema {SCHEMA} ({counts})")
            return {"reused": True, "counts": counts}
        started = time.perf_counter()
        connection.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        connection.execute(f"CREATE SCHEMA {SCHEMA}")
        connection.execute("SET maintenance_work_mem = '1GB'")
        for name, columns in TABLES.items():
            connection.execute(f"CREATE UNLOGGED TABLE {name} ({columns})")
        lake = Lake(root, ZONE)
        seconds = {}
        for name, columns in TABLES.items():
            began = time.perf_counter()
            names = [c.split()[0] for c in columns.split(", ") if c.split()[0] != "PRIMARY"]
            _copy(connection, name, names, _batches(lake, name, names))
            seconds[name] = round(time.perf_counter() - began, 1)
            log(f"PostgreSQL: {name} copied in {seconds[name]} s")
        began = time.perf_counter()
        for statement in INDEXES:
            connection.execute(statement)
        connection.execute("ANALYZE")
        seconds["indexes_and_analyze"] = round(time.perf_counter() - began, 1)
        log(f"PostgreSQL: indexes and ANALYZE in {seconds['indexes_and_analyze']} s")
        counts = loaded_counts(connection) or {}
        return {"reused": False, "counts": counts, "seconds": seconds, "total": time.perf_counter() - started}


def drop() -> None:
    with connect() as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


def _batches(lake: Lake, name: str, names: list[str]) -> Iterable[pa.RecordBatch]:
    if name in ("transactions", "events"):
        files = [str(f.path) for f in lake.files(name)]
        parts = ds.partitioning(pa.schema([("date", pa.date32())]), flavor="hive")
        dataset = ds.dataset(files, format="parquet", partitioning=parts, partition_base_dir=str(lake.root / name))
    else:
        dataset = ds.dataset(str(lake.snapshot_path(name)))
    batches: Iterable[pa.RecordBatch] = dataset.to_batches(columns=names, batch_size=500_000)
    return batches


def _copy(connection: psycopg.Connection[Any], name: str, names: list[str], batches: Iterable[pa.RecordBatch]) -> None:
    options = pacsv.WriteOptions(include_header=False)
    statement = f"COPY {name} ({', '.join(names)}) FROM STDIN (FORMAT csv)"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for batch in batches:
            buffer = io.BytesIO()
            pacsv.write_csv(batch, buffer, options)
            copy.write(buffer.getvalue())
