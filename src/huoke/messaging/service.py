"""Messaging use cases: save and preview templates, send a message, show a customer's messages with every
decision, the outbox's health, dead letters and their retry, and the contact suppressions. Each opens one
unit of work and commits once."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huoke.customers.service import (
    contact_card,
    one_id_by_customer_no,
    one_ids_by_customer_no,
    profile_of,
    profile_units,
)
from huoke.messaging.config import policy_config
from huoke.messaging.outbox import Enqueued, enqueue, enqueue_many, live_template, next_template_version
from huoke.messaging.outbox import SendRequest as SendRequest  # noqa: PLC0414 - journeys build requests
from huoke.messaging.rendering import age_today, render_context
from huoke.messaging.store import AttemptRow, DecisionRow, MessageRow, TemplateRow
from huoke.messaging.templates import check_template, parse_template, render
from huoke.platform.errors import NotFound
from huoke.platform.runtime import Runtime
from huoke.platform.store import append_audit


def create_template(runtime: Runtime, document: dict[str, Any], *, actor: str) -> dict[str, Any]:
    """Check and save a template as its next version; saving the same content again changes nothing."""
    definition = parse_template(document)
    check_template(definition)
    stored = definition.model_dump(mode="json", exclude_none=True)
    with runtime.uow() as uow:
        session, now = uow.session, runtime.now()
        latest = _latest_template(session, definition.name)
        if latest is not None and latest.definition == stored:
            return {"name": latest.name, "version": latest.version, "created": False}
        version = next_template_version(session, definition.name)
        session.add(
            _template_row(
                definition.name,
                version=version,
                channel=definition.channel,
                purpose=definition.purpose,
                stored=stored,
                now=now,
                actor=actor,
            )
        )
        append_audit(
            session,
            at=now,
            actor=actor,
            action="template.saved",
            subject=definition.name,
            detail={"version": version, "channel": definition.channel, "purpose": definition.purpose},
        )
        uow.commit()
    return {"name": definition.name, "version": version, "created": True}


def list_templates(runtime: Runtime) -> list[dict[str, Any]]:
    with runtime.uow() as uow:
        latest = select(TemplateRow.name, func.max(TemplateRow.version).label("version")).group_by(TemplateRow.name)
        rows = uow.session.execute(latest.order_by(TemplateRow.name)).all()
        result = []
        for name, version in rows:
            row = uow.session.scalars(
                select(TemplateRow).where(TemplateRow.name == name, TemplateRow.version == version)
            ).one()
            result.append({"name": name, "version": version, "channel": row.channel, "purpose": row.purpose})
    return result


def preview_template(
    runtime: Runtime,
    name: str,
    *,
    customer_no: str,
    offer: dict[str, Any] | None = None,
    coupon: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Render a saved template for a real customer (links shown untracked); undefined variables fail here."""
    with runtime.uow() as uow:
        session, now = uow.session, runtime.now()
        definition, version = live_template(session, name)
        card = contact_card(session, runtime.cipher, one_id_of(session, customer_no), runtime.settings.zone)
        if card is None:
            raise NotFound(f"no customer with customer_no {customer_no}", code="customer_not_found")
        row = MessageRow(context={"offer": offer, "coupon": coupon})
        content = render(definition, render_context(card, row, age_today(card, now, runtime.settings.zone)))
    return {
        "name": name,
        "version": version,
        "channel": definition.channel,
        "subject": content.subject,
        "body": content.body,
        "html": content.html,
        "extra": content.extra,
    }


