"""A journey's webhook step: the work queue delivers each call at least once, retrying failures with
backoff and parking it after the last attempt; the receiver gets the same `Idempotency-Key` every time, so
it can drop a repeat."""

from __future__ import annotations

from datetime import datetime

import httpx
from sqlalchemy.orm import Session

from huoke.journeys.execution import WEBHOOK_TOPIC
from huoke.platform.work import Subscriber, WorkItem

NAME = "journeys.webhooks"
TIMEOUT_SECONDS = 10.0


def subscriber() -> Subscriber:
    def handle(session: Session, item: WorkItem, now: datetime) -> None:
        payload = item.payload
        body = {
            "instance_id": payload["instance_id"],
            "one_id": payload["one_id"],
            "journey_id": payload["journey_id"],
            "at": now.isoformat(),
        }
        response = httpx.post(payload["url"], json=body, headers={"Idempotency-Key": item.key}, timeout=TIMEOUT_SECONDS)
        response.raise_for_status()  # an error answer is retried by the work queue, then parked

    return Subscriber(NAME, frozenset({WEBHOOK_TOPIC}), handle)
