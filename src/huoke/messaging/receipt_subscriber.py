"""The receipts subscriber: a `message_receipt` event (from a provider's delivery report) marks its message
delivered or failed, in the worker's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from huoke.messaging.inbound import apply_receipt
from huoke.messaging.store import MessageRow
from huoke.platform.work import Subscriber, WorkItem

NAME = "messaging.receipts"
TOPICS = frozenset({"event.message_receipt"})


def subscriber() -> Subscriber:
    def handle(session: Session, item: WorkItem, now: datetime) -> None:
        properties = item.payload.get("properties") or {}
        row = session.get(MessageRow, str(properties.get("message_id", "")))
        if row is None:  # the message was erased since: nothing to mark
            return
        at = datetime.fromisoformat(item.payload["occurred_at"])
        apply_receipt(row, str(properties.get("status")), at, properties.get("reason"))

    return Subscriber(NAME, TOPICS, handle)
