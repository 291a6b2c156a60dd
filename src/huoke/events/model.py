"""Live events and transactions as values, and the pure rules that accept or reject each item of a batch.

An item is accepted or rejected on its own: every problem names the field and the reason, and the rest of the
batch proceeds. Nothing here touches the store; identity resolution and duplicates are decided by the service.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from jsonschema import Draft202012Validator

from huoke.events.catalogue import property_errors
from huoke.platform.clock import ClockError, parse_instant

IDENTITY_KINDS = ("customer_no", "phone", "email", "wechat_openid", "wechat_unionid", "device_id")
DIRECTIONS = ("debit", "credit")
TXN_TYPES = (
    "card_spend", "transfer_in", "transfer_out", "salary", "deposit", "withdrawal", "wealth_purchase",
    "wealth_redeem", "loan_disbursal", "loan_repayment", "fee", "interest", "other",
)  # fmt: skip
MAX_ID = 128
MAX_PROPERTIES_BYTES = 16_384
MAX_AMOUNT_FEN = 10**15  # one hundred million yuan per transaction is far beyond any retail payment


@dataclass(frozen=True)
class ItemError:
    """Why one item of a batch was rejected: the field and the reason."""

    field: str
    reason: str


@dataclass(frozen=True)
class EventIn:
    event_id: str
    type: str
    occurred_at: datetime
    identity: dict[str, str]
    channel: str | None
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TransactionIn:
    txn_id: str
    customer_no: str | None
    account_no: str | None
    occurred_at: datetime
    amount_fen: int
    direction: str
    txn_type: str
    channel: str | None
    mcc: str | None
    merchant: str | None
    product_code: str | None


@dataclass(frozen=True)
class Limits:
    """What the business allows: the time zone for naive timestamps and how far in the future a clock may drift."""

    zone: tzinfo
    now: datetime
    max_future_skew: timedelta


class _Problems:
    def __init__(self) -> None:
        self.errors: list[ItemError] = []

    def add(self, field_name: str, reason: str) -> None:
        self.errors.append(ItemError(field_name, reason))


def parse_event(raw: Any, limits: Limits, schemas: Mapping[str, Draft202012Validator]) -> EventIn | list[ItemError]:
    """An accepted event, or every reason it is rejected."""
    if not isinstance(raw, dict):
        return [ItemError("", "an event must be a JSON object")]
    p = _Problems()
    event_id = _identifier(raw, "event_id", p)
    kind = _text(raw, "type", p, required=True, limit=64)
    occurred = _instant(raw, "occurred_at", limits, p)
    identity = _event_identity(raw, p)
    channel = _text(raw, "channel", p, limit=32)
    properties = _properties(raw, p)
    if kind is not None and kind not in schemas:
        p.add("type", f"unknown event type {kind!r}; register it first (huoke events types register)")
    elif kind is not None and properties is not None:
        for where, why in property_errors(schemas[kind], properties):
            p.add(where, why)
    if p.errors or event_id is None or kind is None or occurred is None or identity is None:
        return p.errors
    return EventIn(event_id, kind, occurred, identity, channel, properties or {})


def parse_transaction(raw: Any, limits: Limits) -> TransactionIn | list[ItemError]:
    """An accepted transaction, or every reason it is rejected."""
    if not isinstance(raw, dict):
        return [ItemError("", "a transaction must be a JSON object")]
    p = _Problems()
    txn_id = _identifier(raw, "txn_id", p)
    customer_no = _text(raw, "customer_no", p, limit=32)
    account_no = _text(raw, "account_no", p, limit=32)
    if customer_no is None and account_no is None and not _has(raw, "customer_no") and not _has(raw, "account_no"):
        p.add("customer_no", "missing identity: give customer_no or account_no")
    occurred = _instant(raw, "occurred_at", limits, p)
    amount = _amount(raw, p)
    direction = _choice(raw, "direction", DIRECTIONS, p, required=True)
    txn_type = _choice(raw, "txn_type", TXN_TYPES, p, required=True)
    mcc = _text(raw, "mcc", p, limit=4)
    if mcc is not None and not (len(mcc) == 4 and mcc.isdigit()):  # noqa: PLR2004
        p.add("mcc", f"{mcc!r} is not a 4-digit merchant category code")
    rest = {k: _text(raw, k, p, limit=128) for k in ("channel", "merchant", "product_code")}
    if p.errors or txn_id is None or occurred is None or amount is None or direction is None or txn_type is None:
        return p.errors
    return TransactionIn(
        txn_id, customer_no, account_no, occurred, amount, direction, txn_type,
        rest["channel"], mcc, rest["merchant"], rest["product_code"],
    )  # fmt: skip


def _has(raw: Mapping[str, Any], key: str) -> bool:
    value = raw.get(key)
    return value is not None and value != ""


def _text(raw: Mapping[str, Any], key: str, p: _Problems, *, required: bool = False, limit: int = 256) -> str | None:
    value = raw.get(key)
    if value is None or value == "":
        if required:
            p.add(key, "required")
        return None
    if not isinstance(value, str):
        p.add(key, f"must be a string, not {type(value).__name__}")
        return None
    value = value.strip()
    if not value or len(value) > limit:
        p.add(key, f"must be 1 to {limit} characters")
        return None
    return value


def _identifier(raw: Mapping[str, Any], key: str, p: _Problems) -> str | None:
    value = _text(raw, key, p, required=True, limit=MAX_ID)
    if value is not None and not value.isprintable():
        p.add(key, "must be printable characters")
        return None
    return value


def _choice(raw: Mapping[str, Any], key: str, allowed: tuple[str, ...], p: _Problems, *, required: bool) -> str | None:
    value = _text(raw, key, p, required=required, limit=32)
    if value is not None and value not in allowed:
        p.add(key, f"{value!r} is not one of {', '.join(allowed)}")
        return None
    return value


def _instant(raw: Mapping[str, Any], key: str, limits: Limits, p: _Problems) -> datetime | None:
    given = raw.get(key)
    if isinstance(given, datetime):  # Parquet timestamps arrive typed; naive ones are business-zone time
        value = (given if given.tzinfo else given.replace(tzinfo=limits.zone)).astimezone(UTC)
        text = value.isoformat()
    else:
        text_or_none = _text(raw, key, p, required=True, limit=64)
        if text_or_none is None:
            return None
        text = text_or_none
        try:
            value = parse_instant(text, limits.zone)
        except ClockError:
            p.add(key, f"{text!r} is not an ISO 8601 timestamp")
            return None
    if value > limits.now + limits.max_future_skew:
        p.add(key, f"{text} is more than {int(limits.max_future_skew.total_seconds())} s in the future")
        return None
    return value


def _amount(raw: Mapping[str, Any], p: _Problems) -> int | None:
    value = raw.get("amount")
    if value is None or value == "" or isinstance(value, bool):
        p.add("amount", "required")
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        p.add("amount", f"{value!r} is not a number")
        return None
    if not amount.is_finite() or amount <= 0:
        p.add("amount", f"{value} must be greater than 0")
        return None
    if amount != amount.quantize(Decimal("0.01")):
        p.add("amount", f"{value} has more than 2 decimals (amounts are yuan with up to 2 decimals)")
        return None
    fen = int(amount * 100)
    if fen >= MAX_AMOUNT_FEN:
        p.add("amount", f"{value} is implausibly large for one transaction")
        return None
    return fen


def _event_identity(raw: Mapping[str, Any], p: _Problems) -> dict[str, str] | None:
    identity: dict[str, str] = {}
    given = raw.get("identity")
    if given is not None and not isinstance(given, dict):
        p.add(
            "identity", "must be an object with customer_no, phone, email, wechat_openid, wechat_unionid or device_id"
        )
        return None
    for kind, value in (given or {}).items():
        if kind not in IDENTITY_KINDS:
            p.add(f"identity.{kind}", f"unknown identity kind; use one of {', '.join(IDENTITY_KINDS)}")
        elif not isinstance(value, str) or not value.strip() or len(value) > MAX_ID:
            p.add(f"identity.{kind}", f"must be a string of 1 to {MAX_ID} characters")
        else:
            identity[kind] = value.strip()
    top = _text(raw, "customer_no", p, limit=32)
    if top is not None:
        if identity.get("customer_no", top) != top:
            p.add("customer_no", "differs from identity.customer_no")
        identity["customer_no"] = top
    if not identity:
        if not any(e.field.startswith("identity") for e in p.errors):
            p.add("identity", "missing identity: give customer_no or an identity object")
        return None
    return identity


def _properties(raw: Mapping[str, Any], p: _Problems) -> dict[str, Any] | None:
    value = raw.get("properties")
    if value is None:
        return {}
    if not isinstance(value, dict):
        p.add("properties", "must be an object")
        return None
    if len(json.dumps(value, ensure_ascii=False, default=str)) > MAX_PROPERTIES_BYTES:
        p.add("properties", f"larger than {MAX_PROPERTIES_BYTES} bytes")
        return None
    return value
