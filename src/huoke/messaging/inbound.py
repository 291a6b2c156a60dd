"""What comes back from customers and providers: delivery receipts, SMS replies, WeChat events, e-mail
unsubscribes and tracked-link clicks.

Receipts update the message they name. Everything a customer did (a reply, an unfollow, an unsubscribe, a
click) enters through live ingestion as an event — on the customer's timeline, exactly once by its event id —
and the opt-out subscriber (``optouts.py``) withdraws the consent it implies, with the event as evidence.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import or_, select

from huoke.customers.service import profile_of
from huoke.events.service import Ingestion
from huoke.messaging.addresses import store_address
from huoke.messaging.receipts import Receipt, parse_sms_receipts, parse_sms_replies, parse_wechat_event
from huoke.messaging.store import MessageRow, TrackedLinkRow
from huoke.messaging.unsubscribe import message_of_token
from huoke.platform.errors import InvalidInput, NotFound
from huoke.platform.runtime import Runtime

log = logging.getLogger(__name__)
ACTOR = "messaging.inbound"


def apply_receipts(runtime: Runtime, ingestion: Ingestion, receipts: Sequence[Receipt]) -> dict[str, Any]:
    """Receipts become `message_receipt` events of the messages' customers (the receipts subscriber then
    marks each message delivered or failed); a receipt naming no known message is reported, not an error."""
    with runtime.uow() as uow:
        found = [_message_of(uow.session, receipt) for receipt in receipts]
        rows = [(row.message_id, row.customer_no, row.channel) if row else None for row in found]
    items, results = [], []
    for index, (receipt, row) in enumerate(zip(receipts, rows, strict=True)):
        message_id, customer_no, channel = row or ("", None, "")
        if customer_no is None:
            results.append({"index": index, "status": "unknown_message"})
            continue
        items.append(_receipt_event(receipt, message_id, customer_no, channel))
        results.append({"index": index, "status": "accepted", "message_id": message_id})
    report = ingestion.events(items, actor=ACTOR).as_dict() if items else {"accepted": 0}
    return {"accepted": report["accepted"], "results": results}


def _receipt_event(receipt: Receipt, message_id: str, customer_no: str, channel: str) -> dict[str, Any]:
    properties = {"message_id": message_id, "status": receipt.status}
    if receipt.reason:
        properties["reason"] = receipt.reason[:64]
    return {
        "event_id": f"receipt:{message_id}:{receipt.status}",
        "type": "message_receipt",
        "occurred_at": receipt.at.isoformat(),
        "customer_no": customer_no,
        "properties": properties | {"channel": channel},
    }


def sms_receipts(runtime: Runtime, ingestion: Ingestion, body: bytes) -> dict[str, Any]:
    try:
        receipts = parse_sms_receipts(body)
    except InvalidInput as exc:
        log.warning("rejected an SMS receipt batch: %s", exc)
        raise
    return apply_receipts(runtime, ingestion, receipts)


def sms_replies(runtime: Runtime, ingestion: Ingestion, body: bytes) -> dict[str, Any]:
    """SMS replies become `message_replied` events of the customer holding the number."""
    replies = parse_sms_replies(body)
    events = [
        {
            "event_id": f"sms-reply:{reply.provider_id or _digest(reply.phone, reply.text, reply.received_at)}",
            "type": "message_replied",
            "occurred_at": reply.received_at.isoformat(),
            "identity": {"phone": reply.phone},
            "channel": "sms",
            "properties": {"text": reply.text[:2000]},
        }
        for reply in replies
    ]
    return ingestion.events(events, actor=ACTOR).as_dict() if events else {"accepted": 0, "results": []}


def wechat_event(runtime: Runtime, ingestion: Ingestion, body: bytes) -> dict[str, Any]:
    """A WeChat push: unfollows become `wechat_unfollow` events, template-send results become receipts."""
    try:
        event = parse_wechat_event(body)
    except InvalidInput as exc:
        if exc.code != "unsupported_event":
            raise
        return {"ignored": True, "reason": exc.message}  # WeChat retries anything but a 2xx answer
    if event.kind == "template_finished":
        status: Literal["delivered", "failed"] = "delivered" if (event.status or "").startswith("success") else "failed"
        receipt = Receipt(provider_id=event.msg_id, message_id=None, status=status, at=event.at, reason=event.status)
        return apply_receipts(runtime, ingestion, [receipt])
    kind = "wechat_unfollow" if event.kind == "unsubscribe" else "wechat_follow"
    item = {
        "event_id": f"wechat:{event.kind}:{_digest(event.openid, event.kind, event.at)}",
        "type": kind,
        "occurred_at": event.at.isoformat(),
        "identity": {"wechat_openid": event.openid},
        "channel": "wechat",
        "properties": {},
    }
    report = ingestion.events([item], actor=ACTOR).as_dict()
    if event.kind == "subscribe":
        _remember_openid(runtime, event.openid, report)
    return report


def _remember_openid(runtime: Runtime, openid: str, report: dict[str, Any]) -> None:
    """A follower's openid becomes the address of WeChat template messages to the customer it belongs to."""
    one_id = next((r.get("one_id") for r in report.get("results", []) if r.get("one_id")), None)
    if one_id is None:
        return
    with runtime.uow() as uow:
        profile = profile_of(uow.session, one_id)
        store_address(
            uow.session,
            runtime.cipher,
            one_id=profile,
            channel="wechat_template",
            address=openid,
            source="wechat_subscribe",
            now=runtime.now(),
        )
        uow.commit()


