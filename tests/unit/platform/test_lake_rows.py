"""Lake rows: business dates in the bank's zone, and the checks an append makes before writing anything."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest

from huoke.platform.errors import InvalidInput
from huoke.platform.lake_manifest import KeyIndex, LakeFile, Manifest, check_name
from huoke.platform.lake_schema import merge_schema
from huoke.platform.lake_write import BATCH_COLUMN, business_dates, check_time_column, with_partition

SHANGHAI = ZoneInfo("Asia/Shanghai")
TS = pa.timestamp("us", tz="UTC")


def _times(*instants: datetime) -> pa.Array:
    return pa.array(list(instants), TS)


def test_a_late_evening_utc_instant_belongs_to_the_next_shanghai_date() -> None:
    times = _times(datetime(2026, 11, 23, 15, 59, 59, tzinfo=UTC), datetime(2026, 11, 23, 23, 30, tzinfo=UTC))

    assert business_dates(times, SHANGHAI).to_pylist() == [date(2026, 11, 23), date(2026, 11, 24)]


def test_business_dates_follow_daylight_saving_in_zones_that_have_it() -> None:
    new_york = ZoneInfo("America/New_York")
    # 03:30 UTC is 23:30 the evening before in summer (UTC-4) and 22:30 in winter (UTC-5)
    times = _times(datetime(2026, 7, 1, 3, 30, tzinfo=UTC), datetime(2026, 12, 1, 4, 30, tzinfo=UTC))

    assert business_dates(times, new_york).to_pylist() == [date(2026, 6, 30), date(2026, 11, 30)]


def test_business_dates_work_for_any_timestamp_unit() -> None:
    times = pa.array([datetime(2026, 11, 23, 23, 30, tzinfo=UTC)], pa.timestamp("ns", tz="Asia/Shanghai"))

    assert business_dates(times, SHANGHAI).to_pylist() == [date(2026, 11, 24)]


@pytest.mark.parametrize(
    ("schema", "code"),
    [
        (pa.schema([("at", pa.timestamp("us"))]), "lake_naive_time"),
        (pa.schema([("at", pa.string())]), "lake_naive_time"),
        (pa.schema([("when", TS)]), "lake_missing_column"),
        (pa.schema([("at", TS), ("date", pa.string())]), "lake_reserved_column"),
        (pa.schema([("at", TS), (BATCH_COLUMN, pa.string())]), "lake_reserved_column"),
    ],
)
def test_the_time_column_must_be_an_aware_timestamp_and_names_must_not_clash(schema: pa.Schema, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_time_column(schema, "at", table="events")

    assert caught.value.code == code
    assert "events" in caught.value.message


def test_a_row_without_a_time_is_refused_with_its_row_number() -> None:
    table = pa.table({"id": ["a", "b", "c"], "at": _times(datetime(2026, 1, 1, tzinfo=UTC), None, None)})
    reader = with_partition(table.to_reader(), table="events", time_column="at", zone=SHANGHAI, batch_key="live-1-3")

    with pytest.raises(InvalidInput) as caught:
        reader.read_all()

    assert caught.value.details == {"table": "events", "batch": "live-1-3", "row": 2, "column": "at"}
    assert "row 2" in caught.value.message


def test_prepared_rows_carry_their_business_date_and_batch() -> None:
    table = pa.table({"id": ["a"], "at": _times(datetime(2026, 11, 23, 23, 30, tzinfo=UTC))})

    out = with_partition(table.to_reader(), table="events", time_column="at", zone=SHANGHAI, batch_key="b1").read_all()

    assert out.column("date").to_pylist() == [date(2026, 11, 24)]
    assert out.column(BATCH_COLUMN).to_pylist() == ["b1"]


def test_a_later_append_may_add_columns_but_not_change_a_type() -> None:
    first = pa.schema([("id", pa.string()), ("amount_fen", pa.int64())])

    grown = merge_schema(first, pa.schema([("id", pa.string()), ("channel", pa.string())]), table="transactions")
    assert grown.names == ["id", "amount_fen", "channel"]

    with pytest.raises(InvalidInput) as caught:
        merge_schema(first, pa.schema([("amount_fen", pa.float64())]), table="transactions")
    assert caught.value.details["column"] == "amount_fen"


def test_a_manifest_swap_retires_the_replaced_files_and_their_key_indexes() -> None:
    now = datetime(2026, 11, 24, tzinfo=UTC)
    old = LakeFile("date=2026-11-24/a.parquet", date(2026, 11, 24), 10, 100, "b1", ("id",), KeyIndex("id", "a.keys"))
    kept = LakeFile("date=2026-11-23/b.parquet", date(2026, 11, 23), 5, 50, "b2")
    new = LakeFile("date=2026-11-24/c.parquet", date(2026, 11, 24), 10, 90, None)
    manifest = Manifest(table="events", kind="dataset", version=3, files=(old, kept))

    swapped = manifest.swap(remove={old.path}, add=[new], now=now)

    assert swapped.version == 4
    assert swapped.files == (kept, new)
    assert {(r.path, r.at) for r in swapped.retired} == {(old.path, now), ("a.keys", now)}
    assert manifest.files == (old, kept)  # the old version is unchanged for readers that hold it


@pytest.mark.parametrize("name", ["", "Events", "1events", "events-live", "../etc", "e" * 64])
def test_table_names_are_plain_identifiers(name: str) -> None:
    with pytest.raises(InvalidInput):
        check_name(name)
