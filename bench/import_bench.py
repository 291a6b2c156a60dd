"""`make bench`: huoke's import of customers and holdings against a raw-insert floor, per backend.

One run generates a synthetic bank once (`huoke.demo.generator`), then for each backend (SQLite, PostgreSQL)
imports customers.csv and then holdings.csv into two freshly migrated stores:

* huoke: `import_file` exactly as in production (validation, encryption, blind indexes, ONE_ID, errors file);
* floor: the same CSV rows read with the stdlib csv module and inserted raw into the same tables (SQLite: one
  `executemany` in one transaction; PostgreSQL: `COPY ... FROM STDIN`), transformed only as far as NOT NULL
  columns and foreign keys demand. No validation, no encryption, no identity resolution.

org, staff and products are imported into both stores first, untimed. Every measured import runs in a child
process of its own (`--phase`), which times the import and reports its own peak RSS (VmHWM), so no phase is
charged for another's memory.

    .venv/bin/python -m bench.import_bench --customers 20000 --backends sqlite
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import json
import os
import platform
import pstats
import resource
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from datetime import time as day_time
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from huoke.customers import model
from huoke.customers.import_service import import_file
from huoke.customers.model import STANDARD_CUSTOMER_COLUMNS
from huoke.demo.generator import generate_bank
from huoke.platform import migrate
from huoke.platform.clockstate import set_clock
from huoke.platform.runtime import build_runtime
from huoke.platform.settings import Settings

try:
    import psycopg
except ImportError:  # SQLite-only runs work without the postgres extra
    psycopg = None  # type: ignore[assignment]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_URL_ENVS = ("HUOKE_BENCH_DATABASE_URL", "HUOKE_TEST_DATABASE_URL")
TARGET_ENV = "HUOKE_BENCH_TARGET"  # the child's store URL travels in the environment, not in `ps`
BACKENDS = ("sqlite", "postgres")
MODES = ("huoke", "floor")
MEASURED = ("customers", "holdings")
REFERENCE = ("org", "staff", "products")
GOAL_RATIO = 0.5
GOAL_RSS_MB = 1500.0  # "< 1.5 GB", taken as 1.5 × 10⁹ bytes
SHANGHAI = ZoneInfo("Asia/Shanghai")
PROGRESS_STEPS = 10

# The floor's columns, in the order its row builders yield them.
CUSTOMER_COLUMNS = (
    "one_id",
    "customer_no",
    "status",
    "name_enc",
    "name_masked",
    "gender",
    "birth_date",
    "branch_code",
    "rm_staff_no",
    "opened_at",
    "risk_level",
    "occupation",
    "marital_status",
    "city",
    "phone_enc",
    "phone_masked",
    "email_enc",
    "email_masked",
    "id_card_masked",
    "attributes",
    "row_hash",
    "created_at",
    "updated_at",
)
CUSTOMER_SOURCE = tuple(c for c in model.CUSTOMER_COLUMNS if not c.startswith("wechat_"))
HOLDING_COLUMNS = (
    "account_bidx",
    "account_masked",
    "one_id",
    "customer_no",
    "product_code",
    "product_type",
    "status",
    "opened_at",
    "closed_at",
    "balance_fen",
    "credit_limit_fen",
    "card_level",
    "card_role",
    "approved_at",
    "row_hash",
    "updated_at",
)
HOLDING_SOURCE = model.HOLDING_COLUMNS
FLOOR_COLUMNS = {"customers": CUSTOMER_COLUMNS, "holdings": HOLDING_COLUMNS}


# ---------------------------------------------------------------------------------------------- the CLI


def _backends(value: str) -> tuple[str, ...]:
    chosen = tuple(b.strip() for b in value.split(",") if b.strip())
    unknown = [b for b in chosen if b not in BACKENDS]
    if not chosen or unknown:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(BACKENDS)} (comma-separated)")
    return chosen


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.import_bench",
        description="Import customers + holdings through huoke and through a raw-insert floor; "
        "report rows/s, the ratio to the floor and peak RSS per phase and backend.",
    )
    p.add_argument("--customers", type=int, default=1_000_000, help="customers to generate (default 1e6)")
    p.add_argument(
        "--backends",
        type=_backends,
        default=BACKENDS,
        help="comma-separated: sqlite,postgres (default both). PostgreSQL: $HUOKE_BENCH_DATABASE_URL, "
        f"else $HUOKE_TEST_DATABASE_URL, else {DEFAULT_PG_URL}",
    )
    p.add_argument("--workdir", type=Path, help="parent folder of the run's temp dir (default: system temp)")
    p.add_argument("--keep", action="store_true", help="keep the run's temp dir (CSV files, SQLite stores)")
    p.add_argument("--json", type=Path, dest="json_out", metavar="OUT", help="write the results as JSON")
    p.add_argument("--seed", type=int, default=7, help="generator seed (default 7)")
    p.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 24), help="business date of the bank")
    p.add_argument("--chunk-size", type=int, help="HUOKE import_chunk_size (default: huoke's default)")
    p.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="run huoke's imports under cProfile, save DIR/<backend>-<kind>.prof and print the hotspots "
        "(slows huoke down: do not use such a run's ratios)",
    )
    # one phase, in a child process
    hidden = argparse.SUPPRESS
    p.add_argument("--phase", choices=("prepare", *MODES), help=hidden)
    p.add_argument("--backend", choices=BACKENDS, help=hidden)
    p.add_argument("--data-dir", type=Path, help=hidden)
    p.add_argument("--files", type=Path, help=hidden)
    p.add_argument("--kind", help=hidden)
    p.add_argument("--result", type=Path, help=hidden)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.phase:
        _run_phase(args)
        return 0
    if args.customers < 1:
        raise SystemExit("--customers must be at least 1")
    return _bench(args)


# ----------------------------------------------------------------------------------------- the parent


class _Log:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __call__(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.start:8.1f}s] {message}", flush=True)


def _pg_base_url() -> str:
    return next((os.environ[e] for e in PG_URL_ENVS if os.environ.get(e)), DEFAULT_PG_URL)


def _bench(args: argparse.Namespace) -> int:
    log = _Log()
    command = shlex.join([sys.executable, "-m", "bench.import_bench", *sys.argv[1:]])
    log(f"command: {command}")
    pg_url = _pg_base_url() if "postgres" in args.backends else None
    machine = _machine(pg_url)
    log(f"machine: {json.dumps(machine, ensure_ascii=False)}")
    run_dir = Path(tempfile.mkdtemp(prefix="huoke-bench-", dir=args.workdir))
    log(f"run dir: {run_dir}{' (kept)' if args.keep else ' (removed afterwards)'}")
    try:
        report = _measure(args, run_dir, pg_url, log)
    finally:
        if not args.keep:
            shutil.rmtree(run_dir, ignore_errors=True)
    report |= {"command": command, "started_at": machine.pop("started_at"), "machine": machine}
    _render(report)
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        log(f"results written to {args.json_out}")
    return 0


def _measure(args: argparse.Namespace, run_dir: Path, pg_url: str | None, log: _Log) -> dict[str, Any]:
    files = run_dir / "files"
    log(f"generating {args.customers:,} customers (seed {args.seed}, as of {args.as_of})")
    started = time.perf_counter()
    bank = generate_bank(files, customers=args.customers, seed=args.seed, as_of=args.as_of)
    generated = time.perf_counter() - started
    log(f"generated in {generated:.1f}s: {bank.counts}")
    rows: list[dict[str, Any]] = []
    for backend in args.backends:
        phases = _bench_backend(backend, args, run_dir, pg_url, log)
        rows.extend(_compare(backend, phases, bank.counts))
    return {
        "customers": args.customers,
        "seed": args.seed,
        "as_of": args.as_of.isoformat(),
        "chunk_size": args.chunk_size or Settings.model_fields["import_chunk_size"].default,
        "profiled": bool(args.profile),
        "generated_counts": bank.counts,
        "generate_seconds": round(generated, 2),
        "results": rows,
        "goals": _verdicts(rows),
    }


def _bench_backend(
    backend: str, args: argparse.Namespace, run_dir: Path, pg_url: str | None, log: _Log
) -> dict[tuple[str, str], dict[str, Any]]:
    results: dict[tuple[str, str], dict[str, Any]] = {}
    with _stores(backend, pg_url, log) as targets:
        for mode in MODES:
            log(f"{backend}/{mode}: migrating a fresh store, importing {', '.join(REFERENCE)} (untimed)")
            _child(args, run_dir, backend, phase="prepare", mode=mode, target=targets[mode], kind="reference")
        for kind in MEASURED:  # huoke and floor alternate, so drift on a noisy machine hits both
            for mode in MODES:
                log(f"{backend}/{mode}: importing {kind}")
                out = _child(args, run_dir, backend, phase=mode, mode=mode, target=targets[mode], kind=kind)
                log(
                    f"{backend}/{mode}/{kind}: {out['seconds']:.1f}s, {out['rows_in_table']:,} rows in table, "
                    f"peak RSS {out['peak_rss_kb'] / 1024:.0f} MiB"
                )
                results[(kind, mode)] = out
    return results


@contextmanager
def _stores(backend: str, pg_url: str | None, log: _Log) -> Iterator[dict[str, str]]:
    """mode → store URL ("" for SQLite, whose store is the data dir's huoke.db); drops PG schemas after."""
    if backend == "sqlite":
        yield dict.fromkeys(MODES, "")
        return
    assert pg_url is not None  # noqa: S101 - _bench resolved it when postgres was chosen
    stem = f"bench_{uuid.uuid4().hex[:10]}"
    schemas = {mode: f"{stem}_{mode}" for mode in MODES}
    admin = create_engine(pg_url)
    try:
        with admin.begin() as conn:
            for schema in schemas.values():
                conn.execute(text(f"CREATE SCHEMA {schema}"))
        log(f"postgres schemas: {', '.join(schemas.values())}")
        yield {
            mode: make_url(pg_url)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
            for mode, schema in schemas.items()
        }
    finally:
        with admin.begin() as conn:
            for schema in schemas.values():
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()
        log(f"postgres schemas dropped: {', '.join(schemas.values())}")


def _child(
    args: argparse.Namespace, run_dir: Path, backend: str, *, phase: str, mode: str, target: str, kind: str
) -> dict[str, Any]:
    result = run_dir / "results" / f"{backend}-{mode}-{phase}-{kind}.json"
    result.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "bench.import_bench",
        *("--phase", phase, "--backend", backend, "--kind", kind),
        *("--data-dir", str(run_dir / f"{backend}-{mode}"), "--files", str(run_dir / "files")),
        *("--result", str(result), "--as-of", args.as_of.isoformat()),
    ]
    if args.chunk_size:
        cmd += ["--chunk-size", str(args.chunk_size)]
    if args.profile and phase == "huoke":
        cmd += ["--profile", str(args.profile.resolve())]
    subprocess.run(cmd, cwd=ROOT, check=True, env={**os.environ, TARGET_ENV: target})
    return json.loads(result.read_text(encoding="utf-8"))


