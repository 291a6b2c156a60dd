"""`python -m bench.activity_bench`: synthetic transactions straight to Parquet, against a pyarrow floor.

One run generates a bank with `huoke.demo.generator` (not timed), then measures two phases, each in a child
process of its own that times its work and reports its own peak RSS (VmHWM):

* huoke: `generate_activity(..., kinds=("transactions",))` exactly as `huoke demo generate --days` runs it:
  reading the bank's CSV files, lifecycles, habits, the calendar, every stream, ids and Parquet parts;
* floor: pyarrow writing the same number of rows in the same schema, zstd, the same row-group and part sizes,
  from random columns with no modelling at all (hex ids, customer and account numbers drawn from the bank,
  sorted random times, random amounts and codes). The bank is read before its timer starts.

The report gives rows/s of both, huoke's share of the floor's rate, and the time 100 million rows would take
at each rate.

    .venv/bin/python -m bench.activity_bench --customers 20000 --days 365
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from huoke.demo.activity import CHUNK_ROWS, PART_ROWS, generate_activity
from huoke.demo.activity_arrow import TRANSACTION_SCHEMA, PartWriter, decimals, identifiers, instants, lookup
from huoke.demo.activity_columns import DIRECTIONS, TXN_CHANNELS, TXN_TYPES
from huoke.demo.activity_spend import MCC_CODES, MERCHANTS
from huoke.demo.generator import generate_bank

ROOT = Path(__file__).resolve().parent.parent
HUNDRED_MILLION = 100_000_000


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.activity_bench",
        description="Generate synthetic transactions to Parquet through huoke and through a pyarrow floor; "
        "report rows/s, the ratio to the floor, the time for 100M rows and peak RSS.",
    )
    p.add_argument("--customers", type=int, default=100_000, help="customers of the generated bank")
    p.add_argument("--days", type=int, default=365, help="days of activity (default 365)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 24), help="business date of the bank")
    p.add_argument("--workdir", type=Path, help="parent folder of the run's temp dir (default: system temp)")
    p.add_argument("--keep", action="store_true", help="keep the bank and the Parquet files")
    p.add_argument("--json", type=Path, dest="json_out", metavar="OUT", help="write the results as JSON")
    hidden = argparse.SUPPRESS
    p.add_argument("--phase", choices=("huoke", "floor"), help=hidden)
    p.add_argument("--bank", type=Path, help=hidden)
    p.add_argument("--out", type=Path, help=hidden)
    p.add_argument("--rows", type=int, help=hidden)
    p.add_argument("--result", type=Path, help=hidden)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.phase:
        result = _huoke(args) if args.phase == "huoke" else _floor(args)
        result["peak_rss_mb"] = _peak_rss_mb()
        args.result.write_text(json.dumps(result), encoding="utf-8")
        return 0
    run_dir = Path(tempfile.mkdtemp(prefix="activity-bench-", dir=args.workdir))
    try:
        return _bench(args, run_dir)
    finally:
        if not args.keep:
            shutil.rmtree(run_dir, ignore_errors=True)


def _log(message: str, started: float) -> None:
    print(f"[{time.perf_counter() - started:8.1f}s] {message}", flush=True)


def _bench(args: argparse.Namespace, run_dir: Path) -> int:
    started = time.perf_counter()
    _log(f"generating a bank of {args.customers:,} customers in {run_dir}", started)
    bank = generate_bank(run_dir / "bank", customers=args.customers, seed=args.seed, as_of=args.as_of)
    _log("huoke: generating transactions", started)
    huoke = _child(args, "huoke", run_dir, rows=0)
    _log(f"huoke: {huoke['rows']:,} rows in {huoke['seconds']:.1f} s; floor: writing as many rows", started)
    floor = _child(args, "floor", run_dir, rows=huoke["rows"])
    report = {
        "customers": args.customers,
        "days": args.days,
        "seed": args.seed,
        "as_of": args.as_of.isoformat(),
        "bank_holdings": bank.counts["holdings"],
        "machine": _machine(),
        "huoke": huoke,
        "floor": floor,
        "ratio": (huoke["rows"] / huoke["seconds"]) / (floor["rows"] / floor["seconds"]),
    }
    _render(report)
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


def _child(args: argparse.Namespace, phase: str, run_dir: Path, *, rows: int) -> dict[str, Any]:
    result = run_dir / f"{phase}.json"
    out = run_dir / phase
    command = [
        sys.executable, "-m", "bench.activity_bench", "--phase", phase, "--bank", str(run_dir / "bank"),
        "--out", str(out), "--rows", str(rows), "--result", str(result), "--days", str(args.days),
        "--seed", str(args.seed), "--as-of", args.as_of.isoformat(),
    ]  # fmt: skip
    subprocess.run(command, check=True, cwd=ROOT)
    measured: dict[str, Any] = json.loads(result.read_text(encoding="utf-8"))
    measured["bytes"] = sum(p.stat().st_size for p in (out / "transactions").glob("*.parquet"))
    return measured


def _huoke(args: argparse.Namespace) -> dict[str, Any]:
    began = time.perf_counter()
    done = generate_activity(
        args.bank, days=args.days, end=args.as_of - timedelta(days=1), seed=args.seed, out_dir=args.out,
        kinds=("transactions",),
    )  # fmt: skip
    seconds = time.perf_counter() - began
    return {"rows": done.counts["transactions"], "seconds": seconds}


def _floor(args: argparse.Namespace) -> dict[str, Any]:
    """The same rows' shape from random columns, written like huoke writes (schema, zstd, groups, parts)."""
    read = pacsv.ConvertOptions(column_types={"customer_no": pa.string(), "account_no": pa.string()})
    customers = pacsv.read_csv(args.bank / "customers.csv", convert_options=read).column("customer_no")
    accounts = pacsv.read_csv(args.bank / "holdings.csv", convert_options=read).column("account_no")
    customers, accounts = customers.combine_chunks(), accounts.combine_chunks()
    first = (args.as_of - timedelta(days=args.days)).toordinal()
    rng = np.random.default_rng(args.seed)
    began = time.perf_counter()
    with PartWriter(args.out / "transactions", TRANSACTION_SCHEMA, part_rows=PART_ROWS) as out:
        for start in range(0, args.rows, CHUNK_ROWS):
            n = min(CHUNK_ROWS, args.rows - start)
            out.write(_random_table(rng, n, start, customers, accounts, first, args.days))
    return {"rows": args.rows, "seconds": time.perf_counter() - began}


