"""Tables of the messaging context: templates with every version, the outbox with each policy decision and
delivery attempt, tracked links, the in-app inbox, RM tasks and contact suppressions. Nothing here commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huoke.platform.db import Base, UtcDateTime

_ID = BigInteger().with_variant(Integer, "sqlite")


class TemplateRow(Base):
    """One version of a message template (the file of CONTRACTS.md §4 as saved); the highest version is live."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(24))
    purpose: Mapped[str] = mapped_column(String(16))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(128))


class MessageRow(Base):
    """One message in the outbox, from enqueueing to its final status.

    ``due_at`` is when the dispatcher next looks at it (the deferral end or the retry time); ``lease_until``
    keeps other dispatchers off a message being sent. ``idempotency_key`` is the caller's natural key (a
    journey step, an API request) so enqueueing twice gives one message.
    """

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_due", "status", "due_at"),
        Index("ix_messages_one_id_enqueued", "one_id", "enqueued_at"),
    )

    message_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    one_id: Mapped[str] = mapped_column(String(32))
    customer_no: Mapped[str | None] = mapped_column(String(32))
    template: Mapped[str] = mapped_column(String(64))
    template_version: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(24))
    purpose: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(Integer)
    campaign: Mapped[str | None] = mapped_column(String(64))
    journey: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    quiet_hours: Mapped[str] = mapped_column(String(8))
    context: Mapped[dict[str, Any]] = mapped_column(JSON)  # offer, coupon, recipient override, task options
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(48))
    enqueued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lease_token: Mapped[str | None] = mapped_column(String(32), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    provider: Mapped[str | None] = mapped_column(String(32))
    provider_id: Mapped[str | None] = mapped_column(String(128), index=True)
    recipient_masked: Mapped[str | None] = mapped_column(String(128))
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)  # what the customer received, for the record


class DecisionRow(Base):
    """Every contact-policy decision taken on a message (at enqueueing, and again at each send)."""

    __tablename__ = "message_decisions"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.message_id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    stage: Mapped[str] = mapped_column(String(16))  # enqueue | send
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(48))
    deliver_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AttemptRow(Base):
    """One delivery attempt through a channel adapter and what the provider answered."""

    __tablename__ = "message_attempts"
    __table_args__ = (UniqueConstraint("message_id", "attempt"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.message_id"))
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    provider: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))  # sent | transient | permanent
    reason: Mapped[str] = mapped_column(String(48))
    detail: Mapped[str | None] = mapped_column(Text)
    provider_id: Mapped[str | None] = mapped_column(String(128))
    duration_ms: Mapped[int] = mapped_column(Integer)


class TrackedLinkRow(Base):
    """A link in a message, shortened to /t/{code}: the click is recorded and attributed, then redirected."""

    __tablename__ = "tracked_links"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.message_id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    clicks: Mapped[int] = mapped_column(Integer, default=0)
    first_clicked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_clicked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class InboxItemRow(Base):
    """A message in a customer's in-app inbox."""

    __tablename__ = "inbox_items"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.message_id"), unique=True)
    one_id: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    deep_link: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class TaskRow(Base):
    """A follow-up task for a relationship manager, or for a branch queue when the customer has no RM."""

    __tablename__ = "rm_tasks"

    task_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    message_id: Mapped[str | None] = mapped_column(ForeignKey("messages.message_id"), unique=True)
    one_id: Mapped[str] = mapped_column(String(32), index=True)
    customer_no: Mapped[str | None] = mapped_column(String(32))
    staff_no: Mapped[str | None] = mapped_column(String(32), index=True)
    queue: Mapped[str | None] = mapped_column(String(32))  # the branch code of a fallback queue
    journey: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16))  # open | done | cancelled
    outcome: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SuppressionRow(Base):
    """A customer on the do-not-contact list, or under complaint suppression until a time."""

    __tablename__ = "contact_suppressions"
    __table_args__ = (UniqueConstraint("one_id", "kind"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    one_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # do_not_contact | complaint
    until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(128))


class AddressRow(Base):
    """A customer's address on a channel whose identifiers huoke keeps only as blind indexes elsewhere: the
    WeChat openid of the official account, the WeCom user id, the app's push device token. Encrypted."""

    __tablename__ = "channel_addresses"
    __table_args__ = (UniqueConstraint("one_id", "channel"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    one_id: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(24))
    address_enc: Mapped[str] = mapped_column(String(512))
    address_masked: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
