"""What other contexts need to contact a customer: how to address them, their consents, and recording a
withdrawal. Read and written in the caller's session; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huoke.customers import model as m
from huoke.customers.importing import content_hash
from huoke.customers.profile_facts import ProfileRecord, live_rows, profile_records
from huoke.customers.store import ConsentRow, CustomerRow, IdentityRow, StaffRow
from huoke.customers.validation import normalize_mobile
from huoke.platform.crypto import PiiCipher


@dataclass(frozen=True)
class ContactCard:
    """One live profile as messaging sees it: clear addresses (only for sending), masked forms for display,
    the consents in force over every unit of the profile, and the profile's attributes and holdings."""

    one_id: str
    customer_no: str | None
    surname: str | None
    name_masked: str | None
    phone: str | None
    email: str | None
    phone_masked: str | None
    email_masked: str | None
    consents: dict[tuple[str, str], bool]
    profile: ProfileRecord


def contact_card(session: Session, cipher: PiiCipher, one_id: str, zone: tzinfo) -> ContactCard | None:
    """The contact card of the live profile ONE_ID stands for (following merges), or None."""
    return contact_cards(session, cipher, [one_id], zone).get(one_id)


def contact_cards(session: Session, cipher: PiiCipher, one_ids: Iterable[str], zone: tzinfo) -> dict[str, ContactCard]:
    """ONE_ID → contact card for many profiles at once (a few statements per batch), for those that exist."""
    wanted = list(dict.fromkeys(one_ids))
    rows = live_rows(session, wanted)
    records = profile_records(session, {row.one_id: row for row in rows.values()}.values(), zone)
    consents = _consents_by_unit(session, [u for record in records.values() for u in record.units])
    cards = {
        live: _card(cipher, row, records[live], consents) for live, row in {r.one_id: r for r in rows.values()}.items()
    }
    return {one_id: cards[row.one_id] for one_id, row in rows.items()}


def _card(
    cipher: PiiCipher, row: CustomerRow, record: ProfileRecord, consents: dict[str, list[m.ConsentRecord]]
) -> ContactCard:
    history = [c for unit in record.units for c in consents.get(unit, [])]
    return ContactCard(
        one_id=row.one_id,
        customer_no=row.customer_no,
        surname=row.surname,
        name_masked=row.name_masked,
        phone=cipher.decrypt("phone", row.phone_enc) if row.phone_enc else None,
        email=cipher.decrypt("email", row.email_enc) if row.email_enc else None,
        phone_masked=row.phone_masked,
        email_masked=row.email_masked,
        consents={(s.channel, s.purpose): s.status == "granted" for s in m.consents_in_force(history)},
        profile=record,
    )


def _consents_by_unit(session: Session, units: list[str]) -> dict[str, list[m.ConsentRecord]]:
    found: dict[str, list[m.ConsentRecord]] = {}
    for start in range(0, len(units), 5000):
        rows = session.scalars(select(ConsentRow).where(ConsentRow.one_id.in_(units[start : start + 5000])))
        for r in rows:
            record = m.ConsentRecord(r.customer_no, r.channel, r.purpose, r.status, r.recorded_at)
            found.setdefault(r.one_id, []).append(record)
    return found


def consents_of(session: Session, units: list[str]) -> dict[tuple[str, str], bool]:
    """(channel, purpose) → granted, the latest record winning over every unit of a profile."""
    rows = session.scalars(select(ConsentRow).where(ConsentRow.one_id.in_(units)))
    history = [m.ConsentRecord(r.customer_no, r.channel, r.purpose, r.status, r.recorded_at) for r in rows]
    return {(s.channel, s.purpose): s.status == "granted" for s in m.consents_in_force(history)}


def withdraw_consent(
    session: Session,
    cipher: PiiCipher,
    *,
    one_id: str,
    channel: str,
    purpose: str,
    at: datetime,
    source: str,
    evidence: str | None = None,
) -> bool:
    """Record that the customer withdrew CHANNEL × PURPOSE at AT, with its source and evidence; False when
    the customer has no customer number (consent records are kept per customer number) or it was withdrawn
    already by a later or equal record."""
    if channel not in m.CONSENT_CHANNELS or purpose not in m.CONSENT_PURPOSES:
        raise ValueError(f"unknown consent channel {channel!r} or purpose {purpose!r}")
    card = session.scalars(select(CustomerRow).where(CustomerRow.one_id == one_id)).one_or_none()
    if card is None or card.customer_no is None:
        return False
    if consents_of(session, [one_id]).get((channel, purpose)) is False:
        return False
    record = m.ConsentRecord(card.customer_no, channel, purpose, "withdrawn", at, source, evidence)
    session.add(
        ConsentRow(
            one_id=one_id,
            customer_no=card.customer_no,
            channel=channel,
            purpose=purpose,
            status="withdrawn",
            recorded_at=at,
            source=source[:64],
            notice_version=(evidence or "")[:32] or None,
            row_hash=content_hash(cipher, "consents", repr(record)),
        )
    )
    return True


def one_ids_by_phone(session: Session, cipher: PiiCipher, phone: str) -> list[str]:
    """The live profiles holding mobile number PHONE (empty for an invalid number)."""
    try:
        normalized = normalize_mobile(phone)
    except ValueError:
        return []
    bidx = cipher.blind_index("phone", normalized)
    owners = session.scalars(
        select(IdentityRow.one_id).where(IdentityRow.kind == "phone", IdentityRow.value_bidx == bidx)
    )
    return sorted(set(owners))


def one_id_by_customer_no(session: Session, customer_no: str) -> str | None:
    """The live profile of a core-banking customer number, or None."""
    row = session.scalars(select(CustomerRow).where(CustomerRow.customer_no == customer_no)).one_or_none()
    if row is None:
        return None
    return row.merged_into or row.one_id


def staff_member(session: Session, staff_no: str) -> dict[str, Any] | None:
    """A staff member's number, name, org unit and role, or None."""
    row = session.get(StaffRow, staff_no)
    if row is None:
        return None
    return {"staff_no": row.staff_no, "name": row.name, "org_code": row.org_code, "role": row.role}


def one_ids_by_customer_no(session: Session, customer_nos: Iterable[str]) -> dict[str, str]:
    """Customer number → the live profile it belongs to, for the numbers that exist."""
    wanted, found = sorted(set(customer_nos)), {}
    for start in range(0, len(wanted), 5000):
        query = select(CustomerRow.customer_no, CustomerRow.one_id, CustomerRow.merged_into).where(
            CustomerRow.customer_no.in_(wanted[start : start + 5000])
        )
        found.update({number: merged or one_id for number, one_id, merged in session.execute(query) if number})
    return found
