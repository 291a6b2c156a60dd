"""App push through an HTTP push service.

``POST {url}`` with ``{"message_id", "idempotency_key", "device_token", "title", "body", "deep_link"}`` and the
``Idempotency-Key`` header; ``Authorization: Bearer …`` when a token is configured.
"""

from __future__ import annotations

from typing import Any

from huoke.messaging.channels.base import (
    IDEMPOTENCY_HEADER,
    HttpClient,
    HttpTimeouts,
    exchange,
    json_body,
    missing_recipient,
    provider_id_of,
)
from huoke.messaging.channels.config import PushConfig
from huoke.messaging.model import Channel, DeliveryOutcome, OutboundMessage


class PushAdapter:
    channel: Channel = "push"
    provider = "push_webhook"

    def __init__(self, config: PushConfig, *, token: str | None, client: HttpClient | None = None) -> None:
        self.concurrency = config.concurrency
        self.rate_per_second = config.rate_per_second
        self.url = config.url
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        timeouts = HttpTimeouts(config.connect_timeout_seconds, config.read_timeout_seconds)
        self._client = client or HttpClient(timeouts, concurrency=config.concurrency)

    async def send(self, message: OutboundMessage) -> DeliveryOutcome:
        if (refused := missing_recipient(message)) is not None:
            return refused
        headers = self._headers | {
            "Content-Type": "application/json; charset=utf-8",
            IDEMPOTENCY_HEADER: message.idempotency_key,
        }
        answer = await exchange(self._client, "POST", self.url, content=json_body(payload(message)), headers=headers)
        if isinstance(answer, DeliveryOutcome):
            return answer
        return DeliveryOutcome.sent(provider_id_of(answer))

    async def aclose(self) -> None:
        await self._client.aclose()


def payload(message: OutboundMessage) -> dict[str, Any]:
    """The push body; the title is ``extra["title"]``, else the subject."""
    return {
        "message_id": message.message_id,
        "idempotency_key": message.idempotency_key,
        "device_token": message.recipient,
        "title": message.extra.get("title") or message.subject or "",
        "body": message.body,
        "deep_link": message.extra.get("deep_link"),
    }
