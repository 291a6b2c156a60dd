"""`python -m bench.lake_bench`: the Parquet lake's history load and point reads, each beside its floor.

1. History load. A transactions-shaped Parquet file (generated once, in time order like a core-banking
   export) is appended to a fresh lake with ``Lake.append`` (validation, business dates in Asia/Shanghai,
   batch lineage, staging, fsync, manifest swap). Floor: pyarrow writing the same rows, with the same
   business-date column computed the same way, as one hive-partitioned dataset, with no checks at all.
2. Compaction (reported, no floor): ``Lake.compact(sort_by=["one_id", "occurred_at"])``.
3. Timeline point reads. For random customers (drawn from the whole id space, so inactive customers are
   included), the newest ``--limit`` rows: ``Lake.read_newest`` against a raw DuckDB query
   (``WHERE one_id = ? ORDER BY occurred_at DESC LIMIT n``) over the same live files. Both answers are
   compared row count by row count. Reads alternate between the two sides.

    .venv/bin/python -m bench.lake_bench --rows 1_000_000
    .venv/bin/python -m bench.lake_bench --rows 100_000_000 --customers 1_000_000 --json /tmp/lake.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table

from huoke.platform.lake import Lake
from huoke.platform.lake_write import APPEND_ROW_GROUP, COMPRESSION, MAX_DATES_PER_APPEND, business_dates

ROOT = Path(__file__).resolve().parent.parent
ZONE = ZoneInfo("Asia/Shanghai")
START = datetime(2025, 11, 24, tzinfo=ZONE)
CHUNK = 1_000_000
SCAN_BATCH = 131_072
TXN_TYPES = np.array(["card_spend", "transfer_in", "transfer_out", "salary", "fee", "interest", "withdrawal"])
CHANNELS = np.array(["app", "counter", "atm", "pos", "online"])
GOAL_LOAD_ROWS_PER_S = 1_000_000
GOAL_P95_MS = 100.0
RAW_SQL = (
    "SELECT * EXCLUDE (_lake_batch) FROM read_parquet($files, union_by_name => true) "
    "WHERE one_id = $key ORDER BY occurred_at DESC LIMIT $limit"
)


def one_ids(numbers: np.ndarray) -> pa.Array:
    return pc.utf8_lpad(pa.array(numbers).cast(pa.string()), 32, "0")


def generate(path: Path, *, rows: int, customers: int, days: int, seed: int) -> None:
    """A history file of ``rows`` transactions over ``days`` days, in time order, uniform over customers."""
    rng = np.random.default_rng(seed)
    start_us = int(START.timestamp() * 1_000_000)
    step_us = days * 86_400_000_000 // rows
    writer: pq.ParquetWriter | None = None
    for first in range(0, rows, CHUNK):
        n = min(CHUNK, rows - first)
        numbers = np.arange(first, first + n)
        table = pa.table(
            {
                "txn_id": pc.binary_join_element_wise("T", pa.array(numbers).cast(pa.string()), ""),
                "one_id": one_ids(rng.integers(0, customers, n)),
                "occurred_at": pa.array(start_us + numbers * step_us, pa.timestamp("us", tz="UTC")),
                "amount_fen": pa.array(rng.integers(100, 5_000_000, n)),
                "txn_type": pa.array(TXN_TYPES[rng.integers(0, len(TXN_TYPES), n)]),
                "channel": pa.array(CHANNELS[rng.integers(0, len(CHANNELS), n)]),
                "balance_after_fen": pa.array(rng.integers(0, 100_000_000, n)),
            }
        )
        writer = writer or pq.ParquetWriter(path, table.schema, compression=COMPRESSION)
        writer.write_table(table)
    if writer is not None:
        writer.close()


def source_reader(path: Path) -> pa.RecordBatchReader:
    return ds.dataset(path).scanner(batch_size=SCAN_BATCH).to_reader()


def load_huoke(source: Path, root: Path) -> float:
    lake = Lake(root, ZONE)
    started = time.perf_counter()
    lake.append("transactions", source_reader(source), time_column="occurred_at", batch_key="history-bench")
    return time.perf_counter() - started


def load_floor(source: Path, root: Path) -> float:
    started = time.perf_counter()
    reader = source_reader(source)
    schema = reader.schema.append(pa.field("date", pa.date32()))

    def with_date() -> Iterator[pa.RecordBatch]:
        for batch in reader:
            yield batch.append_column("date", business_dates(batch.column("occurred_at"), ZONE))

    ds.write_dataset(
        pa.RecordBatchReader.from_batches(schema, with_date()),
        root,
        format="parquet",
        partitioning=ds.partitioning(pa.schema([("date", pa.date32())]), flavor="hive"),
        file_options=ds.ParquetFileFormat().make_write_options(compression=COMPRESSION),
        max_rows_per_group=APPEND_ROW_GROUP,
        max_partitions=MAX_DATES_PER_APPEND,
    )
    return time.perf_counter() - started


def point_reads(lake: Lake, *, customers: int, reads: int, limit: int, seed: int) -> dict[str, Any]:
    """Alternate huoke and raw DuckDB reads of the same customers; check both return the same rows."""
    files = [str(f.path) for f in lake.files("transactions")]
    duck = duckdb.connect()
    duck.execute("SET parquet_metadata_cache = true")
    keys = one_ids(np.random.default_rng(seed).integers(0, customers, reads)).to_pylist()
    huoke_ms: list[float] = []
    raw_ms: list[float] = []
    mismatches = 0
    for key in [keys[0], *keys]:  # the first key warms both caches and is not counted
        got, t_huoke = _timed(lambda k=key: lake.read_newest("transactions", column="one_id", value=k, limit=limit))
        params = {"files": files, "key": key, "limit": limit}
        raw, t_raw = _timed(lambda p=params: duck.sql(RAW_SQL, params=p).to_arrow_table())
        mismatches += got.column("occurred_at").to_pylist() != raw.column("occurred_at").to_pylist()
        huoke_ms.append(t_huoke * 1000)
        raw_ms.append(t_raw * 1000)
    return {"huoke": _percentiles(huoke_ms[1:]), "raw": _percentiles(raw_ms[1:]), "mismatches": mismatches}


def _timed(call: Callable[[], pa.Table]) -> tuple[pa.Table, float]:
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def _percentiles(values: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": round(cuts[49], 2), "p95": round(cuts[94], 2), "max": round(max(values), 2)}


def _commit() -> str | None:
    """The commit measured, "+dirty" when src/ or bench/ differ from it; never takes git's index lock."""
    git = shutil.which("git")
    if git is None:
        return None
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    try:
        head, dirty = (
            subprocess.run([git, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
            for args in (("rev-parse", "--short", "HEAD"), ("status", "--porcelain", "--", "src", "bench"))
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return head.strip() + ("+dirty" if dirty.strip() else "")


def environment() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "python": platform.python_version(),
        "pyarrow": pa.__version__,
        "duckdb": duckdb.__version__,
        "cpus": os.cpu_count(),
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],  # other work on a shared machine
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="huoke-lake-bench-", dir=args.work_dir))
    try:
        return _run_in(work, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run_in(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    source = work / "history.parquet"
    generate(source, rows=args.rows, customers=args.customers, days=args.days, seed=args.seed)
    loads: dict[str, list[float]] = {"huoke": [], "floor": []}
    for round_no in range(args.repeat):
        loads["huoke"].append(load_huoke(source, work / f"lake-{round_no}"))
        loads["floor"].append(load_floor(source, work / f"floor-{round_no}"))
        if round_no + 1 < args.repeat:
            shutil.rmtree(work / f"lake-{round_no}")
        shutil.rmtree(work / f"floor-{round_no}")
    lake = Lake(work / f"lake-{args.repeat - 1}", ZONE)
    started = time.perf_counter()
    compacted = lake.compact("transactions", sort_by=["one_id", "occurred_at"])
    compact_s = time.perf_counter() - started
    reads = point_reads(lake, customers=args.customers, reads=args.reads, limit=args.limit, seed=args.seed + 1)
    return {
        "environment": {**environment(), "load_average_at_start": args.load_at_start},
        "rows": args.rows,
        "customers": args.customers,
        "days": args.days,
        "source_bytes": source.stat().st_size,
        "load_seconds": loads,
        "compact": {
            "seconds": round(compact_s, 2),
            "files_before": compacted.files_before,
            "files_after": compacted.files_after,
        },
        "point_reads": {"reads": args.reads, "limit": args.limit, **reads},
    }


def report(result: dict[str, Any]) -> None:
    console = Console()
    rows = result["rows"]
    huoke_s, floor_s = min(result["load_seconds"]["huoke"]), min(result["load_seconds"]["floor"])
    load = Table(title=f"History load: {rows:,} rows (best of {len(result['load_seconds']['huoke'])})")
    for column in ("side", "seconds", "rows/s", "huoke / floor rate"):
        load.add_column(column, justify="right")
    load.add_row("huoke", f"{huoke_s:.2f}", f"{rows / huoke_s:,.0f}", f"{floor_s / huoke_s:.0%}")
    load.add_row("floor", f"{floor_s:.2f}", f"{rows / floor_s:,.0f}", "")
    console.print(load)
    reads = result["point_reads"]
    timeline = Table(title=f"Newest {reads['limit']} rows of one customer, {reads['reads']} random customers (ms)")
    for column in ("side", "p50", "p95", "max"):
        timeline.add_column(column, justify="right")
    for side in ("huoke", "raw"):
        timeline.add_row("huoke read_newest" if side == "huoke" else "raw DuckDB", *map(str, reads[side].values()))
    console.print(timeline)
    console.print(
        f"p95 huoke / raw: {reads['huoke']['p95'] / reads['raw']['p95']:.2f}; answers that differ: "
        f"{reads['mismatches']}; compaction {result['compact']['seconds']} s "
        f"({result['compact']['files_before']} → {result['compact']['files_after']} files)"
    )
    load_met = rows / huoke_s >= GOAL_LOAD_ROWS_PER_S
    read_met = reads["huoke"]["p95"] < GOAL_P95_MS
    console.print(
        f"goals: load ≥ {GOAL_LOAD_ROWS_PER_S:,} rows/s: {'met' if load_met else 'NOT met'}; "
        f"timeline p95 < {GOAL_P95_MS:.0f} ms: {'met' if read_met else 'NOT met'} "
        f"(at {rows:,} rows and {result['customers']:,} customers)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=1_000_000)
    parser.add_argument(
        "--customers",
        type=lambda s: int(s.replace("_", "")),
        default=None,
        help="default: rows / 100, the goal's density (100M rows, 1M customers)",
    )
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--reads", type=int, default=200)
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=1, help="history loads per side; the best one counts")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work-dir", default=None, help="where the temporary lake goes (default: the system temp)")
    parser.add_argument("--json", type=Path, default=None, help="also write the result as JSON here")
    args = parser.parse_args()
    args.customers = args.customers or max(1, args.rows // 100)
    args.load_at_start = [round(x, 2) for x in os.getloadavg()]
    result = run(args)
    report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
