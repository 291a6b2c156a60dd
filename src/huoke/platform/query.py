"""The query layer: an Ibis connection with every lake table registered under its own name.

Analytic work (segments, insights) is written once as Ibis expressions. ``query_backend`` picks where they run:
``duckdb`` (default) in this process over the lake's Parquet files, or ``pyspark`` on a local Spark session
over the same files (install ``huoke[spark]``). Tables are read through their manifests, so a connection sees
one consistent version of each table; call :meth:`QueryEngine.refresh` to see later writes.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import ibis  # type: ignore[import-untyped]
import pyarrow as pa
from ibis.backends import BaseBackend  # type: ignore[import-untyped]

from huoke.platform.errors import ConfigurationError
from huoke.platform.lake import Lake
from huoke.platform.lake_write import BATCH_COLUMN
from huoke.platform.settings import Settings

SPARK_INSTALL = "pip install 'huoke[spark]'"


@dataclass
class QueryEngine:
    """An Ibis backend over the lake, plus the lake itself for refreshing the registered tables."""

    backend: BaseBackend
    lake: Lake
    kind: str
    registered: list[str] = field(default_factory=list)

    def table(self, name: str) -> ibis.Table:
        return self.backend.table(name)

    def refresh(self) -> list[str]:
        """Register every lake table again at its newest version; returns the registered names."""
        register = _register_spark if self.kind == "pyspark" else _register_duckdb
        self.registered = [name for name in self.lake.tables() if register(self.backend, self.lake, name)]
        return self.registered

    def close(self) -> None:
        self.backend.disconnect()


def open_engine(settings: Settings, lake: Lake | None = None) -> QueryEngine:
    """A query engine for ``settings.query_backend`` with every lake table registered."""
    lake = lake or Lake.from_settings(settings)
    kind = settings.query_backend
    if kind == "postgres":
        raise ConfigurationError(
            "HUOKE_QUERY_BACKEND=postgres cannot read the Parquet lake; use duckdb (the default) or pyspark",
            code="query_backend_unsupported",
        )
    backend = _spark_backend() if kind == "pyspark" else ibis.duckdb.connect()
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


def _without_lineage(table: ibis.Table) -> ibis.Table:
    return table.drop(BATCH_COLUMN) if BATCH_COLUMN in table.columns else table


def _spark_backend() -> BaseBackend:
    try:
        sql = importlib.import_module("pyspark.sql")
    except ImportError as exc:
        raise ConfigurationError(
            f"HUOKE_QUERY_BACKEND=pyspark needs PySpark, which is not installed: {SPARK_INSTALL}",
            code="pyspark_missing",
        ) from exc
    session = sql.SparkSession.builder.master("local[*]").appName("huoke").getOrCreate()
    return ibis.pyspark.connect(session)


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
