"""WeChat official-account (公众号) template messages, and the access-token flow WeCom shares.

Every call carries an access token fetched with the account's credentials and cached until five minutes
before it expires. When the provider still says the token is invalid or expired (another system may have
fetched a new one, which voids ours), the adapter fetches a fresh token once and repeats the call.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from huoke.messaging.channels.base import (
    IDEMPOTENCY_HEADER,
    HttpClient,
    HttpTimeouts,
    exchange,
    json_body,
    json_of,
    missing_recipient,
)
from huoke.messaging.channels.config import WechatConfig
from huoke.messaging.model import Channel, DeliveryOutcome, OutboundMessage

TOKEN_MARGIN_SECONDS = 300.0
BUSY = -1
# What a provider error code means when sending; anything else is a permanent ``provider_error``.
WECHAT_ERRORS: dict[int, tuple[bool, str]] = {
    BUSY: (True, "provider_busy"),
    45009: (True, "rate_limited"),
    40001: (True, "token_invalid"),
    40014: (True, "token_invalid"),
    42001: (True, "token_invalid"),
    40003: (False, "invalid_recipient"),
    43004: (False, "invalid_recipient"),
    43101: (False, "recipient_refused"),
    40037: (False, "invalid_template"),
    47003: (False, "rejected"),
}
WECHAT_TOKEN_ERRORS = frozenset({40001, 40014, 42001})

TokenFetch = Callable[[], Awaitable["tuple[str, float] | DeliveryOutcome"]]


class AccessTokens:
    """One cached access token; concurrent senders wait for a single fetch."""

    def __init__(self, fetch: TokenFetch, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self._clock = clock
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._fresh_until = 0.0

    async def get(self) -> str | DeliveryOutcome:
        async with self._lock:
            if self._token is not None and self._clock() < self._fresh_until:
                return self._token
            fetched = await self._fetch()
            if isinstance(fetched, DeliveryOutcome):
                return fetched
            token, expires_in = fetched
            margin = TOKEN_MARGIN_SECONDS if expires_in > 2 * TOKEN_MARGIN_SECONDS else expires_in / 2
            self._token, self._fresh_until = token, self._clock() + expires_in - margin
            return token

    def invalidate(self, token: str) -> None:
        """Forget TOKEN (and only it: a newer token another sender fetched meanwhile stays)."""
        if self._token == token:
            self._token = None


async def fetch_token(client: HttpClient, url: str, params: Mapping[str, str]) -> tuple[str, float] | DeliveryOutcome:
    """GET a token endpoint answering ``{"access_token", "expires_in"}`` or ``{"errcode", "errmsg"}``."""
    answer = await exchange(client, "GET", url, params=dict(params))
    if isinstance(answer, DeliveryOutcome):
        return answer
    document = json_of(answer) or {}
    token, expires_in = document.get("access_token"), document.get("expires_in", 7200)
    if isinstance(token, str) and token and isinstance(expires_in, int | float):
        return token, float(expires_in)
    errcode = document.get("errcode")
    reason = "provider_busy" if errcode == BUSY else "provider_auth"
    return DeliveryOutcome.transient(reason, f"access token refused: errcode {errcode}: {document.get('errmsg', '')}")


async def call_with_token(
    tokens: AccessTokens,
    call: Callable[[str], Awaitable[dict[str, Any] | DeliveryOutcome]],
    token_errors: frozenset[int],
) -> dict[str, Any] | DeliveryOutcome:
    """CALL with the cached token; when the provider rejects the token, once more with a fresh one."""
    answer, token = await _with_token(tokens, call)
    if token is not None and isinstance(answer, dict) and answer.get("errcode") in token_errors:
        tokens.invalidate(token)
        answer, _ = await _with_token(tokens, call)
    return answer


async def _with_token(
    tokens: AccessTokens, call: Callable[[str], Awaitable[dict[str, Any] | DeliveryOutcome]]
) -> tuple[dict[str, Any] | DeliveryOutcome, str | None]:
    token = await tokens.get()
    if isinstance(token, DeliveryOutcome):
        return token, None
    return await call(token), token


async def post_json(
    client: HttpClient, url: str, token: str, payload: dict[str, Any], idempotency_key: str
) -> dict[str, Any] | DeliveryOutcome:
    """POST PAYLOAD with TOKEN in the query string; the JSON object answered, or the failure's outcome."""
    headers = {"Content-Type": "application/json; charset=utf-8", IDEMPOTENCY_HEADER: idempotency_key}
    answer = await exchange(
        client, "POST", url, params={"access_token": token}, content=json_body(payload), headers=headers
    )
    if isinstance(answer, DeliveryOutcome):
        return answer
    document = json_of(answer)
    if document is None:
        return DeliveryOutcome.transient("provider_unexpected", f"not a JSON object: {answer.text[:300]}")
    return document