def unsubscribe(runtime: Runtime, ingestion: Ingestion, token: str) -> dict[str, Any]:
    """An e-mail unsubscribe (the link or the RFC 8058 one-click POST) becomes an `unsubscribed` event."""
    message_id = message_of_token(runtime, token)
    if message_id is None:
        raise NotFound("this unsubscribe link is not valid", code="bad_unsubscribe_token")
    with runtime.uow() as uow:
        row = uow.session.get(MessageRow, message_id)
        if row is None or row.customer_no is None:
            raise NotFound("this unsubscribe link is not valid", code="bad_unsubscribe_token")
        customer_no, channel, now = row.customer_no, row.channel, runtime.now()
    item = {
        "event_id": f"unsubscribe:{message_id}",
        "type": "unsubscribed",
        "occurred_at": now.isoformat(),
        "customer_no": customer_no,
        "channel": "email",
        "properties": {"channel": channel, "message_id": message_id},
    }
    return ingestion.events([item], actor=ACTOR).as_dict()


def click(runtime: Runtime, ingestion: Ingestion, code: str) -> str:
    """Count a tracked-link click, record a `message_clicked` event, and answer the URL to redirect to."""
    with runtime.uow() as uow:
        session, now = uow.session, runtime.now()
        link = session.get(TrackedLinkRow, code)
        if link is None:
            raise NotFound(f"no tracked link {code}", code="link_not_found")
        link.clicks += 1
        link.first_clicked_at = link.first_clicked_at or now
        link.last_clicked_at = now
        message = session.get(MessageRow, link.message_id)
        url, clicks, customer_no = link.url, link.clicks, message.customer_no if message else None
        uow.commit()
    if customer_no is not None:
        item = {
            "event_id": f"click:{code}:{clicks}",
            "type": "message_clicked",
            "occurred_at": now.isoformat(),
            "customer_no": customer_no,
            "properties": {"message_id": link.message_id, "url": url[:256]},
        }
        ingestion.events([item], actor=ACTOR)
    return url


def _message_of(session: Any, receipt: Receipt) -> MessageRow | None:
    conditions = []
    if receipt.message_id:
        conditions.append(MessageRow.message_id == receipt.message_id)
    if receipt.provider_id:
        conditions.append(MessageRow.provider_id == receipt.provider_id)
    if not conditions:
        return None
    return session.scalars(select(MessageRow).where(or_(*conditions)).limit(1)).first()  # type: ignore[no-any-return]


def apply_receipt(row: MessageRow, status: str, at: datetime, reason: str | None) -> None:
    """Delivered or failed, as a provider reported it; a message not yet sent is not changed."""
    if status == "delivered":
        if row.status in ("sent", "delivered"):
            row.status, row.reason = "delivered", "delivered"
            row.delivered_at = row.delivered_at or at
    elif row.status in ("sent", "delivered"):
        row.status, row.reason, row.failed_at = "failed", (reason or "undelivered")[:48], at


def _digest(*parts: object) -> str:
    text = "|".join(p.isoformat() if isinstance(p, datetime) else str(p) for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:32]
