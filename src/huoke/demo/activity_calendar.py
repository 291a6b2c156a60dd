"""The business calendar synthetic activity follows: weekends, Spring Festival, Double 11, golden week.

Spring Festival (春节, the first day of the first lunar month) moves between 21 January and 20 February. The
table lists it for 2000–2040, taken from the Hong Kong Observatory's Gregorian–Lunar Calendar Conversion
Tables and cross-checked against the `lunardate` package; huoke needs no lunar-calendar library for it.

Days are proleptic Gregorian ordinals (`date.toordinal()`), so whole windows are plain integer arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from huoke.demo.activity_draws import Bools, Floats, Ints
from huoke.platform.errors import InvalidInput

SPRING_FESTIVAL: dict[int, tuple[int, int]] = {
    2000: (2, 5), 2001: (1, 24), 2002: (2, 12), 2003: (2, 1), 2004: (1, 22), 2005: (2, 9), 2006: (1, 29),
    2007: (2, 18), 2008: (2, 7), 2009: (1, 26), 2010: (2, 14), 2011: (2, 3), 2012: (1, 23), 2013: (2, 10),
    2014: (1, 31), 2015: (2, 19), 2016: (2, 8), 2017: (1, 28), 2018: (2, 16), 2019: (2, 5), 2020: (1, 25),
    2021: (2, 12), 2022: (2, 1), 2023: (1, 22), 2024: (2, 10), 2025: (1, 29), 2026: (2, 17), 2027: (2, 6),
    2028: (1, 26), 2029: (2, 13), 2030: (2, 3), 2031: (1, 23), 2032: (2, 11), 2033: (1, 31), 2034: (2, 19),
    2035: (2, 8), 2036: (1, 28), 2037: (2, 15), 2038: (2, 4), 2039: (1, 24), 2040: (2, 12),
}  # fmt: skip
FIRST_YEAR, LAST_YEAR = min(SPRING_FESTIVAL), max(SPRING_FESTIVAL)

# Kinds of day: each shifts what people buy (activity_spend) and how much happens.
WORKDAY, WEEKEND, PRE_FESTIVAL, FESTIVAL, SHOPPING, GOLDEN_WEEK = range(6)
DAY_KINDS = ("workday", "weekend", "pre_festival", "festival", "shopping", "golden_week")
PRE_FESTIVAL_DAYS = 14  # the 年货 fortnight before New Year's Eve (除夕)
FESTIVAL_DAYS = 7  # the public holiday: New Year's Eve through the sixth day (初六)
RED_PACKET_DAYS = (-3, 8)  # red packets fly from three days before the eve to the 7th day (人日)
_SPEND = {WORKDAY: 1.0, WEEKEND: 1.25, FESTIVAL: 1.1, SHOPPING: 1.9, GOLDEN_WEEK: 1.35}
_PRE_FESTIVAL_SPEND = (1.5, 2.6)  # rising from the first day of the fortnight to the eve


def spring_festival(year: int) -> date:
    """The Gregorian date of Spring Festival (lunar New Year's Day) in `year`."""
    if year not in SPRING_FESTIVAL:
        raise InvalidInput(
            f"activity can only be generated for {FIRST_YEAR}–{LAST_YEAR} (Spring Festival table); got {year}",
            code="activity_year_out_of_range",
            details={"field": "end", "year": year},
        )
    month, day = SPRING_FESTIVAL[year]
    return date(year, month, day)


@dataclass(frozen=True)
class DayTable:
    """Per-day facts for a window of business days (index 0 is `first`)."""

    first: int
    ordinal: Ints
    kind: Ints  # one of the day kinds above
    weekday: Ints  # 0 = Monday
    day_of_month: Ints
    month: Ints  # year * 12 + month - 1
    workday: Bools  # counters open for business and payroll runs
    spend: Floats  # card-spend volume factor (1 = an ordinary workday)
    red_packet: Floats  # red-packet transfer factor (0 outside the festival)
    cash: Floats  # cash withdrawal factor (new notes for 压岁钱 before the festival)
    festival_eve: Ints  # ordinal of the coming (or current) Spring Festival eve of the day's lunar year

    def index(self, ordinal: Ints) -> Ints:
        return ordinal - self.first

    def previous_workday(self, ordinal: Ints) -> Ints:
        """The latest workday on or before each day (days before the window are returned unchanged)."""
        result = ordinal.copy()
        for _ in range(FESTIVAL_DAYS + 3):  # no run of holidays is longer than the festival plus a weekend
            inside = (result >= self.first) & (result < self.first + len(self.ordinal))
            off = np.zeros(len(result), dtype=bool)
            off[inside] = ~self.workday[result[inside] - self.first]
            if not off.any():
                break
            result[off] -= 1
        return result


def day_table(first: int, last: int) -> DayTable:
    """The calendar of every day from `first` to `last` (ordinals, inclusive)."""
    ordinal = np.arange(first, last + 1, dtype=np.int64)
    dates = [date.fromordinal(int(o)) for o in ordinal]
    weekday = (ordinal - 1) % 7  # ordinal 1 (0001-01-01) was a Monday
    eves = {y: spring_festival(y).toordinal() - 1 for y in {d.year for d in dates}}
    eve = np.array([eves[d.year] for d in dates], dtype=np.int64)
    to_eve = eve - ordinal  # > 0 before the eve, <= 0 from the eve on
    kind = np.where(weekday >= 5, WEEKEND, WORKDAY)
    month_day = np.array([d.month * 100 + d.day for d in dates], dtype=np.int64)
    kind[np.isin(month_day, (618, 1111))] = SHOPPING
    kind[(month_day >= 1001) & (month_day <= 1007)] = GOLDEN_WEEK
    pre = (to_eve > 0) & (to_eve <= PRE_FESTIVAL_DAYS)
    festival = (to_eve <= 0) & (to_eve > -FESTIVAL_DAYS)
    kind[pre] = PRE_FESTIVAL
    kind[festival] = FESTIVAL
    spend = np.array([_SPEND.get(int(k), 1.0) for k in kind])
    low, high = _PRE_FESTIVAL_SPEND
    spend[pre] = high - (high - low) * (to_eve[pre] - 1) / (PRE_FESTIVAL_DAYS - 1)
    spend[month_day == 618] = 1.4  # the mid-year sale is smaller than Double 11
    after_eve = -to_eve
    red = ((after_eve >= RED_PACKET_DAYS[0]) & (after_eve < RED_PACKET_DAYS[1])).astype(np.float64)
    red[after_eve == 0] = 4.0  # the eve itself: the red-packet peak
    cash = np.where(pre, 2.5, np.where(festival, 0.6, 1.0))
    return DayTable(
        first=first,
        ordinal=ordinal,
        kind=kind.astype(np.int64),
        weekday=weekday,
        day_of_month=np.array([d.day for d in dates], dtype=np.int64),
        month=np.array([d.year * 12 + d.month - 1 for d in dates], dtype=np.int64),
        workday=(kind != WEEKEND) & (kind != FESTIVAL) & (kind != GOLDEN_WEEK) & (weekday < 5),
        spend=spend,
        red_packet=red,
        cash=cash,
        festival_eve=eve,
    )
