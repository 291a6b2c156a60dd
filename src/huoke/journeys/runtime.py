"""Journeys at work: customers enter when a trigger arrives on the work queue (an event, a transaction, a
segment entry or exit), waiting instances resume on the events they wait for or when their timer falls due,
and goals are recorded. Everything for one item or one batch of timers happens in one transaction, with the
instances' rows locked on PostgreSQL, so two workers never advance the same instance at once.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.orm import Session

from huoke.journeys.definition import BranchStep, JourneyDefinition, parse_journey
from huoke.journeys.engine import Advance, Facts, Instance, advance, enters, goal_reached, holdout_of, start, triggered
from huoke.journeys.execution import Context, Owner, Written, apply, carry_out, instance_of
from huoke.journeys.store import InstanceRow, JourneyRow, JourneyVersionRow, StepLogRow
from huoke.messaging.service import SendRequest, enqueue_in
from huoke.platform.db import key_in
from huoke.platform.runtime import Runtime
from huoke.platform.work import Subscriber, Subscriptions, WorkItem
from huoke.segments.service import customer_facts, is_member

NAME = "journeys.triggers"
TOPICS = frozenset({"event.*", "transaction.*", "segment.entered", "segment.exited"})
RUNNING = ("active", "waiting")
TIMER_BATCH = 500
INTEREST_SECONDS = 2.0
_GENERATION = [0]  # bumped when a journey changes state in this process


@dataclass(frozen=True)
class Journey:
    id: int
    name: str
    version: int
    definition: JourneyDefinition

    @property
    def branches(self) -> bool:
        """Whether any step decides on the customer's profile."""
        return any(isinstance(step, BranchStep) for step in self.definition.steps)


def subscriber(runtime: Runtime, subscriptions: Subscriptions) -> Subscriber:
    """The work-queue subscriber that enters customers and resumes waiting instances. Items are queued for
    it only while some journey is active (checked at most every ``INTEREST_SECONDS``, and at once after a
    journey changes state in this process), so ingestion queues nothing extra otherwise."""
    interest = _Interest(runtime)
    cache = _ActiveJourneys()

    def handle(session: Session, item: WorkItem, now: datetime) -> None:
        on_item(Context(runtime, session, subscriptions), item, now, cache.current(session))

    def handle_batch(session: Session, items: list[WorkItem], now: datetime) -> None:
        on_items(Context(runtime, session, subscriptions), items, now, cache.current(session))

    return Subscriber(NAME, TOPICS, handle, wants=interest.wants, handle_batch=handle_batch)


def journeys_changed() -> None:
    """Tell this process's subscribers that a journey changed state (the service calls it after commit)."""
    _GENERATION[0] += 1


class _Interest:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._checked, self._generation, self._any = -INTEREST_SECONDS, -1, False
        self._lock = threading.Lock()

    def wants(self, topic: str) -> bool:
        with self._lock:
            stale = time.monotonic() - self._checked >= INTEREST_SECONDS or self._generation != _GENERATION[0]
            if stale:
                self._generation, self._checked = _GENERATION[0], time.monotonic()
                with self._runtime.uow() as uow:
                    found = uow.session.scalar(select(JourneyRow.id).where(JourneyRow.state == "active").limit(1))
                self._any = found is not None
            return self._any


class _ActiveJourneys:
    """The active journeys, parsed again only when one changed (one small query per item)."""

    def __init__(self) -> None:
        self._stamp: tuple[Any, ...] | None = None
        self._journeys: list[Journey] = []

    def current(self, session: Session) -> list[Journey]:
        query = select(func.count(), func.max(JourneyRow.updated_at)).where(JourneyRow.state == "active")
        stamp = tuple(session.execute(query).one())
        if stamp != self._stamp:
            self._journeys, self._stamp = active_journeys(session), stamp
        return self._journeys


