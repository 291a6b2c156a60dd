"""Platform tables: the data-dir clock, the audit log, API keys, import runs, lake export watermarks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from huoke.platform.db import Base, UtcDateTime


class ClockRow(Base):
    """The one clock of a data dir: real, or simulated at a persisted instant."""

    __tablename__ = "system_clock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))
    simulated_now: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AuditRow(Base):
    """Append-only record of who changed what: merges, imports, keys."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(String(128), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    secret_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ImportRunRow(Base):
    """One `huoke import` run, kept for operators and auditors."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    file_name: Mapped[str] = mapped_column(String(512))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    errors_file: Mapped[str | None] = mapped_column(String(512))


class LakeWatermarkRow(Base):
    """How far a lake export has got: the last exported position (for example an event id) per stream."""

    __tablename__ = "lake_watermarks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


def append_audit(
    session: Session, *, at: datetime, actor: str, action: str, subject: str, detail: dict[str, Any]
) -> None:
    session.add(AuditRow(at=at, actor=actor, action=action, subject=subject, detail=detail))


def audit_entries(
    session: Session, *, subject: str | None = None, action: str | None = None, limit: int = 100
) -> list[AuditRow]:
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if subject is not None:
        query = query.where(AuditRow.subject == subject)
    if action is not None:
        query = query.where(AuditRow.action == action)
    return list(session.scalars(query))


def get_watermark(session: Session, name: str) -> int:
    """The last exported position of stream ``name``; 0 before its first export."""
    row = session.get(LakeWatermarkRow, name)
    return 0 if row is None else row.value


def set_watermark(session: Session, name: str, value: int, now: datetime) -> None:
    """Record the last exported position of stream ``name`` (the caller's unit of work commits)."""
    row = session.get(LakeWatermarkRow, name)
    if row is None:
        session.add(LakeWatermarkRow(name=name, value=value, updated_at=now))
    else:
        row.value, row.updated_at = value, now
