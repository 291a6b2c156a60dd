"""Customer use cases: the 360° view and lookups, merge review and undo. Each opens one unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from huoke.customers import model as m
from huoke.customers.contact import (
    ContactCard,
    consents_of,
    contact_card,
    contact_cards,
    one_id_by_customer_no,
    one_ids_by_customer_no,
    one_ids_by_phone,
    staff_member,
    withdraw_consent,
)
from huoke.customers.observations import (
    Observed,
    accounts_of,
    profile_units,
    resolve_observations,
    units_of_customers,
)
from huoke.customers.profile_facts import (
    ProfileRecord,
    attribute_dates,
    custom_attribute_names,
    customer_numbers,
    profile_record,
)
from huoke.customers.resolution import resolve
from huoke.customers.snapshot import identity_directory, snapshot_tables
from huoke.customers.snapshot_state import snapshot_fingerprint
from huoke.customers.store import (
    ConsentRow,
    CustomerRow,
    HoldingRow,
    IdentityConflictRow,
    IdentityRow,
    ProductRow,
    ProfileMergeRow,
)
from huoke.customers.validation import normalize_mobile
from huoke.platform.errors import InvalidInput, NotFound
from huoke.platform.runtime import Runtime
from huoke.platform.store import append_audit


@dataclass(frozen=True)
class CustomerLookup:
    customer_no: str | None = None
    one_id: str | None = None
    phone: str | None = None


def show_customer(runtime: Runtime, lookup: CustomerLookup) -> dict[str, Any]:
    """The 360° view of one person, PII masked: profile, identities, holdings, consents, tags."""
    with runtime.uow() as uow:
        today = runtime.clock().now().astimezone(runtime.settings.zone).date()
        profile = _find(uow.session, runtime, lookup)
        return {
            "one_id": profile.one_id,
            "customer_no": profile.customer_no,
            "profile": _profile(profile, today),
            "identities": _identities(uow.session, profile.one_id),
            "holdings": _holdings(uow.session, profile.one_id, runtime.settings.zone),
            "consents": _consents(uow.session, profile.one_id, runtime.settings.zone),
            "tags": [],
            "merged_units": _merged_units(uow.session, profile.one_id),
        }


def _find(session: Session, runtime: Runtime, lookup: CustomerLookup) -> CustomerRow:
    given = [v for v in (lookup.customer_no, lookup.one_id, lookup.phone) if v]
    if len(given) != 1:
        raise InvalidInput("give exactly one of customer_no, one_id, phone", code="bad_lookup")
    if lookup.customer_no:
        row = session.scalars(select(CustomerRow).where(CustomerRow.customer_no == lookup.customer_no)).first()
    elif lookup.one_id:
        row = session.scalars(select(CustomerRow).where(CustomerRow.one_id == lookup.one_id)).first()
    else:
        row = _by_phone(session, runtime, lookup.phone or "")
    if row is None:
        raise NotFound(f"no customer with {_describe(lookup)}", code="customer_not_found")
    if row.merged_into:  # a merged profile answers with the profile it belongs to now
        return session.scalars(select(CustomerRow).where(CustomerRow.one_id == row.merged_into)).one()
    return row


def _by_phone(session: Session, runtime: Runtime, phone: str) -> CustomerRow | None:
    try:
        normalized = normalize_mobile(phone)
    except ValueError as exc:
        raise InvalidInput(f"phone: {exc}", code="bad_phone") from exc
    bidx = runtime.cipher.blind_index("phone", normalized)
    owners = sorted(
        set(
            session.scalars(
                select(IdentityRow.one_id).where(IdentityRow.kind == "phone", IdentityRow.value_bidx == bidx)
            )
        )
    )
    if len(owners) > 1:
        raise InvalidInput(
            f"phone {phone[:3]}****{phone[-4:]} belongs to {len(owners)} customers; look up by customer number",
            code="ambiguous_phone",
            details={"one_ids": owners},
        )
    return session.scalars(select(CustomerRow).where(CustomerRow.one_id == owners[0])).first() if owners else None


def _describe(lookup: CustomerLookup) -> str:
    if lookup.customer_no:
        return f"customer_no {lookup.customer_no}"
    if lookup.one_id:
        return f"one_id {lookup.one_id}"
    return "that phone number"


def _profile(row: CustomerRow, today: date) -> dict[str, Any]:
    return {
        "name": row.name_masked,
        "surname": row.surname,
        "gender": row.gender,
        "birth_date": row.birth_date.isoformat() if row.birth_date else None,
        "age": m.age_on(row.birth_date, today) if row.birth_date else None,
        "phone": row.phone_masked,
        "email": row.email_masked,
        "id_card_no": row.id_card_masked,
        "branch_code": row.branch_code,
        "rm_staff_no": row.rm_staff_no,
        "opened_at": row.opened_at.isoformat() if row.opened_at else None,
        "risk_level": row.risk_level,
        "occupation": row.occupation,
        "marital_status": row.marital_status,
        "city": row.city,
        "attributes": row.attributes,
        "status": row.status,
    }


def _identities(session: Session, one_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(IdentityRow).where(IdentityRow.one_id == one_id).order_by(IdentityRow.kind, IdentityRow.id)
    )
    return [{"kind": r.kind, "value": r.masked, "origin_one_id": r.origin_one_id, "detached": r.detached} for r in rows]


def _holdings(session: Session, one_id: str, zone: tzinfo) -> list[dict[str, Any]]:
    rows = session.execute(
        select(HoldingRow, ProductRow.name)
        .join(ProductRow, ProductRow.product_code == HoldingRow.product_code)
        .where(HoldingRow.one_id == one_id)
        .order_by(HoldingRow.product_type, HoldingRow.id)
    )
    return [
        {
            "account_no": h.account_masked,
            "product_code": h.product_code,
            "product_name": name,
            "product_type": h.product_type,
            "status": h.status,
            "balance": yuan(h.balance_fen),
            "credit_limit": None if h.credit_limit_fen is None else yuan(h.credit_limit_fen),
            "card_level": h.card_level,
            "card_role": h.card_role,
            "opened_at": h.opened_at.isoformat() if h.opened_at else None,
            "approved_at": h.approved_at.astimezone(zone).isoformat() if h.approved_at else None,
        }
        for h, name in rows
    ]


def yuan(fen: int) -> str:
    """Integer fen as a yuan amount with exactly two decimals."""
    return f"{Decimal(fen) / 100:.2f}"


def _consents(session: Session, one_id: str, zone: tzinfo) -> list[dict[str, Any]]:
    rows = session.scalars(select(ConsentRow).where(ConsentRow.one_id == one_id))
    history = [
        m.ConsentRecord(r.customer_no, r.channel, r.purpose, r.status, r.recorded_at, r.source, r.notice_version)
        for r in rows
    ]
    return [
        {
            "channel": s.channel,
            "purpose": s.purpose,
            "status": s.status,
            "recorded_at": s.recorded_at.astimezone(zone).isoformat(),
            "source": s.source,
            "notice_version": s.notice_version,
        }
        for s in m.consents_in_force(history)
    ]


def _merged_units(session: Session, one_id: str) -> list[str]:
    return list(session.scalars(select(CustomerRow.one_id).where(CustomerRow.merged_into == one_id)))


def list_conflicts(runtime: Runtime, *, status: str = "open", limit: int = 100) -> list[dict[str, Any]]:
    """ONE_ID conflicts waiting for review (shared phones, a resident ID on two customer numbers …)."""
    with runtime.uow() as uow:
        rows = uow.session.scalars(
            select(IdentityConflictRow)
            .where(IdentityConflictRow.status == status)
            .order_by(IdentityConflictRow.id)
            .limit(limit)
        )
        return [
            {
                "id": r.id,
                "reason": r.reason,
                "kind": r.kind,
                "value": r.masked,
                "one_ids": r.one_ids,
                "detected_at": r.detected_at.isoformat(),
            }
            for r in rows
        ]


def list_merges(runtime: Runtime, *, one_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    with runtime.uow() as uow:
        query = select(ProfileMergeRow).order_by(ProfileMergeRow.id.desc()).limit(limit)
        if one_id:
            query = query.where((ProfileMergeRow.to_one_id == one_id) | (ProfileMergeRow.unit_one_id == one_id))
        return [
            {
                "merge_id": r.id,
                "kind": r.kind,
                "unit_one_id": r.unit_one_id,
                "from": r.from_one_id,
                "to": r.to_one_id,
                "at": r.at.isoformat(),
                "actor": r.actor,
                "undone_at": r.undone_at.isoformat() if r.undone_at else None,
            }
            for r in uow.session.scalars(query)
        ]


def undo_merge(runtime: Runtime, *, merge_id: int, actor: str) -> dict[str, Any]:
    """Split a merged unit back out and keep it apart: the keys that linked it are detached from ONE_ID."""
    with runtime.uow() as uow:
        session, now = uow.session, runtime.clock().now()
        merge = session.get(ProfileMergeRow, merge_id)
        if merge is None or merge.kind != "merge":
            raise NotFound(f"no merge with id {merge_id}", code="merge_not_found")
        if merge.undone_at is not None:
            raise InvalidInput(
                f"merge {merge_id} was already undone at {merge.undone_at.isoformat()}", code="already_undone"
            )
        linking = _linking_keys(session, merge.unit_one_id, merge.to_one_id)
        session.execute(
            update(IdentityRow)
            .where(IdentityRow.origin_one_id == merge.unit_one_id, IdentityRow.value_bidx.in_(linking))
            .values(detached=True)
        )
        merge.undone_at = now
        append_audit(
            session,
            at=now,
            actor=actor,
            action="profile.merge_undone",
            subject=merge.unit_one_id,
            detail={"merge_id": merge_id, "from": merge.to_one_id, "detached_keys": len(linking)},
        )
        outcome = resolve(session, {merge.unit_one_id, merge.to_one_id}, now=now, actor=actor)
        uow.commit()
    return {"merge_id": merge_id, "unit_one_id": merge.unit_one_id, "unmerges": outcome.unmerges}


def _linking_keys(session: Session, unit: str, survivor: str) -> list[str]:
    """Blind indexes the unit shares with the rest of the survivor's profile."""
    own = set(session.scalars(select(IdentityRow.value_bidx).where(IdentityRow.origin_one_id == unit)))
    others = set(
        session.scalars(
            select(IdentityRow.value_bidx).where(IdentityRow.one_id == survivor, IdentityRow.origin_one_id != unit)
        )
    )
    return sorted(own & others)


# Used by the events context inside its own ingestion transaction (one transaction per batch).
__all__ = [
    "ContactCard",
    "CustomerLookup",
    "Observed",
    "ProfileRecord",
    "accounts_of",
    "attribute_dates",
    "consents_of",
    "contact_card",
    "contact_cards",
    "custom_attribute_names",
    "customer_numbers",
    "identity_directory",
    "list_conflicts",
    "list_merges",
    "one_id_by_customer_no",
    "one_ids_by_customer_no",
    "one_ids_by_phone",
    "profile_of",
    "profile_record",
    "profile_units",
    "resolve_observations",
    "show_customer",
    "snapshot_fingerprint",
    "snapshot_tables",
    "staff_member",
    "undo_merge",
    "units_of_customers",
    "withdraw_consent",
]


def profile_of(session: Session, one_id: str) -> str:
    """The live profile a ONE_ID belongs to now (a merged unit's survivor); NotFound for an unknown id."""
    row = session.scalars(select(CustomerRow).where(CustomerRow.one_id == one_id)).one_or_none()
    if row is None:
        raise NotFound(f"no customer with ONE_ID {one_id}", code="customer_not_found")
    return row.merged_into or row.one_id
