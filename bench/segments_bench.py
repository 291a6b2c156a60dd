"""`python -m bench.segments_bench`: ten segment rules, huoke beside hand-written DuckDB SQL, pandas and PostgreSQL.

The lake is huoke's demo bank with a year of its activity, thinned to the asked sizes (``bench.segments_data``);
it is generated once and reused with ``--lake DIR``. PostgreSQL gets the same rows (``bench.segments_pg``). Each
side runs in a child process of its own (``bench.segments_sides``) that stays up for the whole run, so its
peak memory is its own; the parent sends the rules one at a time, side after side (the order rotates from rule
to rule), so load from other work on the shared machine hits every side alike. A side whose first run of a
rule took under ``--fast-seconds`` runs it twice more and its best time counts; slower ones run once. Every
side's member set must equal huoke's: a rule whose sides disagree is reported as a failure.

    .venv/bin/python -m bench.segments_bench --customers 20000 --transactions 2000000 --events 1000000
    .venv/bin/python -m bench.segments_bench --customers 1000000 --transactions 100000000 --events 50000000 \\
        --lake /tmp/segments-lake --json /tmp/segments.json
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
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import duckdb
import pandas as pd  # type: ignore[import-untyped]
import pyarrow as pa
import pyarrow.parquet as pq

from bench import segments_pg
from bench.segments_data import AS_OF, prepare_lake
from bench.segments_rules import RULES
from bench.segments_sides import serve

ROOT = Path(__file__).resolve().parent.parent
GOALS = {"duckdb": 1.25, "pandas": 10.0, "postgres": 5.0, "peak_rss_mb": 8000.0}


def _count(text: str) -> int:
    return int(text.replace("_", ""))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.segments_bench", description=__doc__.splitlines()[0])
    p.add_argument("--customers", type=_count, default=20_000)
    p.add_argument("--transactions", type=_count, default=2_000_000)
    p.add_argument("--events", type=_count, default=1_000_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--lake", type=Path, help="lake directory: reused if it was generated before, else written here")
    p.add_argument("--work-dir", type=Path, help="parent of the run's temporary folder (default: system temp)")
    p.add_argument("--skip-postgres", action="store_true")
    p.add_argument("--skip-pandas", action="store_true")
    p.add_argument("--keep-postgres", action="store_true", help="leave the bench_segments schema for the next run")
    p.add_argument("--rules", help="comma-separated rule names (default: all ten)")
    p.add_argument("--fast-seconds", type=float, default=10.0, help="runs faster than this are repeated (best of 3)")
    p.add_argument("--json", type=Path, help="also write the results as JSON here")
    hidden = argparse.SUPPRESS
    p.add_argument("--side", help=hidden)
    p.add_argument("--out", type=Path, help=hidden)
    return p


def _log(message: str) -> None:
    print(f"[{datetime.now(UTC).strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Side:
    """A side's child process and the answers it gave."""

    def __init__(self, name: str, lake: Path, out: Path) -> None:
        self.name = name
        command = [sys.executable, "-m", "bench.segments_bench", "--side", name, "--lake", str(lake)]
        command += ["--out", str(out)]
        self.process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        started = time.perf_counter()
        self.ready = self._answer()
        self.ready["seconds"] = round(time.perf_counter() - started, 2)
        self.failed: str | None = None

    def _answer(self) -> dict[str, Any]:
        stdout: IO[str] = self.process.stdout  # type: ignore[assignment]
        line = stdout.readline()
        if not line:
            raise RuntimeError(f"side {self.name} stopped (exit code {self.process.wait()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def run(self, rule: str) -> dict[str, Any] | None:
        if self.failed:
            return None
        stdin: IO[str] = self.process.stdin  # type: ignore[assignment]
        try:
            stdin.write(json.dumps({"rule": rule}) + "\n")
            stdin.flush()
            return self._answer()
        except (RuntimeError, BrokenPipeError) as exc:
            self.failed = f"{rule}: {exc}"
            _log(f"side {self.name} failed on {rule}: {exc}")
            return None

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait()


def _time_rule(rule: str, sides: list[Side], fast: float) -> dict[str, dict[str, Any]]:
    """Every side's runs of one rule: one each, then two more for those under ``fast`` seconds."""
    runs: dict[str, list[dict[str, Any]]] = {s.name: [] for s in sides}
    for _round in range(3):
        for side in sides:
            previous = runs[side.name]
            if previous and (previous[0]["seconds"] >= fast or len(previous) == 3):
                continue
            answer = side.run(rule)
            if answer is not None:
                previous.append(answer)
    timed: dict[str, dict[str, Any]] = {}
    for name, answers in runs.items():
        if answers:
            timed[name] = {
                "seconds": min(a["seconds"] for a in answers),
                "runs": [round(a["seconds"], 3) for a in answers],
                "count": answers[0]["count"],
                "peak_rss_mb": max(a["peak_rss_mb"] or 0 for a in answers),
            }
    return timed


def _members(out: Path, side: str, rule: str) -> set[str]:
    return set(pq.read_table(out / side / f"{rule}.parquet").column("one_id").to_pylist())


def _agreement(out: Path, rule: str, timed: dict[str, dict[str, Any]]) -> dict[str, Any]:
    reference = _members(out, "huoke", rule) if "huoke" in timed else set()
    found: dict[str, Any] = {}
    for side in timed:
        if side == "huoke":
            continue
        other = _members(out, side, rule)
        only_huoke, only_side = len(reference - other), len(other - reference)
        found[side] = {"same": other == reference, "only_huoke": only_huoke, "only_side": only_side}
    return found


def _run_rules(args: argparse.Namespace, lake: Path, out: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every rule on every side, and each side's start-up (seconds to open, memory)."""
    names = ["huoke", "duckdb", *([] if args.skip_pandas else ["pandas"])]
    names += [] if args.skip_postgres else ["postgres"]
    sides = []
    for name in names:
        _log(f"starting side {name}")
        sides.append(Side(name, lake, out))
    chosen = set(args.rules.split(",")) if args.rules else None
    results = []
    try:
        for number, rule in enumerate(r for r in RULES if chosen is None or r.name in chosen):
            order = sides[number % len(sides) :] + sides[: number % len(sides)]
            timed = _time_rule(rule.name, order, args.fast_seconds)
            agree = _agreement(out, rule.name, timed)
            results.append({"rule": rule.name, "covers": rule.covers, "sides": timed, "agreement": agree})
            _log(f"{rule.name}: " + ", ".join(f"{k} {v['seconds']:.2f}s/{v['count']}" for k, v in timed.items()))
    finally:
        for side in sides:
            side.close()
    for side in sides:
        if side.failed:
            results.append({"side_failed": side.name, "detail": side.failed})
    return results, {side.name: side.ready for side in sides}


def _commit() -> str | None:
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


def _environment() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "pandas": pd.__version__,
        "pyarrow": pa.__version__,
        "cpus": os.cpu_count(),
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a and b else "—"


def render(report: dict[str, Any]) -> None:
    print(f"\nEvaluation time {report['as_of']}; lake {report['lake']['counts']}")
    print("| rule | members | huoke s | DuckDB SQL s | huoke / DuckDB | pandas s | pandas / huoke "
          "| PostgreSQL s | PostgreSQL / huoke | huoke runs | huoke peak RSS MB | all sides agree |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|")
    for row in report["rules"]:
        if "rule" not in row:
            print(f"| side {row['side_failed']} failed: {row['detail']} |")
            continue
        s = row["sides"]
        t = {name: s.get(name, {}).get("seconds") for name in ("huoke", "duckdb", "pandas", "postgres")}
        agree = all(v["same"] for v in row["agreement"].values())
        h = s.get("huoke", {})
        print(
            f"| {row['rule']} | {h.get('count', '—'):,} | {_fmt(t['huoke'])} | {_fmt(t['duckdb'])} "
            f"| {_ratio(t['huoke'], t['duckdb'])} | {_fmt(t['pandas'])} | {_ratio(t['pandas'], t['huoke'])} "
            f"| {_fmt(t['postgres'])} | {_ratio(t['postgres'], t['huoke'])} | {len(h.get('runs', []))} "
            f"| {h.get('peak_rss_mb', 0):,.0f} | {'yes' if agree else 'NO ' + json.dumps(row['agreement'])} |"
        )


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _bench(args: argparse.Namespace, run_dir: Path) -> dict[str, Any]:
    sizes = {"customers": args.customers, "transactions": args.transactions, "events": args.events}
    lake_root = args.lake or run_dir / "lake"
    lake_root.parent.mkdir(parents=True, exist_ok=True)
    info = prepare_lake(lake_root, run_dir / "generated", sizes, args.seed, _log)
    shutil.rmtree(run_dir / "generated", ignore_errors=True)
    postgres = None
    if not args.skip_postgres:
        expected = {k: v for k, v in info["counts"].items() if k in ("transactions", "events", "customers", "holdings")}
        postgres = segments_pg.load(lake_root, expected, _log)
    at_start = _environment()  # the commit measured is the one in the tree when the sides start
    rules, ready = _run_rules(args, lake_root, run_dir / "members")
    at_end = [round(x, 2) for x in os.getloadavg()]
    return {
        "environment": {**at_start, "ended": datetime.now(UTC).isoformat(timespec="seconds"), "load_at_end": at_end},
        "as_of": AS_OF.isoformat(),
        "lake": {**info, "path": str(lake_root)},
        "postgres": postgres,
        "fast_seconds": args.fast_seconds,
        "side_start": ready,
        "rules": rules,
    }


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.side:
        serve(args.side, args.lake, args.out)
        return 0
    run_dir = Path(tempfile.mkdtemp(prefix="huoke-segments-bench-", dir=args.work_dir))
    try:
        report = _bench(args, run_dir)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
        if not args.skip_postgres and not args.keep_postgres:
            segments_pg.drop()
    render(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
