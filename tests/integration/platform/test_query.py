"""The query layer: Ibis over the lake, every table under its own name, one consistent version per refresh."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from huoke.platform.errors import ConfigurationError
from huoke.platform.query import connect, open_engine
from huoke.platform.settings import Settings
from tests.integration.platform.lake_rows import lake_at, transactions


def _settings(tmp_path: Path, **extra: object) -> Settings:
    return Settings(profile="dev", data_dir=tmp_path / "data", lake_url=str(tmp_path / "lake"), **extra)  # type: ignore[arg-type]


def test_appended_rows_and_snapshots_are_tables_of_the_engine(tmp_path: Path) -> None:
    lake = lake_at(tmp_path / "lake")
    lake.append("transactions", transactions(0, 30, customers=3), time_column="occurred_at", batch_key="b1")
    lake.replace_snapshot("customers", pa.table({"one_id": ["C000", "C001", "C002"], "city": ["上海", "北京", "上海"]}))

    engine = open_engine(_settings(tmp_path), lake)
    txns, customers = engine.table("transactions"), engine.table("customers")
    per_city = txns.join(customers, "one_id").group_by("city").aggregate(total=txns.amount_fen.sum()).order_by("city")

    assert engine.registered == ["customers", "transactions"]
    assert per_city.to_pyarrow().to_pylist() == [
        {"city": "上海", "total": sum(n * 100 for n in range(30) if n % 3 != 1)},
        {"city": "北京", "total": sum(n * 100 for n in range(30) if n % 3 == 1)},
    ]
    assert "_lake_batch" not in txns.columns
    assert txns.filter(txns.date == date(2026, 11, 21)).count().to_pyarrow().as_py() == 10
    engine.close()


def test_an_engine_sees_later_writes_after_a_refresh(tmp_path: Path) -> None:
    lake = lake_at(tmp_path / "lake")
    lake.append("transactions", transactions(0, 10), time_column="occurred_at", batch_key="b1")
    engine = open_engine(_settings(tmp_path), lake)

    lake.append("transactions", transactions(10, 5), time_column="occurred_at", batch_key="b2")

    assert engine.table("transactions").count().to_pyarrow().as_py() == 10  # one consistent version
    engine.refresh()
    assert engine.table("transactions").count().to_pyarrow().as_py() == 15


def test_a_table_whose_rows_were_all_erased_is_still_queryable(tmp_path: Path) -> None:
    lake = lake_at(tmp_path / "lake")
    lake.append("transactions", transactions(0, 4, customers=1), time_column="occurred_at", batch_key="b1")
    lake.erase("transactions", column="one_id", values=["C000"])

    backend = connect(_settings(tmp_path), lake)

    assert backend.table("transactions").count().to_pyarrow().as_py() == 0
    assert "amount_fen" in backend.table("transactions").columns


def test_choosing_pyspark_without_pyspark_tells_the_operator_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as on a machine without the spark extra
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # even if this process has imported it already

    with pytest.raises(ConfigurationError, match=r"pip install 'huoke\[spark\]'") as caught:
        open_engine(_settings(tmp_path, query_backend="pyspark"), lake_at(tmp_path / "lake"))

    assert caught.value.code == "pyspark_missing"


def test_postgres_cannot_query_the_lake(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="duckdb"):
        open_engine(_settings(tmp_path, query_backend="postgres"))


@pytest.mark.postgres
def test_postgres_queries_need_the_schema_of_lake_shaped_tables(tmp_path: Path, pg_base_url: str | None) -> None:
    if pg_base_url is None:
        pytest.skip("PostgreSQL not configured (HUOKE_TEST_DATABASE_URL unset); CI runs this")
    settings = _settings(tmp_path, query_backend="postgres", query_database_url=pg_base_url, query_schema="no_such")

    with pytest.raises(ConfigurationError, match="HUOKE_QUERY_SCHEMA") as caught:
        open_engine(settings)

    assert caught.value.code == "query_schema_missing"


def test_postgres_queries_need_a_postgresql_url(tmp_path: Path) -> None:
    settings = _settings(tmp_path, query_backend="postgres", query_database_url="sqlite:///x.db")

    with pytest.raises(ConfigurationError, match="HUOKE_QUERY_DATABASE_URL") as caught:
        open_engine(settings)

    assert caught.value.code == "query_backend_unsupported"
