"""The query layer: an Ibis connection with every lake table registered under its own name.

Analytic work (segments, insights) is written once as Ibis expressions. ``query_backend`` picks where they run:

- ``duckdb`` (default): in this process over the lake's Parquet files;
- ``pyspark``: a Spark session (``spark_master``, default ``local[2]``) over the same files (install
  ``huoke[spark]``; Spark 4 needs Java 17);
- ``postgres``: tables of the lake's names and shapes that already live in a PostgreSQL schema
  (``query_schema`` on ``query_database_url``, default the operational database); huoke does not copy the lake
  there, and a table missing from the schema reads as empty.

Lake tables are read through their manifests, so a connection sees one consistent version of each table; call
:meth:`QueryEngine.refresh` to see later writes. Every session runs in UTC: rules compute their instants in UTC.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass, field
from typing import Any

import ibis  # type: ignore[import-untyped]
import pyarrow as pa
from ibis.backends import BaseBackend  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

from huoke.platform.errors import ConfigurationError
from huoke.platform.lake import Lake
from huoke.platform.lake_write import BATCH_COLUMN
from huoke.platform.settings import Settings

SPARK_INSTALL = "pip install 'huoke[spark]'"
POSTGRES_INSTALL = "pip install 'huoke[postgres]'"


@dataclass
class QueryEngine:
    """An Ibis backend over the lake (or over a PostgreSQL schema), plus the lake for refreshing the tables."""

    backend: BaseBackend
    lake: Lake
    kind: str
    registered: list[str] = field(default_factory=list)
    schema: str | None = None  # the PostgreSQL schema of the tables (postgres only)

    def table(self, name: str) -> ibis.Table:
        if self.kind == "postgres":
            return self.backend.table(name, database=self.schema)
        return self.backend.table(name)

    def refresh(self) -> list[str]:
        """Register every table again at its newest version; returns the registered names."""
        if self.kind == "postgres":
            self.registered = sorted(self.backend.list_tables(database=self.schema))
            return self.registered
        register = _register_spark if self.kind == "pyspark" else _register_duckdb
        self.registered = [name for name in self.lake.tables() if register(self.backend, self.lake, name)]
        return self.registered

    def close(self) -> None:
        self.backend.disconnect()


def open_engine(settings: Settings, lake: Lake | None = None) -> QueryEngine:
    """A query engine for ``settings.query_backend`` with every table registered."""
    lake = lake or Lake.from_settings(settings)
    kind = settings.query_backend
    if kind == "postgres":
        engine = QueryEngine(_postgres_backend(settings), lake, kind, schema=settings.query_schema)
    else:
        backend = _spark_backend(settings) if kind == "pyspark" else _duckdb_backend()
        engine = QueryEngine(backend=backend, lake=lake, kind=kind)
    engine.refresh()
    return engine


def connect(settings: Settings, lake: Lake | None = None) -> BaseBackend:
    """The Ibis backend of :func:`open_engine`, for callers that only run expressions."""
    return open_engine(settings, lake).backend


def _register_duckdb(backend: Any, lake: Lake, name: str) -> bool:
    manifest = lake.manifest(name)
    paths = [str(f.path) for f in lake.files(name)]
    if not paths:
        empty = (manifest.schema or pa.schema([])).empty_table()
        if not empty.num_columns:
            return False
        backend.create_view(name, ibis.memtable(empty), overwrite=True)
        return True
    raw = backend.read_parquet(
        paths, table_name=f"_lake_{name}_files", hive_partitioning=manifest.kind == "dataset", union_by_name=True
    )
    backend.create_view(name, _without_lineage(raw), overwrite=True)
    return True


def _duckdb_backend() -> BaseBackend:
    """In-process DuckDB without its console progress bar, which would mix into the CLI's output, and with
    Parquet footers cached: lake files are never changed in place, and a dated table has one per partition
    file, which every query would otherwise read again (a third of a small rule's time)."""
    backend = ibis.duckdb.connect()
    backend.raw_sql("SET enable_progress_bar = false")
    backend.raw_sql("SET parquet_metadata_cache = true")
    return backend


def _without_lineage(table: ibis.Table) -> ibis.Table:
    return table.drop(BATCH_COLUMN) if BATCH_COLUMN in table.columns else table


def _spark_backend(settings: Settings) -> BaseBackend:
    """A Spark session on ``spark_master`` in UTC (Spark keeps one session per process: this is it)."""
    try:
        sql = importlib.import_module("pyspark.sql")
    except ImportError as exc:
        raise ConfigurationError(
            f"HUOKE_QUERY_BACKEND=pyspark needs PySpark, which is not installed: {SPARK_INSTALL}",
            code="pyspark_missing",
        ) from exc
    builder = sql.SparkSession.builder.master(settings.spark_master).appName("huoke")
    for key, value in _spark_conf(settings).items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # the JVM did not start: no Java, or a master that cannot be reached
        raise ConfigurationError(
            f"HUOKE_QUERY_BACKEND=pyspark: Spark did not start on {settings.spark_master!r} ({exc}); "
            "Spark needs Java 17 (JAVA_HOME, or java on PATH)",
            code="spark_unavailable",
        ) from exc
    session.conf.set("spark.sql.session.timeZone", "UTC")  # also when an existing session was returned
    return ibis.pyspark.connect(session)


def _spark_conf(settings: Settings) -> dict[str, str]:
    conf = {
        "spark.sql.session.timeZone": "UTC",
        "spark.pyspark.python": sys.executable,
        "spark.ui.showConsoleProgress": "false",  # progress bars would mix into the CLI's output
    }
    if settings.spark_master.startswith("local"):  # a few cores: a few shuffle partitions, not Spark's 200
        conf["spark.sql.shuffle.partitions"] = "4"
    return conf


def _postgres_backend(settings: Settings) -> BaseBackend:
    """A connection to the PostgreSQL database holding the query tables (in UTC, as Ibis sets it)."""
    url = settings.query_database_url or settings.database_url
    if not url or make_url(url).get_backend_name() != "postgresql":
        raise ConfigurationError(
            "HUOKE_QUERY_BACKEND=postgres needs HUOKE_QUERY_DATABASE_URL (or HUOKE_DATABASE_URL) to name the "
            "PostgreSQL database whose schema holds the lake-shaped tables; the Parquet lake itself is read by "
            "duckdb (the default) or pyspark",
            code="query_backend_unsupported",
        )
    try:
        psycopg = importlib.import_module("psycopg")
    except ImportError as exc:
        raise ConfigurationError(
            f"HUOKE_QUERY_BACKEND=postgres needs psycopg, which is not installed: {POSTGRES_INSTALL}",
            code="psycopg_missing",
        ) from exc
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    backend = ibis.postgres.from_connection(psycopg.connect(conninfo, autocommit=True))
    if settings.query_schema not in backend.list_databases():
        backend.disconnect()
        raise ConfigurationError(
            f"HUOKE_QUERY_BACKEND=postgres: schema {settings.query_schema!r} does not exist in that database; "
            "create it with the lake-shaped tables, or set HUOKE_QUERY_SCHEMA",
            code="query_schema_missing",
        )
    return backend


def _register_spark(backend: Any, lake: Lake, name: str) -> bool:
    """Spark reads the manifest's files; ``basePath`` keeps the ``date`` partition column of dated tables."""
    files = lake.files(name)
    if not files:
        return False
    reader = backend._session.read.option("mergeSchema", "true")
    if lake.manifest(name).kind == "dataset":
        reader = reader.option("basePath", str(lake.root / name))
    frame = reader.parquet(*[str(f.path) for f in files])
    if BATCH_COLUMN in frame.columns:
        frame = frame.drop(BATCH_COLUMN)
    frame.createOrReplaceTempView(name)
    return True