def on_item(ctx: Context, item: WorkItem, now: datetime, active: list[Journey] | None = None) -> None:
    """Resume the customer's waiting instances, record goals, and enter the journeys the item triggers. The
    customer's profile is read only when a trigger condition, a branch or a waiting instance needs it."""
    one_id = item.payload.get("one_id")
    if not isinstance(one_id, str):
        return
    arrived = arrival(item)
    active = active_journeys(ctx.session) if active is None else active
    candidates = [j for j in active if _may_fire(j.definition, item)]
    waiting = arrived is not None and _has_waiting(ctx.session, one_id)
    if not candidates and not waiting and not (arrived and any(j.definition.goal for j in active)):
        return
    profile = None
    if waiting or any(j.branches or _has_condition(j.definition) for j in candidates):
        profile = customer_facts(ctx.session, ctx.runtime, one_id, now)
        if profile is None:
            return
    facts = Facts(profile=profile, event=arrived)
    if waiting:
        _resume_waiting(ctx, one_id, facts, now)
    if arrived is not None:
        _record_goals(ctx, one_id, facts, [j.id for j in active if j.definition.goal])
    for journey in candidates:
        if _fires(journey.definition, item, facts, now, ctx.runtime):
            enter(ctx, journey, one_id=one_id, entry_key=f"{journey.id}:{item.key}", facts=facts, now=now)


def on_items(ctx: Context, items: list[WorkItem], now: datetime, active: list[Journey]) -> None:
    """``on_item`` for a delivered batch, with the same effects. Items that can only enter journeys — their
    customer has no waiting instance and no open goal, appears once in the batch, and no trigger condition or
    branch needs the profile — enter together (a few statements for the whole batch); the others are handled
    one by one. Customers are independent of each other, so the order between the two groups does not matter."""
    plans = [(item, one_id, [j for j in active if _may_fire(j.definition, item)])
             for item in items if isinstance(one_id := item.payload.get("one_id"), str)]  # fmt: skip
    seen = Counter(one_id for _, one_id, _ in plans)
    busy = _busy(ctx.session, sorted(seen), [j.id for j in active if j.definition.goal])
    quick: list[tuple[WorkItem, str, list[Journey]]] = []
    for item, one_id, candidates in plans:
        if seen[one_id] > 1 or one_id in busy or any(j.branches or _has_condition(j.definition) for j in candidates):
            on_item(ctx, item, now, active)
        elif candidates:
            quick.append((item, one_id, candidates))
    if quick:
        _enter_many(ctx, quick, now)


def _busy(session: Session, one_ids: list[str], goal_journeys: list[int]) -> set[str]:
    """Of ONE_IDS, those with a waiting instance or an instance whose goal is still open."""
    if not one_ids:
        return set()
    dialect = session.get_bind().dialect.name
    customer = key_in(InstanceRow.one_id, one_ids, dialect)
    found = set(session.scalars(select(InstanceRow.one_id).where(customer, InstanceRow.status == "waiting")))
    if goal_journeys:
        open_goal = select(InstanceRow.one_id).where(
            customer, InstanceRow.goal_at.is_(None), InstanceRow.journey_id.in_(goal_journeys)
        )
        found |= set(session.scalars(open_goal))
    return found


def _enter_many(ctx: Context, quick: list[tuple[WorkItem, str, list[Journey]]], now: datetime) -> None:
    """Enter each (item, customer) into the journeys it triggers, as ``enter`` would one at a time: the entry
    keys, entry histories and messages of the whole batch are read and written in bulk."""
    session = ctx.session
    firing = [
        (item, one_id, journey)
        for item, one_id, candidates in quick
        for journey in candidates
        if _fires(journey.definition, item, Facts(profile=None, event=arrival(item)), now, ctx.runtime)
    ]
    if not firing:
        return
    dialect = session.get_bind().dialect.name
    keys = [f"{journey.id}:{item.key}" for item, _, journey in firing]
    taken = set(session.scalars(select(InstanceRow.entry_key).where(key_in(InstanceRow.entry_key, keys, dialect))))
    histories = _histories(session, sorted({one_id for _, one_id, _ in firing}), sorted({j.id for _, _, j in firing}))
    rows: list[dict[str, Any]] = []
    logs: list[dict[str, Any]] = []
    sends: list[SendRequest] = []
    for (_, one_id, journey), entry_key in zip(firing, keys, strict=True):
        history = histories.get((journey.id, one_id), (0, None))
        if entry_key not in taken and _may_enter(ctx, journey, one_id, history, now):
            row, written = _started(ctx, journey, one_id, entry_key, now=now, sends=sends)
            rows.append(row)
            logs.extend(written.logs)
    if rows:
        session.execute(insert(InstanceRow), rows)
    if logs:
        session.execute(insert(StepLogRow), logs)
    if sends:
        enqueue_in(session, ctx.runtime, sends, now=now)