def _compare(
    backend: str, phases: dict[tuple[str, str], dict[str, Any]], counts: dict[str, int]
) -> list[dict[str, Any]]:
    rows = []
    for kind in MEASURED:
        huoke, floor = phases[(kind, "huoke")], phases[(kind, "floor")]
        rows.append(_row(backend, kind, counts[kind], huoke, floor))
    total = sum(counts[k] for k in MEASURED)
    rows.append(
        _row(
            backend,
            "customers+holdings",
            total,
            _combined([phases[(k, "huoke")] for k in MEASURED]),
            _combined([phases[(k, "floor")] for k in MEASURED]),
        )
    )
    return rows


def _combined(parts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "seconds": sum(p["seconds"] for p in parts),
        "peak_rss_kb": max(p["peak_rss_kb"] for p in parts),
        "rows_in_table": sum(p["rows_in_table"] for p in parts),
    }


def _row(backend: str, table: str, rows: int, huoke: dict[str, Any], floor: dict[str, Any]) -> dict[str, Any]:
    huoke_rate, floor_rate = rows / huoke["seconds"], rows / floor["seconds"]
    return {
        "backend": backend,
        "table": table,
        "rows": rows,
        "huoke_seconds": round(huoke["seconds"], 2),
        "huoke_rows_per_s": round(huoke_rate),
        "huoke_peak_rss_mb": round(huoke["peak_rss_kb"] * 1024 / 1e6),
        "huoke_rows_in_table": huoke["rows_in_table"],
        "huoke_summary": huoke.get("summary"),
        "floor_seconds": round(floor["seconds"], 2),
        "floor_rows_per_s": round(floor_rate),
        "floor_peak_rss_mb": round(floor["peak_rss_kb"] * 1024 / 1e6),
        "floor_rows_in_table": floor["rows_in_table"],
        "ratio": round(huoke_rate / floor_rate, 4),
    }


