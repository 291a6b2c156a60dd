"""The opt-out subscriber: customer events that withdraw marketing consent, applied with the event as
evidence. An SMS reply of R / T / TD / 退订 withdraws SMS marketing; a WeChat unfollow withdraws WeChat
marketing; an unsubscribe withdraws marketing on its channel. Runs in the worker's transaction, so each
event's withdrawal is recorded exactly once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from huoke.customers.service import withdraw_consent
from huoke.messaging.model import CONSENT_CHANNEL
from huoke.messaging.sms import is_opt_out_reply
from huoke.platform.runtime import Runtime
from huoke.platform.work import Subscriber, WorkItem

NAME = "messaging.optouts"
TOPICS = frozenset({"event.message_replied", "event.wechat_unfollow", "event.unsubscribed"})


def subscriber(runtime: Runtime) -> Subscriber:
    def handle(session: Session, item: WorkItem, now: datetime) -> None:
        withdrawn = consent_withdrawn(item.payload)
        if withdrawn is None or not item.payload.get("one_id"):
            return
        at = datetime.fromisoformat(item.payload["occurred_at"])
        withdraw_consent(
            session,
            runtime.cipher,
            one_id=item.payload["one_id"],
            channel=withdrawn,
            purpose="marketing",
            at=at,
            source=f"event:{item.payload['event_id']}",  # the evidence: the event on the customer's timeline
        )

    return Subscriber(NAME, TOPICS, handle)


def consent_withdrawn(payload: dict[str, object]) -> str | None:
    """The consent channel an event withdraws marketing consent for, or None."""
    properties = payload.get("properties")
    if not isinstance(properties, dict):
        properties = {}
    kind = payload.get("type")
    if kind == "message_replied":
        return (
            "sms"
            if payload.get("channel") in (None, "sms") and is_opt_out_reply(str(properties.get("text", "")))
            else None
        )
    if kind == "wechat_unfollow":
        return "wechat"
    if kind == "unsubscribed":
        channel = properties.get("channel")
        return CONSENT_CHANNEL.get(channel) if isinstance(channel, str) else None  # type: ignore[call-overload]
    return None
