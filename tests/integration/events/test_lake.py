"""The events context and the lake: watermark export, history loads, the timeline across store and lake."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from huoke.customers import service as customers
from huoke.customers.service import CustomerLookup
from huoke.events import lake_service, lake_sync
from huoke.events.service import Ingestion
from huoke.events.store import EventRow
from huoke.events.timeline import TimelineQuery, timeline
from huoke.platform.clockstate import advance_clock
from huoke.platform.lake import Lake
from huoke.platform.runtime import Runtime
from huoke.platform.work_store import WorkItemRow
from tests.conftest import START


def lake_rows(runtime: Runtime, table: str) -> list[dict[str, Any]]:
    lake = Lake.from_settings(runtime.settings)
    if table not in lake.tables():
        return []
    return [row for f in lake.files(table) for row in pq.read_table(f.path).to_pylist()]


def login(event_id: str, at: datetime) -> dict[str, Any]:
    return {"event_id": event_id, "type": "login", "occurred_at": at.isoformat(), "customer_no": "C1"}


def test_sync_exports_each_live_row_once_even_after_a_crash_before_the_watermark_moved(
    ingestion: Ingestion, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = ingestion.runtime
    ingestion.events([login(f"e{i}", START - timedelta(hours=i)) for i in range(5)], actor="t")
    real = lake_sync.set_watermark

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("killed between the lake write and the watermark")

    monkeypatch.setattr(lake_sync, "set_watermark", crash)
    with pytest.raises(RuntimeError):
        lake_service.sync_lake(runtime)
    monkeypatch.setattr(lake_sync, "set_watermark", real)

    first = lake_service.sync_lake(runtime)
    ingestion.events([login("e-late", START)], actor="t")
    second = lake_service.sync_lake(runtime)

    assert first["exported"]["events"] == 5
    assert second["exported"]["events"] == 1
    assert sorted(r["event_id"] for r in lake_rows(runtime, "events")) == ["e-late", "e0", "e1", "e2", "e3", "e4"]
    assert first["snapshots"]["customers"] == 2


def _history_file(path: Path) -> Path:
    t = START.astimezone(UTC)
    rows = [
        ("H1", "C1", None, t - timedelta(days=30), Decimal("12.34"), "debit", "card_spend", "5812"),
        ("H2", None, "6222020000000001", t - timedelta(days=29), Decimal("50.00"), "debit", "card_spend", "5411"),
        ("H3", "C2", None, t - timedelta(days=28), Decimal("8000.00"), "credit", "salary", None),
        ("H1", "C1", None, t - timedelta(days=27), Decimal("1.00"), "debit", "card_spend", "5812"),  # repeat id
        ("B1", "C1", None, t - timedelta(days=26), Decimal("0.00"), "debit", "card_spend", "5812"),
        ("B2", "C404", None, t - timedelta(days=26), Decimal("1.00"), "debit", "card_spend", "5812"),
        ("B3", "C2", "6222020000000001", t - timedelta(days=26), Decimal("1.00"), "debit", "card_spend", None),
        ("B4", "C1", None, t + timedelta(days=2), Decimal("1.00"), "debit", "card_spend", None),
        ("B5", "C1", None, t - timedelta(days=26), Decimal("1.00"), "debit", "gift", None),
    ]
    names = ["txn_id", "customer_no", "account_no", "occurred_at", "amount", "direction", "txn_type", "mcc"]
    types = [pa.string(), pa.string(), pa.string(), pa.timestamp("us", tz="UTC"), pa.decimal128(18, 2)] + [
        pa.string()
    ] * 3
    table = pa.table(
        {n: pa.array([r[i] for r in rows], ty) for i, (n, ty) in enumerate(zip(names, types, strict=True))}
    )
    pq.write_table(table, path)
    return path


def test_a_history_load_writes_the_lake_only_and_again_changes_nothing(ingestion: Ingestion, tmp_path: Path) -> None:
    runtime = ingestion.runtime
    source = _history_file(tmp_path / "history.parquet")

    first = lake_service.history_load(runtime, kind="transactions", path=source, errors_path=tmp_path / "e1.csv")
    again = lake_service.history_load(runtime, kind="transactions", path=source, errors_path=tmp_path / "e2.csv")

    assert (first.accepted, first.rejected, first.duplicates) == (3, 5, 1)
    assert again.accepted == 3
    stored = lake_rows(runtime, "transactions")
    assert sorted(r["txn_id"] for r in stored) == ["H1", "H2", "H3"]
    by_id = {r["txn_id"]: r for r in stored}
    assert by_id["H1"]["amount_fen"] == 1234
    assert by_id["H2"]["customer_no"] == "C1"
    assert by_id["H2"]["account_masked"] == "622202******0001"
    with (tmp_path / "e1.csv").open(encoding="utf-8-sig") as handle:
        reasons = {(r["row"], r["column"]) for r in csv.DictReader(handle)}
    assert reasons == {
        ("6", "amount"),
        ("7", "customer_no"),
        ("8", "account_no"),
        ("9", "occurred_at"),
        ("10", "txn_type"),
    }
    with runtime.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(WorkItemRow)) == 0


def test_history_from_csv_in_gbk_with_text_amounts_and_naive_times(ingestion: Ingestion, tmp_path: Path) -> None:
    source = tmp_path / "txns.csv"
    source.write_bytes(
        (
            "txn_id,customer_no,occurred_at,amount,direction,txn_type,merchant\n"
            "G1,C1,2026-10-01 12:00,88.8,debit,card_spend,星巴克\n"
            "G2,C1,2026-10-01 13:00,1.234,debit,card_spend,麦当劳\n"
        ).encode("gbk")
    )

    summary = lake_service.history_load(
        ingestion.runtime, kind="transactions", path=source, errors_path=tmp_path / "e.csv"
    )

    assert (summary.accepted, summary.rejected) == (1, 1)
    [row] = lake_rows(ingestion.runtime, "transactions")
    assert row["merchant"] == "星巴克"
    assert row["occurred_at"] == datetime(2026, 10, 1, 4, 0, tzinfo=UTC)


def test_the_timeline_merges_lake_history_and_live_rows_each_once(ingestion: Ingestion, tmp_path: Path) -> None:
    runtime = ingestion.runtime
    lake_service.history_load(
        runtime, kind="transactions", path=_history_file(tmp_path / "h.parquet"), errors_path=tmp_path / "e.csv"
    )
    ingestion.events([login("live-1", START - timedelta(hours=1))], actor="t")
    lake_service.sync_lake(runtime)  # the live login is now in the store and the lake
    one_id = customers.show_customer(runtime, CustomerLookup(customer_no="C1"))["one_id"]

    view = timeline(runtime, TimelineQuery(one_id, limit=10), lake_service.history_reader(runtime))

    assert [(e["id"], e["source"]) for e in view["entries"]] == [("live-1", "live"), ("H2", "lake"), ("H1", "lake")]
    assert view["entries"][1]["amount"] == "50.00"


def test_erasing_a_customer_rewrites_the_lake_without_their_rows(ingestion: Ingestion, tmp_path: Path) -> None:
    runtime = ingestion.runtime
    source = _history_file(tmp_path / "history.parquet")
    lake_service.history_load(runtime, kind="transactions", path=source, errors_path=tmp_path / "e.csv")
    lake_service.sync_lake(runtime)
    c1 = customers.show_customer(runtime, CustomerLookup(customer_no="C1"))["one_id"]

    erased = lake_service.erase_customer_history(runtime, c1)

    assert erased["rows_removed"]["transactions"] == 2
    assert erased["rows_removed"]["customers"] == 1
    assert [r["txn_id"] for r in lake_rows(runtime, "transactions")] == ["H3"]
    assert all(r["one_id"] != c1 for r in lake_rows(runtime, "customers") + lake_rows(runtime, "holdings"))


def test_sync_prunes_old_exported_live_rows_and_the_timeline_still_shows_them(ingestion: Ingestion) -> None:
    runtime = ingestion.runtime
    ingestion.events([login("old", START - timedelta(days=1))], actor="t")
    lake_service.sync_lake(runtime)
    later = START + timedelta(days=runtime.settings.live_retention_days + 1)
    with runtime.uow() as uow:
        advance_clock(uow.session, later)
        uow.commit()
    ingestion.events([login("new", later - timedelta(hours=1))], actor="t")  # received now: kept

    report = lake_service.sync_lake(runtime)

    assert report["pruned"]["events"] == 1
    with runtime.uow() as uow:
        live = list(uow.session.scalars(select(EventRow.event_id)))
    assert live == ["new"]
    one_id = customers.show_customer(runtime, CustomerLookup(customer_no="C1"))["one_id"]
    view = timeline(runtime, TimelineQuery(one_id), lake_service.history_reader(runtime))
    assert [(e["id"], e["source"]) for e in view["entries"]] == [("new", "live"), ("old", "lake")]


def test_a_lake_write_failure_stops_the_history_load_with_its_error(
    ingestion: Ingestion, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(self: Lake, *args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Lake, "append", disk_full)
    source = _history_file(tmp_path / "history.parquet")

    with pytest.raises(OSError, match="No space left"):
        lake_service.history_load(ingestion.runtime, kind="transactions", path=source, errors_path=tmp_path / "e.csv")
    assert lake_rows(ingestion.runtime, "transactions") == []
