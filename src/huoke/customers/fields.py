"""Reading typed values out of one import row, collecting every problem instead of stopping at the first."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from huoke.customers.model import RowProblem

T = TypeVar("T")
_MAX_YUAN = Decimal("100000000000")  # 1e11 yuan: far above any real balance, below BIGINT fen limits
_FEN = Decimal("0.01")
_DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PLAIN_YUAN = re.compile(r"([0-9]{1,11})(?:\.([0-9]{1,2}))?")  # below _MAX_YUAN, at most 2 decimals, no sign


class Fields:
    """One row's values; each accessor returns a clean value or None and records a RowProblem."""

    def __init__(self, values: dict[str, Any], zone: tzinfo) -> None:
        self.values = values
        self.zone = zone
        self.problems: list[RowProblem] = []

    def fail(self, column: str, reason: str) -> None:
        self.problems.append(RowProblem(column, _show(self.values.get(column)), reason))

    def text(self, column: str, *, required: bool = False, max_len: int = 128) -> str | None:
        raw = self.values.get(column)
        value = None if raw is None else str(raw).strip()
        if not value:
            if required:
                self.fail(column, "is required")
            return None
        if len(value) > max_len:
            self.fail(column, f"is longer than {max_len} characters")
            return None
        return value

    def choice(self, column: str, allowed: tuple[str, ...], *, required: bool = False) -> str | None:
        value = self.text(column, required=required)
        if value is not None and value not in allowed:
            self.fail(column, f"must be one of {', '.join(allowed)}")
            return None
        return value

    def convert(self, column: str, parse: Callable[[str], T], *, required: bool = False) -> T | None:
        value = self.text(column, required=required)
        if value is None:
            return None
        try:
            return parse(value)
        except ValueError as exc:
            self.fail(column, str(exc))
            return None

    def day(self, column: str, *, required: bool = False) -> date | None:
        raw = self.values.get(column)
        if raw is None or raw.__class__ is str:  # text, as every CSV value is
            return self.convert(column, parse_day, required=required)
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, date):
            return raw
        return self.convert(column, parse_day, required=required)

    def instant(self, column: str, *, required: bool = False) -> datetime | None:
        raw = self.values.get(column)
        if isinstance(raw, datetime):
            return (raw if raw.tzinfo else raw.replace(tzinfo=self.zone)).astimezone(UTC)
        return self.convert(column, lambda v: parse_instant_or_day(v, self.zone), required=required)

    def fen(self, column: str, *, required: bool = False, positive: bool = False) -> int | None:
        return self.convert(column, lambda v: yuan_to_fen(v, positive=positive), required=required)


def parse_day(value: str) -> date:
    if _ISO_DAY.fullmatch(value):  # the common shape, read without strptime; anything odd takes the full path
        try:
            return date(int(value[:4]), int(value[5:7]), int(value[8:]))
        except ValueError:
            pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()  # noqa: DTZ007 - a calendar date, no time of day
        except ValueError:
            continue
    raise ValueError("is not a date (YYYY-MM-DD)")


def parse_instant_or_day(value: str, zone: tzinfo) -> datetime:
    """ISO date-time (offset optional, business zone assumed) or a date meaning its local midnight."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = datetime.combine(parse_day(value), datetime.min.time())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def yuan_to_fen(value: str | int | float | Decimal, *, positive: bool = False) -> int:
    """Yuan with at most 2 decimals → integer fen; never through float arithmetic."""
    plain = _PLAIN_YUAN.fullmatch(value) if isinstance(value, str) else None
    if plain:  # the common shape, counted in integers; anything else (or refused) takes the full path
        fen = int(plain[1]) * 100 + int((plain[2] or "").ljust(2, "0"))
        if fen or not positive:
            return fen
    try:
        amount = Decimal(str(value).replace(",", ""))
    except InvalidOperation as exc:
        raise ValueError("is not an amount in yuan") from exc
    if not amount.is_finite():
        raise ValueError("is not an amount in yuan")
    if amount.copy_abs() > _MAX_YUAN:
        raise ValueError("is implausibly large")
    if amount != amount.quantize(_FEN):
        raise ValueError("has more than 2 decimals (amounts are yuan.fen)")
    if amount < 0 or (positive and amount == 0):
        raise ValueError("must be greater than 0" if positive else "must not be negative")
    if amount > _MAX_YUAN:
        raise ValueError("is implausibly large")
    return int(amount * 100)


def _show(raw: Any) -> str:
    return "" if raw is None else str(raw)[:200]
