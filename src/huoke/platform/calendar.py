"""The China business calendar: official days off, make-up working days, the lunar calendar and festivals.

Pure: no clock, no database. Official holidays and make-up working days (调休) come from the
``chinese-calendar`` package, which the State Council's yearly notice extends one year at a time; a bank
fills a year it does not yet cover with an override file (``load_overrides``). Lunar dates and the Qingming
solar term come from ``lunar-python`` (astronomical computation, valid far beyond 1900–2100; huoke
accepts solar dates 1900-01-01..2100-12-31 and lunar years 1899–2100).
"""

from __future__ import annotations

import re
import tomllib
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, NamedTuple, get_args

import chinese_calendar
from lunar_python import Lunar, LunarYear

from huoke.platform.errors import InvalidInput, NotFound

FestivalName = Literal[
    "spring_festival", "lantern", "qingming", "dragon_boat", "qixi", "mid_autumn", "double_ninth",
    "national_day", "new_year",
]  # fmt: skip
FESTIVALS: tuple[FestivalName, ...] = get_args(FestivalName)

# Festivals on a fixed lunar month-day (never in a leap month) of the lunar year that starts in the same
# solar year, so each falls in that solar year.
LUNAR_FESTIVALS: Mapping[str, tuple[int, int]] = {
    "spring_festival": (1, 1), "lantern": (1, 15), "dragon_boat": (5, 5), "qixi": (7, 7), "mid_autumn": (8, 15),
    "double_ninth": (9, 9),
}  # fmt: skip
SOLAR_FESTIVALS: Mapping[str, tuple[int, int]] = {"new_year": (1, 1), "national_day": (10, 1)}

FIRST_YEAR, LAST_YEAR = 1900, 2100
FIRST_LUNAR_YEAR = FIRST_YEAR - 1  # 1900-01-01..1900-01-30 belong to the lunar year 1899
_JULIAN_DAY_OF_ORDINAL_ZERO = 1_721_425
_OVERRIDES_CODE = "invalid_calendar_overrides"

# chinese-calendar names holidays in English prose; huoke speaks in stable snake_case keys.
_HOLIDAY_KEYS = {
    "New Year's Day": "new_year", "Spring Festival": "spring_festival", "Tomb-sweeping Day": "qingming",
    "Labour Day": "labour_day", "Dragon Boat Festival": "dragon_boat", "National Day": "national_day",
    "Mid-autumn Festival": "mid_autumn",
}  # fmt: skip
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


class CalendarYearNotCovered(InvalidInput):
    """A year for which neither the installed packages nor the override file know the answer."""


@dataclass(frozen=True)
class LunarDate:
    """A day of the Chinese lunar calendar (农历). ``leap`` marks a day of a leap month (闰月)."""

    year: int
    month: int
    day: int
    leap: bool = False


# ---- the lunar calendar -------------------------------------------------------------------------------


class _LunarMonth(NamedTuple):
    month: int
    leap: bool
    first_day: date
    days: int


@lru_cache(maxsize=256)
def _lunar_year(year: int) -> tuple[_LunarMonth, ...]:
    """The 12 or 13 months of a lunar year, in order, read once from lunar-python."""
    months = []
    for raw in LunarYear.fromYear(year).getMonthsInYear():
        number: int = raw.getMonth()
        first = date.fromordinal(int(raw.getFirstJulianDay()) - _JULIAN_DAY_OF_ORDINAL_ZERO)
        months.append(_LunarMonth(abs(number), number < 0, first, int(raw.getDayCount())))
    return tuple(months)


def _check_solar(day: date) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidInput(
            f"date {day.isoformat()}: outside the lunar calendar's range {FIRST_YEAR}-01-01..{LAST_YEAR}-12-31",
            code="date_out_of_range",
        )


def _check_lunar_year(year: int) -> None:
    if not FIRST_LUNAR_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(
            f"lunar year {year}: outside the supported range {FIRST_LUNAR_YEAR}–{LAST_YEAR}", code="date_out_of_range"
        )


