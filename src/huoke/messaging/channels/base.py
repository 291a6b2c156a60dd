"""The channel adapter contract, and how an HTTP provider's answer becomes a delivery outcome.

An adapter never raises for provider trouble: it classifies. Trouble that may pass (5xx, 408, 429, timeouts,
refused connections, bad credentials) is ``transient`` and the dispatcher retries it later under the same
idempotency key; trouble that will not pass (other 4xx, an invalid recipient, rejected content) is
``permanent`` with a stable snake_case reason.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from huoke.messaging.model import Channel, DeliveryOutcome, OutboundMessage
from huoke.messaging.receipts import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

IDEMPOTENCY_HEADER = "Idempotency-Key"
USER_AGENT = "huoke-messaging/1"
DETAIL_CHARS = 300
SHARD_CONNECTIONS = 4
_REASON_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
_HTTP_CLIENT_ERROR, _HTTP_SERVER_ERROR, _HTTP_BEYOND = 400, 500, 600
_SUCCESS = range(200, 300)
# Bad credentials are an operator's mistake that a fixed secret cures: retrying beats failing every message.
_TRANSIENT_STATUS = {401: "provider_auth", 403: "provider_auth", 408: "timeout", 429: "rate_limited"}


class ChannelAdapter(Protocol):
    """Delivers messages of one channel to one provider."""

    channel: Channel
    provider: str
    concurrency: int
    rate_per_second: float | None

    async def send(self, message: OutboundMessage) -> DeliveryOutcome:
        """One attempt; never raises for provider trouble."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


@dataclass(frozen=True)
class HttpTimeouts:
    connect: float = 5.0
    read: float = 5.0


class HttpClient:
    """An adapter's HTTP connections: httpx clients of at most ``SHARD_CONNECTIONS`` connections each.

    httpx's pool checks every pooled connection on each request, so one client with dozens of connections
    spends more time in its pool than on the wire (about a quarter of the throughput at 64 connections on
    loopback). Several small pools, each request going to the least busy one, keep the cost flat.
    """

    def __init__(self, timeouts: HttpTimeouts, *, concurrency: int) -> None:
        shards = max(1, -(-concurrency // SHARD_CONNECTIONS))
        sizes = [concurrency // shards + (index < concurrency % shards) for index in range(shards)]
        self._clients = [_httpx_client(timeouts, max(1, size)) for size in sizes]
        self._busy = [0] * shards

    async def request(self, method: str, url: str, **request: Any) -> httpx.Response:
        index = self._busy.index(min(self._busy))
        self._busy[index] += 1
        try:
            return await self._clients[index].request(method, url, **request)
        finally:
            self._busy[index] -= 1

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()


def _httpx_client(timeouts: HttpTimeouts, connections: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeouts.read, connect=timeouts.connect),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
    )


def outcome_of_response(response: httpx.Response) -> DeliveryOutcome | None:
    """None for a 2xx answer (the caller reads it); otherwise what the status says about retrying."""
    status = response.status_code
    if status in _SUCCESS:
        return None
    detail = f"HTTP {status}: {response.text[:DETAIL_CHARS]}"
    if status in _TRANSIENT_STATUS:
        return DeliveryOutcome.transient(_TRANSIENT_STATUS[status], detail)
    if _HTTP_SERVER_ERROR <= status < _HTTP_BEYOND:
        return DeliveryOutcome.transient("provider_5xx", detail)
    if _HTTP_CLIENT_ERROR <= status < _HTTP_SERVER_ERROR:
        return DeliveryOutcome.permanent(error_code(response) or "provider_4xx", detail)
    return DeliveryOutcome.transient("provider_unexpected", detail)


def outcome_of_error(exc: Exception) -> DeliveryOutcome:
    """A request that got no answer: always worth another try."""
    detail = f"{type(exc).__name__}: {exc}"[:DETAIL_CHARS]
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return DeliveryOutcome.transient("timeout", detail)
    if isinstance(exc, httpx.ConnectError | ConnectionError):
        return DeliveryOutcome.transient("connection_failed", detail)
    return DeliveryOutcome.transient("network_error", detail)


async def exchange(client: HttpClient, method: str, url: str, **request: Any) -> httpx.Response | DeliveryOutcome:
    """Make one request: the 2xx response, or the outcome its failure means."""
    try:
        response = await client.request(method, url, **request)
    except (httpx.HTTPError, OSError) as exc:
        return outcome_of_error(exc)
    return outcome_of_response(response) or response


def error_code(response: httpx.Response) -> str | None:
    """A provider's own snake_case error code from a JSON body ``{"error": "invalid_number"}``."""
    document = json_of(response)
    code = document.get("error") if document else None
    return code if isinstance(code, str) and _REASON_RE.match(code) else None


def json_of(response: httpx.Response) -> dict[str, Any] | None:
    """The response body as a JSON object, or None when it is not one."""
    try:
        document = response.json()
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def provider_id_of(response: httpx.Response, key: str = "id") -> str | None:
    document = json_of(response)
    value = document.get(key) if document else None
    return None if value is None or isinstance(value, dict | list) else str(value)


def json_body(payload: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON (Chinese stays readable); anything unusual is written as text."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


def signed_headers(body: bytes, secret: bytes, idempotency_key: str) -> dict[str, str]:
    """Headers of a signed JSON POST: the HMAC over timestamp and body, and the idempotency key."""
    timestamp = str(int(time.time()))
    return {
        "Content-Type": "application/json; charset=utf-8",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(body, secret, timestamp=timestamp),
        IDEMPOTENCY_HEADER: idempotency_key,
    }


def missing_recipient(message: OutboundMessage) -> DeliveryOutcome | None:
    """A message without an address can never be delivered."""
    if message.recipient.strip():
        return None
    return DeliveryOutcome.permanent(
        "invalid_recipient", f"message {message.message_id} has no {message.channel} address"
    )
