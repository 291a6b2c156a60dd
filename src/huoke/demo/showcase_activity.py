"""The showcase's activity: D days of generated transactions and app events loaded into the lake as history,
the store snapshots exported beside them, and a few figures computed over the lake with the query engine."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import ibis  # type: ignore[import-untyped]
import pyarrow.parquet as pq

from huoke.demo.activity import ActivityFiles, generate_activity
from huoke.demo.generator import GeneratedBank
from huoke.events import lake_service
from huoke.events.files import errors_file_path
from huoke.platform.console import progress_bar
from huoke.platform.query import open_engine
from huoke.platform.runtime import Runtime

ACTIVE_DAYS = 30


def load_activity(
    runtime: Runtime, bank: GeneratedBank, *, days: int, end: date, seed: int, quiet: bool
) -> dict[str, Any]:
    """Generate, load and summarise the activity; returns the figures the showcase prints."""
    with progress_bar("generate activity", 2_000, enabled=not quiet) as advance:
        files = generate_activity(
            bank, days=days, end=end, seed=seed, out_dir=bank.out_dir,
            progress=lambda kind, _rows, share: advance(int((kind == "events") * 1_000 + share * 1_000)),
        )  # fmt: skip
    loads = {}
    for kind in ("transactions", "events"):
        errors = errors_file_path(runtime.settings.data_dir, kind, files.files[kind], runtime.now())
        with progress_bar(f"load {kind} history", files.counts[kind], enabled=not quiet) as advance:
            summary = lake_service.history_load(
                runtime, kind=kind, path=files.files[kind], errors_path=errors, progress=advance
            )
        loads[kind] = summary.as_dict()
    lake_service.sync_lake(runtime)
    lake_service.compact_lake(runtime)
    return {
        "window": [files.first_day.isoformat(), files.last_day.isoformat()],
        "loads": loads,
        **_figures(runtime, files),
    }


def _figures(runtime: Runtime, files: ActivityFiles) -> dict[str, Any]:
    engine = open_engine(runtime.settings)
    try:
        txns, events = engine.table("transactions"), engine.table("events")
        since = files.last_day - timedelta(days=ACTIVE_DAYS - 1)
        recent_txn = txns.filter(txns.occurred_at.date() >= since).select("one_id")
        recent_evt = events.filter(events.occurred_at.date() >= since).select("one_id")
        active = ibis.union(recent_txn, recent_evt, distinct=True).count().to_pyarrow().as_py()
        spend = txns.filter((txns.txn_type == "card_spend") & (txns.direction == "debit"))
        by_type = txns.group_by("txn_type").aggregate(rows=txns.count()).order_by(ibis.desc("rows")).to_pyarrow()
        top_events = events.group_by("type").aggregate(rows=events.count()).order_by(ibis.desc("rows")).limit(6)
        figures = {
            "transactions": txns.count().to_pyarrow().as_py(),
            "events": events.count().to_pyarrow().as_py(),
            "card_spend_yuan": round((spend.amount_fen.sum().to_pyarrow().as_py() or 0) / 100),
            f"active_customers_{ACTIVE_DAYS}d": active,
            "transactions_by_type": dict(
                zip(by_type["txn_type"].to_pylist(), by_type["rows"].to_pylist(), strict=True)
            ),
            "events_by_type": {r["type"]: r["rows"] for r in top_events.to_pyarrow().to_pylist()},
        }
    finally:
        engine.close()
    stages = pq.read_table(files.files["lifecycle"], columns=["stage"]).column("stage").value_counts().to_pylist()
    figures["lifecycle_stages"] = {s["values"]: s["counts"] for s in stages}
    return figures
