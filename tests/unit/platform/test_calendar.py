"""The China business calendar: festival dates, official days off and 调休, lunar dates, override files."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lunar_python import Solar

from huoke.platform.calendar import (
    FESTIVALS,
    CalendarYearNotCovered,
    FestivalCalendar,
    HolidayYear,
    LunarDate,
    festival_date,
    from_lunar,
    holiday_name,
    is_holiday,
    is_workday,
    leap_month,
    load_overrides,
    lunar_month_days,
    parse_overrides,
    to_lunar,
    week_start,
)
from huoke.platform.errors import InvalidInput, NotFound

EXAMPLE = Path(__file__).parents[3] / "examples" / "calendar" / "festival_overrides.toml"

# Dates as published in the official holiday notices and common calendars.
PUBLISHED = [
    ("spring_festival", "2024-02-10"),
    ("spring_festival", "2025-01-29"),
    ("spring_festival", "2026-02-17"),
    ("spring_festival", "2027-02-06"),
    ("mid_autumn", "2024-09-17"),
    ("mid_autumn", "2025-10-06"),
    ("mid_autumn", "2026-09-25"),
    ("dragon_boat", "2024-06-10"),
    ("dragon_boat", "2025-05-31"),
    ("dragon_boat", "2026-06-19"),
    ("double_ninth", "2024-10-11"),
    ("double_ninth", "2025-10-29"),
    ("double_ninth", "2026-10-18"),
    ("qixi", "2025-08-29"),
    ("lantern", "2025-02-12"),
    ("qingming", "2024-04-04"),
    ("qingming", "2025-04-04"),
    ("qingming", "2026-04-05"),
    ("national_day", "2026-10-01"),
    ("new_year", "2026-01-01"),
]


# ---- festivals ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "published"), PUBLISHED)
def test_festival_falls_on_its_published_date(name: str, published: str) -> None:
    day = date.fromisoformat(published)

    assert festival_date(name, day.year) == day


def test_qingming_is_the_official_tomb_sweeping_day_in_every_packaged_year() -> None:
    for year in range(2008, 2027):  # Qingming has been an official day off since 2008
        day = festival_date("qingming", year)

        assert holiday_name(day) == "qingming", year


def test_qingming_matches_the_shouxing_formula_from_1900_to_2099() -> None:
    # chinese-calendar computes solar terms with the 寿星 formula; lunar-python computes them astronomically.
    for year in range(1900, 2100):
        terms = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 30))
        formula = next(day for day, term in terms if term == "清明")

        assert festival_date("qingming", year) == formula, year


def test_qingming_falls_on_the_4th_or_5th_of_april_2000_to_2030() -> None:
    days = {festival_date("qingming", year) for year in range(2000, 2031)}

    assert {(day.month, day.day) for day in days} == {(4, 4), (4, 5)}


def test_spring_festival_is_an_official_day_off_in_every_packaged_year() -> None:
    for year in range(2004, 2027):
        assert holiday_name(festival_date("spring_festival", year)) == "spring_festival", year


def test_unknown_festival_is_refused_with_the_known_names() -> None:
    with pytest.raises(InvalidInput, match=r"festival 'christmas': unknown.*spring_festival") as caught:
        festival_date("christmas", 2025)

    assert caught.value.code == "unknown_festival"


def test_lunar_festival_beyond_2100_needs_an_override() -> None:
    with pytest.raises(CalendarYearNotCovered, match=r"\[festivals.2101\] mid_autumn"):
        festival_date("mid_autumn", 2101)

    assert FestivalCalendar({("mid_autumn", 2101): date(2101, 10, 7)}).festival_date("mid_autumn", 2101) == date(
        2101, 10, 7
    )


def test_overrides_win_over_computed_dates() -> None:
    calendar = FestivalCalendar({("spring_festival", 2025): date(2025, 1, 30)})

    assert calendar.festival_date("spring_festival", 2025) == date(2025, 1, 30)
    assert calendar.festival_date("spring_festival", 2026) == date(2026, 2, 17)


# ---- official days off and 调休 ------------------------------------------------------------------------


def test_makeup_working_days_of_2025_are_workdays() -> None:
    calendar = FestivalCalendar()

    for day in (date(2025, 1, 26), date(2025, 2, 8), date(2025, 9, 28), date(2025, 10, 11)):
        assert day.weekday() >= 5
        assert is_workday(day)
        assert not is_holiday(day)
        assert calendar.is_makeup_workday(day)
        assert holiday_name(day) is None


def test_national_day_week_2025_is_off_with_mid_autumn_inside() -> None:
    days = [date(2025, 10, 1) + timedelta(days=n) for n in range(8)]

    assert all(is_holiday(day) for day in days)
    assert [holiday_name(day) for day in days] == ["national_day"] * 5 + ["mid_autumn"] + ["national_day"] * 2
    assert is_workday(date(2025, 10, 9))


def test_spring_festival_2025_days_off() -> None:
    assert [is_holiday(date(2025, 1, 28) + timedelta(days=n)) for n in range(8)] == [True] * 8
    assert holiday_name(date(2025, 1, 29)) == "spring_festival"
    assert is_workday(date(2025, 2, 5))


def test_ordinary_weekend_is_off_without_a_holiday_name() -> None:
    saturday = date(2025, 3, 8)

    assert is_holiday(saturday)
    assert holiday_name(saturday) is None
    assert is_workday(date(2025, 3, 10))


def test_year_the_package_does_not_cover_is_a_clear_error() -> None:
    with pytest.raises(CalendarYearNotCovered, match=r"2031.*\[holidays.2031\]") as caught:
        is_workday(date(2031, 3, 3))

    assert caught.value.code == "calendar_year_not_covered"


def test_an_override_year_is_used_instead_of_the_package() -> None:
    year = HolidayYear(days_off={date(2031, 1, 1): "new_year"}, makeup_workdays={date(2031, 1, 4): "new_year"})
    calendar = FestivalCalendar(holidays={2031: year})

    assert calendar.is_holiday(date(2031, 1, 1))
    assert calendar.holiday_name(date(2031, 1, 1)) == "new_year"
    assert calendar.is_workday(date(2031, 1, 4))  # a Saturday worked in exchange
    assert calendar.is_holiday(date(2031, 1, 5))  # an ordinary Sunday
    assert calendar.is_workday(date(2031, 1, 6))


def test_an_override_year_replaces_a_packaged_year() -> None:
    calendar = FestivalCalendar(holidays={2025: HolidayYear()})

    assert calendar.is_workday(date(2025, 10, 1))
    assert calendar.is_holiday(date(2025, 1, 26))  # no longer a make-up day: an ordinary Sunday


# ---- lunar calendar -----------------------------------------------------------------------------------


def test_known_lunar_dates() -> None:
    assert to_lunar(date(2025, 1, 29)) == LunarDate(2025, 1, 1)
    assert to_lunar(date(2025, 7, 25)) == LunarDate(2025, 6, 1, leap=True)  # 闰六月初一
    assert to_lunar(date(2025, 1, 28)) == LunarDate(2024, 12, 29)  # 除夕 belongs to the old year
    assert leap_month(2025) == 6
    assert leap_month(2024) is None


def test_day_30_of_a_short_month_is_its_last_day() -> None:
    assert lunar_month_days(2025, 2) == 29

    last = from_lunar(2025, 2, 30)

    assert last == from_lunar(2025, 2, 29)
    assert to_lunar(last + timedelta(days=1)) == LunarDate(2025, 3, 1)


def test_missing_leap_month_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"lunar year 2024: has no leap month 6 \(its leap month is none\)"):
        from_lunar(2024, 6, 1, leap=True)


@pytest.mark.parametrize(("month", "day"), [(0, 1), (13, 1), (1, 0), (1, 31)])
def test_impossible_lunar_dates_are_refused(month: int, day: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        from_lunar(2025, month, day)

    assert caught.value.code == "invalid_lunar_date"


def test_dates_outside_the_supported_range_are_refused() -> None:
    with pytest.raises(InvalidInput, match="2101-01-01: outside"):
        to_lunar(date(2101, 1, 1))


solar_days = st.dates(min_value=date(1901, 1, 1), max_value=date(2099, 12, 31))


@settings(max_examples=300, deadline=None)
@given(solar_days)
def test_lunar_round_trip(day: date) -> None:
    lunar = to_lunar(day)

    assert from_lunar(lunar.year, lunar.month, lunar.day, lunar.leap) == day


@settings(max_examples=100, deadline=None)
@given(solar_days)
def test_lunar_dates_agree_with_lunar_python_directly(day: date) -> None:
    expected = Solar.fromYmd(day.year, day.month, day.day).getLunar()

    lunar = to_lunar(day)

    assert (lunar.year, -lunar.month if lunar.leap else lunar.month, lunar.day) == (
        expected.getYear(),
        expected.getMonth(),
        expected.getDay(),
    )


def test_week_starts_on_monday() -> None:
    assert week_start(date(2025, 6, 1)) == date(2025, 5, 26)  # a Sunday belongs to the week before
    assert week_start(date(2025, 5, 26)) == date(2025, 5, 26)
    assert week_start(date(2026, 1, 1)) == date(2025, 12, 29)  # weeks cross year ends


# ---- override files -----------------------------------------------------------------------------------


def test_the_example_override_file_loads() -> None:
    calendar = FestivalCalendar.from_overrides(load_overrides(EXAMPLE))

    assert calendar.festival_date("spring_festival", 2101) == date(2101, 1, 29)
    assert calendar.holiday_name(date(2027, 2, 5)) == "spring_festival"
    assert calendar.is_workday(date(2027, 2, 9))
    assert set(FESTIVALS) >= {name for name, _ in load_overrides(EXAMPLE).festivals}


def test_override_file_festivals_win() -> None:
    overrides = parse_overrides("[festivals.2026]\nmid_autumn = 2026-09-26\n", source="bank.toml")

    assert FestivalCalendar.from_overrides(overrides).festival_date("mid_autumn", 2026) == date(2026, 9, 26)


def test_override_file_holiday_tables() -> None:
    text = """