def _random_table(  # noqa: PLR0917 - one chunk's inputs
    rng: np.random.Generator, n: int, start: int, customers: Any, accounts: Any, first_day: int, days: int
) -> pa.Table:
    def pick(values: tuple[str, ...], null_share: float = 0.0) -> Any:
        index = rng.integers(0, len(values), n)
        return lookup(values, np.where(rng.random(n) < null_share, -1, index))

    day = np.sort(first_day + rng.integers(0, days, n))
    arrays = [
        identifiers(np.arange(start, start + n), seed=0, key=1, prefix=b"T"),
        customers.take(pa.array(rng.integers(0, len(customers), n))),
        accounts.take(pa.array(rng.integers(0, len(accounts), n))),
        instants(day, rng.integers(0, 86_400, n)),
        decimals(rng.integers(1, 1_000_000, n)),
        pick(DIRECTIONS),
        pick(TXN_TYPES),
        pick(TXN_CHANNELS),
        pick(MCC_CODES, 0.3),
        pick(MERCHANTS, 0.3),
        pick(("WM-CASH", "FD-BOND", "MG-HOME"), 0.95),
    ]
    return pa.Table.from_arrays(arrays, schema=TRANSACTION_SCHEMA)


def _peak_rss_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        return None
    return None


def _machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pyarrow": pa.__version__,
        "platform": platform.platform(),
        "commit": _git_state(),
    }


def _git_state() -> str | None:
    """The commit measured, "+dirty" when src/ or bench/ differ from it; read-only (no index refresh)."""
    git = shutil.which("git")
    if git is None:
        return None
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    try:
        head, dirty = (
            subprocess.run([git, *cmd], cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout.strip()
            for cmd in (("rev-parse", "--short", "HEAD"), ("status", "--porcelain", "src", "bench"))
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return f"{head}+dirty" if dirty else head


def _render(report: dict[str, Any]) -> None:
    print()
    print("| side | rows | seconds | rows/s | 100M rows at this rate | Parquet MB | peak RSS MB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for side in ("huoke", "floor"):
        r = report[side]
        rate = r["rows"] / r["seconds"]
        print(
            f"| {side} | {r['rows']:,} | {r['seconds']:.1f} | {rate:,.0f} | {HUNDRED_MILLION / rate / 60:.1f} min "
            f"| {r['bytes'] / 1e6:,.0f} | {r['peak_rss_mb']:,.0f} |"
        )
    print(f"\nhuoke / floor: {report['ratio']:.1%} (machine: {report['machine']})")


if __name__ == "__main__":
    raise SystemExit(main())
