"""Clocks: every use case takes ``now`` from an injected Clock, never from the system directly."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ClockError(ValueError):
    pass


class SimulatedClock:
    """A clock that starts at a given instant and moves only forward, only when told."""

    def __init__(self, start: datetime) -> None:
        self._now = _require_aware(start)

    def now(self) -> datetime:
        return self._now

    def advance_to(self, instant: datetime) -> None:
        instant = _require_aware(instant)
        if instant < self._now:
            raise ClockError(
                f"the simulated clock only moves forward: {instant.isoformat()} is before {self._now.isoformat()}"
            )
        self._now = instant


def _require_aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ClockError(f"{instant.isoformat()} has no time zone")
    return instant.astimezone(UTC)


def parse_instant(text: str, zone: tzinfo) -> datetime:
    """ISO 8601 date or date-time; without an offset it is read in the business time zone ``zone``."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ClockError(f"{text!r} is not an ISO 8601 date or date-time") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)
