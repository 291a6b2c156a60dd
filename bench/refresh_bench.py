"""`python -m bench.refresh_bench --lake DIR`: refreshing 100 saved segments, beside the hand-written floor.

The lake is the segments benchmark's (``python -m bench.segments_bench`` writes and caches it; ``--lake``
reuses one). The ten benchmark rules (``bench.segments_rules``) are saved ten times each as 100 segments in a
fresh store (SQLite by default, PostgreSQL with ``--database-url``). In the same run:

* **huoke**: ``refresh_segments`` of all 100, three times: the first refresh (every member enters, so it writes
  every membership row and, with a subscriber, every `segment.entered` message), a second at the same
  evaluation time (nothing changes: evaluate + diff), and a third a day later (a day's changes). One
  ``journeys`` subscriber receives the messages, as journeys will. ``sync`` is off: the lake is the bench's.
* **floor**: the same 100 rules as the hand-written DuckDB SQL over the same lake files, each result
  materialised as Arrow; no store, no diff, no messages.

Each side runs in its own child process so its peak RSS is its own.

    .venv/bin/python -m bench.refresh_bench --lake /tmp/segbench/lake --segments 100
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from queue import Empty
from typing import Any

from bench.segments_data import AS_OF, ZONE
from bench.segments_rules import RULES

# ruff: noqa: PLC0415  - each child imports what it uses


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _huoke(lake: str, segments: int, database_url: str | None, out: Any) -> None:
    from sqlalchemy.orm import Session

    from huoke.platform import migrate
    from huoke.platform.clockstate import set_clock
    from huoke.platform.runtime import build_runtime
    from huoke.platform.settings import Settings
    from huoke.platform.work import Subscriber, Subscriptions, WorkItem
    from huoke.segments import service
    from huoke.segments.membership import ENTERED, EXITED
    from huoke.segments.refresh import refresh_segments

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(profile="dev", data_dir=Path(folder), lake_url=lake, database_url=database_url)  # type: ignore[call-arg]
        runtime = build_runtime(settings)
        migrate.upgrade(runtime.engine)
        with runtime.uow() as uow:
            set_clock(uow.session, "simulated", AS_OF + timedelta(days=2))
            uow.commit()
        for index in range(segments):
            rule = RULES[index % len(RULES)]
            service.create_segment(runtime, name=f"{rule.name}_{index // len(RULES)}", rule=rule.dsl)

        def journeys(_session: Session, _item: WorkItem, _now: Any) -> None:
            return None

        subscriptions = Subscriptions([Subscriber("bench.journeys", frozenset({ENTERED, EXITED}), journeys)])
        timings = {}
        for label, as_of in (("first", AS_OF), ("unchanged", AS_OF), ("next_day", AS_OF + timedelta(days=1))):
            started = time.perf_counter()
            results = refresh_segments(runtime, subscriptions, as_of=as_of, sync=False)
            timings[label] = {
                "seconds": time.perf_counter() - started,
                "members": sum(r["count"] for r in results),
                "entered": sum(r["entered"] for r in results),
                "exited": sum(r["exited"] for r in results),
            }
        runtime.close()
    out.put({"timings": timings, "peak_rss_mb": _peak_mb()})


def _floor(lake: str, segments: int, out: Any) -> None:
    from bench.segments_sides import duckdb_views

    connection = duckdb_views(Path(lake))
    started = time.perf_counter()
    members = 0
    for index in range(segments):
        result = connection.execute(RULES[index % len(RULES)].sql)
        table = result.to_arrow_table() if hasattr(result, "to_arrow_table") else result.fetch_arrow_table()
        members += table.num_rows
    out.put({"seconds": time.perf_counter() - started, "members": members, "peak_rss_mb": _peak_mb()})


def _child(target: Any, *args: Any) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    while True:
        try:
            result: dict[str, Any] = queue.get(timeout=5)
        except Empty:
            if process.exitcode is not None:
                raise SystemExit(
                    f"{target.__name__} failed (exit code {process.exitcode}); see its error above"
                ) from None
            continue
        process.join()
        return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lake", required=True, help="a lake written by bench.segments_bench")
    parser.add_argument("--segments", type=int, default=100)
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL for the store (default SQLite)")
    parser.add_argument("--json", type=Path, default=None, help="also write the report here")
    args = parser.parse_args(argv)
    floor = _child(_floor, args.lake, args.segments)
    huoke = _child(_huoke, args.lake, args.segments, args.database_url)
    report = {"segments": args.segments, "store": "postgres" if args.database_url else "sqlite",
              "as_of": AS_OF.astimezone(ZONE).isoformat(), "floor": floor, "huoke": huoke}  # fmt: skip
    for label, timing in huoke["timings"].items():
        ratio = timing["seconds"] / floor["seconds"]
        print(f"{label:>10}: huoke {timing['seconds']:7.1f} s  floor {floor['seconds']:7.1f} s  ratio {ratio:5.2f}x  "
              f"members {timing['members']:,} entered {timing['entered']:,} exited {timing['exited']:,}")  # fmt: skip
    same = huoke["timings"]["unchanged"]["members"] == floor["members"]
    print(f"members: floor {floor['members']:,} — {'the same as' if same else 'DIFFERENT from'} huoke's")
    print(f"peak RSS: huoke {huoke['peak_rss_mb']:.0f} MB, floor {floor['peak_rss_mb']:.0f} MB")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
