"""Whole messages to a receiver of the bank's own, as signed JSON.

``POST {url}`` with every field of the message (``message_id``, ``idempotency_key``, ``channel``, ``purpose``,
``recipient``, ``body``, ``subject``, ``html``, ``extra``), signed like SMS: ``X-Huoke-Signature`` over
``X-Huoke-Timestamp`` and the body, and the ``Idempotency-Key`` header.
"""

from __future__ import annotations

import dataclasses

from huoke.messaging.channels.base import (
    HttpClient,
    HttpTimeouts,
    exchange,
    json_body,
    provider_id_of,
    signed_headers,
)
from huoke.messaging.channels.config import WebhookConfig
from huoke.messaging.model import Channel, DeliveryOutcome, OutboundMessage


class WebhookAdapter:
    channel: Channel = "webhook"
    provider = "webhook"

    def __init__(self, config: WebhookConfig, *, secret: bytes, client: HttpClient | None = None) -> None:
        self.concurrency = config.concurrency
        self.rate_per_second = config.rate_per_second
        self.url = config.url
        self._secret = secret
        timeouts = HttpTimeouts(config.connect_timeout_seconds, config.read_timeout_seconds)
        self._client = client or HttpClient(timeouts, concurrency=config.concurrency)

    async def send(self, message: OutboundMessage) -> DeliveryOutcome:
        body = json_body(dataclasses.asdict(message))
        headers = signed_headers(body, self._secret, message.idempotency_key)
        answer = await exchange(self._client, "POST", self.url, content=body, headers=headers)
        if isinstance(answer, DeliveryOutcome):
            return answer
        return DeliveryOutcome.sent(provider_id_of(answer))

    async def aclose(self) -> None:
        await self._client.aclose()
