"""WeCom (企业微信) application text messages, for example to an RM's own WeCom account.

The token flow is WeChat's (``wechat.AccessTokens``) with WeCom's endpoints. WeCom has no idempotency key of
its own: it drops a repeat of the same content to the same user within ``duplicate_check_interval`` seconds,
which covers a retried attempt; the key also travels in the ``Idempotency-Key`` header for relays that use it.
"""

from __future__ import annotations

from typing import Any

from huoke.messaging.channels.base import HttpClient, HttpTimeouts, missing_recipient
from huoke.messaging.channels.config import WecomConfig
from huoke.messaging.channels.wechat import AccessTokens, call_with_token, fetch_token, outcome_of_errcode, post_json
from huoke.messaging.model import Channel, DeliveryOutcome, OutboundMessage

DUPLICATE_CHECK_SECONDS = 1800
WECOM_ERRORS: dict[int, tuple[bool, str]] = {
    -1: (True, "provider_busy"),
    45009: (True, "rate_limited"),
    40014: (True, "token_invalid"),
    42001: (True, "token_invalid"),
    60020: (True, "provider_auth"),
    81013: (False, "invalid_recipient"),
    44004: (False, "rejected"),
    45002: (False, "rejected"),
}
WECOM_TOKEN_ERRORS = frozenset({40014, 42001})


class WecomTextAdapter:
    """Text messages from a WeCom application; the recipient is the WeCom user id."""

    channel: Channel = "wecom_text"
    provider = "wecom"

    def __init__(self, config: WecomConfig, *, secret: str, client: HttpClient | None = None) -> None:
        self.concurrency = config.concurrency
        self.rate_per_second = config.rate_per_second
        self.base_url = config.base_url
        self.agentid = config.agentid
        timeouts = HttpTimeouts(config.connect_timeout_seconds, config.read_timeout_seconds)
        self._client = client or HttpClient(timeouts, concurrency=config.concurrency)
        credentials = {"corpid": config.corpid, "corpsecret": secret}
        token_url = f"{self.base_url}/cgi-bin/gettoken"
        self.tokens = AccessTokens(lambda: fetch_token(self._client, token_url, credentials))

    async def send(self, message: OutboundMessage) -> DeliveryOutcome:
        if (refused := missing_recipient(message)) is not None:
            return refused
        url, payload = f"{self.base_url}/cgi-bin/message/send", self.payload(message)

        async def call(token: str) -> dict[str, Any] | DeliveryOutcome:
            return await post_json(self._client, url, token, payload, message.idempotency_key)

        answer = await call_with_token(self.tokens, call, WECOM_TOKEN_ERRORS)
        if isinstance(answer, DeliveryOutcome):
            return answer
        # WeCom accepts a send (errcode 0) yet lists the users it could not reach.
        if message.recipient in str(answer.get("invaliduser") or "").split("|"):
            return DeliveryOutcome.permanent("invalid_recipient", f"WeCom user {message.recipient} is invalid")
        return outcome_of_errcode(answer, WECOM_ERRORS)

    def payload(self, message: OutboundMessage) -> dict[str, Any]:
        return {
            "touser": message.recipient,
            "msgtype": "text",
            "agentid": self.agentid,
            "text": {"content": message.body},
            "enable_duplicate_check": 1,
            "duplicate_check_interval": DUPLICATE_CHECK_SECONDS,
        }

    async def aclose(self) -> None:
        await self._client.aclose()