def _may_enter(ctx: Context, journey: Journey, one_id: str, history: tuple[int, Any], now: datetime) -> bool:
    definition = journey.definition
    suppression = definition.entry.suppression_segment
    suppressed = bool(suppression and is_member(ctx.session, segment=suppression, one_id=one_id))
    running, last = history
    allowed, _ = enters(definition, active_instances=running, last_entered_at=last, in_suppression=suppressed, now=now)
    return allowed


def _started(
    ctx: Context, journey: Journey, one_id: str, entry_key: str, *, now: datetime, sends: list[SendRequest]
) -> tuple[dict[str, Any], Written]:
    """A new instance run up to its first wait or end: its row, and what it wrote (messages go to SENDS)."""
    definition = journey.definition
    holdout = holdout_of(journey.name, one_id, definition.entry.holdout_percent)
    instance = start(definition, instance_id=uuid.uuid4().hex, version=journey.version, one_id=one_id,
                     entered_at=now, holdout=holdout)  # fmt: skip
    moved = advance(definition, instance, Facts(profile=None), now, zone=ctx.runtime.settings.zone)
    written = carry_out(ctx, Owner(instance.instance_id, one_id, journey.id), moved, now, sends=sends)
    row = {"instance_id": instance.instance_id, "journey_id": journey.id, "version": journey.version,
           "one_id": one_id, "entry_key": entry_key, "holdout": holdout, "entered_at": now, "ended_at": None,
           "end_reason": None, **written.update}  # fmt: skip
    return row, written


def _histories(session: Session, one_ids: list[str], journey_ids: list[int]) -> dict[tuple[int, str], tuple[int, Any]]:
    """Per (journey, customer): instances still running and the last entry time (``_history`` in bulk)."""
    running = func.sum(case((InstanceRow.status.in_(RUNNING), 1), else_=0))
    query = (
        select(InstanceRow.journey_id, InstanceRow.one_id, running, func.max(InstanceRow.entered_at))
        .where(
            InstanceRow.journey_id.in_(journey_ids),
            key_in(InstanceRow.one_id, one_ids, session.get_bind().dialect.name),
        )
        .group_by(InstanceRow.journey_id, InstanceRow.one_id)
    )
    return {(j, o): (int(count or 0), last) for j, o, count, last in session.execute(query)}


def _may_fire(definition: JourneyDefinition, item: WorkItem) -> bool:
    """A cheap first look: could this item be the journey's trigger at all?"""
    trigger: Any = definition.trigger
    if trigger.kind == "event":
        return bool(item.topic == f"event.{trigger.event.type}")
    if trigger.kind == "txn":
        return item.topic.startswith("transaction.")
    if trigger.kind in ("segment_entered", "segment_exited"):
        return item.topic.startswith("segment.")
    return False


def _has_condition(definition: JourneyDefinition) -> bool:
    return getattr(definition.trigger, "condition", None) is not None


def enter(ctx: Context, journey: Journey, *, one_id: str, entry_key: str, facts: Facts, now: datetime) -> bool:
    """Enter ONE_ID if the entry rules allow it (once per ENTRY_KEY); the first steps run at once."""
    session, definition = ctx.session, journey.definition
    if session.scalar(select(InstanceRow.instance_id).where(InstanceRow.entry_key == entry_key)) is not None:
        return False
    running, last = _history(session, journey.id, one_id)
    suppression = definition.entry.suppression_segment
    suppressed = bool(suppression and is_member(session, segment=suppression, one_id=one_id))
    allowed, _ = enters(definition, active_instances=running, last_entered_at=last, in_suppression=suppressed, now=now)
    if not allowed:
        return False
    holdout = holdout_of(journey.name, one_id, definition.entry.holdout_percent)
    instance = start(definition, instance_id=uuid.uuid4().hex, version=journey.version, one_id=one_id,
                     entered_at=now, holdout=holdout)  # fmt: skip
    row = InstanceRow(instance_id=instance.instance_id, journey_id=journey.id, version=journey.version,
                      one_id=one_id, entry_key=entry_key, status=instance.status, step=instance.step,
                      visits=0, holdout=holdout, entered_at=now, updated_at=now)  # fmt: skip
    session.add(row)
    session.flush()
    apply(
        ctx, row, advance(definition, instance, Facts(profile=facts.profile), now, zone=ctx.runtime.settings.zone), now
    )
    return True


