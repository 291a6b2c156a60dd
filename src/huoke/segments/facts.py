"""What the in-memory evaluator knows about one customer, and how it reads values and business dates."""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from fractions import Fraction
from typing import Any

_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass(frozen=True)
class HoldingFact:
    """One account or product the customer holds; balance in fen."""

    product_type: str
    product_code: str | None = None
    card_level: str | None = None
    card_role: str | None = None
    status: str | None = None
    opened_at: datetime | None = None
    approved_at: datetime | None = None
    balance_fen: int | None = None


@dataclass(frozen=True)
class TxnFact:
    """One transaction; amount in fen (always > 0, ``direction`` says which way)."""

    occurred_at: datetime
    amount_fen: int
    direction: str
    txn_type: str
    channel: str | None = None
    mcc: str | None = None
    product_code: str | None = None


@dataclass(frozen=True)
class EventFact:
    """One behaviour event with its properties."""

    type: str
    occurred_at: datetime
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CustomerFacts:
    """One customer as rules see them.

    ``attributes`` holds the profile (standard and custom attributes, incl. ``birth_date`` and ``branch_code``);
    ``org_path`` is the branch and its ancestors up to the head office; times are timezone-aware; ``zone`` is
    the business time zone that defines business dates.
    """

    zone: tzinfo
    attributes: Mapping[str, Any] = field(default_factory=dict)
    org_path: tuple[str, ...] = ()
    tags: frozenset[str] = frozenset()
    segments: frozenset[str] = frozenset()
    holdings: tuple[HoldingFact, ...] = ()
    transactions: tuple[TxnFact, ...] = ()
    events: tuple[EventFact, ...] = ()

    def business_date(self, instant: datetime) -> date:
        """The calendar date of an instant in the business time zone."""
        return instant.astimezone(self.zone).date()


def as_date(value: Any, zone: tzinfo) -> date | None:
    """A date from a date, a datetime (its business date) or an ISO text; None when it is not one."""
    if isinstance(value, datetime):
        return value.astimezone(zone).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return as_date(datetime.fromisoformat(value.strip()), zone)
        except ValueError:
            return None
    return None


def as_number(value: Any) -> Fraction | None:
    """An exact number from a number or a plain decimal text ("7", "12.50"); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Fraction):
        return Fraction(value)
    if isinstance(value, float | Decimal):
        return Fraction(str(value)) if Decimal(str(value)).is_finite() else None
    if isinstance(value, str) and _DECIMAL.match(value.strip()):
        return Fraction(value.strip())
    return None


def like(value: Any, example: Any, zone: tzinfo) -> Any:
    """``value`` read as the type of the rule's ``example`` (number, text, true/false, date); None when unreadable."""
    if isinstance(example, bool):
        return value if isinstance(value, bool) else None
    if isinstance(example, Fraction):
        return as_number(value)
    if isinstance(example, date):
        return as_date(value, zone)
    return value if isinstance(value, str) else None


def whole_years(born: date, today: date) -> int:
    """Age in whole years on ``today``."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def days_to_anniversary(day: date, today: date) -> int:
    """Days from ``today`` to the next occurrence of the month-day (0 = today); Feb 29 falls on Feb 28."""
    upcoming = _on_year(day, today.year)
    if upcoming < today:
        upcoming = _on_year(day, today.year + 1)
    return (upcoming - today).days


def _on_year(day: date, year: int) -> date:
    if (day.month, day.day) == (2, 29) and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, day.month, day.day)
