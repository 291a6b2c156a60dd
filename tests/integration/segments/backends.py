"""Test helper: the three query backends a compiled rule runs on, opened the way huoke opens them.

DuckDB and Spark read a real Parquet lake through ``open_engine``; PostgreSQL reads the same tables loaded into
a schema of their own. A backend that cannot run here is skipped with the reason, except under ``CI=true``,
where it fails the run: CI must prove all three.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from sqlalchemy import create_engine, text

from huoke.platform.errors import ConfigurationError
from huoke.platform.lake import Lake
from huoke.platform.query import QueryEngine, open_engine
from huoke.platform.settings import Settings
from huoke.segments.compile_tables import LAKE_SCHEMAS, Tables, shaped

DATED = ("events", "transactions")
SPARK = pytest.param("pyspark", marks=[pytest.mark.spark, pytest.mark.xdist_group("spark")])
BACKENDS = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres), SPARK]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(reason: str) -> None:
    """Skip (locally) or fail (in CI) because a backend cannot run."""
    if in_ci():
        pytest.fail(f"CI=true and {reason}: every query backend must run in CI")
    pytest.skip(reason)


def lake_shaped(tables: Mapping[str, pa.Table]) -> dict[str, pa.Table]:
    """Every lake table a rule reads, in the lake's column types (absent ones empty)."""
    return {
        name: schema.empty_table() if tables.get(name) is None else shaped(tables[name], schema)
        for name, schema in LAKE_SCHEMAS.items()
    }


def write_lake(tables: Mapping[str, pa.Table], root: Path, zone: ZoneInfo) -> Lake:
    """A Parquet lake holding the tables: events and transactions by business date, the others as snapshots."""
    lake = Lake(root, zone)
    for name, data in lake_shaped(tables).items():
        if name in DATED:
            if data.num_rows:
                lake.append(name, data, time_column="occurred_at", batch_key=f"{name}-conformance")
        else:
            lake.replace_snapshot(name, data)
    return lake


def lake_engine(kind: str, lake: Lake, zone: ZoneInfo) -> QueryEngine:
    """``open_engine`` for duckdb or pyspark over the lake; a Spark that cannot start is unavailable."""
    settings = Settings(profile="dev", lake_url=str(lake.root), query_backend=kind, time_zone=str(zone))  # type: ignore[arg-type]
    try:
        engine = open_engine(settings, lake)
    except ConfigurationError as exc:
        if exc.code in ("pyspark_missing", "spark_unavailable"):
            unavailable(str(exc))
        raise
    if kind == "pyspark":
        _for_tiny_data(engine.backend._session)
    return engine


def _for_tiny_data(session: Any) -> None:
    """Spark settings that only change speed: for a few rows, planning and code generation are the cost.

    About a fifth off the Spark tests' time; the answers are the same with Spark's defaults.
    """
    session.conf.set("spark.sql.adaptive.enabled", "false")
    session.conf.set("spark.sql.codegen.wholeStage", "false")
    session.conf.set("spark.sql.shuffle.partitions", "1")


def spark_tables(backend: Any, tables: Mapping[str, pa.Table]) -> Tables:
    """The tables as Spark temporary views of their own (Ibis' in-memory tables lose Spark's NULL texts)."""
    session, suffix = backend._session, uuid.uuid4().hex[:8]
    for name, data in lake_shaped(tables).items():
        session.createDataFrame(data).createOrReplaceTempView(f"{name}_{suffix}")
    return Tables(**{name: backend.table(f"{name}_{suffix}") for name in LAKE_SCHEMAS}, dialect="pyspark")


def postgres_engine(base_url: str | None, tables: Mapping[str, pa.Table]) -> Iterator[QueryEngine]:
    """``open_engine`` for postgres over the tables loaded into a fresh schema, dropped afterwards."""
    if base_url is None:
        unavailable("PostgreSQL is not configured (HUOKE_TEST_DATABASE_URL)")
        return
    schema = f"huoke_conformance_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    settings = Settings(profile="dev", query_backend="postgres", query_database_url=base_url, query_schema=schema)  # type: ignore[arg-type]
    engine = open_engine(settings)
    try:
        for name, data in lake_shaped(tables).items():
            engine.backend.create_table(name, data, database=schema)
        engine.refresh()
        yield engine
    finally:
        engine.close()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
