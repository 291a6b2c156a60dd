"""Messaging operations: the outbox's health, dead letters and their retry, and contact suppressions (the
do-not-contact list and complaints). Each use case opens one unit of work and commits once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huoke.messaging.dispatch import RETRY_BASE
from huoke.messaging.service import message_view, one_id_of
from huoke.messaging.store import MessageRow, SuppressionRow
from huoke.platform.errors import InvalidInput, NotFound
from huoke.platform.runtime import Runtime
from huoke.platform.store import append_audit

SUPPRESSION_KINDS = ("do_not_contact", "complaint")


def dead_letters(runtime: Runtime, *, limit: int = 100) -> list[dict[str, Any]]:
    """Failed messages, newest first, with their last attempt's answer."""
    zone = runtime.settings.zone
    with runtime.uow() as uow:
        rows = uow.session.scalars(
            select(MessageRow).where(MessageRow.status == "failed").order_by(MessageRow.failed_at.desc()).limit(limit)
        ).all()
        return [message_view(uow.session, row, zone) for row in rows]


def retry_dead_letters(runtime: Runtime, *, message_ids: list[str], actor: str) -> dict[str, Any]:
    """Queue failed messages again (the policy decides once more when they are sent)."""
    with runtime.uow() as uow:
        session, now = uow.session, runtime.now()
        rows = session.scalars(select(MessageRow).where(MessageRow.message_id.in_(message_ids))).all()
        found = {row.message_id: row for row in rows}
        missing = sorted(set(message_ids) - set(found))
        if missing:
            raise NotFound(f"no message {', '.join(missing)}", code="message_not_found")
        not_failed = sorted(m for m, row in found.items() if row.status != "failed")
        if not_failed:
            raise InvalidInput(f"only failed messages can be retried; not {', '.join(not_failed)}", code="not_failed")
        for row in rows:  # attempts keep their numbers; the retry budget starts again from here
            row.status, row.reason, row.due_at, row.failed_at = "queued", "retry_requested", now, None
            row.context = {**row.context, RETRY_BASE: row.attempts}
        append_audit(
            session,
            at=now,
            actor=actor,
            action="messages.retried",
            subject="dead_letters",
            detail={"message_ids": sorted(found)},
        )
        uow.commit()
    return {"retried": sorted(found)}


def health(runtime: Runtime) -> dict[str, Any]:
    """Queue depth and last-hour results per channel, and the dead letters waiting."""
    with runtime.uow() as uow:
        session, now = uow.session, runtime.now()
        depth = _counts(session, MessageRow.status.in_(("queued", "deferred")))
        sent = _counts(session, MessageRow.sent_at > now - timedelta(hours=1))
        failed = _counts(session, MessageRow.failed_at > now - timedelta(hours=1))
        dead = session.scalar(select(func.count()).where(MessageRow.status == "failed")) or 0
    channels = sorted(set(depth) | set(sent) | set(failed))
    return {
        "now": now.astimezone(runtime.settings.zone).isoformat(),
        "dead_letters": dead,
        "channels": [
            {
                "channel": c,
                "queued": depth.get(c, 0),
                "sent_last_hour": sent.get(c, 0),
                "failed_last_hour": failed.get(c, 0),
            }
            for c in channels
        ],
    }


def suppress(
    runtime: Runtime, *, customer_no: str, kind: str, until: datetime | None, note: str | None, actor: str
) -> dict[str, Any]:
    """Put a customer on the do-not-contact list, or under complaint suppression until a time."""
    if kind not in SUPPRESSION_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(SUPPRESSION_KINDS)}, not {kind!r}", code="bad_kind")
    if kind == "complaint" and until is None:
        raise InvalidInput("a complaint suppression needs an end time (--until)", code="missing_until")
    with runtime.uow() as uow:
        session, now = uow.session, runtime.now()
        one_id = one_id_of(session, customer_no)
        row = session.scalars(
            select(SuppressionRow).where(SuppressionRow.one_id == one_id, SuppressionRow.kind == kind)
        ).first()
        if row is None:
            row = SuppressionRow(one_id=one_id, kind=kind, created_at=now, created_by=actor)
            session.add(row)
        row.until, row.note = until, note
        append_audit(
            session,
            at=now,
            actor=actor,
            action=f"contact.{kind}",
            subject=one_id,
            detail={"until": until.isoformat() if until else None, "note": note},
        )
        uow.commit()
    return {"customer_no": customer_no, "kind": kind, "until": until.isoformat() if until else None}


def lift_suppression(runtime: Runtime, *, customer_no: str, kind: str, actor: str) -> dict[str, Any]:
    with runtime.uow() as uow:
        session, now = uow.session, runtime.now()
        one_id = one_id_of(session, customer_no)
        rows = session.scalars(
            select(SuppressionRow).where(SuppressionRow.one_id == one_id, SuppressionRow.kind == kind)
        ).all()
        for row in rows:
            session.delete(row)
        append_audit(session, at=now, actor=actor, action=f"contact.{kind}_lifted", subject=one_id, detail={})
        uow.commit()
    return {"customer_no": customer_no, "kind": kind, "lifted": len(rows)}


def _counts(session: Session, condition: Any) -> dict[str, int]:
    rows = session.execute(select(MessageRow.channel, func.count()).where(condition).group_by(MessageRow.channel))
    return {channel: int(count) for channel, count in rows}
