"""Tables of the events context: live events and transactions (the recent window) and custom event types."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from huoke.platform.db import Base, UtcDateTime

_ID = BigInteger().with_variant(Integer, "sqlite")


class EventRow(Base):
    """One accepted behaviour event. ``one_id`` is the identity unit it was observed on (see docs/identity.md)."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_one_id_occurred_at", "one_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    type: Mapped[str] = mapped_column(String(64), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    one_id: Mapped[str] = mapped_column(String(32))
    customer_no: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(32))
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class TransactionRow(Base):
    """One accepted transaction; the account number is kept only as blind index + mask, the amount in fen."""

    __tablename__ = "transactions"
    __table_args__ = (Index("ix_transactions_one_id_occurred_at", "one_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    txn_id: Mapped[str] = mapped_column(String(128), unique=True)
    one_id: Mapped[str] = mapped_column(String(32))
    customer_no: Mapped[str | None] = mapped_column(String(32))
    account_bidx: Mapped[str | None] = mapped_column(String(64))
    account_masked: Mapped[str | None] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    direction: Mapped[str] = mapped_column(String(8))
    txn_type: Mapped[str] = mapped_column(String(32), index=True)
    channel: Mapped[str | None] = mapped_column(String(128))
    mcc: Mapped[str | None] = mapped_column(String(4))
    merchant: Mapped[str | None] = mapped_column(String(128))
    product_code: Mapped[str | None] = mapped_column(String(128))


class EventTypeRow(Base):
    """A custom event type registered with a JSON Schema for its properties."""

    __tablename__ = "event_types"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    schema: Mapped[dict[str, Any]] = mapped_column(JSON)
    description: Mapped[str | None] = mapped_column(String(512))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(128))


class ActivityRow(Base):
    """Running activity figures per identity unit, kept by the `events.activity` subscriber (exactly once per item)."""

    __tablename__ = "customer_activity"

    one_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_txn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    events_total: Mapped[int] = mapped_column(BigInteger, default=0)
    txns_total: Mapped[int] = mapped_column(BigInteger, default=0)
    debit_fen_total: Mapped[int] = mapped_column(BigInteger, default=0)
    credit_fen_total: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
