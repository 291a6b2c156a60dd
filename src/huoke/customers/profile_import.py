"""Importer for customers: profiles with encrypted PII, identity keys, ONE_ID, custom attributes."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from huoke.customers import model as m
from huoke.customers import rows as parse
from huoke.customers.importing import ApplyContext, RowOutcome, row_hash
from huoke.customers.resolution import resolve, units_sharing_keys
from huoke.customers.rows import RowContext
from huoke.customers.store import AttributeDefinitionRow, CustomerRow, IdentityRow
from huoke.platform.crypto import PiiCipher, mask_email, mask_id_card, mask_name, mask_phone


def _keep(value: str) -> str:
    return value


def _mask_token(value: str) -> str:
    return f"{value[:4]}…{value[-4:]}" if len(value) > 10 else value  # noqa: PLR2004


# identity kind, record attribute, how the key is shown
IDENTITY_FIELDS: tuple[tuple[str, str, Callable[[str], str]], ...] = (
    ("customer_no", "customer_no", _keep),
    ("resident_id", "id_card_no", mask_id_card),
    ("phone", "phone", mask_phone),
    ("email", "email", mask_email),
    ("wechat_unionid", "wechat_unionid", _mask_token),
    ("wechat_openid", "wechat_openid", _mask_token),
)
Key = tuple[str, str, str]  # kind, blind index, masked


def identity_keys(cipher: PiiCipher, record: m.CustomerRecord) -> list[Key]:
    keys = []
    for kind, attr, show in IDENTITY_FIELDS:
        value = getattr(record, attr)
        if value:
            keys.append((kind, cipher.blind_index(kind, value), show(value)))
    return keys


def new_one_id() -> str:
    return uuid.uuid4().hex


class CustomerImporter:
    kind = "customers"
    required: tuple[str, ...] = ("customer_no",)

    def parse(self, values: dict[str, Any], ctx: RowContext) -> tuple[Any, list[m.RowProblem]]:
        return parse.parse_customer(values, ctx)

    def key(self, record: m.CustomerRecord) -> str:
        return record.customer_no

    def apply(self, session: Session, rows: Sequence[tuple[int, Any]], ctx: ApplyContext) -> list[RowOutcome]:
        numbers = [r.customer_no for _, r in rows]
        existing = {
            c.customer_no: c for c in session.scalars(select(CustomerRow).where(CustomerRow.customer_no.in_(numbers)))
        }
        outcomes: list[RowOutcome] = []
        changed: dict[str, list[Key]] = {}
        inserts: list[dict[str, Any]] = []
        for number, record in rows:
            digest = row_hash(ctx.cipher, self.kind, record)
            row = existing.get(record.customer_no)
            if row is not None and row.row_hash == digest:
                outcomes.append(RowOutcome(number, "duplicate"))
                continue
            values = profile_columns(ctx.cipher, record, digest, ctx)
            if row is None:
                inserts.append({"one_id": new_one_id(), "created_at": ctx.now, "status": "active", **values})
                changed[inserts[-1]["one_id"]] = identity_keys(ctx.cipher, record)
            else:
                for column, value in values.items():
                    setattr(row, column, value)
                changed[row.one_id] = identity_keys(ctx.cipher, record)
            outcomes.append(RowOutcome(number, "accepted"))
        if inserts:
            session.execute(insert(CustomerRow), inserts)
        _sync_identities(session, changed, ctx)
        _resolve_shared(session, changed, ctx)
        return outcomes


def profile_columns(cipher: PiiCipher, r: m.CustomerRecord, digest: str, ctx: ApplyContext) -> dict[str, Any]:
    """Store columns of one profile: PII encrypted and masked, resident ID kept only as mask (+ index)."""
    return {
        "customer_no": r.customer_no,
        "row_hash": digest,
        "updated_at": ctx.now,
        "name_enc": cipher.encrypt("name", r.name) if r.name else None,
        "name_masked": mask_name(r.name) if r.name else None,
        "surname": m.surname_of(r.name) if r.name else None,
        "gender": r.gender,
        "birth_date": r.birth_date,
        "branch_code": r.branch_code,
        "rm_staff_no": r.rm_staff_no,
        "opened_at": r.opened_at,
        "risk_level": r.risk_level,
        "occupation": r.occupation,
        "marital_status": r.marital_status,
        "city": r.city,
        "phone_enc": cipher.encrypt("phone", r.phone) if r.phone else None,
        "phone_masked": mask_phone(r.phone) if r.phone else None,
        "email_enc": cipher.encrypt("email", r.email) if r.email else None,
        "email_masked": mask_email(r.email) if r.email else None,
        "id_card_masked": mask_id_card(r.id_card_no) if r.id_card_no else None,
        "attributes": r.attributes,
    }


def _sync_identities(session: Session, changed: dict[str, list[Key]], ctx: ApplyContext) -> None:
    """Make each unit's own identity rows exactly its row's keys (a changed phone replaces the old one)."""
    if not changed:
        return
    stored: dict[str, dict[tuple[str, str], int]] = {u: {} for u in changed}
    owners = {
        one_id: merged_into or one_id
        for one_id, merged_into in session.execute(
            select(CustomerRow.one_id, CustomerRow.merged_into).where(CustomerRow.one_id.in_(list(changed)))
        )
    }
    for ident_id, origin, kind, bidx in session.execute(
        select(IdentityRow.id, IdentityRow.origin_one_id, IdentityRow.kind, IdentityRow.value_bidx).where(
            IdentityRow.origin_one_id.in_(list(changed))
        )
    ):
        stored[origin][(kind, bidx)] = ident_id
    stale = [i for u, keys in changed.items() for k, i in stored[u].items() if k not in {(a, b) for a, b, _ in keys}]
    if stale:
        session.execute(delete(IdentityRow).where(IdentityRow.id.in_(stale)))
    fresh = [
        {
            "one_id": owners.get(u, u),
            "origin_one_id": u,
            "kind": kind,
            "value_bidx": bidx,
            "masked": shown,
            "detached": False,
            "created_at": ctx.now,
        }
        for u, keys in changed.items()
        for kind, bidx, shown in keys
        if (kind, bidx) not in stored[u]
    ]
    if fresh:
        session.execute(insert(IdentityRow), fresh)


def _resolve_shared(session: Session, changed: dict[str, list[Key]], ctx: ApplyContext) -> None:
    """Run ONE_ID only where a key is shared with another unit: the common case costs one lookup."""
    counts = Counter(bidx for keys in changed.values() for _, bidx, _ in keys)
    shared_inside = {bidx for bidx, n in counts.items() if n > 1}
    outside = units_sharing_keys(session, counts, exclude=set(changed))
    if not shared_inside and not outside:
        return
    # the component search expands from these seeds through shared keys to the changed units themselves
    seeds = {u for u, keys in changed.items() if any(b in shared_inside for _, b, _ in keys)} | outside
    resolve(session, seeds, now=ctx.now, actor=ctx.actor)


def attribute_types(session: Session, chunk: Sequence[dict[str, Any]], ctx: ApplyContext) -> dict[str, str]:
    """Custom attribute types; a name seen for the first time is typed from its first value in the chunk."""
    known = dict(list(session.execute(select(AttributeDefinitionRow.name, AttributeDefinitionRow.value_type))))
    for values in chunk:
        for name, raw in values.items():
            if name in m.STANDARD_CUSTOMER_COLUMNS or name in known or raw is None or str(raw).strip() == "":
                continue
            known[name] = parse.infer_attribute_type(str(raw))
            session.add(AttributeDefinitionRow(name=name, value_type=known[name], created_at=ctx.now))
    return known
