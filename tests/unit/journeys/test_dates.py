"""When date and festival journey triggers fire: anniversaries, lunar birthdays, offsets, DST, catching up."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huoke.journeys.dates import (
    CalendarKind,
    date_fires_between,
    festival_fires_between,
    local_instant,
    next_anniversary,
    next_festival,
    solar_fires_for_many,
)
from huoke.platform.calendar import FestivalCalendar, from_lunar, to_lunar
from huoke.platform.errors import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
NINE = time(9, 0)
OFFICIAL = FestivalCalendar()


def shanghai(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def birthday(
    attr: date,
    after: datetime,
    *,
    offset_days: int = 0,
    calendar: CalendarKind = "solar",
    at: time = NINE,
    zone: tzinfo = SHANGHAI,
) -> datetime:
    return next_anniversary(attr, after=after, offset_days=offset_days, at=at, calendar=calendar, zone=zone)


# ---- solar anniversaries ------------------------------------------------------------------------------


def test_birthday_fires_on_its_month_day_at_local_time() -> None:
    fired = birthday(date(1990, 5, 20), shanghai(2025, 3, 1))

    assert fired == shanghai(2025, 5, 20, 9, 0)
    assert fired.tzinfo == UTC


def test_next_firing_is_strictly_after() -> None:
    assert birthday(date(1990, 5, 20), shanghai(2025, 5, 20, 9, 0)) == shanghai(2026, 5, 20, 9, 0)
    assert birthday(date(1990, 5, 20), shanghai(2025, 5, 20, 8, 59)) == shanghai(2025, 5, 20, 9, 0)


def test_feb_29_fires_on_feb_28_in_common_years() -> None:
    assert birthday(date(2000, 2, 29), shanghai(2025, 1, 1)) == shanghai(2025, 2, 28, 9, 0)
    assert birthday(date(2000, 2, 29), shanghai(2027, 3, 1)) == shanghai(2028, 2, 29, 9, 0)


def test_the_date_itself_is_not_an_anniversary() -> None:
    approved = date(2025, 3, 10)

    assert birthday(approved, shanghai(2025, 3, 1)) == shanghai(2026, 3, 10, 9, 0)


def test_negative_offset_crosses_the_year_end() -> None:
    fired = birthday(date(1980, 1, 2), shanghai(2025, 12, 1), offset_days=-5)

    assert fired == shanghai(2025, 12, 28, 9, 0)


def test_positive_offset_crosses_the_year_end() -> None:
    fired = birthday(date(1980, 12, 30), shanghai(2025, 12, 31), offset_days=5)

    assert fired == shanghai(2026, 1, 4, 9, 0)  # the 2025 anniversary + 5 days


def test_offset_occurrence_of_the_previous_year_is_still_found() -> None:
    # 2024-12-30 + 5 days fires on 2025-01-04, after an instant in 2025.
    fired = birthday(date(1980, 12, 30), shanghai(2025, 1, 2), offset_days=5)

    assert fired == shanghai(2025, 1, 4, 9, 0)


# ---- lunar anniversaries ------------------------------------------------------------------------------


def test_lunar_birthday_follows_the_lunar_calendar() -> None:
    born = from_lunar(1990, 8, 15)  # 1990-10-03

    fired = birthday(born, shanghai(2025, 1, 1), calendar="lunar")

    assert fired == shanghai(2025, 10, 6, 9, 0)  # Mid-Autumn 2025
    assert birthday(born, fired, calendar="lunar") == shanghai(2026, 9, 25, 9, 0)


def test_leap_month_birthday_fires_in_the_leap_month_when_the_year_has_one() -> None:
    born = from_lunar(2017, 6, 15, leap=True)  # 闰六月十五

    in_2025 = birthday(born, shanghai(2025, 1, 1), calendar="lunar")

    assert in_2025.astimezone(SHANGHAI).date() == from_lunar(2025, 6, 15, leap=True) == date(2025, 8, 8)


def test_leap_month_birthday_fires_in_the_ordinary_month_otherwise() -> None:
    born = from_lunar(2017, 6, 15, leap=True)

    in_2024 = birthday(born, shanghai(2024, 1, 1), calendar="lunar")

    assert in_2024.astimezone(SHANGHAI).date() == from_lunar(2024, 6, 15) == date(2024, 7, 20)


def test_ordinary_month_birthday_stays_in_the_ordinary_month_of_a_leap_year() -> None:
    born = from_lunar(2024, 6, 15)

    in_2025 = birthday(born, shanghai(2025, 1, 1), calendar="lunar")

    assert in_2025.astimezone(SHANGHAI).date() == date(2025, 7, 9)  # not 闰六月十五, 2025-08-08


def test_lunar_day_30_falls_on_day_29_of_a_short_month() -> None:
    born = from_lunar(2024, 8, 30)  # 2024's eighth month has 30 days, 2025's has 29

    fired = birthday(born, shanghai(2025, 1, 1), calendar="lunar")

    assert to_lunar(fired.astimezone(SHANGHAI).date()).day == 29
    assert fired == shanghai(2025, 10, 20, 9, 0)


def test_lunar_birthday_in_january_belongs_to_the_previous_lunar_year() -> None:
    born = date(2025, 1, 20)  # 2024 腊月廿一

    fired = birthday(born, shanghai(2025, 1, 21), calendar="lunar")

    assert fired == shanghai(2026, 2, 8, 9, 0)  # 2025 腊月廿一


def test_twelfth_month_birthday_of_the_lunar_year_before_is_found_in_the_new_solar_year() -> None:
    born = from_lunar(1980, 12, 21)

    fired = birthday(born, shanghai(2026, 1, 21), calendar="lunar")

    assert fired == shanghai(2026, 2, 8, 9, 0)  # lunar 2025's 腊月廿一 falls in solar 2026


# ---- local time and daylight saving -------------------------------------------------------------------


def test_time_in_a_dst_gap_fires_after_the_gap() -> None:
    # 2025-03-09 02:00 EST jumps to 03:00 EDT in New York: 02:30 does not exist that night.
    fired = next_anniversary(date(1990, 3, 9), after=datetime(2025, 1, 1, tzinfo=UTC), at=time(2, 30), zone=NEW_YORK)

    assert fired == datetime(2025, 3, 9, 7, 30, tzinfo=UTC)
    assert fired.astimezone(NEW_YORK).time() == time(3, 30)


def test_repeated_time_fires_at_its_first_occurrence() -> None:
    # 2025-11-02 01:30 happens twice in New York: first EDT (05:30 UTC), then EST (06:30 UTC).
    fired = next_anniversary(date(1990, 11, 2), after=datetime(2025, 1, 1, tzinfo=UTC), at=time(1, 30), zone=NEW_YORK)

    assert fired == datetime(2025, 11, 2, 5, 30, tzinfo=UTC)


def test_local_time_keeps_the_wall_clock_across_dst() -> None:
    before = local_instant(date(2025, 3, 8), NINE, NEW_YORK)
    after = local_instant(date(2025, 3, 10), NINE, NEW_YORK)

    assert before == datetime(2025, 3, 8, 14, 0, tzinfo=UTC)
    assert after == datetime(2025, 3, 10, 13, 0, tzinfo=UTC)


def test_after_is_read_in_the_business_zone() -> None:
    # 2025-05-20 00:30 UTC is already 08:30 in Shanghai: the 09:00 firing that day is still ahead.
    fired = birthday(date(1990, 5, 20), datetime(2025, 5, 20, 0, 30, tzinfo=UTC))

    assert fired == datetime(2025, 5, 20, 1, 0, tzinfo=UTC)


# ---- festivals ----------------------------------------------------------------------------------------


def test_festival_fires_on_its_date_shifted_by_the_offset() -> None:
    fired = next_festival(
        "double_ninth", after=shanghai(2025, 1, 1), offset_days=-3, at=time(10, 0), zone=SHANGHAI, calendar=OFFICIAL
    )

    assert fired == shanghai(2025, 10, 26, 10, 0)


def test_festival_already_past_this_year_fires_next_year() -> None:
    fired = next_festival(
        "spring_festival", after=shanghai(2025, 1, 25), offset_days=-7, at=NINE, zone=SHANGHAI, calendar=OFFICIAL
    )

    assert fired == shanghai(2026, 2, 10, 9, 0)


def test_festival_of_next_year_with_negative_offset_fires_this_year() -> None:
    # Spring Festival 2027 is on 6 February; 40 days before is 28 December 2026.
    fired = next_festival(
        "spring_festival", after=shanghai(2026, 12, 1), offset_days=-40, at=NINE, zone=SHANGHAI, calendar=OFFICIAL
    )

    assert fired == shanghai(2026, 12, 28, 9, 0)


def test_festival_uses_the_calendar_overrides() -> None:
    calendar = FestivalCalendar({("mid_autumn", 2025): date(2025, 10, 7)})

    fired = next_festival("mid_autumn", after=shanghai(2025, 1, 1), at=NINE, zone=SHANGHAI, calendar=calendar)

    assert fired == shanghai(2025, 10, 7, 9, 0)


def test_unknown_festival_is_refused() -> None:
    with pytest.raises(InvalidInput, match="festival 'halloween'"):
        next_festival("halloween", after=shanghai(2025, 1, 1), at=NINE, zone=SHANGHAI, calendar=OFFICIAL)


# ---- catching up ---------------------------------------------------------------------------------------


def test_fires_between_lists_every_firing_in_the_half_open_window() -> None:
    start = shanghai(2024, 5, 20, 9, 0)  # a firing instant: excluded
    end = shanghai(2027, 5, 20, 9, 0)  # a firing instant: included

    fired = date_fires_between(date(1990, 5, 20), start, end, at=NINE, zone=SHANGHAI)

    assert fired == [shanghai(2025, 5, 20, 9, 0), shanghai(2026, 5, 20, 9, 0), shanghai(2027, 5, 20, 9, 0)]


def test_fires_between_an_empty_window() -> None:
    assert (
        date_fires_between(date(1990, 5, 20), shanghai(2025, 6, 1), shanghai(2025, 6, 1), at=NINE, zone=SHANGHAI) == []
    )
    assert (
        date_fires_between(date(1990, 5, 20), shanghai(2025, 6, 1), shanghai(2025, 1, 1), at=NINE, zone=SHANGHAI) == []
    )


def test_festival_fires_between_over_three_years() -> None:
    fired = festival_fires_between(
        "mid_autumn", shanghai(2024, 1, 1), shanghai(2026, 12, 31), at=NINE, zone=SHANGHAI, calendar=OFFICIAL
    )

    assert [instant.astimezone(SHANGHAI).date() for instant in fired] == [
        date(2024, 9, 17),
        date(2025, 10, 6),
        date(2026, 9, 25),
    ]


# ---- bad input -----------------------------------------------------------------------------------------


def test_naive_instants_are_refused() -> None:
    with pytest.raises(InvalidInput, match="after 2025-01-01T00:00:00: has no time zone"):
        next_anniversary(date(1990, 5, 20), after=datetime(2025, 1, 1), at=NINE, zone=SHANGHAI)  # noqa: DTZ001


def test_time_of_day_with_a_zone_is_refused() -> None:
    with pytest.raises(InvalidInput, match="time of day"):
        birthday(date(1990, 5, 20), shanghai(2025, 1, 1), at=time(9, 0, tzinfo=UTC))


def test_unknown_calendar_kind_is_refused() -> None:
    with pytest.raises(InvalidInput, match="'julian'"):
        birthday(date(1990, 5, 20), shanghai(2025, 1, 1), calendar="julian")  # type: ignore[arg-type]


# ---- properties ---------------------------------------------------------------------------------------

instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 12, 31), timezones=st.just(UTC))  # noqa: DTZ001
attr_dates = st.dates(min_value=date(1930, 1, 1), max_value=date(1999, 12, 31))
offsets = st.integers(min_value=-400, max_value=400)


@settings(max_examples=150, deadline=None)
@given(attr_dates, instants, offsets, st.sampled_from(["solar", "lunar"]))
def test_next_anniversary_is_the_first_firing_after(
    attr: date, after: datetime, offset: int, kind: CalendarKind
) -> None:
    fired = birthday(attr, after, offset_days=offset, calendar=kind, zone=NEW_YORK)

    assert fired > after
    assert fired - after <= timedelta(days=386)  # lunar years run up to 385 days; one hour for DST
    caught_up = date_fires_between(attr, after, fired, offset_days=offset, at=NINE, calendar=kind, zone=NEW_YORK)
    assert caught_up == [fired]


@settings(max_examples=150, deadline=None)
@given(attr_dates, instants)
def test_solar_firing_keeps_the_month_day(attr: date, after: datetime) -> None:
    local = birthday(attr, after).astimezone(SHANGHAI)

    assert local.time() == NINE
    if (attr.month, attr.day) != (2, 29):
        assert (local.month, local.day) == (attr.month, attr.day)


def test_solar_fires_for_many_agrees_with_one_at_a_time() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    dates = {
        "leap": date(2000, 2, 29), "new_year": date(1990, 1, 1), "eve": date(1949, 12, 31),
        "today": date(2026, 11, 24), "march": date(1985, 3, 1),
    }  # fmt: skip
    start, end = datetime(2026, 11, 24, 3, tzinfo=UTC), datetime(2028, 3, 5, tzinfo=UTC)
    for offset in (0, -3, 10):
        many = solar_fires_for_many(dates, start, end, offset_days=offset, at=time(9, 30), zone=zone)
        single = sorted(
            (instant, key)
            for key, day in dates.items()
            for instant in date_fires_between(day, start, end, offset_days=offset, at=time(9, 30), zone=zone)
        )
        assert sorted(many) == single
        assert len(single) >= 7  # every key fires at least once in the 15 months
