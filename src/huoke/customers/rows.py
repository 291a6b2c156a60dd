"""Pure validation of one import row per KIND (CONTRACTS.md §2) into a domain record or its problems."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from huoke.customers import model as m
from huoke.customers.fields import Fields, parse_day
from huoke.customers.validation import (
    normalize_email,
    normalize_mobile,
    normalize_resident_id,
    resident_id_birth_date,
)

_EARLIEST = date(1900, 1, 1)
_MAX_NUMBER_DIGITS = 15  # beyond this, digits are an identifier, and doubles would lose them
_MAX_ATTRIBUTE_NUMBER = Decimal("1e15")


@dataclass(frozen=True)
class RowContext:
    """What a row is checked against: the business date, zone and the reference data already stored."""

    today: date
    now: datetime
    zone: tzinfo
    org_codes: frozenset[str] = frozenset()
    rm_staff: dict[str, str] = field(default_factory=dict)  # staff_no → role
    product_types: dict[str, str] = field(default_factory=dict)  # product_code → product_type
    attribute_types: dict[str, str] = field(default_factory=dict)
    max_field_length: int = 512


Parsed = tuple[Any, list[m.RowProblem]]


def parse_org(values: dict[str, Any], ctx: RowContext) -> Parsed:
    f = Fields(values, ctx.zone)
    unit = m.OrgUnit(
        code=f.text("code", required=True, max_len=32) or "",
        name=f.text("name", required=True) or "",
        parent_code=f.text("parent_code", max_len=32),
        level=f.choice("level", m.ORG_LEVELS, required=True) or "",
    )
    if unit.level == "head_office" and unit.parent_code:
        f.fail("parent_code", "a head_office has no parent")
    elif unit.level and unit.level != "head_office" and not unit.parent_code:
        f.fail("parent_code", f"is required for a {unit.level}")
    return unit, f.problems


def parse_staff(values: dict[str, Any], ctx: RowContext) -> Parsed:
    f = Fields(values, ctx.zone)
    staff = m.Staff(
        staff_no=f.text("staff_no", required=True, max_len=32) or "",
        name=f.text("name", required=True) or "",
        org_code=_known(f, "org_code", ctx.org_codes, "org unit", required=True) or "",
        role=f.choice("role", m.STAFF_ROLES, required=True) or "",
        phone=f.convert("phone", normalize_mobile),
    )
    return staff, f.problems


def parse_product(values: dict[str, Any], ctx: RowContext) -> Parsed:
    f = Fields(values, ctx.zone)
    product = m.Product(
        product_code=f.text("product_code", required=True, max_len=32) or "",
        name=f.text("name", required=True) or "",
        product_type=f.choice("product_type", m.PRODUCT_TYPES, required=True) or "",
        risk_level=f.choice("risk_level", m.PRODUCT_RISK_LEVELS),
    )
    return product, f.problems


def parse_customer(values: dict[str, Any], ctx: RowContext) -> Parsed:
    f = Fields(values, ctx.zone)
    birth = _past_day(f, "birth_date", ctx)
    id_card = f.convert("id_card_no", lambda v: normalize_resident_id(v, today=ctx.today), required=False)
    if id_card and birth and resident_id_birth_date(id_card) != birth:
        f.fail("birth_date", "does not match the birth date embedded in id_card_no")
    rm = _known(f, "rm_staff_no", ctx.rm_staff, "staff member")
    record = m.CustomerRecord(
        customer_no=f.text("customer_no", required=True, max_len=32) or "",
        name=f.text("name", max_len=64),
        gender=f.choice("gender", m.GENDERS),
        birth_date=birth,
        phone=f.convert("phone", normalize_mobile),
        email=f.convert("email", normalize_email),
        id_card_no=id_card,
        wechat_openid=f.text("wechat_openid", max_len=64),
        wechat_unionid=f.text("wechat_unionid", max_len=64),
        branch_code=_known(f, "branch_code", ctx.org_codes, "org unit"),
        rm_staff_no=rm,
        opened_at=_past_day(f, "opened_at", ctx),
        risk_level=f.choice("risk_level", m.CUSTOMER_RISK_LEVELS),
        occupation=f.text("occupation", max_len=64),
        marital_status=f.text("marital_status", max_len=32),
        city=f.text("city", max_len=64),
        attributes=_custom_attributes(f, ctx),
    )
    return record, f.problems


def parse_holding(values: dict[str, Any], ctx: RowContext) -> Parsed:
    f = Fields(values, ctx.zone)
    product_code = _known(f, "product_code", ctx.product_types, "product", required=True)
    product_type = f.choice("product_type", m.PRODUCT_TYPES, required=True)
    if product_code and product_type and ctx.product_types[product_code] != product_type:
        f.fail("product_type", f"product {product_code} is a {ctx.product_types[product_code]}")
    holding = m.HoldingRecord(
        account_no=f.text("account_no", required=True, max_len=40) or "",
        customer_no=f.text("customer_no", required=True, max_len=32) or "",
        product_code=product_code or "",
        product_type=product_type or "",
        status=f.choice("status", m.HOLDING_STATUSES) or "active",
        opened_at=_past_day(f, "opened_at", ctx),
        closed_at=_past_day(f, "closed_at", ctx),
        balance_fen=f.fen("balance") or 0,
        credit_limit_fen=f.fen("credit_limit"),
        card_level=f.choice("card_level", m.CARD_LEVELS),
        card_role=f.choice("card_role", m.CARD_ROLES),
        approved_at=_past_instant(f, "approved_at", ctx),
    )
    _check_holding(f, holding)
    return holding, f.problems


def parse_consent(values: dict[str, Any], ctx: RowContext) -> Parsed:
    f = Fields(values, ctx.zone)
    record = m.ConsentRecord(
        customer_no=f.text("customer_no", required=True, max_len=32) or "",
        channel=f.choice("channel", m.CONSENT_CHANNELS, required=True) or "",
        purpose=f.choice("purpose", m.CONSENT_PURPOSES, required=True) or "",
        status=f.choice("status", m.CONSENT_STATUSES, required=True) or "",
        recorded_at=_past_instant(f, "recorded_at", ctx, required=True) or ctx.now,
        source=f.text("source", max_len=64),
        notice_version=f.text("notice_version", max_len=32),
    )
    return record, f.problems


def _check_holding(f: Fields, h: m.HoldingRecord) -> None:
    if h.closed_at and h.opened_at and h.closed_at < h.opened_at:
        f.fail("closed_at", "is before opened_at")
    if h.status == "closed" and h.closed_at is None and "closed_at" not in {p.column for p in f.problems}:
        f.fail("closed_at", "is required when status is closed")
    is_card = h.product_type in m.CARD_TYPES
    for column, value in (("card_level", h.card_level), ("card_role", h.card_role)):
        if value and h.product_type and not is_card:
            f.fail(column, f"applies to cards only, not to a {h.product_type}")
    if h.credit_limit_fen is not None and h.product_type and h.product_type != "credit_card":
        f.fail("credit_limit", f"applies to credit cards only, not to a {h.product_type}")


def _known(f: Fields, column: str, known: Container[str], what: str, *, required: bool = False) -> str | None:
    value = f.text(column, required=required, max_len=32)
    if value is not None and value not in known:
        f.fail(column, f"unknown {what} {value}; import it first")
        return None
    return value


def _past_day(f: Fields, column: str, ctx: RowContext) -> date | None:
    value = f.day(column)
    if value is not None and not _EARLIEST <= value <= ctx.today:
        f.fail(column, "is in the future" if value > ctx.today else "is before 1900")
        return None
    return value


def _past_instant(f: Fields, column: str, ctx: RowContext, *, required: bool = False) -> datetime | None:
    value = f.instant(column, required=required)
    if value is not None and value > ctx.now + timedelta(minutes=5):
        f.fail(column, "is in the future")
        return None
    return value


def _custom_attributes(f: Fields, ctx: RowContext) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    for name, raw in f.values.items():
        if name in m.STANDARD_CUSTOMER_COLUMNS or raw is None or str(raw).strip() == "":
            continue
        value_type = ctx.attribute_types.get(name) or infer_attribute_type(str(raw))
        try:
            attributes[name] = coerce_attribute(str(raw).strip(), value_type, ctx.max_field_length)
        except ValueError as exc:
            f.fail(name, str(exc))
    return attributes


def _looks_like_identifier(value: str) -> bool:
    """Long digit strings and ones with leading zeros are codes (card or member numbers), not quantities."""
    digits = value.isdigit()
    return digits and (len(value) > _MAX_NUMBER_DIGITS or (len(value) > 1 and value.startswith("0")))


def _number(value: str) -> int | float:
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or number.copy_abs() > _MAX_ATTRIBUTE_NUMBER:
        raise ValueError(f"custom attribute is a number; {value[:40]!r} is not a finite number")
    return int(number) if number == number.to_integral_value() and "." not in value else float(number)


def infer_attribute_type(raw: str) -> str:
    """The type a new custom attribute gets from its first value: number, date, boolean or string."""
    value = raw.strip()
    if value.lower() in ("true", "false"):
        return "boolean"
    if _looks_like_identifier(value):
        return "string"
    try:
        number = Decimal(value)
    except InvalidOperation:
        pass
    else:
        if number.is_finite():
            return "number"
    try:
        parse_day(value)
    except ValueError:
        return "string"
    return "date"


def coerce_attribute(value: str, value_type: str, max_len: int) -> Any:
    """A custom attribute value in its declared type (JSON-storable), or ValueError naming the type."""
    if value_type == "number":
        return _number(value)
    if value_type == "boolean":
        if value.lower() not in ("true", "false"):
            raise ValueError("custom attribute is a boolean (true/false)")
        return value.lower() == "true"
    if value_type == "date":
        try:
            return parse_day(value).isoformat()
        except ValueError:
            raise ValueError("custom attribute is a date (YYYY-MM-DD)") from None
    if len(value) > max_len:
        raise ValueError(f"is longer than {max_len} characters")
    return value
