"""ISO 8601 text for business dates and Asia/Shanghai timestamps, from proleptic Gregorian day ordinals.

Asia/Shanghai has had no daylight saving since 1991, so every generated local time carries `+08:00`.
Formatting is cached per day because the generator writes millions of dates over a few thousand days.
"""

from __future__ import annotations

from datetime import date
from functools import cache

SECONDS_PER_DAY = 86_400
DAYS_PER_YEAR = 365.2425


@cache
def iso_day(ordinal: int) -> str:
    """`YYYY-MM-DD` for a day ordinal."""
    return date.fromordinal(ordinal).isoformat()


@cache
def compact_day(ordinal: int) -> str:
    """`YYYYMMDD`, the form embedded in resident ID numbers."""
    return iso_day(ordinal).replace("-", "")


def iso_timestamp(ordinal: int, second_of_day: int) -> str:
    """`YYYY-MM-DDTHH:MM:SS+08:00` for a local second of a business day."""
    return f"{iso_day(ordinal)}T{_clock_texts()[second_of_day]}+08:00"


@cache
def _clock_texts() -> tuple[str, ...]:
    """`HH:MM:SS` for every second of a day, built on first use."""
    return tuple(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(SECONDS_PER_DAY))


def years_ago(today: int, years: float) -> int:
    """The day ordinal roughly `years` calendar years before `today`."""
    return today - round(years * DAYS_PER_YEAR)