def run_due(runtime: Runtime, subscriptions: Subscriptions, until: datetime) -> int:
    """Advance every waiting instance of an active journey whose timer falls due by UNTIL, in time order, each
        at its own wake-up time (for `huoke run --until`) or now (the worker); how many were advanced. Batches are
        read and written in bulk: one statement per batch for the instances and one for their step logs, and the
    batch's messages are queued together."""
    total = 0
    known: dict[tuple[int, int], Journey | None] = {}
    while True:
        with runtime.uow() as uow:
            clock_now = runtime.now()
            ctx = Context(runtime, uow.session, subscriptions)
            due = _due(uow.session, until, TIMER_BATCH, known)
            updates, logs = [], []
            sends: dict[datetime, list[SendRequest]] = {}
            for instance, journey_id, journey in due:
                at = max(clock_now, instance.wake_at) if instance.wake_at else clock_now
                written = _advance_due(ctx, instance, journey_id, journey, at, sends=sends.setdefault(at, []))
                updates.append({"instance_id": instance.instance_id, **written.update})
                logs.extend(written.logs)
            if updates:
                uow.session.execute(update(InstanceRow), updates)
            if logs:
                uow.session.execute(insert(StepLogRow), logs)
            for at, requests in sends.items():  # messages of the batch queued together, per moment
                if requests:
                    enqueue_in(uow.session, runtime, requests, now=at)
            uow.commit()
        total += len(due)
        if len(due) < TIMER_BATCH:
            return total


def _advance_due(
    ctx: Context, instance: Instance, journey_id: int, journey: Journey, at: datetime, *, sends: list[SendRequest]
) -> Written:
    profile = customer_facts(ctx.session, ctx.runtime, instance.one_id, at) if journey.branches else None
    moved = advance(journey.definition, instance, Facts(profile=profile), at, zone=ctx.runtime.settings.zone)
    return carry_out(ctx, Owner(instance.instance_id, instance.one_id, journey_id), moved, at, sends=sends)


def next_wake(runtime: Runtime, until: datetime) -> datetime | None:
    """The earliest timer of an active journey due by UNTIL (a `run --until` milestone)."""
    with runtime.uow() as uow:
        return uow.session.scalar(
            select(func.min(InstanceRow.wake_at))
            .join(JourneyRow, JourneyRow.id == InstanceRow.journey_id)
            .where(JourneyRow.state == "active", InstanceRow.status == "waiting", InstanceRow.wake_at <= until)
        )


def active_journeys(session: Session) -> list[Journey]:
    rows = session.scalars(select(JourneyRow).where(JourneyRow.state == "active").order_by(JourneyRow.id))
    return [Journey(r.id, r.name, r.version, parse_journey(r.definition)) for r in rows]


def arrival(item: WorkItem) -> Mapping[str, Any] | None:
    """The event or transaction an item carries, as the engine reads it (None for segment changes)."""
    if item.topic.startswith("event."):
        return {**item.payload, "kind": "event"}
    if item.topic.startswith("transaction."):
        return {**item.payload, "kind": "txn"}
    return None


def _fires(definition: JourneyDefinition, item: WorkItem, facts: Facts, now: datetime, runtime: Runtime) -> bool:
    kind = definition.trigger.kind
    if kind in ("event", "txn"):
        return facts.event is not None and triggered(definition, facts, now, zone=runtime.settings.zone)
    if kind in ("segment_entered", "segment_exited"):
        wanted = getattr(definition.trigger, kind)
        return item.topic == f"segment.{kind.removeprefix('segment_')}" and item.payload.get("segment") == wanted
    return False


def _resume_waiting(ctx: Context, one_id: str, facts: Facts, now: datetime) -> None:
    query = _locked(
        ctx.session, select(InstanceRow).where(InstanceRow.one_id == one_id, InstanceRow.status == "waiting")
    )
    for row in ctx.session.scalars(query).all():
        journey = _journey_of(ctx.session, row)
        if journey is not None and _state(ctx.session, row.journey_id) == "active":
            _advance_row(ctx, row, journey, now, event=facts)


