"""SMS through an HTTP gateway.

``POST {base_url}{path}`` with ``{"message_id", "idempotency_key", "to", "text", "signature"?}``, signed with
``X-Huoke-Signature`` over ``X-Huoke-Timestamp`` and the body. A 2xx answer carries ``{"id": provider id}``;
an error answer ``{"error": "invalid_number"}`` with a 4xx status fails the message with that reason.
"""

from __future__ import annotations

from typing import Any

from huoke.messaging.channels.base import (
    HttpClient,
    HttpTimeouts,
    error_code,
    exchange,
    json_body,
    missing_recipient,
    provider_id_of,
    signed_headers,
)
from huoke.messaging.channels.config import SmsConfig
from huoke.messaging.model import Channel, DeliveryOutcome, OutboundMessage


class SmsGatewayAdapter:
    channel: Channel = "sms"
    provider = "sms_http"

    def __init__(self, config: SmsConfig, *, secret: bytes, client: HttpClient | None = None) -> None:
        self.concurrency = config.concurrency
        self.rate_per_second = config.rate_per_second
        self.url = config.base_url + config.path
        self.signature = config.signature
        self._secret = secret
        timeouts = HttpTimeouts(config.connect_timeout_seconds, config.read_timeout_seconds)
        self._client = client or HttpClient(timeouts, concurrency=config.concurrency)

    async def send(self, message: OutboundMessage) -> DeliveryOutcome:
        if (refused := missing_recipient(message)) is not None:
            return refused
        body = json_body(self.payload(message))
        headers = signed_headers(body, self._secret, message.idempotency_key)
        answer = await exchange(self._client, "POST", self.url, content=body, headers=headers)
        if isinstance(answer, DeliveryOutcome):
            return answer
        # Some gateways answer 200 with an error body: the error wins.
        if (code := error_code(answer)) is not None:
            return DeliveryOutcome.permanent(code, f"HTTP {answer.status_code}: {answer.text[:300]}")
        return DeliveryOutcome.sent(provider_id_of(answer))

    def payload(self, message: OutboundMessage) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "message_id": message.message_id,
            "idempotency_key": message.idempotency_key,
            "to": message.recipient,
            "text": message.body,
        }
        signature = message.extra.get("signature") or self.signature
        if signature:
            payload["signature"] = signature
        return payload

    async def aclose(self) -> None:
        await self._client.aclose()
