"""Journeys whose trigger is a time: a cron schedule over a segment, a yearly date of each customer (a
birthday, an account anniversary, N days after a date attribute), or a Chinese festival over a segment.

Each run enters, in time order, everyone whose firing instant falls between what the journey has processed
(`scheduled_until`, from its activation) and the instant given — so `huoke run --until` catches up exactly
and a worker that was down fires what it missed. Entry keys name the firing, so nobody enters twice for one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any

from croniter import croniter
from sqlalchemy import select
from sqlalchemy.orm import Session

from huoke.customers.service import attribute_dates
from huoke.journeys.dates import date_fires_between, festival_fires_between, local_instant, solar_fires_for_many
from huoke.journeys.definition import JourneyDefinition, parse_journey
from huoke.journeys.engine import Facts
from huoke.journeys.execution import Context
from huoke.journeys.runtime import Journey, enter
from huoke.journeys.store import JourneyRow
from huoke.platform.calendar import FestivalCalendar
from huoke.platform.runtime import Runtime
from huoke.platform.work import Subscriptions
from huoke.segments.service import customer_facts, member_ids

TIMED = ("schedule", "date", "festival")


def run_timed(runtime: Runtime, subscriptions: Subscriptions, until: datetime) -> int:
    """Enter everyone due by UNTIL into every active timed journey; how many entered."""
    entered = 0
    with runtime.uow() as uow:
        rows = uow.session.scalars(select(JourneyRow).where(JourneyRow.state == "active")).all()
        parsed = [(row.id, parse_journey(row.definition)) for row in rows]
    for row_id, definition in parsed:
        if definition.trigger.kind in TIMED:
            entered += _run_one(runtime, subscriptions, row_id, definition, until)
    return entered


def next_timed(runtime: Runtime, until: datetime) -> datetime | None:
    """The first cron or festival firing of an active journey due by UNTIL (a `run --until` milestone).
    Date triggers fire per customer; they run with whatever bound is processed, each at its own instant."""
    zone = runtime.settings.zone
    with runtime.uow() as uow:
        rows = uow.session.scalars(select(JourneyRow).where(JourneyRow.state == "active")).all()
        firsts = []
        for row in rows:
            definition = parse_journey(row.definition)
            start = row.scheduled_until or row.activated_at
            if start is not None and definition.trigger.kind in ("schedule", "festival"):
                firsts.append(next(iter(_group_firings(definition, start, until, zone)), None))
    return min((f for f in firsts if f is not None), default=None)


def _run_one(runtime: Runtime, subscriptions: Subscriptions, journey_id: int, definition: JourneyDefinition,
             until: datetime) -> int:  # fmt: skip
    zone, entered = runtime.settings.zone, 0
    with runtime.uow() as uow:
        session = uow.session
        row = session.get(JourneyRow, journey_id)
        start = None if row is None else (row.scheduled_until or row.activated_at)
        if row is None or start is None or start >= until:
            return 0
        journey = Journey(row.id, row.name, row.version, definition)
        ctx = Context(runtime, session, subscriptions)
        for fire, one_id in sorted(_firings(session, definition, start, until, zone)):
            facts = Facts(profile=customer_facts(session, runtime, one_id, fire))
            key = f"{row.id}:{definition.trigger.kind}:{fire.isoformat()}:{one_id}"
            entered += enter(ctx, journey, one_id=one_id, entry_key=key, facts=facts, now=fire)
        row.scheduled_until = until
        uow.commit()
    return entered


def _firings(session: Session, definition: JourneyDefinition, start: datetime, until: datetime,
             zone: Any) -> Iterator[tuple[datetime, str]]:  # fmt: skip
    trigger: Any = definition.trigger
    if trigger.kind == "date":
        yield from _date_firings(session, trigger.date, start, until, zone)
        return
    fires = _group_firings(definition, start, until, zone)
    if fires:
        members = member_ids(
            session, trigger.schedule.segment if trigger.kind == "schedule" else trigger.festival.segment
        )
        yield from ((fire, one_id) for fire in fires for one_id in members)


def _date_firings(
    session: Session, spec: Any, start: datetime, until: datetime, zone: Any
) -> Iterator[tuple[datetime, str]]:
    at = _clock(spec.at)
    if not _has_day(start, until, at, zone):
        return  # no local `at` instant in the window: nobody's date can fire
    candidates = member_ids(session, spec.segment) if spec.segment else None
    dates = attribute_dates(session, spec.attr, candidates)
    if spec.calendar == "solar":
        yield from solar_fires_for_many(dates, start, until, offset_days=spec.offset_days, at=at, zone=zone)
        return
    for one_id, day in dates.items():
        for fire in date_fires_between(
            day, start, until, offset_days=spec.offset_days, at=at, calendar="lunar", zone=zone
        ):
            yield fire, one_id


def _has_day(start: datetime, until: datetime, at: time, zone: Any) -> bool:
    """Whether some local day's `at` falls in (start, until]."""
    day = start.astimezone(zone).date() - timedelta(days=1)
    while day <= until.astimezone(zone).date() + timedelta(days=1):
        if start < local_instant(day, at, zone) <= until:
            return True
        day += timedelta(days=1)
    return False


def _group_firings(definition: JourneyDefinition, start: datetime, until: datetime, zone: Any) -> list[datetime]:
    """The instants in (start, until] a cron or festival trigger fires for its whole segment."""
    trigger: Any = definition.trigger
    if trigger.kind == "festival":
        spec = trigger.festival
        return festival_fires_between(spec.name, start, until, offset_days=spec.offset_days, at=_clock(spec.at),
                                      zone=zone, calendar=FestivalCalendar())  # fmt: skip
    if trigger.kind != "schedule":
        return []
    found, cursor = [], croniter(trigger.schedule.cron, start.astimezone(zone))
    while (fire := cursor.get_next(datetime)) <= until:
        found.append(fire)
    return found


def _clock(value: Any) -> time:
    return value if isinstance(value, time) else time.fromisoformat(str(value))