def _record_goals(ctx: Context, one_id: str, facts: Facts, journey_ids: list[int]) -> None:
    if not journey_ids:
        return
    rows = ctx.session.scalars(
        select(InstanceRow).where(
            InstanceRow.one_id == one_id, InstanceRow.goal_at.is_(None), InstanceRow.journey_id.in_(journey_ids)
        )
    )
    for row in rows.all():
        journey = _journey_of(ctx.session, row)
        if journey is not None and goal_reached(journey.definition, instance_of(row, journey.name), facts,
                                                zone=ctx.runtime.settings.zone):  # fmt: skip
            row.goal_at = datetime.fromisoformat(str(facts.event["occurred_at"])) if facts.event else None


def _advance_row(ctx: Context, row: InstanceRow, journey: Journey, now: datetime, *, event: Facts | None) -> None:
    if event is not None:
        profile = event.profile
    elif journey.branches:  # only a branch step reads the profile: timers of other journeys skip loading it
        profile = customer_facts(ctx.session, ctx.runtime, row.one_id, now)
    else:
        profile = None
    facts = Facts(profile=profile, event=event.event if event else None)
    moved: Advance = advance(
        journey.definition, instance_of(row, journey.name), facts, now, zone=ctx.runtime.settings.zone
    )
    apply(ctx, row, moved, now)


def _due(
    session: Session, until: datetime, limit: int, known: dict[tuple[int, int], Journey | None]
) -> list[tuple[Instance, int, Journey]]:
    """Due waiting instances, oldest timer first, rows locked (SKIP LOCKED) on PostgreSQL."""
    columns = (InstanceRow.instance_id, InstanceRow.journey_id, InstanceRow.version, InstanceRow.one_id,
               InstanceRow.step, InstanceRow.wake_at, InstanceRow.entered_at, InstanceRow.holdout,
               InstanceRow.visits)  # fmt: skip
    query = (
        select(*columns)
        .join(JourneyRow, JourneyRow.id == InstanceRow.journey_id)
        .where(JourneyRow.state == "active", InstanceRow.status == "waiting", InstanceRow.wake_at <= until)
        .order_by(InstanceRow.wake_at)  # the (status, wake_at) index gives this order without a sort
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=InstanceRow)
    found = []
    for row in session.execute(query):
        key = (row.journey_id, row.version)
        if key not in known:  # each definition version is parsed once per run
            known[key] = _version(session, row.journey_id, row.version)
        journey = known[key]
        if journey is not None:
            instance = Instance(row.instance_id, journey.name, row.version, row.one_id, "waiting", row.step,
                                row.wake_at, row.entered_at, row.holdout, row.visits)  # fmt: skip
            found.append((instance, row.journey_id, journey))
    return found


def _journey_of(session: Session, row: InstanceRow) -> Journey | None:
    """The definition version the instance runs on (kept when the journey is edited)."""
    return _version(session, row.journey_id, row.version)


def _version(session: Session, journey_id: int, version: int) -> Journey | None:
    journey = session.get(JourneyRow, journey_id)
    if journey is None:
        return None
    if version == journey.version:
        return Journey(journey.id, journey.name, journey.version, parse_journey(journey.definition))
    stored = session.scalars(
        select(JourneyVersionRow).where(
            JourneyVersionRow.journey_id == journey_id, JourneyVersionRow.version == version
        )
    ).first()
    return None if stored is None else Journey(journey.id, journey.name, version, parse_journey(stored.definition))


def _history(session: Session, journey_id: int, one_id: str) -> tuple[int, datetime | None]:
    running = session.scalar(
        select(func.count()).where(
            InstanceRow.journey_id == journey_id, InstanceRow.one_id == one_id, InstanceRow.status.in_(RUNNING)
        )
    )
    last = session.scalar(
        select(func.max(InstanceRow.entered_at)).where(
            InstanceRow.journey_id == journey_id, InstanceRow.one_id == one_id
        )
    )
    return int(running or 0), last


def _has_waiting(session: Session, one_id: str) -> bool:
    query = select(InstanceRow.instance_id).where(InstanceRow.one_id == one_id, InstanceRow.status == "waiting")
    return session.scalar(query.limit(1)) is not None


def _state(session: Session, journey_id: int) -> str | None:
    return session.scalar(select(JourneyRow.state).where(JourneyRow.id == journey_id))


def _locked(session: Session, query: Any) -> Any:
    return query.with_for_update() if session.get_bind().dialect.name == "postgresql" else query
