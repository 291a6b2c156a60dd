"""Real-time membership: when a customer's event or transaction is delivered, re-evaluate that customer alone for
every segment whose rule their own profile, holdings and recent live rows decide (``realtime`` segments).

No full refresh runs: the pure evaluator answers from the store's live rows (kept ``live_retention_days``;
only rules whose windows fit inside qualify). A change is written and published as `segment.entered` /
`segment.exited` in the worker's transaction, so it happens once per delivered item. History loaded straight
into the lake (``--history``) is not in the live store; full refreshes count it.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from huoke.customers import service as customers
from huoke.events.store import EventRow, TransactionRow
from huoke.platform.db import key_in
from huoke.platform.runtime import Runtime
from huoke.platform.work import Message, Subscriber, Subscriptions, WorkItem, enqueue_many
from huoke.segments.core import Core
from huoke.segments.definitions import Definition, load_definitions, resolved
from huoke.segments.evaluate import evaluate
from huoke.segments.facts import CustomerFacts, EventFact, HoldingFact, TxnFact
from huoke.segments.membership import Publication, add_members, remove_members
from huoke.segments.model import recheck_hours, topic_wanted, trigger_topics
from huoke.segments.store import SegmentMemberRow, SegmentRow

NAME = "segments.realtime"
RECHECK = "segments.recheck"
TOPICS = frozenset({"event.*", "transaction.*", RECHECK})
INTEREST_SECONDS = 5.0


def subscriber(runtime: Runtime, subscriptions: Subscriptions) -> Subscriber:
    """The subscriber that keeps real-time segments current; it publishes to ``subscriptions``.

    Only items whose topic a real-time segment reads are queued for it (checked against the saved segments at
    most every ``INTEREST_SECONDS``), so ingestion queues nothing extra while no segment needs it.
    """
    cache = _Definitions()
    interest = _Interest(runtime, cache)

    def handle(session: Session, item: WorkItem, now: datetime) -> None:
        reevaluate(session, runtime, subscriptions, item=item, now=now, saved=cache.current(session))

    return Subscriber(NAME, TOPICS, handle, wants=interest.wants)


class _Interest:
    """The topics real-time segments read, refreshed from the store at most every ``INTEREST_SECONDS``."""

    def __init__(self, runtime: Runtime, cache: _Definitions) -> None:
        self._runtime, self._cache = runtime, cache
        self._topics: set[str] = set()
        self._checked = -INTEREST_SECONDS
        self._lock = threading.Lock()

    def wants(self, topic: str) -> bool:
        if topic == RECHECK:
            return True
        with self._lock:
            if time.monotonic() - self._checked >= INTEREST_SECONDS:
                self._topics = self._load()
                self._checked = time.monotonic()
            return topic_wanted(topic, self._topics)

    def _load(self) -> set[str]:
        with self._runtime.uow() as uow:
            saved = self._cache.current(uow.session)
        return set().union(*(trigger_topics(resolved(d.tree, saved)) for d in saved.values() if d.realtime))


class _Definitions:
    """The saved definitions, parsed again only when a segment was saved since (one small query per item)."""

    def __init__(self) -> None:
        self._stamp: tuple[Any, ...] | None = None
        self._saved: dict[str, Definition] = {}

    def current(self, session: Session) -> dict[str, Definition]:
        stamp = tuple(session.execute(select(func.count(), func.max(SegmentRow.updated_at))).one())
        if stamp != self._stamp:
            self._saved, self._stamp = load_definitions(session), stamp
        return self._saved


def reevaluate(
    session: Session,
    runtime: Runtime,
    subscriptions: Subscriptions,
    *,
    item: WorkItem,
    now: datetime,
    saved: dict[str, Definition] | None = None,
) -> None:
    """Re-evaluate the item's customer for every real-time segment at ``now`` and apply what changed."""
    saved = load_definitions(session) if saved is None else saved
    live = [d for d in saved.values() if d.realtime]
    unit = item.payload.get("one_id")
    if not live or not isinstance(unit, str):
        return
    settings = runtime.settings
    record = customers.profile_record(session, unit, settings.zone)
    if record is None:
        return
    since = now - timedelta(days=settings.live_retention_days + 1)
    facts = live_facts(session, record, since, settings.zone)
    for definition in live:
        tree = resolved(definition.tree, saved)
        _apply(session, subscriptions, definition, evaluate(tree, facts, now), one_id=record.one_id, item=item, now=now)
        _schedule_rechecks(session, subscriptions, tree, item=item, unit=unit, now=now)


def _schedule_rechecks(
    session: Session, subscriptions: Subscriptions, tree: Core, *, item: WorkItem, unit: str, now: datetime
) -> None:
    """A `did X then_not Y within H hours` starts to hold H hours after X with no event: look again then."""
    occurred = item.payload.get("occurred_at")
    if item.topic == RECHECK or not isinstance(occurred, str):
        return
    for hours in recheck_hours(tree, item.topic):
        at = datetime.fromisoformat(occurred) + timedelta(hours=hours, seconds=1)
        if at > now:
            key = f"recheck:{hashlib.sha256(item.key.encode()).hexdigest()[:32]}:{hours}"
            payload = {"one_id": unit, "cause": item.key}
            enqueue_many(session, subscriptions, [Message(RECHECK, key, payload, available_at=at)], now=now)


def _apply(
    session: Session,
    subscriptions: Subscriptions,
    definition: Definition,
    matches: bool,
    *,
    one_id: str,
    item: WorkItem,
    now: datetime,
) -> None:
    member = session.scalar(
        select(exists().where(SegmentMemberRow.segment_id == definition.id, SegmentMemberRow.one_id == one_id))
    )
    if matches == bool(member):
        return
    about = Publication(definition.id, definition.name, definition.version, now, "realtime", f"{item.key}#{item.id}")
    change = add_members if matches else remove_members
    change(session, subscriptions, about, [one_id], now)


def live_facts(session: Session, record: customers.ProfileRecord, since: datetime, zone: Any) -> CustomerFacts:
    """A profile with its live transactions and events since SINCE, as rules see it."""
    return CustomerFacts(
        zone=zone,
        attributes=record.attributes,
        org_path=record.org_path,
        holdings=tuple(HoldingFact(**h) for h in record.holdings),
        transactions=tuple(_transactions(session, record.units, since)),
        events=tuple(_events(session, record.units, since)),
    )


def _transactions(session: Session, units: list[str], since: datetime) -> Iterable[TxnFact]:
    dialect = session.get_bind().dialect.name
    query = select(TransactionRow).where(
        key_in(TransactionRow.one_id, units, dialect), TransactionRow.occurred_at >= since
    )
    for row in session.scalars(query):
        yield TxnFact(
            occurred_at=row.occurred_at, amount_fen=row.amount_fen, direction=row.direction, txn_type=row.txn_type,
            channel=row.channel, mcc=row.mcc, product_code=row.product_code,
        )  # fmt: skip


def _events(session: Session, units: list[str], since: datetime) -> Iterable[EventFact]:
    dialect = session.get_bind().dialect.name
    query = select(EventRow).where(key_in(EventRow.one_id, units, dialect), EventRow.occurred_at >= since)
    for row in session.scalars(query):
        yield EventFact(type=row.type, occurred_at=row.occurred_at, properties=row.properties or {})
