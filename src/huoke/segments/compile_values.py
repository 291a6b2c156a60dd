"""One comparison of a segment rule as an Ibis boolean expression, reading values exactly as the evaluator does.

A ``Reader`` offers one stored value in the four types a rule can compare with (text, exact number,
true/false, business date) plus whether it is missing; a view that cannot be read is NULL, and NULL fails every
test (callers fill NULL with false). Rule values only ever enter as typed Ibis literals, never as SQL text.
The same expression gives the same answer on DuckDB, PostgreSQL and Spark: JSON is read through
``compile_json``; texts are ordered by code point (PostgreSQL compares their UTF-8 bytes, whatever the
database's collation); a text becomes a number or a date only after a pattern check has shown the conversion
cannot fail, because PostgreSQL has no ``TRY_CAST``.

Known differences from the in-memory evaluator, for texts read as numbers or dates (custom attributes and
event properties): only ASCII digits count as digits (``^-?[0-9]+(\\.[0-9]+)?$`` after trimming spaces) and at
most 27 of them before the point; only ``YYYY-MM-DD`` texts read as dates (the evaluator also reads ISO
date-times); numbers keep 10 decimals. JSON numbers in exponent form read when their value stays below 10^27.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import ibis  # type: ignore[import-untyped]
import ibis.expr.datatypes as dt  # type: ignore[import-untyped]

from huoke.segments.compile_json import Dialect, builtin, json_value
from huoke.segments.core import Compare
from huoke.segments.facts import days_to_anniversary

NUMBER = dt.Decimal(38, 10)
_PLAIN_NUMBER = r"^-?[0-9]{1,27}(\.[0-9]+)?$"  # 27 digits: rounding to 10 decimals cannot overflow NUMBER
_JSON_NUMBER = r"^-?([0-9]{1,27}(\.[0-9]+)?|[0-9](\.[0-9]+)?[eE](-[0-9]{1,3}|\+?(1?[0-9]|2[0-6])))$"
_DATE_TEXT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_ANY_DAY_OF_YEAR = 366  # the next anniversary is never more than 365 days away
_FEBRUARY = 2
_COUNT = dt.Decimal(10, 0)  # row counts as exact numbers, small enough for exact products on Spark
_utf8 = builtin("convert_to", (dt.string, dt.string), dt.binary)


class NotCompiled(NotImplementedError):
    """A rule part the query compiler does not translate; it fails loudly instead of answering wrongly."""


def _null(kind: Any) -> Any:
    return ibis.null().cast(kind)


@dataclass(frozen=True)
class Reader:
    """One value read as text, exact number, true/false and business date; NULL where it is not one.

    ``dialect`` matters only for ordering texts (PostgreSQL orders by collation unless told otherwise).
    """

    missing: Any
    text: Any
    number: Any
    boolean: Any
    day: Any
    dialect: Dialect = "duckdb"


def text_reader(column: Any, dialect: Dialect) -> Reader:
    """A text column: numbers and dates are read from its text, as for custom attributes."""
    return Reader(column.isnull(), column, _number_of_text(column), _null("boolean"), _date_of_text(column), dialect)


def date_reader(column: Any) -> Reader:
    """A date column (business dates)."""
    return Reader(column.isnull(), _null("string"), _null(NUMBER), _null("boolean"), column)


def number_reader(column: Any) -> Reader:
    """An exact numeric column (counts, sums, ages)."""
    return Reader(column.isnull(), _null("string"), column, _null("boolean"), _null("date"))


def json_reader(document: Any, key: str, dialect: Dialect) -> Reader:
    """The value of ``key`` in a JSON object text column; JSON null and an absent key are missing.

    As in the evaluator, only a JSON string is a text (and may hold a number or a date), only a JSON number or
    a numeric string is a number, only ``true`` / ``false`` are true/false.
    """
    value = json_value(document, key, dialect)
    is_text = value.kind == "string"
    text = ibis.cases((is_text, value.text), else_=_null("string"))
    number = ibis.cases(
        (value.kind == "number", _guarded(value.text, _JSON_NUMBER, NUMBER)),
        (is_text, _number_of_text(value.text)),
        else_=_null(NUMBER),
    )
    boolean = ibis.cases((value.kind == "boolean", value.text == "true"), else_=_null("boolean"))
    day = ibis.cases((is_text, _date_of_text(value.text)), else_=_null("date"))
    return Reader(value.kind.isnull() | (value.kind == "null"), text, number, boolean, day, dialect)


def _guarded(text: Any, pattern: str, kind: Any) -> Any:
    """``text`` converted to ``kind`` when it matches ``pattern`` (whose matches always convert), else NULL."""
    return ibis.cases((text.re_search(pattern), text.try_cast(kind)), else_=_null(kind))


def _number_of_text(text: Any) -> Any:
    return _guarded(text.strip(), _PLAIN_NUMBER, NUMBER)


def _date_of_text(text: Any) -> Any:
    """A ``YYYY-MM-DD`` text that names a real day, as a date; checked before the cast, which cannot fail then."""
    trimmed = text.strip()
    year, month, day = (trimmed.substr(start, length).cast("int64") for start, length in ((0, 4), (5, 2), (8, 2)))
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    february = ibis.cases((leap, 29), else_=28)
    month_days = ibis.cases((month == _FEBRUARY, february), (month.isin([4, 6, 9, 11]), 30), else_=31)
    real = (year >= 1) & month.between(1, 12) & day.between(1, month_days)
    checked = ibis.cases((real, trimmed.try_cast("date")), else_=_null("date"))
    return ibis.cases((trimmed.re_search(_DATE_TEXT), checked), else_=_null("date"))


def literal(value: Any) -> Any:
    """A rule value as a typed Ibis literal: exact decimals for numbers."""
    if isinstance(value, bool):
        return ibis.literal(value, type="boolean")
    if isinstance(value, Fraction | int):
        return ibis.literal(decimal_of(Fraction(value)), type=NUMBER)
    if isinstance(value, date):
        return ibis.literal(value, type="date")
    return ibis.literal(str(value), type="string")


def decimal_of(value: Fraction) -> Decimal:
    """The exact decimal of a rule number (rule numbers come from JSON, so they always have one)."""
    quotient = Decimal(value.numerator) / Decimal(value.denominator)
    if Fraction(quotient) != value or -quotient.as_tuple().exponent > NUMBER.scale:  # type: ignore[operator]
        raise NotCompiled(f"the number {value} has more than {NUMBER.scale} decimal places")
    if quotient.adjusted() >= NUMBER.precision - NUMBER.scale:
        raise NotCompiled(f"the number {value} has more than {NUMBER.precision - NUMBER.scale} digits before the point")
    return quotient


Sides = Callable[[Any], tuple[Any, Any]]


def passes(test: Compare, reader: Reader, today: date, sides: Sides | None = None) -> Any:
    """Whether the value passes ``test`` on business date ``today`` (NULL counts as false for the caller).

    ``sides`` turns a rule number into the two sides of a numeric comparison (for averages: sum and
    number × count), default the value and the literal.
    """
    if test.op in ("is_null", "not_null"):
        return reader.missing if test.op == "is_null" else ~reader.missing
    if test.op in ("within_last_days", "before", "after", "anniversary_within_days"):
        return _date_test(test, reader.day, today)
    if test.op == "contains":
        return reader.text.contains(ibis.literal(str(test.value), type="string"))
    if test.op == "starts_with":
        return reader.text.startswith(ibis.literal(str(test.value), type="string"))
    return _value_test(test, reader, sides)


def _date_test(test: Compare, day: Any, today: date) -> Any:
    if test.op == "before":
        return day < literal(test.value)
    if test.op == "after":
        return day > literal(test.value)
    days = int(test.value)  # type: ignore[arg-type]
    if test.op == "within_last_days":
        return day.between(literal(today - timedelta(days=days - 1)), literal(today))
    if days >= _ANY_DAY_OF_YEAR:
        return day.notnull()
    return (day.month() * 100 + day.day()).isin(_anniversaries_within(days, today))


def _anniversaries_within(days: int, today: date) -> list[int]:
    """Month-days (as MMDD) whose next anniversary is fewer than ``days`` days away, by the evaluator's rule."""
    leap_year = date(2000, 1, 1)
    year = [leap_year + timedelta(days=n) for n in range(366)]
    return [d.month * 100 + d.day for d in year if days_to_anniversary(d, today) < days]


