"""Operator use cases on the work queue: its status, re-queueing parked items, purging done ones."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, tzinfo
from typing import Any

from huoke.platform import work_store as store
from huoke.platform.errors import InvalidInput, NotFound
from huoke.platform.runtime import Runtime
from huoke.platform.work import Subscriptions

STATES = ("ready", "due", "in_flight", "done", "parked")
PARKED_SHOWN = 100


def queue_status(runtime: Runtime, subscriptions: Subscriptions, *, parked_limit: int = PARKED_SHOWN) -> dict[str, Any]:
    """Counts per subscriber (ready, of which due and in flight; done; parked), the oldest due item, parked items.

    ``ready`` counts every item waiting to be delivered; ``due`` those of them whose time has come and that no
    worker holds; ``in_flight`` those leased to a worker right now.
    """
    zone = runtime.settings.zone
    with runtime.uow() as uow:
        now = runtime.now()
        groups = store.counts(uow.session, now=now)
        oldest = store.oldest_due(uow.session, now=now)
        parked = [_parked(row, zone) for row in store.parked_items(uow.session, limit=parked_limit)]
    per_subscriber = _tally(groups, [s.name for s in subscriptions])
    totals = {state: sum(c[state] for c in per_subscriber.values()) for state in STATES}
    return {
        "now": now.astimezone(zone).isoformat(),
        "subscribers": {
            name: {**c, "registered": subscriptions.get(name) is not None} for name, c in per_subscriber.items()
        },
        "totals": totals,
        "oldest_due_at": oldest.astimezone(zone).isoformat() if oldest else None,
        "oldest_due_age_seconds": (now - oldest).total_seconds() if oldest else None,
        "parked": parked,
    }


def _parked(row: store.WorkItemRow, zone: tzinfo) -> dict[str, Any]:
    return {
        "id": row.id,
        "subscriber": row.subscriber,
        "topic": row.topic,
        "key": row.key,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "parked_at": row.finished_at.astimezone(zone).isoformat() if row.finished_at else None,
    }


def _tally(groups: list[tuple[str, str, bool, bool, int]], registered: list[str]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATES, 0))
    for name in registered:
        _ = counts[name]
    for subscriber, status, leased, due, n in groups:
        entry = counts[subscriber]
        entry[status] = entry.get(status, 0) + n
        if status == store.READY and leased:
            entry["in_flight"] += n
        elif status == store.READY and due:
            entry["due"] += n
    return dict(sorted(counts.items()))


def retry_parked(runtime: Runtime, *, subscriber: str | None = None) -> dict[str, Any]:
    """Make parked items (of SUBSCRIBER, or all) due now with a fresh count of attempts."""
    now = runtime.now()
    with runtime.uow() as uow:  # the write comes first: on SQLite a read first could not upgrade to a write
        requeued = store.requeue_parked(uow.session, now=now, subscriber=subscriber)
        if requeued == 0 and subscriber is not None and not store.has_subscriber(uow.session, subscriber):
            raise NotFound(
                f"subscriber {subscriber!r} has no work items; `huoke work status` lists the subscribers",
                code="unknown_subscriber",
            )
        uow.commit()
    return {"requeued": requeued, "subscriber": subscriber}


def purge_done(runtime: Runtime, *, older_than_days: int) -> dict[str, Any]:
    """Delete done items that finished more than OLDER_THAN_DAYS days ago; parked and ready ones stay."""
    if older_than_days < 0:
        raise InvalidInput(f"--older-than-days must be 0 or more, not {older_than_days}", code="bad_days")
    before: datetime = runtime.now() - timedelta(days=older_than_days)
    with runtime.uow() as uow:
        purged = store.purge_done(uow.session, before=before)
        uow.commit()
    return {"purged": purged, "before": before.astimezone(runtime.settings.zone).isoformat()}