def send_message(
    runtime: Runtime,
    *,
    customer_no: str,
    template: str,
    priority: int,
    source: str,
    idempotency_key: str | None = None,
    campaign: str | None = None,
    recipient: str | None = None,
    quiet_hours: Literal["defer", "drop"] = "defer",
    context: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Enqueue one message now; the contact policy decides at once and again when it is sent."""
    settings = runtime.settings
    with runtime.uow() as uow:
        session, now = uow.session, runtime.now()
        extra = dict(context or {}) | ({"recipient": recipient} if recipient else {})
        request = SendRequest(
            one_id=one_id_of(session, customer_no),
            template=template,
            priority=priority,
            source=source,
            idempotency_key=idempotency_key or f"{source}:{now.isoformat()}:{customer_no}:{template}:{_nonce()}",
            campaign=campaign,
            quiet_hours=quiet_hours,
            context=extra,
        )
        result = enqueue(
            session,
            runtime.cipher,
            policy_config(settings),
            request,
            now=now,
            max_age=timedelta(hours=settings.message_max_age_hours),
        )
        uow.commit()
    return _answer(result, runtime)


def send_many(runtime: Runtime, items: list[dict[str, Any]], *, source: str) -> list[dict[str, Any]]:
    """Enqueue a batch in one transaction: each item has customer_no, template and idempotency_key, and may
    have priority, campaign, quiet_hours and context. Unknown customers fail the batch before anything is
    queued (NotFound names them)."""
    settings = runtime.settings
    with runtime.uow() as uow:
        session, now = uow.session, runtime.now()
        one_ids = one_ids_by_customer_no(session, [item["customer_no"] for item in items])
        unknown = sorted({item["customer_no"] for item in items} - set(one_ids))
        if unknown:
            raise NotFound(f"no customer with customer_no {', '.join(unknown)}", code="customer_not_found")
        requests = [_request(item, one_ids[item["customer_no"]], source) for item in items]
        config, max_age = policy_config(settings), timedelta(hours=settings.message_max_age_hours)
        results = enqueue_many(session, runtime.cipher, config, requests, now=now, max_age=max_age)
        uow.commit()
    return [_answer(result, runtime) for result in results]


def enqueue_in(session: Session, runtime: Runtime, requests: list[SendRequest], *, now: datetime) -> list[Enqueued]:
    """Queue messages inside the caller's transaction (journeys): the policy decides each at once and again
    when it is sent; a known idempotency key gives back the message it already made."""
    settings = runtime.settings
    config, max_age = policy_config(settings), timedelta(hours=settings.message_max_age_hours)
    return enqueue_many(session, runtime.cipher, config, requests, now=now, max_age=max_age)


def _request(item: dict[str, Any], one_id: str, source: str) -> SendRequest:
    return SendRequest(
        one_id=one_id,
        template=item["template"],
        idempotency_key=item["idempotency_key"],
        source=source,
        priority=item.get("priority", 5),
        campaign=item.get("campaign"),
        quiet_hours=item.get("quiet_hours", "defer"),
        context=item.get("context"),
    )


def list_messages(runtime: Runtime, *, customer_no: str, limit: int = 100) -> dict[str, Any]:
    """A customer's messages, newest first, each with every policy decision and delivery attempt."""
    zone = runtime.settings.zone
    with runtime.uow() as uow:
        session = uow.session
        one_id = one_id_of(session, customer_no)
        rows = session.scalars(
            select(MessageRow)
            .where(MessageRow.one_id == one_id)
            .order_by(MessageRow.enqueued_at.desc(), MessageRow.message_id)
            .limit(limit)
        ).all()
        messages = [message_view(session, row, zone) for row in rows]
    return {"customer_no": customer_no, "messages": messages}


def outcome_counts(runtime: Runtime) -> list[dict[str, Any]]:
    """How many messages each template has in each status and reason."""
    with runtime.uow() as uow:
        query = select(MessageRow.template, MessageRow.status, MessageRow.reason, func.count()).group_by(
            MessageRow.template, MessageRow.status, MessageRow.reason
        )
        rows = uow.session.execute(query.order_by(MessageRow.template)).all()
    return [{"template": t, "status": s, "reason": r, "messages": int(n)} for t, s, r, n in rows]


def journey_outcomes(runtime: Runtime) -> list[dict[str, Any]]:
    """Messages journeys queued: per journey, channel, status and reason."""
    with runtime.uow() as uow:
        columns = (MessageRow.journey, MessageRow.channel, MessageRow.status, MessageRow.reason)
        query = select(*columns, func.count()).where(MessageRow.journey.is_not(None)).group_by(*columns)
        rows = uow.session.execute(query.order_by(MessageRow.journey, MessageRow.channel)).all()
    return [{"journey": j, "channel": c, "status": s, "reason": r, "messages": int(n)} for j, c, s, r, n in rows]


def contact_history_section(runtime: Runtime, one_id: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """The customer's latest messages (contact history) for the 360° view: when, what, and what happened."""
    zone = runtime.settings.zone
    with runtime.uow() as uow:
        units = profile_units(uow.session, profile_of(uow.session, one_id))
        rows = uow.session.scalars(
            select(MessageRow)
            .where(MessageRow.one_id.in_(units))
            .order_by(MessageRow.enqueued_at.desc(), MessageRow.message_id)
            .limit(limit)
        ).all()
        return [_history_entry(row, zone) for row in rows]


def _history_entry(row: MessageRow, zone: Any) -> dict[str, Any]:
    return {
        "message_id": row.message_id,
        "enqueued_at": row.enqueued_at.astimezone(zone).isoformat(),
        "template": row.template,
        "channel": row.channel,
        "purpose": row.purpose,
        "status": row.status,
        "reason": row.reason,
        "sent_at": row.sent_at.astimezone(zone).isoformat() if row.sent_at else None,
    }


def one_id_of(session: Session, customer_no: str) -> str:
    one_id = one_id_by_customer_no(session, customer_no)
    if one_id is None:
        raise NotFound(f"no customer with customer_no {customer_no}", code="customer_not_found")
    return one_id


def _answer(result: Enqueued, runtime: Runtime) -> dict[str, Any]:
    deliver_at = result.deliver_at.astimezone(runtime.settings.zone).isoformat() if result.deliver_at else None
    return {
        "message_id": result.message_id,
        "decision": result.decision,
        "reason": result.reason,
        "deliver_at": deliver_at,
        "duplicate": result.duplicate,
    }


def message_view(session: Session, row: MessageRow, zone: Any) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.astimezone(zone).isoformat() if value else None

    decisions = session.scalars(
        select(DecisionRow).where(DecisionRow.message_id == row.message_id).order_by(DecisionRow.id)
    )
    attempts = session.scalars(
        select(AttemptRow).where(AttemptRow.message_id == row.message_id).order_by(AttemptRow.attempt)
    )
    return {
        "message_id": row.message_id,
        "template": row.template,
        "template_version": row.template_version,
        "channel": row.channel,
        "purpose": row.purpose,
        "priority": row.priority,
        "campaign": row.campaign,
        "journey": row.journey,
        "status": row.status,
        "reason": row.reason,
        "enqueued_at": iso(row.enqueued_at),
        "due_at": iso(row.due_at),
        "sent_at": iso(row.sent_at),
        "delivered_at": iso(row.delivered_at),
        "failed_at": iso(row.failed_at),
        "recipient": row.recipient_masked,
        "provider": row.provider,
        "decisions": [
            {
                "at": iso(d.at),
                "stage": d.stage,
                "decision": d.decision,
                "reason": d.reason,
                "deliver_at": iso(d.deliver_at),
            }
            for d in decisions
        ],
        "attempts": [
            {
                "attempt": a.attempt,
                "at": iso(a.at),
                "outcome": a.outcome,
                "reason": a.reason,
                "detail": a.detail,
                "provider_id": a.provider_id,
                "duration_ms": a.duration_ms,
            }
            for a in attempts
        ],
    }


def _template_row(
    name: str, *, version: int, channel: str, purpose: str, stored: dict[str, Any], now: datetime, actor: str
) -> TemplateRow:
    return TemplateRow(
        name=name,
        version=version,
        channel=channel,
        purpose=purpose,
        definition=stored,
        created_at=now,
        created_by=actor,
    )


def _latest_template(session: Session, name: str) -> TemplateRow | None:
    query = select(TemplateRow).where(TemplateRow.name == name).order_by(TemplateRow.version.desc()).limit(1)
    return session.scalars(query).first()


def _nonce() -> str:
    return uuid.uuid4().hex[:12]
