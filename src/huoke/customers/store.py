"""Customer-context tables and repository functions. Never commits: services own transactions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from huoke.platform.db import Base, UtcDateTime

_ID = BigInteger().with_variant(Integer, "sqlite")


class OrgUnitRow(Base):
    __tablename__ = "org_units"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("org_units.code"))
    level: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(String(512), index=True)
    row_hash: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StaffRow(Base):
    __tablename__ = "staff"

    staff_no: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    org_code: Mapped[str] = mapped_column(ForeignKey("org_units.code"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    phone_enc: Mapped[str | None] = mapped_column(String(256))
    phone_bidx: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str | None] = mapped_column(String(32))
    row_hash: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ProductRow(Base):
    __tablename__ = "products"

    product_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    product_type: Mapped[str] = mapped_column(String(32))
    risk_level: Mapped[str | None] = mapped_column(String(4))
    row_hash: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CustomerRow(Base):
    """One profile. A profile absorbed by ONE_ID keeps its row (status 'merged') so merges can be undone."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    one_id: Mapped[str] = mapped_column(String(32), unique=True)
    customer_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    merged_into: Mapped[str | None] = mapped_column(String(32), index=True)
    name_enc: Mapped[str | None] = mapped_column(String(256))
    name_masked: Mapped[str | None] = mapped_column(String(64))
    surname: Mapped[str | None] = mapped_column(String(16))
    gender: Mapped[str | None] = mapped_column(String(1))
    birth_date: Mapped[date | None] = mapped_column(Date)
    branch_code: Mapped[str | None] = mapped_column(ForeignKey("org_units.code"), index=True)
    rm_staff_no: Mapped[str | None] = mapped_column(ForeignKey("staff.staff_no"), index=True)
    opened_at: Mapped[date | None] = mapped_column(Date)
    risk_level: Mapped[str | None] = mapped_column(String(4))
    occupation: Mapped[str | None] = mapped_column(String(64))
    marital_status: Mapped[str | None] = mapped_column(String(32))
    city: Mapped[str | None] = mapped_column(String(64))
    phone_enc: Mapped[str | None] = mapped_column(String(256))
    phone_masked: Mapped[str | None] = mapped_column(String(32))
    email_enc: Mapped[str | None] = mapped_column(String(512))
    email_masked: Mapped[str | None] = mapped_column(String(256))
    id_card_masked: Mapped[str | None] = mapped_column(String(32))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    row_hash: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IdentityRow(Base):
    """A key (as blind index) observed for an origin profile; ``one_id`` is the profile that owns it now."""

    __tablename__ = "customer_identities"
    __table_args__ = (
        UniqueConstraint("origin_one_id", "kind", "value_bidx"),
        Index("ix_customer_identities_lookup", "value_bidx", "kind"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    one_id: Mapped[str] = mapped_column(ForeignKey("customers.one_id"), index=True)
    origin_one_id: Mapped[str] = mapped_column(ForeignKey("customers.one_id"))
    kind: Mapped[str] = mapped_column(String(24))
    value_bidx: Mapped[str] = mapped_column(String(64))
    masked: Mapped[str] = mapped_column(String(64))
    detached: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IdentityConflictRow(Base):
    __tablename__ = "identity_conflicts"
    __table_args__ = (UniqueConstraint("reason", "kind", "value_bidx"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    reason: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(24))
    value_bidx: Mapped[str] = mapped_column(String(64))
    masked: Mapped[str] = mapped_column(String(64))
    one_ids: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="open")
    detected_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ProfileMergeRow(Base):
    """Every merge and unmerge ONE_ID performed, for audit and undo."""

    __tablename__ = "profile_merges"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    unit_one_id: Mapped[str] = mapped_column(String(32), index=True)
    from_one_id: Mapped[str] = mapped_column(String(32))
    to_one_id: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(128))
    undone_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class HoldingRow(Base):
    __tablename__ = "holdings"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    account_bidx: Mapped[str] = mapped_column(String(64), unique=True)
    account_masked: Mapped[str] = mapped_column(String(32))
    one_id: Mapped[str] = mapped_column(ForeignKey("customers.one_id"), index=True)
    customer_no: Mapped[str] = mapped_column(String(32), index=True)
    product_code: Mapped[str] = mapped_column(ForeignKey("products.product_code"))
    product_type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[date | None] = mapped_column(Date)
    closed_at: Mapped[date | None] = mapped_column(Date)
    balance_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    credit_limit_fen: Mapped[int | None] = mapped_column(BigInteger)
    card_level: Mapped[str | None] = mapped_column(String(16))
    card_role: Mapped[str | None] = mapped_column(String(16))
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    row_hash: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ConsentRow(Base):
    """Consent history: every grant and withdrawal with evidence; the latest per channel × purpose wins."""

    __tablename__ = "consent_records"
    __table_args__ = (UniqueConstraint("customer_no", "channel", "purpose", "recorded_at"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    one_id: Mapped[str] = mapped_column(ForeignKey("customers.one_id"), index=True)
    customer_no: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    source: Mapped[str | None] = mapped_column(String(64))
    notice_version: Mapped[str | None] = mapped_column(String(32))
    row_hash: Mapped[str] = mapped_column(String(32))


class AttributeDefinitionRow(Base):
    """A custom customer attribute and its type, fixed when first seen."""

    __tablename__ = "attribute_definitions"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value_type: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
