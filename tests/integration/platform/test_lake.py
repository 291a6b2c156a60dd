"""The Parquet lake: dated appends, idempotent batches, crash safety, concurrent readers and writers."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

import huoke.platform.lake as lake_module
from huoke.platform.errors import ConfigurationError, Conflict, InvalidInput, NotFound
from huoke.platform.lake import Lake
from huoke.platform.settings import Settings
from tests.integration.platform.lake_rows import TS, lake_at, read_all, transactions, txn_ids


def test_rows_land_in_the_partition_of_their_shanghai_business_date(tmp_path: Path) -> None:
    lake = lake_at(tmp_path / "lake")
    late = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # 07:30 on 24 November in Shanghai
    early = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    rows = pa.table({"txn_id": ["late", "early"], "occurred_at": pa.array([late, early], TS)})

    result = lake.append("transactions", rows, time_column="occurred_at", batch_key="live-1-2")

    assert result.rows == 2
    assert result.dates == (date(2026, 11, 23), date(2026, 11, 24))
    by_date = {f.date: f.path for f in lake.files("transactions")}
    assert by_date[date(2026, 11, 24)].parent.name == "date=2026-11-24"
    assert lake.files("transactions", since=date(2026, 11, 24))[0].rows == 1
    assert [f.rows for f in lake.files("transactions", until=date(2026, 11, 23))] == [1]
    assert lake.dates("transactions") == [date(2026, 11, 23), date(2026, 11, 24)]


def test_appending_the_same_batch_again_replaces_it_instead_of_doubling_it(tmp_path: Path) -> None:
    lake = lake_at(tmp_path / "lake")
    lake.append("transactions", transactions(0, 30), time_column="occurred_at", batch_key="live-1-30")

    again = lake.append("transactions", transactions(0, 30), time_column="occurred_at", batch_key="live-1-30")

    assert again.replaced_rows == 30
    assert txn_ids(lake) == sorted(transactions(0, 30).column("txn_id").to_pylist())


def test_a_batch_merged_by_compaction_is_still_replaced_without_touching_its_neighbours(tmp_path: Path) -> None:
    lake = lake_at(tmp_path / "lake")
    lake.append("transactions", transactions(0, 30), time_column="occurred_at", batch_key="live-1-30")
    lake.append("transactions", transactions(30, 30), time_column="occurred_at", batch_key="live-31-60")
    lake.compact("transactions", sort_by=["one_id", "occurred_at"])
    assert {f.rows for f in lake.files("transactions")} == {20}  # both batches share each date's file

    again = lake.append("transactions", transactions(0, 30), time_column="occurred_at", batch_key="live-1-30")

    assert again.replaced_rows == 30
    assert txn_ids(lake) == [f"T{n:06d}" for n in range(60)]


def test_a_crash_before_the_manifest_swap_leaves_the_previous_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = lake_at(tmp_path / "lake")
    lake.append("transactions", transactions(0, 10), time_column="occurred_at", batch_key="b1")

    def crash(*_: object) -> None:
        raise OSError("power lost")

    with monkeypatch.context() as patch:
        patch.setattr(lake_module, "save", crash)
        with pytest.raises(OSError, match="power lost"):
            lake.append("transactions", transactions(10, 10), time_column="occurred_at", batch_key="b2")
        with pytest.raises(OSError, match="power lost"):
            lake.compact("transactions", sort_by=["txn_id"])

    assert txn_ids(lake) == [f"T{n:06d}" for n in range(10)]
    assert lake_at(tmp_path / "lake").read_newest("transactions", column="one_id", value="C001").num_rows == 2
    lake.append("transactions", transactions(10, 10), time_column="occurred_at", batch_key="b2")  # the re-run
    assert txn_ids(lake) == [f"T{n:06d}" for n in range(20)]
    swept = lake.vacuum(older_than=timedelta(0))
    assert swept.files_removed >= 3  # the crashed run's files are orphans and go
    assert txn_ids(lake) == [f"T{n:06d}" for n in range(20)]


def test_a_reader_during_compaction_sees_every_row_exactly_once(tmp_path: Path) -> None:
    lake = lake_at(tmp_path / "lake")
    for batch in range(12):
        rows = transactions(batch * 40, 40, days=8)
        lake.append("transactions", rows, time_column="occurred_at", batch_key=f"live-{batch}")
    expected = [f"T{n:06d}" for n in range(480)]
    seen_versions: set[int] = set()
    done = threading.Event()

    def compact() -> None:
        try:
            lake.compact("transactions", sort_by=["one_id", "occurred_at"], target_rows=25)
        finally:
            done.set()

    worker = threading.Thread(target=compact)
    worker.start()
    reader = lake_at(tmp_path / "lake")  # another handle, as another process would have
    while not done.is_set():
        seen_versions.add(reader.manifest("transactions").version)
        assert txn_ids(reader) == expected
    worker.join()

    assert txn_ids(reader) == expected
    assert len(seen_versions) > 1  # the reader really ran while dates were being swapped
    assert all(f.rows <= 25 for f in reader.files("transactions"))


def test_concurrent_appends_of_different_batches_all_survive(tmp_path: Path) -> None:
    lake = lake_at(tmp_path / "lake")
    errors: list[BaseException] = []

    def append(batch: int) -> None:
        try:
            rows = transactions(batch * 20, 20)
            lake_at(tmp_path / "lake").append("transactions", rows, time_column="occurred_at", batch_key=f"b{batch}")
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=append, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert txn_ids(lake) == [f"T{n:06d}" for n in range(120)]


def test_vacuum_keeps_replaced_files_for_the_grace_period_then_removes_them(tmp_path: Path) -> None:
    lake = lake_at(tmp_path / "lake")
    lake.append("transactions", transactions(0, 30), time_column="occurred_at", batch_key="b1")
    before = {f.path for f in lake.files("transactions")}
    lake.compact("transactions", sort_by=["one_id"])

    assert lake.vacuum(older_than=timedelta(hours=1)).files_removed == 0
    assert all(path.exists() for path in before)  # a query that read the old manifest can finish

    later = datetime.now(UTC) + timedelta(hours=2)
    assert lake.vacuum(older_than=timedelta(hours=1), now=later).files_removed == len(before)
    assert not any(path.exists() for path in before)
    assert txn_ids(lake) == [f"T{n:06d}" for n in range(30)]


def test_snapshots_are_replaced_whole(tmp_path: Path) -> None:
    lake = lake_at(tmp_path / "lake")
    lake.replace_snapshot("customers", pa.table({"one_id": ["C1", "C2"], "city": ["上海", "北京"]}))
    export = pa.table({"one_id": ["C3", "C4"], "city": ["深圳", "广州"]})
    streamed = pa.RecordBatchReader.from_batches(export.schema, export.to_batches(max_chunksize=1))

    result = lake.replace_snapshot("customers", streamed)

    assert (result.rows, result.version) == (2, 2)
    assert read_all(lake, "customers").to_pylist() == export.to_pylist()
    assert lake.snapshot_path("customers").suffix == ".parquet"
    assert lake.tables() == ["customers"]


def test_new_columns_may_appear_in_later_appends(tmp_path: Path) -> None:
    lake = lake_at(tmp_path / "lake")
    lake.append("transactions", transactions(0, 3, customers=10), time_column="occurred_at", batch_key="b1")
    later = transactions(3, 3, customers=10).append_column("channel", pa.array(["app"] * 3))
    lake.append("transactions", later, time_column="occurred_at", batch_key="b2")

    newest = lake.read_newest("transactions", column="one_id", value="C003")

    assert lake.schema("transactions").names == ["txn_id", "one_id", "occurred_at", "amount_fen", "channel"]
    assert newest.column("channel").to_pylist() == ["app"]
    assert lake.read_newest("transactions", column="one_id", value="C000").column("channel").to_pylist() == [None]


def test_bad_appends_are_refused_with_the_table_and_column_named(tmp_path: Path) -> None:
    lake = lake_at(tmp_path / "lake")
    lake.append("transactions", transactions(0, 3), time_column="occurred_at", batch_key="b1")
    retyped = transactions(3, 3).set_column(3, "amount_fen", pa.array([1.5, 2.5, 3.5]))

    with pytest.raises(InvalidInput, match="amount_fen") as changed:
        lake.append("transactions", retyped, time_column="occurred_at", batch_key="b2")
    with pytest.raises(InvalidInput, match="partitioned by 'occurred_at'"):
        lake.append(
            "transactions",
            transactions(3, 3).rename_columns(["txn_id", "one_id", "at", "amount_fen"]),
            time_column="at",
            batch_key="b3",
        )
    with pytest.raises(InvalidInput, match="batch key"):
        lake.append("transactions", transactions(3, 3), time_column="occurred_at", batch_key="")
    with pytest.raises(InvalidInput, match="not allowed"):
        lake.append("../escape", transactions(3, 3), time_column="occurred_at", batch_key="b4")
    with pytest.raises(Conflict):
        lake.replace_snapshot("transactions", transactions(3, 3))

    assert changed.value.details == {
        "table": "transactions",
        "column": "amount_fen",
        "expected": "int64",
        "got": "double",
    }
    assert txn_ids(lake) == ["T000000", "T000001", "T000002"]
    assert list((tmp_path / "lake" / "transactions").glob("_staging/*")) == []


def test_a_failed_append_mid_stream_leaves_nothing_behind(tmp_path: Path) -> None:
    lake = lake_at(tmp_path / "lake")
    good = transactions(0, 5)
    bad = pa.table({**{n: good.column(n) for n in good.column_names}, "occurred_at": pa.array([None] * 5, TS)})
    reader = pa.RecordBatchReader.from_batches(good.schema, [*good.to_batches(), *bad.to_batches()])

    with pytest.raises(InvalidInput, match="row 6"):
        lake.append("transactions", reader, time_column="occurred_at", batch_key="history-1")

    with pytest.raises(NotFound):
        lake.files("transactions")
    assert list((tmp_path / "lake").rglob("*.parquet")) == []


def test_the_lake_root_comes_from_settings(tmp_path: Path) -> None:
    settings = Settings(profile="dev", data_dir=tmp_path / "data")

    assert Lake.from_settings(settings).root == (tmp_path / "data" / "lake").resolve()
    with pytest.raises(ConfigurationError, match="only a local directory"):
        Lake.from_settings(Settings(profile="dev", lake_url="s3://bank-lake/huoke"))
