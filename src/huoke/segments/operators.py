"""The operators of the segment rule DSL and which values each one accepts.

Every check raises a pydantic custom error whose context names the field at fault (``field``) and, where there
is a closed set of choices, the allowed ones (``allowed``), so the parser can point at ``$.all[2].value``.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any, Literal

from pydantic_core import PydanticCustomError

Op = Literal[
    "eq", "ne", "lt", "le", "gt", "ge", "between", "in", "not_in", "is_null", "not_null", "contains",
    "starts_with", "within_last_days", "before", "after", "anniversary_within_days",
]  # fmt: skip
Kind = Literal["number", "text", "date", "any"]

COMPARE_OPS: tuple[str, ...] = ("eq", "ne", "lt", "le", "gt", "ge", "between", "in", "not_in", "is_null", "not_null")
TEXT_OPS: tuple[str, ...] = ("contains", "starts_with")
DATE_OPS: tuple[str, ...] = ("within_last_days", "before", "after", "anniversary_within_days")
ALL_OPS: tuple[str, ...] = COMPARE_OPS + TEXT_OPS + DATE_OPS
OPS_BY_KIND: dict[str, tuple[str, ...]] = {
    "number": COMPARE_OPS,
    "text": COMPARE_OPS + TEXT_OPS,
    "date": COMPARE_OPS + DATE_OPS,
    "any": ALL_OPS,
}

STANDARD_ATTRIBUTES: dict[str, Kind] = {
    "age": "number",
    "gender": "text",
    "city": "text",
    "branch_code": "text",
    "rm_staff_no": "text",
    "risk_level": "text",
    "occupation": "text",
    "marital_status": "text",
    "opened_at": "date",
    "birth_date": "date",
    "customer_no": "text",
}
CUSTOM_ATTRIBUTE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_DAYS = 36_600  # a hundred years: longer day counts are typing mistakes
MAX_LIST = 1_000
MAX_TEXT = 256


def fail(field: str, reason: str, allowed: list[str] | None = None) -> PydanticCustomError:
    """An error for ``field`` of the node being validated, with the allowed choices when there are some."""
    context: dict[str, Any] = {"field": field, "reason": reason}
    if allowed is not None:
        context["allowed"] = allowed
    return PydanticCustomError("invalid_rule", "{reason}", context)


def check_op(op: str, kind: str) -> None:
    """The operator must be one the attribute, property or aggregate understands."""
    allowed = OPS_BY_KIND[kind]
    if op not in allowed:
        raise fail("op", f"operator {op!r} does not apply to a {kind} value", list(allowed))


def check_value(op: str, value: Any, kind: str) -> None:
    """The value must have the shape the operator needs (e.g. ``between`` takes ``[low, high]``)."""
    if op in ("is_null", "not_null"):
        if value is not None:
            raise fail("value", f"{op} takes no value")
    elif op == "between":
        _check_between(value, kind)
    elif op in ("in", "not_in"):
        _check_list(op, value, kind)
    elif op in TEXT_OPS:
        if not isinstance(value, str) or not value or len(value) > MAX_TEXT:
            raise fail("value", f"{op} needs a non-empty text of at most {MAX_TEXT} characters")
    elif op in ("within_last_days", "anniversary_within_days"):
        check_days("value", value)
    elif op in ("before", "after"):
        check_iso_date("value", value)
    else:
        check_scalar("value", value, kind)


def check_days(field: str, value: Any) -> None:
    """A whole number of days, at least 1."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DAYS:
        raise fail(field, f"needs a whole number of days from 1 to {MAX_DAYS}")


def check_iso_date(field: str, value: Any) -> date:
    """An ISO date ``YYYY-MM-DD``."""
    if isinstance(value, str) and len(value) == len("2000-01-01"):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise fail(field, "needs an ISO date YYYY-MM-DD")


def check_scalar(field: str, value: Any, kind: str) -> None:
    """One value of the kind: a number, a text, an ISO date, or (for custom data) any of text, number, boolean."""
    if kind == "number" and not is_number(value):
        raise fail(field, "needs a number")
    if kind == "text" and (not isinstance(value, str) or len(value) > MAX_TEXT):
        raise fail(field, f"needs a text of at most {MAX_TEXT} characters")
    if kind == "date":
        check_iso_date(field, value)
    if kind == "any" and not (is_number(value) or isinstance(value, bool | str)):
        raise fail(field, "needs a text, a number or true/false")
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise fail(field, f"needs a text of at most {MAX_TEXT} characters")


def is_number(value: Any) -> bool:
    """A finite JSON number (true/false are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value)


def _check_between(value: Any, kind: str) -> None:
    if not isinstance(value, list) or len(value) != 2:  # noqa: PLR2004 - [low, high]
        raise fail("value", "between needs a list [low, high]")
    for item in value:
        check_scalar("value", item, kind)
    low, high = value
    if _type_name(low) != _type_name(high):
        raise fail("value", "between needs low and high of the same type")
    if isinstance(low, bool) or low > high:
        raise fail("value", "between needs low ≤ high (numbers, texts or dates)")


def _check_list(op: str, value: Any, kind: str) -> None:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_LIST:
        raise fail("value", f"{op} needs a non-empty list of at most {MAX_LIST} values")
    for item in value:
        check_scalar("value", item, kind)
    if len({_type_name(item) for item in value}) > 1:
        raise fail("value", f"{op} needs values of one type (all texts, all numbers or all true/false)")


def _type_name(value: Any) -> str:
    return "number" if is_number(value) else type(value).__name__
