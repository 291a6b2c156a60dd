"""Messaging vocabulary: channels, purposes, statuses, and what moves between the outbox and a channel.

Pure values only. The contact policy (``policy.py``), the template language (``templates.py``), the SMS
rules (``sms.py``) and the channel adapters (``channels/``) all speak in these terms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Channel = Literal["sms", "email", "wechat_template", "wecom_text", "push", "inbox", "rm_task", "webhook", "file"]
Purpose = Literal["marketing", "service", "risk"]
Status = Literal["queued", "deferred", "sent", "delivered", "failed", "suppressed"]
DecisionKind = Literal["send", "defer", "suppress"]
OutcomeKind = Literal["sent", "transient", "permanent"]

CHANNELS: tuple[Channel, ...] = (
    "sms",
    "email",
    "wechat_template",
    "wecom_text",
    "push",
    "inbox",
    "rm_task",
    "webhook",
    "file",
)
PURPOSES: tuple[Purpose, ...] = ("marketing", "service", "risk")
STATUSES: tuple[Status, ...] = ("queued", "deferred", "sent", "delivered", "failed", "suppressed")

# The consent channel (CONTRACTS.md §2, consents) that governs each message channel. Webhook and file
# messages reach no single channel a customer chose, so marketing through them needs consent on every
# consent channel (an `all` record).
CONSENT_CHANNEL: dict[Channel, str | None] = {
    "sms": "sms",
    "email": "email",
    "wechat_template": "wechat",
    "wecom_text": "wecom",
    "push": "push",
    "inbox": "push",
    "rm_task": "phone",
    "webhook": None,
    "file": None,
}

DEFAULT_PRIORITY = 5  # 0 (lowest) … 9 (highest)
PRIORITY_MIN = 0
PRIORITY_MAX = 9


@dataclass(frozen=True)
class OutboundMessage:
    """One rendered message, ready for a channel adapter.

    ``recipient`` is the address on that channel (a mobile number, an e-mail address, an openid, a WeCom
    user id, a device token, the staff number of an RM, or the one_id for the inbox). ``idempotency_key``
    is passed to providers so a retried attempt is never delivered twice by a provider that honours it.
    """

    message_id: str
    idempotency_key: str
    channel: Channel
    purpose: Purpose
    recipient: str
    body: str
    subject: str | None = None
    html: str | None = None
    # Channel-specific fields: wechat_template {"template_id", "data", "url"|"miniprogram"}; push {"title",
    # "deep_link"}; email {"unsubscribe_url", "unsubscribe_mailto"}; rm_task {"due_at", "customer_no"}.
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeliveryOutcome:
    """What a channel said about one attempt.

    ``sent``: accepted by the provider (``provider_id`` its reference, when it gives one). ``transient``:
    try again later (5xx, timeouts, refused connections, rate limits). ``permanent``: never retry
    (4xx, invalid recipient, rejected content); ``reason`` is a stable snake_case code, ``detail`` free text.
    """

    kind: OutcomeKind
    reason: str = "sent"
    detail: str = ""
    provider_id: str | None = None

    @classmethod
    def sent(cls, provider_id: str | None = None, detail: str = "") -> DeliveryOutcome:
        return cls("sent", "sent", detail, provider_id)

    @classmethod
    def transient(cls, reason: str, detail: str = "") -> DeliveryOutcome:
        return cls("transient", reason, detail)

    @classmethod
    def permanent(cls, reason: str, detail: str = "") -> DeliveryOutcome:
        return cls("permanent", reason, detail)
