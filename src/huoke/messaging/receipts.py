"""What providers send back, read into values: delivery receipts, SMS replies, WeChat pushes, and the HMAC
signature that proves a callback came from the provider.

Pure functions over bytes: no network, no store. ``inbound.py`` applies the values. Every malformed item is
refused with its index, field and reason, so the provider's operator can fix the sender.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo

from huoke.platform.errors import InvalidInput

SIGNATURE_HEADER = "X-Huoke-Signature"
TIMESTAMP_HEADER = "X-Huoke-Timestamp"
SIGNATURE_PREFIX = "sha256="
MAX_XML_BYTES = 64 * 1024
# Gateways in China commonly send local times without an offset: they are Beijing time.
DEFAULT_ZONE: tzinfo = ZoneInfo("Asia/Shanghai")

_DELIVERED = frozenset({"delivrd", "delivered", "success"})
# Final SMPP-style states and their plain names, each with the reason a failed message records.
_FAILED = {
    "undeliv": "undeliverable",
    "undelivered": "undeliverable",
    "failed": "undelivered",
    "expired": "expired",
    "rejectd": "rejected",
    "rejected": "rejected",
    "deleted": "deleted",
    "unknown": "unknown_status",
}
_REASON_RE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
_DOCTYPE_RE = re.compile(rb"<!\s*(doctype|entity)", re.IGNORECASE)
_WECHAT_KINDS: dict[str, Literal["unsubscribe", "subscribe", "template_finished"]] = {
    "unsubscribe": "unsubscribe",
    "subscribe": "subscribe",
    "templatesendjobfinish": "template_finished",
}


@dataclass(frozen=True)
class Receipt:
    """A provider's final word on one message, found by its provider id or our message id."""

    provider_id: str | None
    message_id: str | None
    status: Literal["delivered", "failed"]
    at: datetime
    reason: str | None


@dataclass(frozen=True)
class InboundReply:
    """A text a customer sent back to our SMS number (for example 退订)."""

    phone: str
    text: str
    received_at: datetime
    provider_id: str | None


@dataclass(frozen=True)
class WechatEvent:
    """A WeChat official-account push: a follow, an unfollow, or the result of a template message."""

    openid: str
    kind: Literal["unsubscribe", "subscribe", "template_finished"]
    at: datetime
    msg_id: str | None
    status: str | None


def sign(body: bytes, secret: bytes, *, timestamp: str | None = None) -> str:
    """The ``X-Huoke-Signature`` value of BODY: ``sha256=`` and the hex HMAC-SHA256 with SECRET.

    With a TIMESTAMP (the ``X-Huoke-Timestamp`` header, epoch seconds) the signed bytes are
    ``timestamp + "." + body``, so a captured request cannot be replayed under a fresh timestamp.
    """
    material = body if timestamp is None else timestamp.encode("ascii") + b"." + body
    return SIGNATURE_PREFIX + hmac.new(secret, material, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, header: str | None, secret: bytes, *, timestamp: str | None = None) -> None:
    """Refuse BODY unless HEADER is its signature under SECRET (and TIMESTAMP, when the sender gave one)."""
    if not secret:
        raise InvalidInput("callback signature: no shared secret is configured for this provider", code="bad_signature")
    if not header:
        raise InvalidInput(f"callback signature: the {SIGNATURE_HEADER} header is missing", code="bad_signature")
    try:
        expected = sign(body, secret, timestamp=timestamp)
    except UnicodeEncodeError as exc:
        raise InvalidInput(f"callback signature: {TIMESTAMP_HEADER} is not ASCII", code="bad_signature") from exc
    if not hmac.compare_digest(header.strip().lower().encode(), expected.encode()):
        raise InvalidInput(
            f"callback signature: {SIGNATURE_HEADER} does not match the body"
            f" (check the shared secret and that {TIMESTAMP_HEADER} is the one signed)",
            code="bad_signature",
        )


def parse_sms_receipts(body: bytes, *, zone: tzinfo = DEFAULT_ZONE) -> list[Receipt]:
    """``{"receipts": [{"id" | "message_id", "status", "at", "reason"?}]}``; naive times are read in ZONE."""
    items = _items(body, "receipts", code="bad_receipt")
    return [_receipt(index, item, zone) for index, item in enumerate(items)]


def parse_sms_replies(body: bytes, *, zone: tzinfo = DEFAULT_ZONE) -> list[InboundReply]:
    """``{"replies": [{"from", "text", "at", "id"?}]}``; naive times are read in ZONE."""
    items = _items(body, "replies", code="bad_reply")
    return [_reply(index, item, zone) for index, item in enumerate(items)]


