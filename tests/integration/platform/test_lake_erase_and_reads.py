"""Erasure of a data subject's rows, and a customer's newest rows (the timeline) read from the lake."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from huoke.platform.errors import InvalidInput
from huoke.platform.lake import Lake
from tests.integration.platform.lake_rows import DAY_ONE, SHANGHAI, lake_at, read_all, transactions


def _lake_with_history(path: Path) -> Lake:
    """Six days of rows for customers C000-C006: four days compacted (with key indexes), two not."""
    lake = lake_at(path)
    for batch in range(4):
        rows = transactions(batch * 50, 50, customers=7, days=6)
        lake.append("transactions", rows, time_column="occurred_at", batch_key=f"b{batch}")
    lake.compact("transactions", sort_by=["one_id", "occurred_at"])
    lake.append("transactions", transactions(200, 40, customers=7, days=6), time_column="occurred_at", batch_key="b4")
    return lake


def _rows(table: pa.Table) -> list[tuple[object, ...]]:
    return sorted(zip(*(table.column(n).to_pylist() for n in sorted(table.column_names)), strict=True))


def test_erasure_removes_exactly_the_customers_rows_everywhere(tmp_path: Path) -> None:
    lake = _lake_with_history(tmp_path / "lake")
    lake.replace_snapshot("customers", pa.table({"one_id": [f"C{n:03d}" for n in range(7)], "score": range(7)}))
    before = read_all(lake, "transactions")
    gone = [r for r in before.to_pylist() if r["one_id"] == "C003"]

    result = lake.erase("transactions", column="one_id", values=["C003"])
    snapshot = lake.erase("customers", column="one_id", values=["C003"])

    after = read_all(lake, "transactions")
    assert result.rows_removed == len(gone) > 0
    assert "C003" not in after.column("one_id").to_pylist()
    assert _rows(after) == _rows(before.filter(pa.compute.not_equal(before.column("one_id"), "C003")))
    assert snapshot.rows_removed == 1
    assert read_all(lake, "customers").column("one_id").to_pylist() == ["C000", "C001", "C002", "C004", "C005", "C006"]
    assert lake.read_newest("transactions", column="one_id", value="C003").num_rows == 0


def test_erasure_rewrites_only_the_files_that_hold_the_customer(tmp_path: Path) -> None:
    lake = lake_at(tmp_path / "lake")
    lake.append("transactions", transactions(0, 10, customers=2, days=1), time_column="occurred_at", batch_key="b1")
    other_day = DAY_ONE + timedelta(days=3)
    lonely = transactions(10, 5, customers=1, days=1, start=other_day)  # C000 only
    lake.append("transactions", lonely, time_column="occurred_at", batch_key="b2")
    untouched = {f.path for f in lake.files("transactions") if f.date == other_day.astimezone(SHANGHAI).date()}

    result = lake.erase("transactions", column="one_id", values=["C001", "nobody"])

    assert result.files_rewritten == 1
    assert untouched <= {f.path for f in lake.files("transactions")}
    assert result.rows_removed == 5


def test_a_snapshot_erased_down_to_no_rows_is_still_a_snapshot(tmp_path: Path) -> None:
    lake = lake_at(tmp_path / "lake")
    lake.replace_snapshot("scores", pa.table({"one_id": ["C1", "C1"], "score": [0.5, 0.7]}))

    result = lake.erase("scores", column="one_id", values=["C1"])

    assert (result.rows_removed, result.files_rewritten) == (2, 1)
    assert read_all(lake, "scores").num_rows == 0
    assert lake.snapshot_path("scores").exists()


def test_erasure_of_a_value_the_column_cannot_hold_is_refused(tmp_path: Path) -> None:
    lake = _lake_with_history(tmp_path / "lake")

    with pytest.raises(InvalidInput, match="amount_fen"):
        lake.erase("transactions", column="amount_fen", values=["not a number"])
    with pytest.raises(InvalidInput, match="no column 'phone'"):
        lake.erase("transactions", column="phone", values=["1"])


def test_newest_rows_match_a_full_scan_for_every_customer_limit_and_start(tmp_path: Path) -> None:
    lake = _lake_with_history(tmp_path / "lake")
    everything = read_all(lake, "transactions").to_pylist()
    chooser = random.Random(5)
    for one_id in [f"C{n:03d}" for n in range(7)]:
        for limit in (1, 7, 30, 500):
            since = chooser.choice([None, date(2026, 11, 22), date(2026, 11, 24)])
            expected = sorted(
                (r for r in everything if r["one_id"] == one_id and _business_date(r) >= (since or date.min)),
                key=lambda r: r["occurred_at"],
                reverse=True,
            )[:limit]

            got = lake.read_newest("transactions", column="one_id", value=one_id, since=since, limit=limit)

            assert got.to_pylist() == expected, (one_id, limit, since)


def _business_date(row: dict[str, object]) -> date:
    instant = row["occurred_at"]
    assert hasattr(instant, "astimezone")
    result: date = instant.astimezone(SHANGHAI).date()
    return result


def test_newest_rows_of_an_unknown_customer_are_an_empty_table_with_the_columns(tmp_path: Path) -> None:
    lake = _lake_with_history(tmp_path / "lake")

    empty = lake.read_newest("transactions", column="one_id", value="C999")

    assert empty.num_rows == 0
    assert empty.schema == lake.schema("transactions")


def test_newest_rows_are_refused_for_snapshots_unknown_columns_and_foreign_values(tmp_path: Path) -> None:
    lake = _lake_with_history(tmp_path / "lake")
    lake.replace_snapshot("customers", pa.table({"one_id": ["C1"]}))

    with pytest.raises(InvalidInput, match="snapshot"):
        lake.read_newest("customers", column="one_id", value="C1")
    with pytest.raises(InvalidInput, match="no column 'phone'"):
        lake.read_newest("transactions", column="phone", value="1")
    with pytest.raises(InvalidInput, match="amount_fen"):
        lake.read_newest("transactions", column="amount_fen", value="lots")
    with pytest.raises(InvalidInput, match="limit"):
        lake.read_newest("transactions", column="one_id", value="C1", limit=0)


def test_newest_rows_see_an_append_made_after_the_first_read(tmp_path: Path) -> None:
    lake = _lake_with_history(tmp_path / "lake")
    first = lake.read_newest("transactions", column="one_id", value="C002", limit=1)
    newer = transactions(1000, 1, customers=1, days=1, start=DAY_ONE + timedelta(days=30)).set_column(
        1, "one_id", pa.array(["C002"])
    )

    lake_at(tmp_path / "lake").append("transactions", newer, time_column="occurred_at", batch_key="late")

    latest = lake.read_newest("transactions", column="one_id", value="C002", limit=1)
    assert latest.column("txn_id").to_pylist() == ["T001000"]
    assert first.column("txn_id").to_pylist() != ["T001000"]