def _value_test(test: Compare, reader: Reader, sides: Sides | None) -> Any:
    values: tuple[Any, ...] = test.value if isinstance(test.value, tuple) else (test.value,)
    view = _view(reader, values[0])
    if isinstance(values[0], str) and reader.dialect == "postgres":
        sides = _by_code_point(view)
    elif not isinstance(values[0], Fraction | int) or isinstance(values[0], bool):
        sides = None
    compare = _comparer(view, sides)
    if test.op == "between":
        return compare("ge", values[0]) & compare("le", values[1])
    if test.op in ("in", "not_in"):
        anyone = ibis.or_(*(compare("eq", v) for v in values))
        return view.notnull() & (anyone if test.op == "in" else ~anyone)
    return compare(test.op, values[0])


def _by_code_point(view: Any) -> Sides:
    """Texts compared as UTF-8 bytes, which orders them by code point under any collation."""
    return lambda value: (_utf8(view, "UTF8"), _utf8(literal(value), "UTF8"))


def times_count(value: Any, count: Any) -> Any:
    """The exact product of a rule number and a row count (for comparing an average as sum against value × count).

    Both sides get only the digits they need (counts up to 10 digits), so that Spark keeps every decimal of the
    product instead of rounding it to fit 38 digits.
    """
    exact = decimal_of(Fraction(value))
    scale = max(0, -int(exact.as_tuple().exponent))
    digits = max(1, exact.adjusted() + 1) + scale
    number = ibis.literal(exact, type=dt.Decimal(max(digits, _COUNT.precision + scale), scale))
    return number * count.cast(_COUNT)


def _view(reader: Reader, example: Any) -> Any:
    if isinstance(example, bool):
        return reader.boolean
    if isinstance(example, Fraction | int):
        return reader.number
    if isinstance(example, date):
        return reader.day
    return reader.text


_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
}  # fmt: skip


def _comparer(view: Any, sides: Sides | None) -> Callable[[str, Any], Any]:
    def compare(op: str, value: Any) -> Any:
        if op not in _OPS:
            raise NotCompiled(f"operator {op!r} is not compiled")
        left, right = sides(value) if sides is not None else (view, literal(value))
        return view.notnull() & _OPS[op](left, right)

    return compare
