"""Tables of the journeys context: journeys with every version, their instances (one per customer run) with
the next wake-up, and each instance's step log. Nothing here commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huoke.platform.db import Base, UtcDateTime

_ID = BigInteger().with_variant(Integer, "sqlite")


class JourneyRow(Base):
    """A journey: its live definition and version, and whether it runs (draft, active, paused, stopped)."""

    __tablename__ = "journeys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    activated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # schedule, date and festival triggers: firings up to this instant have been processed
    scheduled_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class JourneyVersionRow(Base):
    """Every version of a journey's definition; running instances keep the version they entered with."""

    __tablename__ = "journey_versions"
    __table_args__ = (UniqueConstraint("journey_id", "version"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(128))


class InstanceRow(Base):
    """One customer's run through one version of a journey. ``entry_key`` (the trigger's natural key) makes
    an entry happen once however often its trigger is delivered."""

    __tablename__ = "journey_instances"
    __table_args__ = (
        Index("ix_journey_instances_due", "status", "wake_at"),
        Index("ix_journey_instances_customer", "journey_id", "one_id"),
    )

    instance_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    one_id: Mapped[str] = mapped_column(String(32), index=True)
    entry_key: Mapped[str] = mapped_column(String(160), unique=True)
    status: Mapped[str] = mapped_column(String(16))  # active | waiting | completed | exited
    step: Mapped[str | None] = mapped_column(String(64))
    wake_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    visits: Mapped[int] = mapped_column(Integer, default=0)
    holdout: Mapped[bool] = mapped_column(Boolean, default=False)
    entered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(48))
    goal_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lease_token: Mapped[str | None] = mapped_column(String(32), index=True)


class StepLogRow(Base):
    """What one instance did at one step, in order."""

    __tablename__ = "journey_step_log"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    instance_id: Mapped[str] = mapped_column(
        ForeignKey("journey_instances.instance_id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    step: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(Text)
