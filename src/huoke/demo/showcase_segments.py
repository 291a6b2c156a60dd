"""The showcase's tags and segments: compute every tag over the demo bank, save a few PRODUCT.md segments and
refresh them, so the summary shows who marketing would reach."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from huoke.events.lake_service import sync_lake
from huoke.platform.runtime import Runtime
from huoke.platform.work import Subscriptions
from huoke.segments import service as segments
from huoke.segments import tag_service
from huoke.segments.refresh import refresh_segments

# Weekly (Monday 06:00): the journeys showcase runs 90 simulated days, refreshing them as it goes.
SHOWCASE_SCHEDULE = "0 6 * * 1"

# A few scenarios of PRODUCT.md; examples/segments/ has them all, with explanations.
SHOWCASE_SEGMENTS: Mapping[str, dict[str, Any]] = {
    "silver_60_75_deposits": {
        "all": [
            {"attr": "age", "op": "between", "value": [60, 75]},
            {
                "holding": {"product_type": ["demand_deposit", "time_deposit"], "status": "active"},
                "agg": "sum_balance",
                "op": "ge",
                "value": 100000,
            },
        ]
    },
    "active_users": {"tag": "active"},
    "high_spenders": {"tag": "spend_high"},
    "dormant_90_days": {
        "all": [
            {"not": {"event": {"type": "login"}, "window": {"last_days": 90}, "agg": "count", "op": "ge", "value": 1}},
            {"not": {"txn": {}, "window": {"last_days": 90}, "agg": "count", "op": "ge", "value": 1}},
        ]
    },
    "wealth_interest_no_purchase": {
        "did": {"event": {"type": "product_view", "where": {"dwell_seconds": {"op": "ge", "value": 60}}}},
        "window": {"last_days": 7},
        "then_not": {"txn": {"txn_type": "wealth_purchase"}},
        "within_hours": 48,
    },
}


def tag_and_segment(runtime: Runtime, subscriptions: Subscriptions) -> dict[str, Any]:
    """Refresh tags, save the showcase segments (once) and refresh them; counts per tag and per segment."""
    sync_lake(runtime)
    tags = tag_service.refresh_tags(runtime, actor="demo")
    existing = {s["name"] for s in segments.list_segments(runtime)}
    for name, rule in SHOWCASE_SEGMENTS.items():
        if name not in existing:
            segments.create_segment(runtime, name=name, rule=rule, schedule=SHOWCASE_SCHEDULE)
    refreshed = refresh_segments(runtime, subscriptions, names=list(SHOWCASE_SEGMENTS), sync=False)
    return {
        "tags": {"assigned": tags["assigned"], "removed": tags["removed"], "counts": _tag_counts(runtime)},
        "segments": {r["segment"]: r["count"] for r in refreshed},
    }


def _tag_counts(runtime: Runtime) -> dict[str, int]:
    listed = tag_service.list_tags(runtime)
    return {t["name"]: t["holders"] for t in listed["tags"] if t["holders"]}