def to_lunar(day: date) -> LunarDate:
    """The lunar date of a solar (Gregorian) day."""
    _check_solar(day)
    year = day.year if day >= _lunar_year(day.year)[0].first_day else day.year - 1
    months = _lunar_year(year)
    index = bisect_right([month.first_day for month in months], day) - 1
    month = months[index]
    return LunarDate(year, month.month, (day - month.first_day).days + 1, month.leap)


def leap_month(year: int) -> int | None:
    """The number of the month that lunar ``year`` repeats as a leap month, or None."""
    _check_lunar_year(year)
    return next((month.month for month in _lunar_year(year) if month.leap), None)


def lunar_month_days(year: int, month: int, *, leap: bool = False) -> int:
    """How many days (29 or 30) a lunar month has."""
    return _find_month(year, month, leap).days


def from_lunar(year: int, month: int, day: int, leap: bool = False) -> date:
    """The solar date of a lunar date.

    Day 30 of a 29-day month (小月) gives the month's last day, day 29: a lunar birthday or festival on
    the 30th still happens once a year. A leap month that the year does not have is an error.
    """
    if not 1 <= day <= 30:  # noqa: PLR2004 - no lunar month is longer
        raise InvalidInput(f"lunar date {year}-{month}-{day}: day must be 1–30", code="invalid_lunar_date")
    found = _find_month(year, month, leap)
    return found.first_day + timedelta(days=min(day, found.days) - 1)


def _find_month(year: int, month: int, leap: bool) -> _LunarMonth:
    _check_lunar_year(year)
    if not 1 <= month <= 12:  # noqa: PLR2004
        raise InvalidInput(f"lunar date {year}-{month}: month must be 1–12", code="invalid_lunar_date")
    for candidate in _lunar_year(year):
        if candidate.month == month and candidate.leap == leap:
            return candidate
    actual = leap_month(year)
    raise InvalidInput(
        f"lunar year {year}: has no leap month {month} (its leap month is {actual or 'none'})",
        code="invalid_lunar_date",
    )


