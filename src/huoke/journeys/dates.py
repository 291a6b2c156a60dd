"""When `date` and `festival` journey triggers fire (CONTRACTS.md §5): pure functions of dates and instants.

A trigger fires once a year, on an occurrence day shifted by ``offset_days``, at the local time ``at`` in
the business time zone. Every instant returned is timezone-aware UTC, like the clock's.

- Solar anniversaries fall on the same month-day each year; a 29 February date falls on 28 February in
  common years.
- Lunar anniversaries fall on the same lunar month-day each lunar year. A date in a leap month (闰月) falls
  in that leap month in years that repeat the same month, and in the ordinary month of that number in the
  other years; day 30 falls on day 29 in a 29-day month.
- Occurrences start with the first anniversary: the date itself (a card's approval day, a birth day) is
  not an anniversary.
- A local time that a daylight-saving change skips fires as many minutes after the change as it lay
  after the skipped hour's start (02:30 on a spring-forward night → 03:30); a repeated local time fires at
  its first occurrence.
"""

from __future__ import annotations

import calendar as calendar_module
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal, NamedTuple

from huoke.platform.calendar import FestivalCalendar, festival_name, from_lunar, leap_month, to_lunar
from huoke.platform.errors import InvalidInput

CalendarKind = Literal["solar", "lunar"]

_FEB, _LEAP_DAY = 2, 29


def solar_anniversary(attr_date: date, year: int) -> date:
    """The day in solar ``year`` that is the anniversary of ``attr_date`` (29 Feb → 28 Feb in common years)."""
    if (attr_date.month, attr_date.day) == (_FEB, _LEAP_DAY):
        try:
            return date(year, _FEB, _LEAP_DAY)
        except ValueError:
            return date(year, _FEB, _LEAP_DAY - 1)
    return attr_date.replace(year=year)


def lunar_anniversary(attr_date: date, lunar_year: int) -> date:
    """The solar day in ``lunar_year`` with the lunar month-day of ``attr_date`` (leap months: see module)."""
    birth = to_lunar(attr_date)
    leap = birth.leap and leap_month(lunar_year) == birth.month
    return from_lunar(lunar_year, birth.month, birth.day, leap)


def next_anniversary(
    attr_date: date,
    *,
    after: datetime,
    offset_days: int = 0,
    at: time,
    calendar: CalendarKind = "solar",
    zone: tzinfo,
) -> datetime:
    """The first firing instant strictly after ``after`` of a yearly trigger on ``attr_date``."""
    return _first_after(_anniversary_rule(attr_date, calendar), after, offset_days=offset_days, at=at, zone=zone)


def next_festival(
    name: str,
    *,
    after: datetime,
    offset_days: int = 0,
    at: time,
    zone: tzinfo,
    calendar: FestivalCalendar,
) -> datetime:
    """The first firing instant strictly after ``after`` of a trigger on festival ``name``."""
    return _first_after(_festival_rule(name, calendar), after, offset_days=offset_days, at=at, zone=zone)


def date_fires_between(
    attr_date: date,
    start: datetime,
    end: datetime,
    *,
    offset_days: int = 0,
    at: time,
    calendar: CalendarKind = "solar",
    zone: tzinfo,
) -> list[datetime]:
    """Every firing instant in (start, end], in order: what a simulated run catching up must fire."""
    return list(
        _fires_until(_anniversary_rule(attr_date, calendar), start, end, offset_days=offset_days, at=at, zone=zone)
    )


def festival_fires_between(
    name: str,
    start: datetime,
    end: datetime,
    *,
    offset_days: int = 0,
    at: time,
    zone: tzinfo,
    calendar: FestivalCalendar,
) -> list[datetime]:
    """Every firing instant of a festival trigger in (start, end], in order."""
    return list(_fires_until(_festival_rule(name, calendar), start, end, offset_days=offset_days, at=at, zone=zone))


def local_instant(day: date, at: time, zone: tzinfo) -> datetime:
    """The UTC instant of local time ``at`` on ``day`` in ``zone`` (DST gaps and repeats: see module)."""
    if at.tzinfo is not None:
        raise InvalidInput(
            f"time of day {at.isoformat()}: give it without a zone; the zone is {zone}", code="invalid_time_of_day"
        )
    # fold=0: a repeated time is its first occurrence, a skipped time is read with the offset before the gap.
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


