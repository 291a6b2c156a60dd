"""One side of the segments benchmark, run as a child process that answers rule requests on stdin.

Each request is a JSON line ``{"rule": NAME}``; the side evaluates the rule once, writes the member one_ids
(sorted) to ``<out>/<side>/<rule>.parquet`` and answers with ``{"rule", "seconds", "count", "peak_rss_mb"}``
on stdout. The timer covers the whole path from the rule to the member ids in memory; writing the file is
not timed. ``peak_rss_mb`` is the process's peak resident memory during that request (VmHWM, reset before
each request where the kernel allows it) — so each side's memory is its own, never another side's.

* ``huoke``: ``parse_rule`` → ``normalise`` → ``compile_rule`` over ``Tables.from_engine`` → the member table
  as Arrow, on the engine ``open_engine`` builds over the lake (opened once, before any request).
* ``duckdb``: the hand SQL on a DuckDB connection with one view per lake table over the same live files.
* ``pandas``: the rule in pandas (``bench.segments_pandas``).
* ``postgres``: the hand SQL on PostgreSQL (``bench.segments_pg``), rows fetched to Python.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from bench.segments_data import AS_OF, ZONE
from bench.segments_rules import BY_NAME

Runner = Callable[[str], list[str] | set[str] | pa.Array]


# Each side imports its own libraries when it starts, so a side's memory holds only what it uses.
# ruff: noqa: PLC0415


def _huoke(lake_root: Path) -> Runner:
    from huoke.platform.lake import Lake
    from huoke.platform.query import open_engine
    from huoke.platform.settings import Settings
    from huoke.segments.compile import compile_rule
    from huoke.segments.compile_tables import Tables
    from huoke.segments.dsl import parse_rule
    from huoke.segments.normalise import normalise

    settings = Settings(profile="dev", data_dir=lake_root.parent)
    engine = open_engine(settings, Lake(lake_root, ZONE))

    def run(name: str) -> pa.Array:
        members = compile_rule(normalise(parse_rule(BY_NAME[name].dsl)), Tables.from_engine(engine), AS_OF, ZONE)
        return engine.backend.to_pyarrow(members).column("one_id")

    return run


def duckdb_views(lake_root: Path) -> Any:
    """A DuckDB connection with a view per lake table over its live files (dated tables with ``date``)."""
    import duckdb

    from huoke.platform.lake import Lake

    lake = Lake(lake_root, ZONE)
    connection = duckdb.connect()
    for name in ("transactions", "events"):
        files = ", ".join(_quoted(f.path) for f in lake.files(name))
        connection.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet([{files}], hive_partitioning = true)")
    for name in ("customers", "holdings", "org_units"):
        connection.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet({_quoted(lake.snapshot_path(name))})")
    return connection


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _duckdb(lake_root: Path) -> Runner:
    connection = duckdb_views(lake_root)

    def run(name: str) -> pa.Array:
        return connection.sql(BY_NAME[name].sql).to_arrow_table().column(0)

    return run


def _pandas(lake_root: Path) -> Runner:
    from bench.segments_pandas import PANDAS_RULES, PandasLake

    lake = PandasLake(lake_root)
    return lambda name: PANDAS_RULES[name](lake)


def _postgres(_lake_root: Path) -> Runner:
    from bench.segments_pg import connect

    connection = connect()

    def run(name: str) -> list[str]:
        return [row[0] for row in connection.execute(BY_NAME[name].sql).fetchall()]

    return run


SIDES: dict[str, Callable[[Path], Runner]] = {
    "huoke": _huoke,
    "duckdb": _duckdb,
    "pandas": _pandas,
    "postgres": _postgres,
}


def _reset_peak() -> None:
    with contextlib.suppress(OSError):  # resets VmHWM (Linux); elsewhere the peak is the process's so far
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")


def peak_rss_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def serve(side: str, lake_root: Path, out: Path) -> None:
    """Answer rule requests from stdin until it closes."""
    runner = SIDES[side](lake_root)
    folder = out / side
    folder.mkdir(parents=True, exist_ok=True)
    print(json.dumps({"ready": side, "peak_rss_mb": peak_rss_mb()}), flush=True)
    for line in sys.stdin:
        name = json.loads(line)["rule"]
        _reset_peak()
        started = time.perf_counter()
        members = runner(name)
        seconds = time.perf_counter() - started
        ids = pa.array(sorted(str(x) for x in (members.to_pylist() if isinstance(members, pa.Array) else members)))
        pq.write_table(pa.table({"one_id": ids}), folder / f"{name}.parquet")
        answer = {"rule": name, "seconds": seconds, "count": len(ids), "peak_rss_mb": peak_rss_mb()}
        print(json.dumps(answer), flush=True)
