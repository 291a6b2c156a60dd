"""One comparison on one value, and the business dates a window covers, exactly as CONTRACTS.md §3 says.

A missing value (or one that cannot be read as the rule's type) fails every comparison except ``is_null``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import date, timedelta, tzinfo
from typing import Any

from huoke.segments.core import Compare, Period
from huoke.segments.facts import as_date, days_to_anniversary, like

_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge,
}  # fmt: skip


def passes(test: Compare, actual: Any, today: date, zone: tzinfo) -> bool:
    """Whether ``actual`` passes the test on business date ``today``."""
    if test.op in ("is_null", "not_null"):
        return (actual is None) == (test.op == "is_null")
    if actual is None:
        return False
    if test.op in ("within_last_days", "before", "after", "anniversary_within_days"):
        return _date_test(test, as_date(actual, zone), today)
    if test.op in ("contains", "starts_with"):
        return isinstance(actual, str) and _text_test(test.op, actual, str(test.value))
    return _value_test(test, actual, zone)


def _date_test(test: Compare, day: date | None, today: date) -> bool:
    if day is None:
        return False
    if test.op == "before":
        return day < test.value  # type: ignore[operator]
    if test.op == "after":
        return day > test.value  # type: ignore[operator]
    days = int(test.value)  # type: ignore[arg-type]
    if test.op == "within_last_days":
        return 0 <= (today - day).days < days
    return days_to_anniversary(day, today) < days


def _text_test(op: str, actual: str, text: str) -> bool:
    return text in actual if op == "contains" else actual.startswith(text)


def _value_test(test: Compare, actual: Any, zone: tzinfo) -> bool:
    values: tuple[Any, ...] = test.value if isinstance(test.value, tuple) else (test.value,)
    value = like(actual, values[0], zone)
    if value is None:
        return False
    if test.op == "between":
        return bool(values[0] <= value <= values[1])
    if test.op in ("in", "not_in"):
        return (value in values) == (test.op == "in")
    return _ORDER[test.op](value, values[0])


def period_dates(period: Period, today: date) -> tuple[date, date]:
    """The first and last business date a window covers when evaluated on ``today``."""
    if period.kind == "last_days":
        return today - timedelta(days=int(period.days or 1) - 1), today
    if period.kind == "range":
        return period.start or today, period.end or today
    return _calendar(str(period.calendar), today)


def _calendar(name: str, today: date) -> tuple[date, date]:
    week_start = today - timedelta(days=today.weekday())
    month_start = today.replace(day=1)
    periods = {
        "this_week": (week_start, today),
        "last_week": (week_start - timedelta(days=7), week_start - timedelta(days=1)),
        "this_month": (month_start, today),
        "last_month": ((month_start - timedelta(days=1)).replace(day=1), month_start - timedelta(days=1)),
        "this_year": (today.replace(month=1, day=1), today),
    }
    return periods[name]