[holidays.2031.days_off]
spring_festival = [2031-01-22, 2031-01-23]
[holidays.2031.makeup_workdays]
spring_festival = [2031-01-26]
"""
    calendar = FestivalCalendar.from_overrides(parse_overrides(text, source="bank.toml"))

    assert calendar.holiday_name(date(2031, 1, 23)) == "spring_festival"
    assert calendar.is_workday(date(2031, 1, 26))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[festivals.2031\n", r"bank.toml: not valid TOML"),
        ("[festivals.2031]\nchristmas = 2031-12-25\n", r"bank.toml: festivals.2031.christmas: unknown festival"),
        ("[festivals.2031]\nqixi = 2031-08-24T00:00:00\n", r"festivals.2031.qixi: .* is not a date"),
        ("[festivals.2031]\nqixi = '2031-08-24'\n", r"festivals.2031.qixi: '2031-08-24' is not a date"),
        ("[festivals.2031]\nqixi = 2032-08-24\n", r"festivals.2031.qixi: 2032-08-24 is not in 2031"),
        ("[festivals.31]\nqixi = 2031-08-24\n", r"festivals.31: '31' is not a year"),
        ("[holiday.2031]\n", r"bank.toml: holiday: unknown table"),
        ("[holidays.2031]\nextra = 1\n", r"holidays.2031.extra: unknown key"),
        ("[holidays.2031.days_off]\nnew_year = 2031-01-01\n", r"holidays.2031.days_off.new_year: expected a list"),
        ("[holidays.2031.days_off]\n'New Year' = [2031-01-01]\n", r"days_off.New Year: holiday keys are snake_case"),
        (
            "[holidays.2031.days_off]\nx = [2031-01-04]\n[holidays.2031.makeup_workdays]\nx = [2031-01-04]\n",
            r"holidays.2031: 2031-01-04 is both a day off and a make-up working day",
        ),
    ],
)
def test_override_file_errors_name_the_file_key_and_reason(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        parse_overrides(text, source="bank.toml")

    assert caught.value.code == "invalid_calendar_overrides"


def test_missing_override_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=r"missing.toml: not found"):
        load_overrides(tmp_path / "missing.toml")


def test_override_file_errors_name_the_path(tmp_path: Path) -> None:
    path = tmp_path / "bank.toml"
    path.write_text("[festivals.2031]\nqixi = 1\n", encoding="utf-8")

    with pytest.raises(InvalidInput, match=rf"{path}: festivals.2031.qixi"):
        load_overrides(path)
