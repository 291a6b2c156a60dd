"""Turning a queued message into what a channel sends: the template's variables from the customer's profile,
tracked links, the unsubscribe address and the recipient on the message's channel."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any, cast

from sqlalchemy.orm import Session

from huoke.customers.service import ContactCard
from huoke.messaging.addresses import mask_address
from huoke.messaging.model import Channel, OutboundMessage, Purpose
from huoke.messaging.policy import age_on
from huoke.messaging.store import MessageRow, TrackedLinkRow
from huoke.messaging.templates import RenderContext, RenderedContent, TemplateDefinition, render
from huoke.platform.errors import InvalidInput

_CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 10
_SHORTEST_MASKABLE = 7
# Attributes a template never sees, even masked: addresses and identifiers are for the channel only.
_HIDDEN = frozenset({"phone", "email", "id_card_no", "name"})


@dataclass(frozen=True)
class Rendering:
    """The rendered content and the recipient it goes to (None when the customer has no address there)."""

    content: RenderedContent
    recipient: str | None
    recipient_masked: str | None


def render_context(card: ContactCard, row: MessageRow, today_age: int | None) -> RenderContext:
    """The template variables: the profile (name masked), holdings, and the message's offer and coupon."""
    attributes = {k: v for k, v in card.profile.attributes.items() if k not in _HIDDEN}
    customer: dict[str, Any] = {
        **attributes,
        "one_id": card.one_id,
        "customer_no": card.customer_no,
        "surname": card.surname,
        "name": card.name_masked,
        "age": today_age,
        "attributes": attributes,
    }
    return RenderContext(
        customer=customer,
        holdings=tuple(card.profile.holdings),
        offer=row.context.get("offer"),
        coupon=row.context.get("coupon"),
    )


def link_maker(session: Session, message_id: str, base_url: str, now: datetime) -> Callable[[str], str]:
    """``link(url)`` for templates: stores a tracked link for this message and returns its /t/{code} URL."""

    def link(url: str) -> str:
        if not url.startswith(("https://", "http://")):
            raise InvalidInput(f"message {message_id}: link({url!r}) is not an http(s) URL", code="bad_link")
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))
        session.add(TrackedLinkRow(code=code, message_id=message_id, url=url, created_at=now, clicks=0))
        return f"{base_url.rstrip('/')}/t/{code}"

    return link


def recipient_of(
    card: ContactCard, row: MessageRow, book: Mapping[tuple[str, str], str] | None = None
) -> tuple[str | None, str | None]:
    """The address on the message's channel and its masked form; an explicit test recipient wins. BOOK holds
    the customers' WeChat, WeCom and push addresses (``addresses.addresses_of``)."""
    override = row.context.get("recipient")
    if isinstance(override, str) and override:
        return override, _mask_any(override)
    channel = row.channel
    if channel == "sms":
        return card.phone, card.phone_masked
    if channel == "email":
        return card.email, card.email_masked
    if channel in ("inbox", "file", "webhook"):
        return card.one_id, card.one_id
    if channel == "rm_task":  # the RM, or the branch's fallback queue
        staff = card.profile.attributes.get("rm_staff_no") or card.profile.attributes.get("branch_code")
        return staff or "unassigned", staff or "unassigned"
    address = (book or {}).get((card.one_id, channel))
    return (address, mask_address(address)) if address else (None, None)


def outbound(row: MessageRow, rendering: Rendering, unsubscribe_url: str | None) -> OutboundMessage:
    extra = dict(rendering.content.extra)
    if unsubscribe_url and row.channel == "email" and row.purpose == "marketing":
        extra["unsubscribe_url"] = unsubscribe_url
    if row.channel == "rm_task":
        extra.update(customer_no=row.customer_no)
    return OutboundMessage(
        message_id=row.message_id,
        idempotency_key=row.message_id,
        channel=cast(Channel, row.channel),
        purpose=cast(Purpose, row.purpose),
        recipient=rendering.recipient or "",
        body=rendering.content.body,
        subject=rendering.content.subject,
        html=rendering.content.html,
        extra=extra,
    )


def render_message(
    definition: TemplateDefinition,
    context: RenderContext,
    link: Callable[[str], str],
    *,
    forbid_links: bool,
) -> RenderedContent:
    return render(definition, context, link=link, forbid_links=forbid_links)


def age_today(card: ContactCard, now: datetime, zone: tzinfo) -> int | None:
    """Whole years on the business date of NOW (a Feb 29 birthday completes a year on Feb 28)."""
    birth = card.profile.attributes.get("birth_date")
    return age_on(birth, now.astimezone(zone).date()) if isinstance(birth, date) else None


def _mask_any(address: str) -> str:
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{address[:3]}****{address[-4:]}" if len(address) > _SHORTEST_MASKABLE else "****"
