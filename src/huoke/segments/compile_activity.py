"""Transaction and event rules as Ibis queries: filters, windows, aggregates and did … then_not.

Windows become UTC instant bounds computed here from business dates in the zone, so no database time-zone
setting is involved. Per-row business dates (for ``distinct_days`` and ``days_since_last``) are day numbers
counted in whole days of 86,400 seconds from the start of the window's first day; a day of another length (a
daylight-saving change in zones that have one) is matched by its own start and end instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

import ibis  # type: ignore[import-untyped]

from huoke.segments import core
from huoke.segments.comparison import period_dates
from huoke.segments.compile_json import Dialect
from huoke.segments.compile_values import NUMBER, NotCompiled, json_reader, literal, number_reader, passes, times_count

_DAY = timedelta(days=1)
_DAY_SECONDS = 86_400


@dataclass(frozen=True)
class Activity:
    """The evaluation time, its business date, and how identity units map to profiles."""

    units: Any
    profiles: Any
    as_of: datetime
    zone: tzinfo
    today: date = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "today", self.as_of.astimezone(self.zone).date())

    def start_of(self, day: date) -> datetime:
        """The UTC instant a business date starts."""
        return datetime.combine(day, time(0), self.zone).astimezone(UTC)

    def instant(self, moment: datetime) -> Any:
        return ibis.literal(moment.astimezone(UTC), type="timestamp('UTC')")


def _matching(match: core.TxnMatch | core.EventMatch, tables: Any, activity: Activity, value: str | None) -> Any:
    """Matching rows up to ``as_of`` as (one_id of the profile, at, value)."""
    if isinstance(match, core.TxnMatch):
        rows = tables.transactions
        keep = _txn_filter(match, rows)
        number = rows.amount_fen.cast(NUMBER)
    else:
        rows = tables.events
        keep = _event_filter(match, rows, activity, tables.dialect)
        number = json_reader(rows.properties, value, tables.dialect).number if value else ibis.null().cast(NUMBER)
    rows = rows.filter((rows.occurred_at <= activity.instant(activity.as_of)) & keep.fill_null(False))
    units = activity.units
    joined = rows.join(units, rows.one_id == units.unit)
    return joined.select(one_id=units.profile, at=rows.occurred_at, value=number)


def _txn_filter(match: core.TxnMatch, rows: Any) -> Any:
    keep = ibis.literal(True)
    for column in ("txn_type", "direction", "channel", "mcc", "product_code"):
        allowed = getattr(match, column)
        if allowed is not None:
            keep &= rows[column].isin(list(allowed)).fill_null(False)
    if match.min_fen is not None:
        keep &= rows.amount_fen >= literal(match.min_fen)
    if match.max_fen is not None:
        keep &= rows.amount_fen <= literal(match.max_fen)
    return keep


def _event_filter(match: core.EventMatch, rows: Any, activity: Activity, dialect: Dialect) -> Any:
    keep = rows.type == match.type
    for name, test in match.where:
        keep &= passes(test, json_reader(rows.properties, name, dialect), activity.today).fill_null(False)
    return keep


def _in_window(rows: Any, window: core.Period, activity: Activity) -> Any:
    first, last = period_dates(window, activity.today)
    start, end = activity.start_of(first), activity.start_of(last + timedelta(days=1))
    return rows.filter((rows.at >= activity.instant(start)) & (rows.at < activity.instant(end)))


def _with_days(rows: Any, window: core.Period, activity: Activity) -> Any:
    """Rows (already inside the window) with their business date as a day number (``date.toordinal``)."""
    first, last = period_dates(window, activity.today)
    pieces = _day_pieces(rows.at, first, min(last, activity.today), activity)
    ordinal = pieces[-1][1]
    for end, number in reversed(pieces[:-1]):
        ordinal = ibis.cases((rows.at < activity.instant(end), number), else_=ordinal)
    return rows.select("one_id", "at", "value", ordinal=ordinal)


def _day_pieces(at: Any, first: date, last: date, activity: Activity) -> list[tuple[datetime, Any]]:
    """(end instant, day number of instants before it) for the days first … last, in order.

    Consecutive days of 86,400 seconds share one piece: whole days since the piece's start. A day of another
    length is a piece of its own.
    """
    pieces: list[tuple[datetime, Any]] = []
    day = first
    while day <= last:
        start, run = activity.start_of(day), day
        while day <= last and activity.start_of(day + _DAY) - activity.start_of(day) == _DAY:
            day += _DAY
        if day == run:  # a day of another length
            day += _DAY
            pieces.append((activity.start_of(day), ibis.literal(run.toordinal(), type="int64")))
            continue
        pieces.append((activity.start_of(day), _days_since(at, start, run, activity)))
    return pieces or [(activity.start_of(first), ibis.literal(first.toordinal(), type="int64"))]


def _days_since(at: Any, start: datetime, day: date, activity: Activity) -> Any:
    """The day number of instant ``at``: ``day`` plus the whole days since ``start`` (the start of ``day``)."""
    seconds = at.epoch_seconds() - activity.instant(start).epoch_seconds()
    return (seconds // _DAY_SECONDS).cast("int64") + day.toordinal()


def aggregate_members(node: core.TxnAgg | core.EventAgg, tables: Any, activity: Activity) -> Any:
    """Profiles whose aggregate of matching rows in the window passes the test (count and sum are 0 without rows)."""
    field_name = node.field if isinstance(node, core.EventAgg) else None
    rows = _in_window(_matching(node.match, tables, activity, field_name), node.window, activity)
    if node.agg in ("distinct_days", "days_since_last"):
        rows = _with_days(rows, node.window, activity)
    grouped = rows.group_by("one_id").aggregate(**_metrics(node.agg, rows, activity))
    both = activity.profiles.left_join(grouped, "one_id")
    reader, sides = _result(node.agg, both)
    return both.filter(passes(node.test, reader, activity.today, sides).fill_null(False)).select("one_id")


def _metrics(agg: str, rows: Any, activity: Activity) -> dict[str, Any]:
    if agg == "count":
        return {"result": rows.count()}
    if agg == "distinct_days":
        return {"result": rows.ordinal.nunique()}
    if agg == "days_since_last":
        return {"result": activity.today.toordinal() - rows.ordinal.max()}
    if agg in ("sum", "avg"):
        return {"result": rows.value.sum(), "counted": rows.value.count()}
    if agg == "min":
        return {"result": rows.value.min()}
    if agg == "max":
        return {"result": rows.value.max()}
    raise NotCompiled(f"the query compiler does not handle the aggregate {agg!r}")


def _result(agg: str, both: Any) -> tuple[Any, Any]:
    """The aggregate as a reader, and for ``avg`` the exact comparison sum against value × count."""
    if agg in ("count", "distinct_days"):
        return number_reader(both.result.fill_null(0).cast("int64")), None
    if agg == "sum":
        return number_reader(both.result.fill_null(0).cast(NUMBER)), None
    if agg == "avg":
        present = both.counted.fill_null(0) > 0
        total = ibis.cases((present, both.result.cast(NUMBER)), else_=ibis.null().cast(NUMBER))
        return number_reader(total), lambda value: (total, times_count(value, both.counted))
    return number_reader(both.result), None


def did_not_members(node: core.DidNot, tables: Any, activity: Activity) -> Any:
    """Profiles with some ``did`` row in the window, its hours passed, and no ``then_not`` row within the hours."""
    hours = timedelta(hours=node.hours)
    done = _in_window(_matching(node.did, tables, activity, None), node.window, activity)
    done = done.filter(done.at <= activity.instant(activity.as_of - hours))
    first, _last = period_dates(node.window, activity.today)
    after = _matching(node.then_not, tables, activity, None).select(follower="one_id", then="at")
    after = after.filter(after.then > activity.instant(activity.start_of(first)))  # only these can follow a `did`
    within = ibis.interval(hours=node.hours)
    unfollowed = done.anti_join(
        after, [done.one_id == after.follower, after.then > done.at, after.then <= done.at + within]
    )
    return unfollowed.select("one_id").distinct()
