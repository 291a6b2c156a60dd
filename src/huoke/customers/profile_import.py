"""Importer for customers: profiles with encrypted PII, identity keys, ONE_ID, custom attributes."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import FromClause, select
from sqlalchemy.orm import Session

from huoke.customers import model as m
from huoke.customers import rows as parse
from huoke.customers.identity_import import key_values, resolve_shared, sync_identities
from huoke.customers.importing import ApplyContext, ParsedRow, RowOutcome, content_hash
from huoke.customers.resolution import units_sharing_keys
from huoke.customers.rows import RowContext
from huoke.customers.store import AttributeDefinitionRow, CustomerRow, IdentityRow
from huoke.platform.bulk import insert_rows, one_of
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
# the columns an import writes, in the order profile_values gives them
PROFILE_COLUMNS = (
    *("customer_no", "row_hash", "updated_at", "name_enc", "name_masked", "surname", "gender", "birth_date"),
    *("branch_code", "rm_staff_no", "opened_at", "risk_level", "occupation", "marital_status", "city"),
    *("phone_enc", "phone_masked", "email_enc", "email_masked", "id_card_masked", "attributes"),
)
_NEW_PROFILE_COLUMNS = ("one_id", "created_at", "status", *PROFILE_COLUMNS)
_RAND_B_BITS = 62
_UUID_VARIANT = 0b10 << _RAND_B_BITS


class PreparedProfile(NamedTuple):
    """One validated customers row, ready for the store: its PII already encrypted, masked and indexed."""

    row: int
    customer_no: str
    digest: str
    values: tuple[Any, ...]  # PROFILE_COLUMNS
    keys: list[Key]


def identity_keys(cipher: PiiCipher, record: m.CustomerRecord) -> list[Key]:
    keys = []
    for kind, attr, show in IDENTITY_FIELDS:
        value = getattr(record, attr)
        if value:
            keys.append((kind, cipher.blind_index(kind, value), show(value)))
    return keys


def new_one_id() -> str:
    """A new profile id: 32 hex digits laid out as a UUIDv7, the creation millisecond first and 74 random bits.
    Ids made one after another sort together, so the indexes on one_id (customers, identities, holdings)
    grow at their end instead of at random places, which is what keeps bulk imports of millions fast."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10))
    rand_a, rand_b = rand >> _RAND_B_BITS & 0xFFF, rand & ((1 << _RAND_B_BITS) - 1)
    return f"{millis & 0xFFFF_FFFF_FFFF:012x}7{rand_a:03x}{_UUID_VARIANT | rand_b:016x}"


class CustomerImporter:
    kind = "customers"
    required: tuple[str, ...] = ("customer_no",)
    lookup_tables: tuple[FromClause, ...] = (IdentityRow.__table__,)  # customer_no is unique: no statistics needed

    def parse(self, values: dict[str, Any], ctx: RowContext) -> tuple[Any, list[m.RowProblem]]:
        return parse.parse_customer(values, ctx)

    def key(self, record: m.CustomerRecord) -> str:
        return record.customer_no

    def prepare(self, rows: Sequence[ParsedRow], ctx: ApplyContext) -> list[PreparedProfile]:
        cipher = ctx.cipher
        return [
            PreparedProfile(
                number,
                record.customer_no,
                digest := content_hash(cipher, self.kind, content),
                profile_values(cipher, record, digest, ctx.now),
                identity_keys(cipher, record),
            )
            for number, record, content in rows
        ]

    def apply(self, session: Session, rows: Sequence[PreparedProfile], ctx: ApplyContext) -> list[RowOutcome]:
        stored = _stored_profiles(session, [row.customer_no for row in rows])
        outcomes: list[RowOutcome] = []
        changed: dict[str, list[Key]] = {}  # unit → its keys now, in file order
        inserts: list[tuple[Any, ...]] = []
        updates: dict[str, tuple[Any, ...]] = {}
        for row in rows:
            one_id, stored_hash = stored.get(row.customer_no, (None, None))
            if stored_hash == row.digest:
                outcomes.append(RowOutcome(row.row, "duplicate"))
                continue
            if one_id is None:
                one_id = new_one_id()
                inserts.append((one_id, ctx.now, "active", *row.values))
            else:
                updates[one_id] = row.values
            changed[one_id] = row.keys
            outcomes.append(RowOutcome(row.row, "accepted"))
        if changed:
            # asked before this chunk's own keys are written: they would only be excluded again
            outside = units_sharing_keys(session, key_values(changed), exclude=set(changed))
            insert_rows(session, CustomerRow.__table__, _NEW_PROFILE_COLUMNS, inserts)
            _update_profiles(session, updates)
            sync_identities(session, changed, set(updates), ctx.now)
            resolve_shared(session, changed, outside, now=ctx.now, actor=ctx.actor)
        return outcomes


def profile_values(cipher: PiiCipher, r: m.CustomerRecord, digest: str, now: datetime) -> tuple[Any, ...]:
    """Store columns of one profile (``PROFILE_COLUMNS``): PII encrypted and masked, resident ID kept only as
    mask (+ index)."""
    name, phone, email = r.name, r.phone, r.email
    named = (cipher.encrypt("name", name), mask_name(name), m.surname_of(name)) if name else (None, None, None)
    return (
        *(r.customer_no, digest, now, *named),
        *(r.gender, r.birth_date, r.branch_code, r.rm_staff_no, r.opened_at, r.risk_level),
        *(r.occupation, r.marital_status, r.city),
        *((cipher.encrypt("phone", phone), mask_phone(phone)) if phone else (None, None)),
        *((cipher.encrypt("email", email), mask_email(email)) if email else (None, None)),
        mask_id_card(r.id_card_no) if r.id_card_no else None,
        r.attributes,
    )


def _stored_profiles(session: Session, numbers: list[str]) -> dict[str, tuple[str, str | None]]:
    """customer_no → (one_id, row hash) of the profiles already stored under these numbers."""
    query = select(CustomerRow.customer_no, CustomerRow.one_id, CustomerRow.row_hash)
    rows = session.execute(query.where(one_of(session, CustomerRow.customer_no, numbers)))
    return {no: (one_id, digest) for no, one_id, digest in rows if no is not None}


def _update_profiles(session: Session, updates: dict[str, tuple[Any, ...]]) -> None:
    if not updates:
        return
    for row in session.scalars(select(CustomerRow).where(CustomerRow.one_id.in_(list(updates)))):
        for column, value in zip(PROFILE_COLUMNS, updates[row.one_id], strict=True):
            setattr(row, column, value)


def stored_attribute_types(session: Session) -> dict[str, str]:
    """Custom attribute name → its type, as stored."""
    return dict(list(session.execute(select(AttributeDefinitionRow.name, AttributeDefinitionRow.value_type))))


def new_attribute_types(known: dict[str, str], chunk: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Custom attributes not in ``known``, each typed from its first non-empty value in the chunk."""
    candidates = set().union(*chunk) - m.STANDARD_CUSTOMER_COLUMNS - known.keys()
    found: dict[str, str] = {}
    for values in chunk if candidates else ():
        for name, raw in values.items():
            if name not in candidates or name in found or raw is None or str(raw).strip() == "":
                continue
            found[name] = parse.infer_attribute_type(str(raw))
    return found


def store_attribute_types(session: Session, types: dict[str, str], now: datetime) -> None:
    for name, value_type in types.items():
        session.add(AttributeDefinitionRow(name=name, value_type=value_type, created_at=now))