@lru_cache(maxsize=256)
def qingming(year: int) -> date:
    """The day (Beijing time) of the Qingming solar term (清明, the sun at 15° ecliptic longitude)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(
            f"qingming {year}: outside the supported years {FIRST_YEAR}–{LAST_YEAR}", code="date_out_of_range"
        )
    solar = Lunar.fromYmd(year, 1, 1).getJieQiTable()["清明"]
    return date(int(solar.getYear()), int(solar.getMonth()), int(solar.getDay()))


def week_start(day: date) -> date:
    """The Monday of the natural week (Monday–Sunday) that contains ``day``."""
    if isinstance(day, datetime):
        day = day.date()
    return day - timedelta(days=day.weekday())


# ---- official holidays and festivals ------------------------------------------------------------------


@dataclass(frozen=True)
class HolidayYear:
    """One year's official days off (day → holiday key) and make-up working days (调休, day → holiday key)."""

    days_off: Mapping[date, str] = field(default_factory=dict)
    makeup_workdays: Mapping[date, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CalendarOverrides:
    """What an override file adds: festival dates by (name, year), and whole holiday years by year."""

    festivals: Mapping[tuple[FestivalName, int], date] = field(default_factory=dict)
    holidays: Mapping[int, HolidayYear] = field(default_factory=dict)


class _DayStatus(NamedTuple):
    off: bool
    holiday: str | None
    makeup: bool


class FestivalCalendar:
    """Festival dates and official days off; override values win over computed and packaged ones."""

    def __init__(
        self,
        overrides: Mapping[tuple[FestivalName, int], date] | None = None,
        *,
        holidays: Mapping[int, HolidayYear] | None = None,
    ) -> None:
        self._festivals = dict(overrides or {})
        self._holidays = dict(holidays or {})

    @classmethod
    def from_overrides(cls, overrides: CalendarOverrides) -> FestivalCalendar:
        return cls(overrides.festivals, holidays=overrides.holidays)

    def festival_date(self, name: str, year: int) -> date:
        """The solar date of festival ``name`` in solar ``year``."""
        festival = festival_name(name)
        given = self._festivals.get((festival, year))
        if given is not None:
            return given
        if festival in SOLAR_FESTIVALS:
            return date(year, *SOLAR_FESTIVALS[festival])
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise CalendarYearNotCovered(
                f"festival {festival} in {year}: the lunar calendar covers {FIRST_YEAR}–{LAST_YEAR}; "
                f"give the date in the festival override file as [festivals.{year}] {festival} = YYYY-MM-DD",
                code="calendar_year_not_covered",
            )
        return qingming(year) if festival == "qingming" else from_lunar(year, *LUNAR_FESTIVALS[festival])

    def is_workday(self, day: date) -> bool:
        """Whether people work on ``day``: a weekday that is no official day off, or a make-up working day."""
        return not self._status(day).off

    def is_holiday(self, day: date) -> bool:
        """Whether ``day`` is a day off: an official holiday or a weekend that is no make-up working day."""
        return self._status(day).off

    def is_makeup_workday(self, day: date) -> bool:
        """Whether ``day`` is a weekend day worked in exchange for a holiday (调休)."""
        return self._status(day).makeup

    def holiday_name(self, day: date) -> str | None:
        """The key of the official holiday ``day`` is off for (``spring_festival``…); None otherwise."""
        return self._status(day).holiday

    def _status(self, day: date) -> _DayStatus:
        if isinstance(day, datetime):
            day = day.date()
        year = self._holidays.get(day.year)
        return _official_status(day) if year is None else _override_status(day, year)


def festival_name(name: str) -> FestivalName:
    """``name`` as a festival name, or an error that lists the known ones."""
    for festival in FESTIVALS:
        if festival == name:
            return festival
    raise InvalidInput(f"festival {name!r}: unknown; expected one of {', '.join(FESTIVALS)}", code="unknown_festival")


def _official_status(day: date) -> _DayStatus:
    try:
        off, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError as exc:
        raise CalendarYearNotCovered(
            f"official holidays for {day.year}: the installed chinese-calendar does not cover that year ({exc}); "
            f"add a [holidays.{day.year}] table to the festival override file or upgrade chinese-calendar",
            code="calendar_year_not_covered",
        ) from exc
    key = _holiday_key(name) if name else None
    return _DayStatus(True, key, False) if off else _DayStatus(False, None, key is not None)


def _override_status(day: date, year: HolidayYear) -> _DayStatus:
    if day in year.makeup_workdays:
        return _DayStatus(False, None, True)
    name = year.days_off.get(day)
    if name is not None:
        return _DayStatus(True, name, False)
    return _DayStatus(day.weekday() >= 5, None, False)  # noqa: PLR2004 - Saturday and Sunday


def _holiday_key(name: str) -> str:
    return _HOLIDAY_KEYS.get(name) or re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


_OFFICIAL = FestivalCalendar()


def is_workday(day: date) -> bool:
    """Official working day (incl. 调休 make-up days), from chinese-calendar; see ``FestivalCalendar``."""
    return _OFFICIAL.is_workday(day)


def is_holiday(day: date) -> bool:
    """Official day off (holiday or weekend that is not a make-up working day)."""
    return _OFFICIAL.is_holiday(day)


def holiday_name(day: date) -> str | None:
    """The key of the official holiday ``day`` is off for, or None."""
    return _OFFICIAL.holiday_name(day)


def festival_date(name: str, year: int) -> date:
    """The date of a festival computed from the calendars, without overrides."""
    return _OFFICIAL.festival_date(name, year)


# ---- the override file --------------------------------------------------------------------------------


def load_overrides(path: str | Path) -> CalendarOverrides:
    """Read a festival override file (TOML; see examples/calendar/festival_overrides.toml)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise NotFound(f"festival override file {path}: not found", code="calendar_overrides_not_found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"festival override file {path}: cannot be read ({exc})", code=_OVERRIDES_CODE) from exc
    return parse_overrides(text, source=str(path))


def parse_overrides(text: str, *, source: str) -> CalendarOverrides:
    """Parse the text of an override file; ``source`` names it in errors."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _bad(source, "", f"not valid TOML ({exc})") from exc
    unknown = sorted(set(document) - {"festivals", "holidays"})
    if unknown:
        raise _bad(source, unknown[0], "unknown table; expected [festivals.YEAR] or [holidays.YEAR]")
    festivals = _parse_festivals(_table(document.get("festivals", {}), source, "festivals"), source)
    holidays = _parse_holidays(_table(document.get("holidays", {}), source, "holidays"), source)
    return CalendarOverrides(festivals, holidays)


def _parse_festivals(table: dict[str, Any], source: str) -> dict[tuple[FestivalName, int], date]:
    result: dict[tuple[FestivalName, int], date] = {}
    for year_key, entries in table.items():
        where = f"festivals.{year_key}"
        year = _year(year_key, source, where)
        for name, value in _table(entries, source, where).items():
            if name not in FESTIVALS:
                raise _bad(source, f"{where}.{name}", f"unknown festival; expected one of {', '.join(FESTIVALS)}")
            result[festival_name(name), year] = _date(value, source, f"{where}.{name}", year)
    return result


def _parse_holidays(table: dict[str, Any], source: str) -> dict[int, HolidayYear]:
    result = {}
    for year_key, entries in table.items():
        where = f"holidays.{year_key}"
        year = _year(year_key, source, where)
        body = _table(entries, source, where)
        extra = sorted(set(body) - {"days_off", "makeup_workdays"})
        if extra:
            raise _bad(source, f"{where}.{extra[0]}", "unknown key; expected days_off and makeup_workdays")
        days_off = _holiday_days(body.get("days_off", {}), source, f"{where}.days_off", year)
        makeup = _holiday_days(body.get("makeup_workdays", {}), source, f"{where}.makeup_workdays", year)
        both = sorted(set(days_off) & set(makeup))
        if both:
            raise _bad(source, where, f"{both[0].isoformat()} is both a day off and a make-up working day")
        result[year] = HolidayYear(days_off, makeup)
    return result


def _holiday_days(value: object, source: str, where: str, year: int) -> dict[date, str]:
    days: dict[date, str] = {}
    for name, listed in _table(value, source, where).items():
        if not _KEY.match(name):
            raise _bad(source, f"{where}.{name}", "holiday keys are snake_case, e.g. spring_festival")
        if not isinstance(listed, list):
            raise _bad(source, f"{where}.{name}", "expected a list of dates, e.g. [2031-01-22, 2031-01-23]")
        for item in listed:
            days[_date(item, source, f"{where}.{name}", year)] = name
    return days


def _table(value: object, source: str, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(source, where, "expected a table")
    return value


def _year(key: str, source: str, where: str) -> int:
    if not (key.isdigit() and len(key) == 4 and int(key) >= FIRST_YEAR):  # noqa: PLR2004
        raise _bad(source, where, f"{key!r} is not a year (four digits, {FIRST_YEAR} or later)")
    return int(key)


def _date(value: object, source: str, where: str, year: int) -> date:
    if type(value) is not date:  # a TOML date-time is a datetime, which is a date subclass: refuse it too
        raise _bad(source, where, f"{value!r} is not a date; write it unquoted as YYYY-MM-DD")
    if value.year != year:
        raise _bad(source, where, f"{value.isoformat()} is not in {year}; list it under that year's table")
    return value


def _bad(source: str, key: str, reason: str) -> InvalidInput:
    location = f"{source}: {key}" if key else source
    return InvalidInput(f"festival override file {location}: {reason}", code=_OVERRIDES_CODE)