def parse_wechat_event(body: bytes) -> WechatEvent:
    """The XML WeChat pushes to an official account's server for subscribe, unsubscribe and
    TEMPLATESENDJOBFINISH events. Other messages and events are refused with code ``unsupported_event``."""
    fields = _xml_fields(body)
    event = fields.get("Event", "").lower()
    if fields.get("MsgType", "").lower() != "event" or event not in _WECHAT_KINDS:
        raise InvalidInput(
            f"WeChat push: MsgType {fields.get('MsgType')!r} Event {fields.get('Event')!r} is not handled",
            code="unsupported_event",
        )
    openid = fields.get("FromUserName", "").strip()
    if not openid:
        raise InvalidInput("WeChat push: field FromUserName is missing", code="bad_event")
    msg_id = fields.get("MsgID") or fields.get("MsgId")
    return WechatEvent(openid, _WECHAT_KINDS[event], _epoch(fields.get("CreateTime")), msg_id, fields.get("Status"))


def _items(body: bytes, key: str, *, code: str) -> list[Any]:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{key} batch: not valid JSON ({exc})", code=code) from exc
    items = document.get(key) if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise InvalidInput(f'{key} batch: expected an object {{"{key}": [...]}}', code=code)
    return items


def _receipt(index: int, item: Any, zone: tzinfo) -> Receipt:
    where = f"receipts[{index}]"
    item = _object(item, where, "bad_receipt")
    provider_id = _optional_text(item, "id", where, "bad_receipt")
    message_id = _optional_text(item, "message_id", where, "bad_receipt")
    if provider_id is None and message_id is None:
        raise InvalidInput(f"{where}: field id: one of id or message_id is required", code="bad_receipt")
    status, reason = _status(item.get("status"), where)
    given = _optional_text(item, "reason", where, "bad_receipt")
    if status == "failed" and given and _REASON_RE.match(given.lower()):
        reason = given.lower()
    at = _instant(item.get("at"), f"{where}: field at", zone, "bad_receipt")
    return Receipt(provider_id, message_id, status, at, reason)


def _status(value: Any, where: str) -> tuple[Literal["delivered", "failed"], str | None]:
    word = value.strip().lower() if isinstance(value, str) else None
    if word in _DELIVERED:
        return "delivered", None
    if word is not None and word in _FAILED:
        return "failed", _FAILED[word]
    known = "DELIVRD, delivered, UNDELIV, failed, EXPIRED, REJECTD, DELETED, UNKNOWN"
    raise InvalidInput(f"{where}: field status: {value!r} is not a delivery status ({known})", code="bad_receipt")


def _reply(index: int, item: Any, zone: tzinfo) -> InboundReply:
    where = f"replies[{index}]"
    item = _object(item, where, "bad_reply")
    phone = _optional_text(item, "from", where, "bad_reply")
    if not phone:
        raise InvalidInput(f"{where}: field from: the sender's number is required", code="bad_reply")
    text = item.get("text")
    if not isinstance(text, str):
        raise InvalidInput(f"{where}: field text: expected a string, not {text!r}", code="bad_reply")
    at = _instant(item.get("at"), f"{where}: field at", zone, "bad_reply")
    return InboundReply(phone.strip(), text, at, _optional_text(item, "id", where, "bad_reply"))


def _object(item: Any, where: str, code: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise InvalidInput(f"{where}: expected an object, not {type(item).__name__}", code=code)
    return item


def _optional_text(item: dict[str, Any], key: str, where: str, code: str) -> str | None:
    value = item.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidInput(f"{where}: field {key}: expected a string, not {value!r}", code=code)
    return str(value)


def _instant(value: Any, where: str, zone: tzinfo, code: str) -> datetime:
    """ISO 8601 text (naive = ZONE) or epoch seconds, as an aware datetime."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise InvalidInput(f"{where}: {value!r} is not a usable epoch time", code=code) from exc
    if not isinstance(value, str):
        raise InvalidInput(f"{where}: an ISO 8601 time is required, not {value!r}", code=code)
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise InvalidInput(f"{where}: {value!r} is not an ISO 8601 time", code=code) from exc
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)


def _xml_fields(body: bytes) -> dict[str, str]:
    """The child elements of WeChat's flat ``<xml>`` document, refusing anything that could expand."""
    if len(body) > MAX_XML_BYTES:
        raise InvalidInput(f"WeChat push: larger than {MAX_XML_BYTES} bytes", code="bad_event")
    if _DOCTYPE_RE.search(body):
        raise InvalidInput("WeChat push: DOCTYPE and entity declarations are refused", code="bad_event")
    try:
        root = ET.fromstring(body)  # noqa: S314 - no DOCTYPE, so no entity can be declared or expanded
    except ET.ParseError as exc:
        raise InvalidInput(f"WeChat push: not well-formed XML ({exc})", code="bad_event") from exc
    return {child.tag: (child.text or "").strip() for child in root}


def _epoch(value: str | None) -> datetime:
    if not value or not value.isdigit():
        raise InvalidInput(f"WeChat push: field CreateTime: {value!r} is not epoch seconds", code="bad_event")
    return _instant(int(value), "WeChat push: field CreateTime", UTC, "bad_event")
