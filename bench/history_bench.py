"""`python -m bench.history_bench`: a history load of generated transactions into the lake, beside the floor.

The demo bank and D days of its activity are generated first (untimed). Then, in the same run:

* huoke: ``load_history`` exactly as `huoke import transactions DIR --history` runs it — read the Parquet parts,
  check every row (required fields, amounts > 0 with at most 2 decimals, known types, not in the future), resolve
  customer and account numbers (account numbers hashed to blind indexes), drop repeated ids, append to the lake by
  business date with manifest swaps. The customer/account directory is built from the bank's CSV files with the
  same blind index the store uses, instead of being read back from a store, so the store import is not timed.
* floor: pyarrow reading the same parts and writing them as one hive-partitioned dataset by business date, with
  no checks, no identity resolution and no manifest.

    .venv/bin/python -m bench.history_bench --customers 20000 --days 365
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.dataset as ds

from huoke.demo.activity import generate_activity
from huoke.demo.generator import generate_bank
from huoke.events import catalogue
from huoke.events.history import load_history
from huoke.events.history_rules import Directory
from huoke.platform.crypto import PiiCipher
from huoke.platform.lake import Lake
from huoke.platform.settings import Settings

ZONE = ZoneInfo("Asia/Shanghai")


def _directory(bank_dir: Path) -> Directory:
    active, keys, bidx = Settings(profile="dev").keyring()  # type: ignore[call-arg]
    cipher = PiiCipher(active, keys, bidx)
    read = pacsv.ConvertOptions(strings_can_be_null=True)
    people = pacsv.read_csv(bank_dir / "customers.csv", convert_options=read).column("customer_no").combine_chunks()
    holdings = pacsv.read_csv(bank_dir / "holdings.csv", convert_options=read)
    accounts = holdings.column("account_no").cast(pa.string()).to_pylist()
    return Directory(
        customer_no=people.cast(pa.string()),
        one_id=pa.array([uuid.uuid4().hex for _ in range(len(people))], pa.string()),
        account_bidx=pa.array([cipher.blind_index("account_no", a) for a in accounts], pa.string()),
        account_owner=holdings.column("customer_no").combine_chunks().cast(pa.string()),
        account_masked=pa.array([f"{a[:6]}******{a[-4:]}" for a in accounts], pa.string()),
        event_types=frozenset(catalogue.STANDARD_SCHEMAS),
        blind_index=lambda n: cipher.blind_index("account_no", n),
    )


def _floor(source: Path, out: Path) -> float:
    started = time.perf_counter()
    dataset = ds.dataset(source, format="parquet")

    def with_date() -> Any:
        for batch in dataset.to_batches(batch_size=1_000_000):
            local = pc.cast(batch.column("occurred_at"), pa.timestamp("us", tz=str(ZONE)))
            yield batch.append_column("date", pc.cast(pc.local_timestamp(local), pa.date32()))

    first = next(iter(dataset.to_batches(batch_size=1)))
    schema = first.schema.append(pa.field("date", pa.date32()))
    ds.write_dataset(
        with_date(), out, schema=schema, format="parquet", partitioning=["date"], partitioning_flavor="hive",
        existing_data_behavior="overwrite_or_ignore", max_rows_per_group=1_000_000,
    )  # fmt: skip
    return time.perf_counter() - started


def _generate(work: Path, customers: int, days: int, seed: int) -> int:
    as_of = date(2026, 11, 24)
    bank = generate_bank(work / "bank", customers=customers, seed=seed, as_of=as_of)
    files = generate_activity(
        bank, days=days, end=as_of - timedelta(days=1), seed=seed, out_dir=work / "bank", kinds=("transactions",)
    )
    return files.counts["transactions"]


def _huoke(work: Path) -> dict[str, Any]:
    directory = _directory(work / "bank")
    lake = Lake(work / "lake", ZONE)
    started = time.perf_counter()
    summary = load_history(
        lake, kind="transactions", path=work / "bank" / "transactions", directory=directory,
        now=datetime.now(UTC), max_future_skew=timedelta(minutes=5), errors_path=work / "errors.csv",
    )  # fmt: skip
    took = time.perf_counter() - started
    lake.close()
    return {"seconds": took, "accepted": summary.accepted, "rejected": summary.rejected}


def _phase(name: str, work: Path, *extra: str) -> dict[str, Any]:
    """Run one phase in a child process, so its peak memory is its own."""
    command = [sys.executable, "-m", "bench.history_bench", "--phase", name, "--work", str(work), *extra]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _run_phase(args: argparse.Namespace) -> None:
    if args.phase == "generate":
        result: dict[str, Any] = {"rows": _generate(args.work, args.customers, args.days, args.seed)}
    elif args.phase == "huoke":
        result = _huoke(args.work)
    else:
        result = {"seconds": _floor(args.work / "bank" / "transactions", args.work / "floor")}
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--work", type=Path, help="keep the generated files here (default: a temporary folder)")
    parser.add_argument("--phase", choices=("generate", "huoke", "floor"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        _run_phase(args)
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="huoke-history-bench-"))
    sizes = ("--customers", str(args.customers), "--days", str(args.days), "--seed", str(args.seed))
    try:
        rows = _phase("generate", work, *sizes)["rows"]
        huoke = _phase("huoke", work)
        floor = _phase("floor", work)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    result = {
        "customers": args.customers,
        "days": args.days,
        "rows": rows,
        "accepted": huoke["accepted"],
        "rejected": huoke["rejected"],
        "huoke_s": round(huoke["seconds"], 2),
        "huoke_rows_per_s": round(rows / huoke["seconds"]),
        "huoke_peak_rss_mb": huoke["peak_rss_mb"],
        "floor_s": round(floor["seconds"], 2),
        "floor_rows_per_s": round(rows / floor["seconds"]),
        "floor_peak_rss_mb": floor["peak_rss_mb"],
        "huoke_to_floor": round(floor["seconds"] / huoke["seconds"], 3),
    }
    print(json.dumps(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
