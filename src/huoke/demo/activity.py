"""Synthetic activity for the demo bank: `D` days of transactions and app events, straight to Parquet.

    generate_activity(bank, days=90, end=date(2026, 11, 23), seed=7, out_dir=Path("demo-files"))

writes, in `out_dir`:
- `transactions/part-NNNNN.parquet` and `events/part-NNNNN.parquet` (zstd; always a folder of parts, one row
  group per generated chunk of about a million rows, rows in time order within each row group and row
  groups in day order);
- `lifecycle.parquet`: each customer's lifecycle stage and active span (the ground truth behind the data,
  for checking churn and segment models; it is not an import file);
- `activity.json`: the window, seed and row counts.

Deterministic: the same bank, seed and arguments give byte-identical files. Memory stays bounded by the
chunk size and the number of customers, whatever the number of rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from huoke.demo.activity_arrow import (
    COMPRESSION,
    EVENT_SCHEMA,
    TRANSACTION_SCHEMA,
    PartWriter,
    event_table,
    transaction_table,
)
from huoke.demo.activity_book import Book, bank_files, read_book
from huoke.demo.activity_calendar import DayTable, day_table, spring_festival
from huoke.demo.activity_columns import TxnColumns
from huoke.demo.activity_csv import EPOCH_ORDINAL
from huoke.demo.activity_events import events
from huoke.demo.activity_habits import Habits, draw_habits
from huoke.demo.activity_hours import DayClock
from huoke.demo.activity_lifecycle import STAGE_NAMES, assign_lifecycles, levels
from huoke.demo.activity_money import cash, deposits, red_packets, transfers, wealth_trades
from huoke.demo.activity_oneoffs import farewells, openings
from huoke.demo.activity_schedule import fund_plans, instalments, interest, payroll, pensions, sms_fees
from huoke.demo.activity_spend import card_spend
from huoke.demo.activity_world import Tile, TilePlan, World, plan_tiles
from huoke.demo.generator import GeneratedBank
from huoke.platform.errors import InvalidInput

KINDS = ("transactions", "events")
CHUNK_ROWS = 1_000_000
PART_ROWS = 8_000_000
MAX_DAYS = 3_660
TXN_STREAMS = (
    card_spend, transfers, red_packets, cash, wealth_trades, deposits, payroll, pensions, instalments, interest,
    sms_fees, fund_plans, openings, farewells,
)  # fmt: skip
_HABITS, _LIFECYCLES, _TRANSACTIONS, _EVENTS = range(4)  # independent random streams per seed

ActivityProgress = Callable[[str, int, float], None]  # (kind, rows written so far, share of the work done)


@dataclass(frozen=True)
class ActivityFiles:
    out_dir: Path
    files: dict[str, Path]  # transactions and events → folder of parts; lifecycle, manifest → file
    counts: dict[str, int]  # transactions, events, customers → rows written
    first_day: date
    last_day: date


def generate_activity(
    bank: Path | GeneratedBank,
    *,
    days: int,
    end: date,
    seed: int,
    out_dir: Path,
    progress: ActivityProgress | None = None,
    chunk_rows: int = CHUNK_ROWS,
    part_rows: int = PART_ROWS,
    kinds: tuple[str, ...] = KINDS,
) -> ActivityFiles:
    """Write `days` days of activity ending on `end` (inclusive, business dates) for a generated bank.

    `kinds` chooses what to write (transactions, events or both); the lifecycle file is always written.
    """
    start = activity_window(days=days, end=end)
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise InvalidInput(f"unknown activity kind(s) {', '.join(unknown)}; use {' and '.join(KINDS)}", code="bad_kind")
    calendar = day_table(start.toordinal(), end.toordinal())
    book = read_book(bank_files(bank), end=end)
    world = _world(book, calendar, seed, start=start.toordinal(), end=end.toordinal())
    out_dir.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda _kind, _rows, _share: None)
    files: dict[str, Path] = {}
    counts: dict[str, int] = {}
    for kind in (k for k in KINDS if k in kinds):
        files[kind] = out_dir / kind
        stream = _EVENTS if kind == "events" else _TRANSACTIONS
        counts[kind] = _write(world, seed, stream, files[kind], report, chunk_rows, part_rows)
    counts["customers"] = book.size
    files["lifecycle"] = _write_lifecycles(world, out_dir / "lifecycle.parquet")
    files["manifest"] = _write_manifest(out_dir / "activity.json", start, end, seed, counts)
    return ActivityFiles(out_dir=out_dir, files=files, counts=counts, first_day=start, last_day=end)


def activity_window(*, days: int, end: date) -> date:
    """The first day of a `days`-day window ending on `end`; refuses windows huoke cannot generate."""
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"days must be 1 to {MAX_DAYS}; got {days}", code="bad_days", details={"field": "days"})
    start = end - timedelta(days=days - 1)
    for year in {start.year, end.year}:
        spring_festival(year)  # raises for years outside the Spring Festival table
    return start


def _stream_seed(seed: int, stream: int, *more: int) -> np.random.Generator:
    return np.random.default_rng([seed % (1 << 64), stream, *more])


def _world(book: Book, calendar: DayTable, seed: int, *, start: int, end: int) -> World:
    habits = draw_habits(_stream_seed(seed, _HABITS), book)
    lifecycles = assign_lifecycles(
        _stream_seed(seed, _LIFECYCLES),
        opened=book.opened,
        latest_holding=book.latest_holding,
        dormant_accounts=book.dormant_accounts,
        start=start,
        end=end,
    )
    return World(book, habits, lifecycles, calendar, DayClock(), start, end)


def _rows_per_cell(habits: Habits, stream: int) -> float:
    if stream == _EVENTS:
        return float(np.mean(habits.app_rate * (2.0 + habits.extra_events))) + 0.02
    moving = habits.spend_rate + habits.transfer_rate + habits.cash_rate + habits.wealth_rate
    return float(np.mean(moving)) + 0.1


def _tile(world: World, rng: np.random.Generator, plan: TilePlan) -> Tile:
    customers = np.arange(plan.first_customer, plan.last_customer, dtype=np.int64)
    days = np.arange(world.start + plan.first_day, world.start + plan.last_day, dtype=np.int64)
    level = levels(world.lifecycles, customers, days, start=world.start, end=world.end)
    return Tile(rng=rng, customers=customers, days=days, day_index=days - world.calendar.first, level=level)


def _write(  # noqa: PLR0917 - one stream's whole run
    world: World, seed: int, stream: int, folder: Path, report: ActivityProgress, chunk_rows: int, part_rows: int
) -> int:
    kind = "events" if stream == _EVENTS else "transactions"
    plans = plan_tiles(
        world.book.size, world.end - world.start + 1, rows_per_cell=_rows_per_cell(world.habits, stream),
        chunk_rows=chunk_rows,
    )  # fmt: skip
    written = 0
    with PartWriter(folder, EVENT_SCHEMA if stream == _EVENTS else TRANSACTION_SCHEMA, part_rows=part_rows) as out:
        for number, plan in enumerate(plans):
            tile = _tile(world, _stream_seed(seed, stream, number), plan)
            table = _chunk(world, tile, stream, seed, written)
            out.write(table)
            written += len(table)
            report(kind, written, (number + 1) / len(plans))
    return written


def _chunk(world: World, tile: Tile, stream: int, seed: int, first_serial: int) -> pa.Table:
    if stream == _EVENTS:
        happened = events(world, tile)
        happened = happened.take(happened.time_order())
        return event_table(happened, world.book, first_serial=first_serial, seed=seed)
    moved: TxnColumns = TxnColumns.concat([produce(world, tile) for produce in TXN_STREAMS])
    moved = moved.take(moved.time_order())
    return transaction_table(moved, world.book, first_serial=first_serial, seed=seed)


def _write_lifecycles(world: World, path: Path) -> Path:
    lc, book = world.lifecycles, world.book
    active = lc.stop >= lc.begin

    def dates(ordinals: np.ndarray) -> Any:
        return pa.array(ordinals - EPOCH_ORDINAL, pa.int32(), mask=~active).cast(pa.date32())

    table = pa.table(
        {
            "customer_no": book.customer_no,
            "stage": pa.array(STAGE_NAMES, pa.string()).take(pa.array(lc.stage)),
            "silver": pa.array(world.habits.silver),
            "first_active_day": dates(lc.begin),
            "last_active_day": dates(lc.stop),
        }
    )
    pq.write_table(table, path, compression=COMPRESSION)
    return path


def _write_manifest(path: Path, start: date, end: date, seed: int, counts: dict[str, int]) -> Path:
    manifest = {
        "first_day": start.isoformat(),
        "last_day": end.isoformat(),
        "days": (end - start).days + 1,
        "seed": seed,
        "counts": counts,
        "layout": {kind: f"{kind}/part-*.parquet" for kind in KINDS if kind in counts},
    }
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path


__all__ = ["ActivityFiles", "ActivityProgress", "activity_window", "generate_activity"]
