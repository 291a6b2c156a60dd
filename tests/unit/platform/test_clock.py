"""Clocks: the simulated clock only moves forward; instants are read in the business zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from huoke.platform.clock import ClockError, SimulatedClock, SystemClock, parse_instant

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)


def test_simulated_clock_reports_its_start_in_utc() -> None:
    now = SimulatedClock(START).now()

    assert now == datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    assert now.utcoffset() == timedelta(0)


def test_simulated_clock_advances_when_told() -> None:
    clock = SimulatedClock(START)

    clock.advance_to(START + timedelta(hours=3))

    assert clock.now() == datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
    assert clock.now().utcoffset() == timedelta(0)


def test_simulated_clock_may_advance_to_the_same_instant() -> None:
    clock = SimulatedClock(START)

    clock.advance_to(START.astimezone(UTC))

    assert clock.now() == START


def test_simulated_clock_refuses_to_move_backwards() -> None:
    clock = SimulatedClock(START)

    with pytest.raises(ClockError, match="only moves forward"):
        clock.advance_to(START - timedelta(seconds=1))

    assert clock.now() == START


def test_simulated_clock_refuses_a_naive_start() -> None:
    with pytest.raises(ClockError, match="no time zone"):
        SimulatedClock(datetime(2026, 11, 24, 9, 0))  # noqa: DTZ001 - the naive value is the point


def test_simulated_clock_refuses_a_naive_advance() -> None:
    clock = SimulatedClock(START)

    with pytest.raises(ClockError, match="no time zone"):
        clock.advance_to(datetime(2027, 1, 1))  # noqa: DTZ001 - the naive value is the point

    assert clock.now() == START


def test_system_clock_is_aware_utc() -> None:
    assert SystemClock().now().utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-24T09:00", datetime(2026, 11, 24, 1, 0, tzinfo=UTC)),
        ("2026-11-24 09:00:00", datetime(2026, 11, 24, 1, 0, tzinfo=UTC)),
        ("  2026-11-24T09:00  ", datetime(2026, 11, 24, 1, 0, tzinfo=UTC)),
        ("2026-11-24T09:00+00:00", datetime(2026, 11, 24, 9, 0, tzinfo=UTC)),
        ("2026-11-24T09:00Z", datetime(2026, 11, 24, 9, 0, tzinfo=UTC)),
        ("2026-11-24T09:00-05:00", datetime(2026, 11, 24, 14, 0, tzinfo=UTC)),
        ("2026-11-24", datetime(2026, 11, 23, 16, 0, tzinfo=UTC)),
    ],
)
def test_parse_instant_reads_offsetless_text_in_the_business_zone(text: str, expected: datetime) -> None:
    parsed = parse_instant(text, SHANGHAI)

    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


def test_parse_instant_uses_the_zone_it_is_given() -> None:
    assert parse_instant("2026-11-24T09:00", timezone(timedelta(hours=-3))) == datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "tomorrow", "2026-13-01", "2026-02-30T09:00", "24/11/2026"])
def test_parse_instant_rejects_garbage(text: str) -> None:
    with pytest.raises(ClockError, match="ISO 8601"):
        parse_instant(text, SHANGHAI)
