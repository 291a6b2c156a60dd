"""Tables of saved segments: definitions with every version, current members, and a record of each refresh."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huoke.platform.db import Base, UtcDateTime

_ID = BigInteger().with_variant(Integer, "sqlite")


class SegmentRow(Base):
    """A saved segment: its current rule and version, its refresh schedule and what its last refresh found."""

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    rule: Mapped[dict[str, Any]] = mapped_column(JSON)
    schedule: Mapped[str | None] = mapped_column(String(120))  # cron in the business time zone
    realtime: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    refreshed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    refreshed_as_of: Mapped[datetime | None] = mapped_column(UtcDateTime)
    next_refresh_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    member_count: Mapped[int] = mapped_column(BigInteger, default=0)


class SegmentVersionRow(Base):
    """Every version a segment's rule has had (version 1 at creation), so an event names the rule behind it."""

    __tablename__ = "segment_versions"
    __table_args__ = (UniqueConstraint("segment_id", "version"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    rule: Mapped[dict[str, Any]] = mapped_column(JSON)
    schedule: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SegmentMemberRow(Base):
    """One profile in a segment now: since when, and under which version it entered."""

    __tablename__ = "segment_members"

    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True)
    one_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    entered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer)


class SegmentRefreshRow(Base):
    """One refresh of one segment: when, at which evaluation time, with which version, and what changed."""

    __tablename__ = "segment_refreshes"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    trigger: Mapped[str] = mapped_column(String(16))  # manual | schedule
    members: Mapped[int] = mapped_column(BigInteger)
    entered: Mapped[int] = mapped_column(BigInteger)
    exited: Mapped[int] = mapped_column(BigInteger)