def _verdicts(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    verdicts = {}
    for r in rows:
        if r["table"] != "customers+holdings":
            continue
        verdicts[r["backend"]] = {
            "ratio": r["ratio"],
            "ratio_goal_met": r["ratio"] >= GOAL_RATIO,
            "huoke_peak_rss_mb": r["huoke_peak_rss_mb"],
            "rss_goal_met": r["huoke_peak_rss_mb"] < GOAL_RSS_MB,
        }
    return verdicts


def _render(report: dict[str, Any]) -> None:
    console = Console(width=None if sys.stdout.isatty() else 160)
    table = Table(title=f"huoke import vs raw-insert floor · {report['customers']:,} customers generated")
    for column in ("backend", "table", "rows", "huoke s", "huoke rows/s", "floor s", "floor rows/s"):
        table.add_column(column, justify="left" if column in ("backend", "table") else "right")
    for column in ("huoke/floor", "huoke peak RSS", "floor peak RSS"):
        table.add_column(column, justify="right")
    for r in report["results"]:
        table.add_row(
            r["backend"],
            r["table"],
            f"{r['rows']:,}",
            f"{r['huoke_seconds']:,.1f}",
            f"{r['huoke_rows_per_s']:,}",
            f"{r['floor_seconds']:,.1f}",
            f"{r['floor_rows_per_s']:,}",
            f"{r['ratio']:.1%}",
            f"{r['huoke_peak_rss_mb']:,} MB",
            f"{r['floor_peak_rss_mb']:,} MB",
        )
    console.print(table)
    for backend, v in report["goals"].items():
        console.print(
            f"{backend}: huoke/floor {v['ratio']:.1%} (goal ≥ {GOAL_RATIO:.0%}: "
            f"{'met' if v['ratio_goal_met'] else 'NOT met'}); huoke peak RSS {v['huoke_peak_rss_mb']:,} MB "
            f"(goal < {GOAL_RSS_MB:,.0f} MB: {'met' if v['rss_goal_met'] else 'NOT met'})"
        )
    mismatched = [r for r in report["results"] if r["huoke_rows_in_table"] != r["floor_rows_in_table"]]
    for r in mismatched:
        console.print(
            f"[bold red]{r['backend']}/{r['table']}: huoke stored {r['huoke_rows_in_table']:,} rows, "
            f"the floor {r['floor_rows_in_table']:,}[/]"
        )
    console.print(f"command: {report['command']}")


def _machine(pg_url: str | None) -> dict[str, Any]:
    info: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "cpu": _proc_field("/proc/cpuinfo", "model name"),
        "cpus": os.cpu_count(),
        "memory": _proc_field("/proc/meminfo", "MemTotal"),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "git": _git_state(),
    }
    if pg_url:
        engine = create_engine(pg_url)
        try:
            with engine.connect() as conn:
                info["postgres"] = conn.execute(text("SHOW server_version")).scalar_one()
        except Exception as exc:  # any driver error: say where, then stop
            raise SystemExit(f"PostgreSQL at {make_url(pg_url).render_as_string()} is unreachable: {exc}") from exc
        finally:
            engine.dispose()
        info["postgres_url"] = make_url(pg_url).render_as_string()
    return info


