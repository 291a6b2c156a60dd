"""App push and generic webhooks against a local JSON receiver."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator

import pytest

from huoke.messaging.channels.config import PushConfig, WebhookConfig
from huoke.messaging.channels.push import PushAdapter
from huoke.messaging.channels.webhook import WebhookAdapter
from huoke.messaging.model import DeliveryOutcome, OutboundMessage
from huoke.messaging.receipts import verify_signature
from tests.support.providers import WebhookServer, outbound

SECRET = b"webhook-secret"
ENV_NAME = "HUOKE_TEST_SECRET"
BEARER = "push-token"


@pytest.fixture
def receiver() -> Iterator[WebhookServer]:
    with WebhookServer(secret=SECRET) as server:
        yield server


@pytest.fixture
def push_service() -> Iterator[WebhookServer]:
    with WebhookServer() as server:
        yield server


def push(url: str, message: OutboundMessage, token: str | None = BEARER) -> DeliveryOutcome:
    async def go() -> DeliveryOutcome:
        adapter = PushAdapter(PushConfig(url=url), token=token)
        try:
            return await adapter.send(message)
        finally:
            await adapter.aclose()

    return asyncio.run(go())


def hook(url: str, message: OutboundMessage, secret: bytes = SECRET) -> DeliveryOutcome:
    async def go() -> DeliveryOutcome:
        adapter = WebhookAdapter(WebhookConfig(url=url, secret_env=ENV_NAME), secret=secret)
        try:
            return await adapter.send(message)
        finally:
            await adapter.aclose()

    return asyncio.run(go())


def test_a_push_carries_title_body_deep_link_token_and_idempotency_key(push_service: WebhookServer) -> None:
    message = outbound(
        "push", "device-abc", subject="专属礼遇", extra={"title": "您的理财礼包", "deep_link": "bank://wealth/88"}
    )

    outcome = push(push_service.url + "/v1/push", message)

    assert outcome == DeliveryOutcome.sent("hook-1")
    [request] = push_service.received
    assert request.path == "/v1/push"
    assert request.json() == {
        "message_id": message.message_id,
        "idempotency_key": message.idempotency_key,
        "device_token": "device-abc",
        "title": "您的理财礼包",
        "body": message.body,
        "deep_link": "bank://wealth/88",
    }
    assert request.headers["authorization"] == "Bearer push-token"
    assert request.headers["idempotency-key"] == message.idempotency_key


def test_a_push_without_a_title_uses_the_subject_and_without_a_token_sends_no_authorization(
    push_service: WebhookServer,
) -> None:
    push(push_service.url, outbound("push", "device-abc", subject="到账提醒"), token=None)
    [request] = push_service.received
    assert request.json()["title"] == "到账提醒"
    assert "authorization" not in request.headers


@pytest.mark.parametrize(
    ("status", "kind", "reason"),
    [
        (500, "transient", "provider_5xx"),
        (503, "transient", "provider_5xx"),
        (429, "transient", "rate_limited"),
        (401, "transient", "provider_auth"),
        (404, "permanent", "provider_4xx"),
        (410, "permanent", "provider_4xx"),
    ],
)
def test_push_service_errors_are_classified(push_service: WebhookServer, status: int, kind: str, reason: str) -> None:
    push_service.fail_next(1, status, {"message": "no"})
    outcome = push(push_service.url, outbound("push", "device-abc"))
    assert (outcome.kind, outcome.reason) == (kind, reason)


def test_an_unregistered_device_token_keeps_the_services_reason(push_service: WebhookServer) -> None:
    push_service.fail_next(1, 400, {"error": "unregistered_device"})
    outcome = push(push_service.url, outbound("push", "device-old"))
    assert (outcome.kind, outcome.reason) == ("permanent", "unregistered_device")


def test_a_webhook_receives_the_whole_message_signed(receiver: WebhookServer) -> None:
    message = outbound("webhook", "one-id-1", subject="账单", extra={"customer_no": "C001", "amount": 12.5})

    outcome = hook(receiver.url + "/hooks/huoke", message)

    assert outcome == DeliveryOutcome.sent("hook-1")
    [request] = receiver.accepted
    assert request.json() == dataclasses.asdict(message)
    verify_signature(
        request.body, request.headers["x-huoke-signature"], SECRET, timestamp=request.headers["x-huoke-timestamp"]
    )
    assert receiver.bad_signatures == 0


def test_a_webhook_signed_with_another_secret_is_refused_by_the_receiver(receiver: WebhookServer) -> None:
    outcome = hook(receiver.url, outbound("webhook", "one-id-1"), secret=b"other")
    assert outcome.kind == "transient"
    assert (receiver.bad_signatures, receiver.accepted) == (1, [])


def test_a_resent_webhook_is_deduplicated_on_its_idempotency_key(receiver: WebhookServer) -> None:
    message = outbound("webhook", "one-id-1")
    assert hook(receiver.url, message) == hook(receiver.url, message) == DeliveryOutcome.sent("hook-1")
    assert (len(receiver.accepted), receiver.duplicates) == (1, 1)
