"""What the contact policy needs to know, read from the store in a few statements per batch: customers'
consents and suppressions, and the messages they already received (their contact history)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from huoke.customers.service import ContactCard
from huoke.messaging.model import Channel, Purpose
from huoke.messaging.policy import ContactProfile, PolicyConfig, Touch
from huoke.messaging.store import MessageRow, SuppressionRow

SENDING = "sending"  # the reason a message carries between its send decision and the provider's answer
_IN_BATCH = 5000


def units_of(card: ContactCard) -> list[str]:
    return card.profile.units or [card.one_id]


def contact_profiles(session: Session, cards: Iterable[ContactCard], now: datetime) -> dict[str, ContactProfile]:
    """one_id → the policy's view of the customer: consents in force, do-not-contact and complaints."""
    cards = list(cards)
    rows = _suppressions(session, [u for card in cards for u in units_of(card)])
    return {card.one_id: _profile(card, [r for u in units_of(card) for r in rows.get(u, [])], now) for card in cards}


def contact_profile(session: Session, card: ContactCard, now: datetime) -> ContactProfile:
    return contact_profiles(session, [card], now)[card.one_id]


def history_window(config: PolicyConfig) -> timedelta:
    """How far back the policy looks: the longest cap window or the de-duplication window."""
    days = max((cap.days for cap in config.caps), default=0)
    return max(timedelta(days=days), timedelta(hours=config.dedup_hours))


def contact_histories(
    session: Session,
    cards: Iterable[ContactCard],
    now: datetime,
    window: timedelta,
    *,
    excluding: Collection[str] = (),
) -> dict[str, list[Touch]]:
    """one_id → messages sent to the profile in the window before NOW, and those being sent right now."""
    owner = {unit: card.one_id for card in cards for unit in units_of(card)}
    found: dict[str, list[Touch]] = {one_id: [] for one_id in set(owner.values())}
    units = sorted(owner)
    for start in range(0, len(units), _IN_BATCH):
        query = select(MessageRow).where(
            MessageRow.one_id.in_(units[start : start + _IN_BATCH]),
            or_(MessageRow.sent_at > now - window, (MessageRow.status == "queued") & (MessageRow.reason == SENDING)),
        )
        for row in session.scalars(query):
            if row.message_id not in excluding:
                found[owner[row.one_id]].append(touch_of(row, now))
    return found


def touch_of(row: MessageRow, now: datetime) -> Touch:
    return Touch(
        at=row.sent_at or now,
        channel=cast(Channel, row.channel),
        purpose=cast(Purpose, row.purpose),
        template=row.template,
        priority=row.priority,
    )


def _suppressions(session: Session, units: list[str]) -> Mapping[str, list[SuppressionRow]]:
    found: dict[str, list[SuppressionRow]] = {}
    for start in range(0, len(units), _IN_BATCH):
        query = select(SuppressionRow).where(SuppressionRow.one_id.in_(units[start : start + _IN_BATCH]))
        for row in session.scalars(query):
            found.setdefault(row.one_id, []).append(row)
    return found


def _profile(card: ContactCard, rows: list[SuppressionRow], now: datetime) -> ContactProfile:
    do_not_contact = any(r.kind == "do_not_contact" and (r.until is None or r.until > now) for r in rows)
    complaints = [r.until for r in rows if r.kind == "complaint" and r.until is not None]
    return ContactProfile(
        consents=card.consents,
        do_not_contact=do_not_contact,
        complaint_until=max(complaints, default=None),
        birth_date=card.profile.attributes.get("birth_date"),
    )