def _git_state() -> str | None:
    """The commit measured, "+dirty" when tracked files differ from it; read-only (no index refresh)."""
    git = shutil.which("git")
    if git is None:
        return None
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    try:
        head, dirty = (
            subprocess.run([git, *cmd], cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout.strip()
            for cmd in (("rev-parse", "--short", "HEAD"), ("status", "--porcelain", "--untracked-files=no"))
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return f"{head}+dirty" if dirty else head


def _proc_field(path: str, name: str) -> str | None:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith(name)), None)


# ------------------------------------------------------------------------------------------ the phases


def _run_phase(args: argparse.Namespace) -> None:
    handlers: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
        "prepare": _prepare,
        "huoke": _huoke,
        "floor": _floor,
    }
    out = handlers[args.phase](args)
    out |= {
        "phase": args.phase,
        "backend": args.backend,
        "kind": args.kind,
        "peak_rss_kb": _status_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "ru_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    args.result.write_text(json.dumps(out), encoding="utf-8")


def _status_kb(field: str) -> int | None:
    """A kB figure of /proc/self/status (VmHWM: peak RSS of this process image, VmRSS: RSS now)."""
    value = _proc_field("/proc/self/status", f"{field}:")
    return int(value.split()[0]) if value else None


def _target(args: argparse.Namespace) -> str | None:
    return os.environ.get(TARGET_ENV) or None


def _settings(args: argparse.Namespace) -> Settings:
    extra = {"import_chunk_size": args.chunk_size} if args.chunk_size else {}
    return Settings(data_dir=args.data_dir, database_url=_target(args), profile="dev", **extra)


def _prepare(args: argparse.Namespace) -> dict[str, Any]:
    runtime = build_runtime(_settings(args))
    try:
        migrate.upgrade(runtime.engine)
        with runtime.uow() as uow:
            set_clock(uow.session, "simulated", datetime.combine(args.as_of, day_time(9), tzinfo=SHANGHAI))
            uow.commit()
        accepted = {
            kind: import_file(runtime, kind=kind, path=args.files / f"{kind}.csv", actor="bench").accepted
            for kind in REFERENCE
        }
    finally:
        runtime.close()
    return {"accepted": accepted}


class _Ticker:
    """Prints about every tenth of the file, so a long run shows it is alive."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.start = time.perf_counter()
        self.next = 1

    def __call__(self, done: int, total: int) -> None:
        if total and done * PROGRESS_STEPS >= self.next * total:
            self.next = done * PROGRESS_STEPS // total + 1
            print(
                f"    {self.label}: {done / total:4.0%} after {time.perf_counter() - self.start:7.1f}s, "
                f"RSS {(_status_kb('VmRSS') or 0) / 1024:,.0f} MiB",
                flush=True,
            )


def _huoke(args: argparse.Namespace) -> dict[str, Any]:
    runtime = build_runtime(_settings(args))
    ticker = _Ticker(f"huoke {args.backend} {args.kind}")
    profiler = cProfile.Profile() if args.profile else None
    rss_before = _status_kb("VmRSS")
    try:
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        summary = import_file(
            runtime, kind=args.kind, path=args.files / f"{args.kind}.csv", actor="bench", progress=ticker
        )
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - started
        with runtime.engine.connect() as conn:
            in_table = conn.execute(text(f"SELECT count(*) FROM {args.kind}")).scalar_one()
    finally:
        runtime.close()
    if profiler:
        _report_profile(profiler, args.profile / f"{args.backend}-{args.kind}.prof")
    return {"seconds": seconds, "summary": summary.as_dict(), "rows_in_table": in_table, "rss_before_kb": rss_before}


def _report_profile(profiler: cProfile.Profile, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(out)
    stats = pstats.Stats(str(out), stream=sys.stdout)
    print(f"=== profile {out} ===", flush=True)
    stats.strip_dirs().sort_stats("tottime").print_stats(15)
    stats.sort_stats("cumulative").print_stats(30)
    sys.stdout.flush()


def _floor(args: argparse.Namespace) -> dict[str, Any]:
    path = args.files / f"{args.kind}.csv"
    rss_before = _status_kb("VmRSS")
    if args.backend == "sqlite":
        seconds, in_table = _floor_sqlite(args.data_dir / "huoke.db", args.kind, path)
    else:
        seconds, in_table = _floor_postgres(_target(args) or DEFAULT_PG_URL, args.kind, path)
    print(f"    floor {args.backend} {args.kind}: {in_table:,} rows in {seconds:.1f}s", flush=True)
    return {"seconds": seconds, "rows_in_table": in_table, "rss_before_kb": rss_before}


def _floor_sqlite(db: Path, kind: str, path: Path) -> tuple[float, int]:
    """One executemany in one transaction, with huoke's PRAGMAs."""
    conn = sqlite3.connect(db, isolation_level=None, timeout=30)
    try:
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            conn.execute(f"PRAGMA {pragma}")
        # customer_no → one_id, for the holdings' foreign key: loaded before the clock starts
        one_ids = dict(conn.execute("SELECT customer_no, one_id FROM customers")) if kind == "holdings" else {}
        columns = FLOOR_COLUMNS[kind]
        sql = f"INSERT INTO {kind} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLAlchemy stores it on SQLite
        started = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(sql, _floor_rows(kind, path, now, one_ids))
        conn.execute("COMMIT")
        seconds = time.perf_counter() - started
        in_table = conn.execute(f"SELECT count(*) FROM {kind}").fetchone()[0]
    finally:
        conn.close()
    return seconds, in_table


def _pg_connect_kwargs(url: str) -> dict[str, Any]:
    u = make_url(url)
    kwargs = {"host": u.host, "port": u.port, "user": u.username, "password": u.password, "dbname": u.database}
    kwargs |= dict(u.query)  # options=-csearch_path=<schema>
    return {k: v for k, v in kwargs.items() if v is not None}


def _floor_postgres(url: str, kind: str, path: Path) -> tuple[float, int]:
    """COPY FROM STDIN with write_row, in one transaction."""
    if psycopg is None:
        raise SystemExit("the PostgreSQL floor needs psycopg: pip install -e '.[postgres]'")
    with psycopg.connect(**_pg_connect_kwargs(url)) as conn:
        one_ids = dict(conn.execute("SELECT customer_no, one_id FROM customers")) if kind == "holdings" else {}
        conn.commit()
        now = datetime.now(UTC)
        started = time.perf_counter()
        with conn.cursor() as cur, cur.copy(f"COPY {kind} ({', '.join(FLOOR_COLUMNS[kind])}) FROM STDIN") as copy:
            for row in _floor_rows(kind, path, now, one_ids):
                copy.write_row(row)
        conn.commit()
        seconds = time.perf_counter() - started
        row = conn.execute(f"SELECT count(*) FROM {kind}").fetchone()
    return seconds, row[0] if row else 0


def _floor_rows(kind: str, path: Path, now: object, one_ids: dict[str, str]) -> Iterator[tuple[Any, ...]]:
    if kind == "customers":
        return _customer_rows(path, now)
    return _holding_rows(path, now, one_ids)


def _reader(path: Path, source: tuple[str, ...]) -> Iterator[tuple[list[str], list[int], dict[str, int]]]:
    """(row, indexes of `source` columns, every column → index) per data row of a CSV file."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        at = {column: i for i, column in enumerate(next(reader))}
        wanted = [at[column] for column in source]
        for row in reader:
            yield row, wanted, at


def _customer_rows(path: Path, now: object) -> Iterator[tuple[Any, ...]]:
    """The raw row; PII copied as is into the _enc/_masked columns; custom columns as the JSON attributes."""
    extra: list[tuple[str, int]] | None = None
    for row, wanted, at in _reader(path, CUSTOMER_SOURCE):
        if extra is None:
            extra = [(c, i) for c, i in at.items() if c not in STANDARD_CUSTOMER_COLUMNS]
        no, name, gender, birth, phone, email, id_card, branch, rm, opened, risk, job, marital, city = (
            row[i] or None for i in wanted
        )
        attributes = json.dumps({c: row[i] for c, i in extra if row[i]}, ensure_ascii=False)
        yield (
            *(uuid.uuid4().hex, no, "active", name, name, gender, birth, branch, rm, opened, risk, job),
            *(marital, city, phone, phone, email, email, id_card, attributes, "", now, now),
        )


def _fen(amount: str) -> int:
    return int(Decimal(amount) * 100)


def _holding_rows(path: Path, now: object, one_ids: dict[str, str]) -> Iterator[tuple[Any, ...]]:
    """The raw row; the account number stands in for its blind index and mask, amounts in fen."""
    for row, wanted, _ in _reader(path, HOLDING_SOURCE):
        account, customer, product, ptype, status, opened, closed, balance, limit, level, role, approved = (
            row[i] for i in wanted
        )
        yield (
            *(account, account, one_ids[customer], customer, product, ptype, status),
            *(opened or None, closed or None, _fen(balance) if balance else 0, _fen(limit) if limit else None),
            *(level or None, role or None, approved or None, "", now),
        )


if __name__ == "__main__":
    sys.exit(main())
