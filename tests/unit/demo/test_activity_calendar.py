"""The business calendar behind synthetic activity: Spring Festival dates, kinds of day, payroll shifting."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from huoke.demo.activity_calendar import (
    FESTIVAL,
    GOLDEN_WEEK,
    PRE_FESTIVAL,
    SHOPPING,
    WEEKEND,
    WORKDAY,
    day_table,
    spring_festival,
)
from huoke.platform.errors import InvalidInput

YEAR_2025 = day_table(date(2025, 1, 1).toordinal(), date(2025, 12, 31).toordinal())


def on(table_day: date) -> int:
    return table_day.toordinal() - YEAR_2025.first


@pytest.mark.parametrize(
    ("year", "expected"),
    [(2020, date(2020, 1, 25)), (2024, date(2024, 2, 10)), (2025, date(2025, 1, 29)), (2026, date(2026, 2, 17))],
)
def test_spring_festival_falls_on_the_lunar_new_year(year: int, expected: date) -> None:
    assert spring_festival(year) == expected


def test_spring_festival_is_always_between_21_january_and_20_february() -> None:
    for year in range(2000, 2041):
        festival = spring_festival(year)
        assert date(year, 1, 21) <= festival <= date(year, 2, 20)


def test_a_year_outside_the_table_is_refused_with_the_field_named() -> None:
    with pytest.raises(InvalidInput) as caught:
        spring_festival(2041)
    assert caught.value.code == "activity_year_out_of_range"
    assert "2041" in caught.value.message
    assert caught.value.details["field"] == "end"


def test_the_fortnight_before_new_years_eve_is_the_shopping_peak() -> None:
    eve = date(2025, 1, 28)
    before = [on(date(2025, 1, d)) for d in range(14, 28)]
    assert all(YEAR_2025.kind[i] == PRE_FESTIVAL for i in before)
    assert YEAR_2025.kind[on(date(2025, 1, 13))] != PRE_FESTIVAL
    assert YEAR_2025.kind[on(eve)] == FESTIVAL
    spend = YEAR_2025.spend[before]
    assert np.all(np.diff(spend) > 0), "spend rises towards the eve"
    assert spend.min() > YEAR_2025.spend[on(date(2025, 3, 8))]  # an ordinary Saturday


def test_the_festival_holiday_has_no_workdays_and_red_packets_peak_on_the_eve() -> None:
    holiday = [on(date(2025, 1, 28)) + i for i in range(7)]
    assert not YEAR_2025.workday[holiday].any()
    assert YEAR_2025.red_packet[on(date(2025, 1, 28))] == YEAR_2025.red_packet.max()
    assert YEAR_2025.red_packet[on(date(2025, 3, 1))] == 0


def test_double_11_golden_week_and_weekends() -> None:
    assert YEAR_2025.kind[on(date(2025, 11, 11))] == SHOPPING
    assert YEAR_2025.spend[on(date(2025, 11, 11))] > YEAR_2025.spend[on(date(2025, 6, 18))] > 1
    assert YEAR_2025.kind[on(date(2025, 10, 3))] == GOLDEN_WEEK
    assert YEAR_2025.kind[on(date(2025, 3, 8))] == WEEKEND  # a Saturday
    assert YEAR_2025.kind[on(date(2025, 3, 10))] == WORKDAY  # a Monday
    assert YEAR_2025.weekday[on(date(2025, 3, 10))] == 0


def test_a_payday_on_a_weekend_or_holiday_moves_to_the_previous_workday() -> None:
    days = np.array([date(2025, 3, 15), date(2025, 3, 14), date(2025, 1, 31), date(2025, 10, 5)])
    moved = YEAR_2025.previous_workday(np.array([d.toordinal() for d in days]))
    assert [date.fromordinal(int(d)) for d in moved] == [
        date(2025, 3, 14),  # Saturday → Friday
        date(2025, 3, 14),  # already a workday
        date(2025, 1, 27),  # inside the festival holiday → the Monday before the eve
        date(2025, 9, 30),  # golden week → the last day of September
    ]
