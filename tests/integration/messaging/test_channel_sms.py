"""The SMS gateway adapter against a real local HTTP gateway."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from huoke.messaging.channels.config import SmsConfig
from huoke.messaging.channels.sms_gateway import SmsGatewayAdapter
from huoke.messaging.model import DeliveryOutcome, OutboundMessage
from huoke.messaging.receipts import sign
from tests.support.providers import SmsGatewayServer, free_port, outbound

SECRET = b"gateway-shared-secret"
ENV_NAME = "HUOKE_TEST_SECRET"


@pytest.fixture
def gateway() -> Iterator[SmsGatewayServer]:
    with SmsGatewayServer(SECRET) as server:
        yield server


def send(base_url: str, *messages: OutboundMessage, **options: object) -> list[DeliveryOutcome]:
    config = SmsConfig.model_validate({"base_url": base_url, "secret_env": "X", **options})

    async def go() -> list[DeliveryOutcome]:
        adapter = SmsGatewayAdapter(config, secret=SECRET)
        try:
            return list(await asyncio.gather(*(adapter.send(message) for message in messages)))
        finally:
            await adapter.aclose()

    return asyncio.run(go())


def test_an_accepted_sms_is_sent_with_the_gateways_id_and_a_verifiable_signature(gateway: SmsGatewayServer) -> None:
    message = outbound("sms", "13800138000", message_id="m-1", extra={"signature": "活客银行"})

    [outcome] = send(gateway.url, message)

    assert outcome == DeliveryOutcome.sent("sms-1")
    [request] = gateway.received
    assert request.json() == {
        "message_id": "m-1",
        "idempotency_key": "m-1",
        "to": "13800138000",
        "text": message.body,
        "signature": "活客银行",
    }
    assert request.headers["idempotency-key"] == "m-1"
    timestamp = request.headers["x-huoke-timestamp"]
    assert request.headers["x-huoke-signature"] == sign(request.body, SECRET, timestamp=timestamp)
    assert gateway.bad_signatures == 0


def test_a_retried_attempt_is_deduplicated_by_the_gateway_on_the_idempotency_key(gateway: SmsGatewayServer) -> None:
    message = outbound("sms", message_id="m-retry")

    first = send(gateway.url, message)
    again = send(gateway.url, message)

    assert first == again == [DeliveryOutcome.sent("sms-1")]
    assert len(gateway.accepted) == 1
    assert gateway.duplicates == 1


def test_a_configured_signature_is_the_default_and_a_wrong_secret_is_refused(gateway: SmsGatewayServer) -> None:
    [outcome] = send(gateway.url, outbound("sms"), signature="活客银行")
    assert outcome.kind == "sent"
    assert gateway.received[0].json()["signature"] == "活客银行"

    config = SmsConfig(base_url=gateway.url, secret_env=ENV_NAME)

    async def with_wrong_secret() -> DeliveryOutcome:
        adapter = SmsGatewayAdapter(config, secret=b"not-the-secret")
        try:
            return await adapter.send(outbound("sms"))
        finally:
            await adapter.aclose()

    refused = asyncio.run(with_wrong_secret())
    assert (refused.kind, refused.reason) == ("transient", "provider_auth")
    assert gateway.bad_signatures == 1


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_gateway_5xx_is_transient(gateway: SmsGatewayServer, status: int) -> None:
    gateway.fail_next(1, status)
    [outcome] = send(gateway.url, outbound("sms"))
    assert (outcome.kind, outcome.reason) == ("transient", "provider_5xx")
    assert str(status) in outcome.detail


def test_rate_limiting_and_timeouts_from_the_gateway_are_transient(gateway: SmsGatewayServer) -> None:
    gateway.fail_next(1, 429, {"error": "too_many_requests"})
    gateway.fail_next(1, 408)
    first, second = send(gateway.url, outbound("sms"), outbound("sms"), concurrency=1)
    assert {(first.kind, first.reason), (second.kind, second.reason)} == {
        ("transient", "rate_limited"),
        ("transient", "timeout"),
    }


def test_an_invalid_number_is_permanent_with_the_gateways_reason(gateway: SmsGatewayServer) -> None:
    gateway.invalid_numbers.add("10000")
    [outcome] = send(gateway.url, outbound("sms", "10000"))
    assert (outcome.kind, outcome.reason) == ("permanent", "invalid_number")


def test_a_4xx_without_a_reason_is_permanent_provider_4xx(gateway: SmsGatewayServer) -> None:
    gateway.fail_next(1, 400, {"message": "Bad Request"})
    [outcome] = send(gateway.url, outbound("sms"))
    assert (outcome.kind, outcome.reason) == ("permanent", "provider_4xx")


def test_an_error_body_under_a_200_status_fails_the_message(gateway: SmsGatewayServer) -> None:
    gateway.fail_next(1, 200, {"error": "blacklisted_number"})
    [outcome] = send(gateway.url, outbound("sms"))
    assert (outcome.kind, outcome.reason) == ("permanent", "blacklisted_number")


def test_a_message_without_a_number_is_never_sent(gateway: SmsGatewayServer) -> None:
    [outcome] = send(gateway.url, outbound("sms", " "))
    assert (outcome.kind, outcome.reason) == ("permanent", "invalid_recipient")
    assert gateway.received == []


def test_a_gateway_that_is_down_is_transient() -> None:
    [outcome] = send(f"http://127.0.0.1:{free_port()}", outbound("sms"))
    assert (outcome.kind, outcome.reason) == ("transient", "connection_failed")


def test_a_gateway_slower_than_the_read_timeout_is_transient() -> None:
    with SmsGatewayServer(SECRET, delay_ms=500) as slow:
        [outcome] = send(slow.url, outbound("sms"), read_timeout_seconds=0.05)
    assert (outcome.kind, outcome.reason) == ("transient", "timeout")


def test_the_adapter_never_has_more_sends_in_flight_than_its_concurrency() -> None:
    with SmsGatewayServer(SECRET, delay_ms=30) as gateway:
        outcomes = send(gateway.url, *(outbound("sms", message_id=f"m-{i}") for i in range(30)), concurrency=6)
    assert all(outcome.kind == "sent" for outcome in outcomes)
    assert 1 < gateway.max_in_flight <= 6
    assert len(gateway.accepted) == 30