def outcome_of_errcode(document: dict[str, Any], errors: Mapping[int, tuple[bool, str]]) -> DeliveryOutcome:
    """Read ``{"errcode", "errmsg", "msgid"}``: 0 is sent, other codes as ERRORS says."""
    errcode = document.get("errcode", 0)
    if errcode == 0:
        msgid = document.get("msgid")
        return DeliveryOutcome.sent(None if msgid is None else str(msgid))
    detail = f"errcode {errcode}: {document.get('errmsg', '')}"[:300]
    transient, reason = (
        errors.get(errcode, (False, "provider_error")) if isinstance(errcode, int) else (True, "provider_unexpected")
    )
    return DeliveryOutcome.transient(reason, detail) if transient else DeliveryOutcome.permanent(reason, detail)


class WechatTemplateAdapter:
    """Template messages to followers of an official account; the recipient is their openid."""

    channel: Channel = "wechat_template"
    provider = "wechat_mp"

    def __init__(self, config: WechatConfig, *, secret: str, client: HttpClient | None = None) -> None:
        self.concurrency = config.concurrency
        self.rate_per_second = config.rate_per_second
        self.base_url = config.base_url
        timeouts = HttpTimeouts(config.connect_timeout_seconds, config.read_timeout_seconds)
        self._client = client or HttpClient(timeouts, concurrency=config.concurrency)
        credentials = {"grant_type": "client_credential", "appid": config.appid, "secret": secret}
        token_url = f"{self.base_url}/cgi-bin/token"
        self.tokens = AccessTokens(lambda: fetch_token(self._client, token_url, credentials))

    async def send(self, message: OutboundMessage) -> DeliveryOutcome:
        if (refused := missing_recipient(message)) is not None:
            return refused
        if not message.extra.get("template_id"):
            return DeliveryOutcome.permanent(
                "invalid_message", f"message {message.message_id}: extra.template_id is missing"
            )
        url, payload = f"{self.base_url}/cgi-bin/message/template/send", template_payload(message)

        async def call(token: str) -> dict[str, Any] | DeliveryOutcome:
            return await post_json(self._client, url, token, payload, message.idempotency_key)

        answer = await call_with_token(self.tokens, call, WECHAT_TOKEN_ERRORS)
        return answer if isinstance(answer, DeliveryOutcome) else outcome_of_errcode(answer, WECHAT_ERRORS)

    async def aclose(self) -> None:
        await self._client.aclose()


def template_payload(message: OutboundMessage) -> dict[str, Any]:
    """The template-send body; ``client_msg_id`` is the idempotency key WeChat dedups on."""
    extra = message.extra
    data = extra.get("data") or {}
    payload: dict[str, Any] = {
        "touser": message.recipient,
        "template_id": extra["template_id"],
        "data": {key: value if isinstance(value, dict) else {"value": str(value)} for key, value in data.items()},
        "client_msg_id": message.idempotency_key,
    }
    for key in ("url", "miniprogram"):
        if extra.get(key):
            payload[key] = extra[key]
    return payload