# A rule maps a cycle (a solar or lunar year) to its occurrence day, and names the first cycle that has one.
_Occurrence = Callable[[int], date]


class _Rule(NamedTuple):
    occurrence: _Occurrence
    first_cycle: int


def _anniversary_rule(attr_date: date, calendar: CalendarKind) -> _Rule:
    if isinstance(attr_date, datetime):
        raise InvalidInput(
            f"date attribute {attr_date.isoformat()}: expected a date, not a date-time", code="invalid_date"
        )
    if calendar == "solar":
        return _Rule(lambda year: solar_anniversary(attr_date, year), attr_date.year + 1)
    if calendar == "lunar":
        return _Rule(lambda year: lunar_anniversary(attr_date, year), to_lunar(attr_date).year + 1)
    raise InvalidInput(f"date trigger calendar {calendar!r}: expected 'solar' or 'lunar'", code="invalid_calendar")


def _festival_rule(name: str, calendar: FestivalCalendar) -> _Rule:
    festival = festival_name(name)
    return _Rule(lambda year: calendar.festival_date(festival, year), 1)


def _first_after(rule: _Rule, after: datetime, *, offset_days: int, at: time, zone: tzinfo) -> datetime:
    return next(_fires_from(rule, _aware(after, "after"), offset_days=offset_days, at=at, zone=zone))


def _fires_until(
    rule: _Rule, start: datetime, end: datetime, *, offset_days: int, at: time, zone: tzinfo
) -> Iterator[datetime]:
    end = _aware(end, "end")
    for instant in _fires_from(rule, _aware(start, "start"), offset_days=offset_days, at=at, zone=zone):
        if instant > end:
            return
        yield instant


def _fires_from(rule: _Rule, after: datetime, *, offset_days: int, at: time, zone: tzinfo) -> Iterator[datetime]:
    """Firing instants strictly after ``after``, in order, without end (occurrences grow with the cycle)."""
    shift = timedelta(days=offset_days)
    # Cycle C's occurrence lies between 1 January of C and February of C + 1 (lunar years), so cycles
    # before the local date's unshifted year minus one cannot fire after ``after``.
    cycle = max(rule.first_cycle, (after.astimezone(zone).date() - shift).year - 1)
    while True:
        instant = local_instant(rule.occurrence(cycle) + shift, at, zone)
        cycle += 1
        if instant > after:
            yield instant


def _aware(instant: datetime, name: str) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise InvalidInput(f"{name} {instant.isoformat()}: has no time zone", code="naive_datetime")
    return instant


def solar_fires_for_many(
    dates: Mapping[str, date], start: datetime, end: datetime, *, offset_days: int = 0, at: time, zone: tzinfo
) -> list[tuple[datetime, str]]:
    """``date_fires_between`` (solar) for many keys at once: (instant, key) for every firing in (start, end],
    in order. Indexes the dates by month-day once, then looks up each local day the window holds."""
    by_month_day: dict[tuple[int, int], list[tuple[int, str]]] = {}
    for key, day in dates.items():
        by_month_day.setdefault((day.month, day.day), []).append((day.year, key))
    found: list[tuple[datetime, str]] = []
    for day, instant in _local_days(_aware(start, "start"), _aware(end, "end"), at, zone):
        target = day - timedelta(days=offset_days)
        holders = list(by_month_day.get((target.month, target.day), ()))
        if (target.month, target.day) == (2, 28) and not calendar_module.isleap(target.year):
            holders += by_month_day.get((2, 29), [])  # a 29 February date falls on the 28th in common years
        found.extend((instant, key) for year, key in sorted(holders, key=lambda h: h[1]) if year < target.year)
    return found


def _local_days(start: datetime, end: datetime, at: time, zone: tzinfo) -> Iterator[tuple[date, datetime]]:
    """Each local day whose ``at`` instant lies in (start, end], with that instant."""
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    while day <= last:
        instant = local_instant(day, at, zone)
        if start < instant <= end:
            yield day, instant
        day += timedelta(days=1)
