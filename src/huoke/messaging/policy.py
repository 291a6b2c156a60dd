"""The contact policy: may this message reach this customer now — send, defer until T, or suppress?

Pure: values and ``now`` in, a ``Decision`` out, always with a stable snake_case reason (``REASONS``).
The rules, in order; the first that applies decides:

1. ``now`` must be timezone-aware; a message whose ``expires_at`` has passed is suppressed (``expired``).
2. Risk messages always send. Service messages are suppressed only when the customer explicitly withdrew
   service consent for the channel (``no_service_consent``).
3. Marketing: do-not-contact list (``do_not_contact``), an open complaint (``complaint``), no marketing
   consent for the channel (``no_consent``).
4. Senior protection, marketing and service: no SMS with links to customers aged ``senior_age`` or more.
5. De-duplication, marketing and service: the same template within ``dedup_hours`` (``duplicate``).
6. Frequency caps, marketing only (``frequency_cap``).
7. Quiet hours, marketing only: defer to the end of quiet hours, or suppress when the campaign says drop
   (``quiet_hours``); a deferral past ``expires_at`` is suppressed (``expired``).
8. Otherwise send now (``sent``).

Every instant stored in these values is kept in UTC, so comparing them is cheap and DST-proof.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

from huoke.messaging.model import (
    CHANNELS,
    CONSENT_CHANNEL,
    DEFAULT_PRIORITY,
    PRIORITY_MAX,
    PRIORITY_MIN,
    PURPOSES,
    Channel,
    DecisionKind,
    Purpose,
)
from huoke.messaging.policy_caps import FrequencyCap, PolicyConfig, in_quiet_hours, quiet_hours_end
from huoke.platform.errors import InvalidInput

__all__ = [
    "REASONS",
    "ContactProfile",
    "Decision",
    "FrequencyCap",
    "MessageIntent",
    "PolicyConfig",
    "Touch",
    "age_on",
    "decide",
    "decide_batch",
]

REASONS: dict[str, str] = {
    "sent": "Allowed: delivered now.",
    "expired": "The message expired before it could be delivered.",
    "no_service_consent": "The customer withdrew consent to service messages on this channel.",
    "do_not_contact": "The customer is on the bank's do-not-contact list.",
    "complaint": "An open complaint suppresses marketing to this customer until it lapses.",
    "no_consent": "No marketing consent for this channel (never asked counts as no).",
    "senior_protection": "No SMS with links to senior customers (anti-fraud protection).",
    "duplicate": "The same template already reached this customer within the de-duplication window.",
    "frequency_cap": "The customer already received as many marketing messages as a frequency cap allows.",
    "quiet_hours": "Marketing is not delivered in quiet hours: deferred to their end, or dropped.",
}

# Marketing through webhook or file reaches no single channel the customer chose: every one must agree.
ALL_CONSENT_CHANNELS = ("sms", "email", "wechat", "wecom", "push", "phone")


@dataclass(frozen=True)
class ContactProfile:
    """What the policy knows about the customer. An absent consent means never asked, i.e. no consent."""

    consents: Mapping[tuple[str, str], bool]
    do_not_contact: bool = False
    complaint_until: datetime | None = None
    birth_date: date | None = None

    def __post_init__(self) -> None:
        if self.complaint_until is not None:
            object.__setattr__(
                self, "complaint_until", _utc(self.complaint_until, "contact profile", "complaint_until")
            )


@dataclass(frozen=True)
class MessageIntent:
    """One message the platform wants to send; ``has_links`` says whether its rendered content has a URL."""

    channel: Channel
    purpose: Purpose
    template: str
    priority: int = DEFAULT_PRIORITY
    campaign: str | None = None
    quiet_hours: Literal["defer", "drop"] = "defer"
    has_links: bool = False
    expires_at: datetime | None = None

    def __post_init__(self) -> None:
        record = f"message intent {self.template!r}"
        _message_fields(record, self.channel, self.purpose, self.priority)
        if self.quiet_hours not in ("defer", "drop"):
            raise _invalid(record, "quiet_hours", "must be 'defer' or 'drop'", self.quiet_hours)
        if self.expires_at is not None:
            object.__setattr__(self, "expires_at", _utc(self.expires_at, record, "expires_at"))


@dataclass(frozen=True)
class Touch:
    """One message already sent to the customer, or committed to be sent (``at`` may then be in the future)."""

    at: datetime
    channel: Channel
    purpose: Purpose
    template: str
    priority: int = DEFAULT_PRIORITY

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", _utc(self.at, f"touch {self.template!r}", "at"))
        _message_fields(f"touch {self.template!r}", self.channel, self.purpose, self.priority)


@dataclass(frozen=True)
class Decision:
    """The verdict: ``deliver_at`` is ``now`` for send, the end of quiet hours for defer, None for suppress."""

    kind: DecisionKind
    reason: str
    deliver_at: datetime | None = None


def decide(
    profile: ContactProfile, intent: MessageIntent, history: Sequence[Touch], now: datetime, config: PolicyConfig
) -> Decision:
    """Decide whether ``intent`` may reach the customer at ``now``; see the module docstring for the rules."""
    now_utc = _utc(now, "policy decision", "now")
    if intent.expires_at is not None and now_utc > intent.expires_at:
        return _suppress("expired")
    if intent.purpose == "risk":
        return Decision("send", "sent", now)
    blocked = (
        (_service_block(profile, intent) if intent.purpose == "service" else _marketing_block(profile, intent, now_utc))
        or _senior_block(profile, intent, now_utc, config)
        or _duplicate(intent, history, now_utc, config)
    )
    if blocked:
        return _suppress(blocked)
    if intent.purpose == "marketing":
        return _marketing_timing(intent, history, now, now_utc, config)
    return Decision("send", "sent", now)


def decide_batch(
    profile: ContactProfile,
    intents: Sequence[MessageIntent],
    history: Sequence[Touch],
    now: datetime,
    config: PolicyConfig,
) -> list[Decision]:
    """Decide several messages for one customer at once; they compete for the remaining cap room.

    Higher priority is decided first (ties keep input order) and each send counts as a touch at ``now``
    for the ones after it. Decisions come back in the input order.
    """
    seen = list(history)
    decisions: list[Decision | None] = [None] * len(intents)
    for index in sorted(range(len(intents)), key=lambda i: -intents[i].priority):
        intent = intents[index]
        decision = decide(profile, intent, seen, now, config)
        if decision.kind == "send":
            seen.append(Touch(now, intent.channel, intent.purpose, intent.template, intent.priority))
        decisions[index] = decision
    return [decision for decision in decisions if decision is not None]


def age_on(birth: date, today: date) -> int:
    """Whole years from ``birth`` to ``today``; a Feb 29 birthday completes a year on Feb 28 in common years."""
    birthday = (birth.month, birth.day)
    if birthday == (2, 29) and not calendar.isleap(today.year):
        birthday = (2, 28)
    return today.year - birth.year - ((today.month, today.day) < birthday)


def _service_block(profile: ContactProfile, intent: MessageIntent) -> str | None:
    consent_channel = CONSENT_CHANNEL[intent.channel]
    channels = ALL_CONSENT_CHANNELS if consent_channel is None else (consent_channel,)
    # Only an explicit withdrawal blocks service; never asked is fine.
    if any(profile.consents.get((channel, "service")) is False for channel in channels):
        return "no_service_consent"
    return None


def _marketing_block(profile: ContactProfile, intent: MessageIntent, now_utc: datetime) -> str | None:
    if profile.do_not_contact:
        return "do_not_contact"
    if profile.complaint_until is not None and profile.complaint_until > now_utc:
        return "complaint"
    consent_channel = CONSENT_CHANNEL[intent.channel]
    channels = ALL_CONSENT_CHANNELS if consent_channel is None else (consent_channel,)
    if not all(profile.consents.get((channel, "marketing")) is True for channel in channels):
        return "no_consent"
    return None


def _senior_block(
    profile: ContactProfile, intent: MessageIntent, now_utc: datetime, config: PolicyConfig
) -> str | None:
    if not (intent.has_links and intent.channel == "sms" and config.senior_no_sms_links):
        return None
    if config.senior_age is None or profile.birth_date is None:
        return None
    today = now_utc.astimezone(config.zone).date()
    return "senior_protection" if age_on(profile.birth_date, today) >= config.senior_age else None


def _duplicate(intent: MessageIntent, history: Sequence[Touch], now_utc: datetime, config: PolicyConfig) -> str | None:
    if not config.dedup_hours:
        return None
    since = now_utc - config.dedup_window
    template = intent.template
    # Touches after now are commitments (e.g. a deferred send): they count as well.
    if any(touch.template == template and touch.at > since for touch in history):
        return "duplicate"
    return None


def _marketing_timing(
    intent: MessageIntent, history: Sequence[Touch], now: datetime, now_utc: datetime, config: PolicyConfig
) -> Decision:
    if _capped(intent.channel, history, now_utc, config.caps):
        return _suppress("frequency_cap")
    if not in_quiet_hours(config, now_utc.astimezone(config.zone).time()):
        return Decision("send", "sent", now)
    if intent.quiet_hours == "drop":
        return _suppress("quiet_hours")
    deliver_at = quiet_hours_end(config, now_utc)
    if intent.expires_at is not None and deliver_at > intent.expires_at:
        return _suppress("expired")
    return Decision("defer", "quiet_hours", deliver_at)


def _capped(channel: Channel, history: Sequence[Touch], now_utc: datetime, caps: Sequence[FrequencyCap]) -> bool:
    """Whether one more marketing message on ``channel`` would exceed a cap (window ``(now - days, ...]``)."""
    for cap in caps:
        if cap.channel is not None and cap.channel != channel:
            continue
        since = now_utc - cap.window
        used = sum(
            1
            for touch in history
            if touch.at > since and touch.purpose == "marketing" and (cap.channel is None or touch.channel == channel)
        )
        if used >= cap.limit:
            return True
    return False


def _suppress(reason: str) -> Decision:
    return Decision("suppress", reason)


def _utc(instant: datetime, record: str, key: str) -> datetime:
    if not isinstance(instant, datetime) or instant.utcoffset() is None:
        raise _invalid(record, key, "must be a timezone-aware date-time", instant)
    return instant.astimezone(UTC)


def _message_fields(record: str, channel: str, purpose: str, priority: int) -> None:
    if channel not in CHANNELS:
        raise _invalid(record, "channel", f"must be one of {', '.join(CHANNELS)}", channel)
    if purpose not in PURPOSES:
        raise _invalid(record, "purpose", f"must be one of {', '.join(PURPOSES)}", purpose)
    if isinstance(priority, bool) or not isinstance(priority, int) or not PRIORITY_MIN <= priority <= PRIORITY_MAX:
        raise _invalid(record, "priority", f"must be a whole number {PRIORITY_MIN}..{PRIORITY_MAX}", priority)


def _invalid(record: str, key: str, reason: str, value: object) -> InvalidInput:
    return InvalidInput(f"{record}: {key!r} {reason}, got {value!r}", code="invalid_policy_input", details={"key": key})
