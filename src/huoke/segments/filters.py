"""Holding, transaction and event filters and time windows of the segment rule DSL."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, Tag, model_validator

from huoke.segments.dsl_base import Strict, form_of
from huoke.segments.operators import MAX_DAYS, MAX_LIST, Op, check_iso_date, check_op, check_value, fail, is_number

ProductType = Literal[
    "debit_card", "credit_card", "demand_deposit", "time_deposit", "wealth", "fund", "insurance", "loan",
    "mortgage", "other",
]  # fmt: skip
TxnType = Literal[
    "card_spend", "transfer_in", "transfer_out", "salary", "deposit", "withdrawal", "wealth_purchase",
    "wealth_redeem", "loan_disbursal", "loan_repayment", "fee", "interest", "other",
]  # fmt: skip
CardLevel = Literal["standard", "gold", "platinum", "diamond"]
CardRole = Literal["primary", "supplementary"]
HoldingStatus = Literal["active", "dormant", "closed"]
Direction = Literal["debit", "credit"]
Code = Annotated[str, Field(min_length=1, max_length=64)]
Days = Annotated[int, Field(strict=True, ge=1, le=MAX_DAYS)]


def _listify(value: Any) -> Any:
    """A single value means a list of one, so filters accept ``"gold"`` as well as ``["gold", "platinum"]``."""
    return value if isinstance(value, list | tuple) else [value]


_LISTIFY = BeforeValidator(_listify)
_SIZE = Field(min_length=1, max_length=MAX_LIST)
ProductTypes = Annotated[tuple[ProductType, ...], _LISTIFY, _SIZE]
Codes = Annotated[tuple[Code, ...], _LISTIFY, _SIZE]
CardLevels = Annotated[tuple[CardLevel, ...], _LISTIFY, _SIZE]
CardRoles = Annotated[tuple[CardRole, ...], _LISTIFY, _SIZE]
HoldingStatuses = Annotated[tuple[HoldingStatus, ...], _LISTIFY, _SIZE]
TxnTypes = Annotated[tuple[TxnType, ...], _LISTIFY, _SIZE]
Directions = Annotated[tuple[Direction, ...], _LISTIFY, _SIZE]


def _yuan(value: Any) -> Any:
    if not is_number(value) or value < 0:
        raise fail("", "needs an amount in yuan: a number ≥ 0")
    return value


Yuan = Annotated[int | float, BeforeValidator(_yuan)]


def _iso_date(value: Any) -> date:
    return value if isinstance(value, date) else check_iso_date("", value)


IsoDate = Annotated[date, BeforeValidator(_iso_date)]


class HoldingFilter(Strict):
    """Which holdings count: every given field must match (a list means any of its values)."""

    product_type: ProductTypes | None = None
    product_code: Codes | None = None
    card_level: CardLevels | None = None
    card_role: CardRoles | None = None
    status: HoldingStatuses | None = None
    opened_within_days: Days | None = None
    approved_within_days: Days | None = None


class TxnFilter(Strict):
    """Which transactions count: every given field must match; amounts in yuan, bounds inclusive."""

    txn_type: TxnTypes | None = None
    direction: Directions | None = None
    channel: Codes | None = None
    mcc: Codes | None = None
    product_code: Codes | None = None
    min_amount: Yuan | None = None
    max_amount: Yuan | None = None

    @model_validator(mode="after")
    def _bounds_in_order(self) -> TxnFilter:
        if self.min_amount is not None and self.max_amount is not None and self.min_amount > self.max_amount:
            raise fail("max_amount", "max_amount must not be below min_amount")
        return self


class Condition(Strict):
    """A test on one event property: ``{"op": OP, "value": V}``."""

    op: Op
    value: Any = None

    @model_validator(mode="after")
    def _value_fits(self) -> Condition:
        check_op(self.op, "any")
        check_value(self.op, self.value, "any")
        return self


def _conditions(value: Any) -> Any:
    """A plain property value means equality: ``{"channel": "app"}`` is ``{"channel": {"op": "eq", ...}}``."""
    if not isinstance(value, dict):
        return value
    return {key: item if isinstance(item, dict) else {"op": "eq", "value": item} for key, item in value.items()}


PropertyName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]


class EventFilter(Strict):
    """Events of one type whose properties satisfy every ``where`` condition."""

    type: Annotated[str, Field(min_length=1, max_length=64)]
    where: Annotated[dict[PropertyName, Condition], BeforeValidator(_conditions), Field(max_length=50)] = Field(
        default_factory=dict
    )


class LastDays(Strict):
    """The evaluation day and the N − 1 business days before it."""

    form: ClassVar[str] = "last_days"
    last_days: Days


class DateRange(Strict):
    """Business dates from D1 to D2, both included."""

    form: ClassVar[str] = "from"
    from_: IsoDate = Field(alias="from")
    to: IsoDate

    @model_validator(mode="after")
    def _in_order(self) -> DateRange:
        if self.from_ > self.to:
            raise fail("to", "to must not be before from")
        return self


class CalendarWindow(Strict):
    """A natural period containing the evaluation day (or the one before it); weeks start on Monday."""

    form: ClassVar[str] = "calendar"
    calendar: Literal["this_week", "last_week", "this_month", "last_month", "this_year"]


Window = Annotated[
    Annotated[LastDays, Tag("<last_days>")]
    | Annotated[DateRange, Tag("<from>")]
    | Annotated[CalendarWindow, Tag("<calendar>")],
    form_of(("last_days", "from", "calendar")),
]
