"""Transactions-shaped rows for lake tests, and a way to read a lake table the way any reader would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq

from huoke.platform.lake import Lake

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY_ONE = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
TS = pa.timestamp("us", tz="UTC")


def transactions(first: int, count: int, *, customers: int = 5, days: int = 3, start: datetime = DAY_ONE) -> pa.Table:
    """Rows T<first>… spread over ``days`` days and ``customers`` customers, one minute apart per day."""
    numbers = range(first, first + count)
    return pa.table(
        {
            "txn_id": [f"T{n:06d}" for n in numbers],
            "one_id": [f"C{n % customers:03d}" for n in numbers],
            "occurred_at": pa.array(
                [start + timedelta(days=n % days, minutes=n % 1000, seconds=n // 1000) for n in numbers], TS
            ),
            "amount_fen": [n * 100 for n in numbers],
        }
    )


def lake_at(path: Path) -> Lake:
    return Lake(path, SHANGHAI)


def read_all(lake: Lake, table: str) -> pa.Table:
    """Every live row, read from the files the manifest lists (what DuckDB or Spark would be given)."""
    parts = [pq.ParquetFile(f.path).read() for f in lake.files(table)]
    if not parts:
        return lake.schema(table).empty_table()
    data = pa.concat_tables(parts, promote_options="permissive")
    return data.drop_columns([c for c in ("_lake_batch",) if c in data.column_names])


def txn_ids(lake: Lake, table: str = "transactions") -> list[str]:
    return sorted(read_all(lake, table).column("txn_id").to_pylist())
