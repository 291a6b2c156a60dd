"""Enqueueing messages in the caller's transaction, with the contact policy's first decision recorded.

Journeys and the API call ``enqueue`` inside their own unit of work, so a message commits (or vanishes)
with the caller's other changes. The dispatcher decides again at send time (``dispatch.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huoke.customers.service import ContactCard, contact_cards
from huoke.messaging.facts import contact_histories, contact_profiles, history_window
from huoke.messaging.model import DEFAULT_PRIORITY, PRIORITY_MAX, PRIORITY_MIN
from huoke.messaging.policy import Decision, MessageIntent, PolicyConfig, decide_batch
from huoke.messaging.store import DecisionRow, MessageRow, TemplateRow
from huoke.messaging.templates import TemplateDefinition, parse_template
from huoke.platform.crypto import PiiCipher
from huoke.platform.errors import InvalidInput, NotFound

KEY_MAX = 160
STATUS_OF = {"send": "queued", "defer": "deferred", "suppress": "suppressed"}


@dataclass(frozen=True)
class SendRequest:
    """A message someone wants sent: to whom, which template, and how it may be treated."""

    one_id: str
    template: str
    idempotency_key: str
    source: str
    priority: int = DEFAULT_PRIORITY
    campaign: str | None = None
    journey: str | None = None
    quiet_hours: Literal["defer", "drop"] = "defer"
    context: dict[str, Any] | None = None  # offer, coupon, recipient (a test address), due_hours (tasks)

    def __post_init__(self) -> None:
        if not PRIORITY_MIN <= self.priority <= PRIORITY_MAX:
            raise InvalidInput(
                f"message {self.idempotency_key!r}: field 'priority' must be {PRIORITY_MIN}..{PRIORITY_MAX},"
                f" not {self.priority}",
                code="bad_priority",
            )
        if not self.idempotency_key or len(self.idempotency_key) > KEY_MAX:
            raise InvalidInput("field 'idempotency_key' must be 1 to 160 characters", code="bad_idempotency_key")


@dataclass(frozen=True)
class Enqueued:
    message_id: str
    decision: str
    reason: str
    deliver_at: datetime | None
    duplicate: bool = False


def live_template(session: Session, name: str, version: int | None = None) -> tuple[TemplateDefinition, int]:
    """A saved template (its highest version unless VERSION is given); NotFound names it."""
    query = select(TemplateRow).where(TemplateRow.name == name)
    query = query.where(TemplateRow.version == version) if version else query.order_by(TemplateRow.version.desc())
    row = session.scalars(query.limit(1)).first()
    if row is None:
        raise NotFound(f"no template named {name!r}; save it first with `huoke templates create`", code="no_template")
    return parse_template(row.definition), row.version


def next_template_version(session: Session, name: str) -> int:
    return int(session.scalar(select(func.max(TemplateRow.version)).where(TemplateRow.name == name)) or 0) + 1


def enqueue(
    session: Session,
    cipher: PiiCipher,
    config: PolicyConfig,
    request: SendRequest,
    *,
    now: datetime,
    max_age: timedelta,
) -> Enqueued:
    """Queue one message (no commit) and record the policy's decision; a known idempotency key answers with
    the message it already made."""
    return enqueue_many(session, cipher, config, [request], now=now, max_age=max_age)[0]


def enqueue_many(
    session: Session,
    cipher: PiiCipher,
    config: PolicyConfig,
    requests: Sequence[SendRequest],
    *,
    now: datetime,
    max_age: timedelta,
) -> list[Enqueued]:
    """``enqueue`` for a batch in a few statements; messages of one customer compete for the caps' room.

    Raises NotFound for an unknown template or customer before anything is queued."""
    known = _known(session, [r.idempotency_key for r in requests])
    fresh = list({r.idempotency_key: r for r in requests if r.idempotency_key not in known}.values())
    templates = {name: live_template(session, name) for name in sorted({r.template for r in fresh})}
    cards = contact_cards(session, cipher, [r.one_id for r in fresh], config.zone)
    missing = sorted({r.one_id for r in fresh} - set(cards))
    if missing:
        raise NotFound(f"no customer with ONE_ID {', '.join(missing)}", code="customer_not_found")
    rows = [_new_row(r, template=templates[r.template], card=cards[r.one_id], now=now, max_age=max_age) for r in fresh]
    decisions = _first_decisions(session, rows, templates=templates, cards=cards, config=config, now=now)
    for row in rows:
        _apply(row, decisions[row.message_id])
    session.add_all(rows)
    session.flush()
    for row in rows:
        record_decision(session, row, decisions[row.message_id], stage="enqueue", at=now)
    made = {row.idempotency_key: row for row in rows} | known
    return [_enqueued(made[r.idempotency_key], duplicate=r.idempotency_key in known) for r in requests]


def _first_decisions(
    session: Session,
    rows: list[MessageRow],
    *,
    templates: dict[str, tuple[TemplateDefinition, int]],
    cards: dict[str, ContactCard],
    config: PolicyConfig,
    now: datetime,
) -> dict[str, Decision]:
    customers = {card.one_id: card for card in cards.values()}
    profiles = contact_profiles(session, customers.values(), now)
    histories = contact_histories(session, customers.values(), now, history_window(config))
    by_customer: dict[str, list[MessageRow]] = {}
    for row in rows:
        by_customer.setdefault(row.one_id, []).append(row)
    decided: dict[str, Decision] = {}
    for one_id, group in by_customer.items():
        intents = [intent_of(row, has_links=may_link(templates[row.template][0])) for row in group]
        decisions = decide_batch(profiles[one_id], intents, histories[one_id], now, config)
        decided.update({row.message_id: d for row, d in zip(group, decisions, strict=True)})
    return decided


def intent_of(row: MessageRow, *, has_links: bool) -> MessageIntent:
    return MessageIntent(
        channel=row.channel,  # type: ignore[arg-type]
        purpose=row.purpose,  # type: ignore[arg-type]
        template=row.template,
        priority=row.priority,
        campaign=row.campaign,
        quiet_hours=row.quiet_hours,  # type: ignore[arg-type]
        has_links=has_links,
        expires_at=row.expires_at,
    )


def record_decision(session: Session, row: MessageRow, decision: Decision, *, stage: str, at: datetime) -> None:
    session.add(
        DecisionRow(
            message_id=row.message_id,
            at=at,
            stage=stage,
            decision=decision.kind,
            reason=decision.reason,
            deliver_at=decision.deliver_at if decision.kind == "defer" else None,
        )
    )


def _apply(row: MessageRow, decision: Decision) -> None:
    row.status, row.reason = STATUS_OF[decision.kind], decision.reason
    row.due_at = decision.deliver_at if decision.kind != "suppress" else None


def _new_row(
    request: SendRequest,
    *,
    template: tuple[TemplateDefinition, int],
    card: ContactCard,
    now: datetime,
    max_age: timedelta,
) -> MessageRow:
    definition, version = template
    return MessageRow(
        message_id=uuid.uuid4().hex,
        idempotency_key=request.idempotency_key,
        one_id=card.one_id,
        customer_no=card.customer_no,
        template=definition.name,
        template_version=version,
        channel=definition.channel,
        purpose=definition.purpose,
        priority=request.priority,
        campaign=request.campaign,
        journey=request.journey,
        source=request.source,
        quiet_hours=request.quiet_hours,
        context=dict(request.context or {}),
        status="queued",
        reason="queued",
        enqueued_at=now,
        expires_at=now + max_age if definition.purpose == "marketing" else None,
        attempts=0,
    )


def may_link(definition: TemplateDefinition) -> bool:
    texts = (definition.body, definition.html or "", str(definition.url or ""))
    return any("link(" in text or "http://" in text or "https://" in text for text in texts)


def _decision_of(status: str) -> str:
    return {"deferred": "defer", "suppressed": "suppress", "failed": "suppress"}.get(status, "send")


def _known(session: Session, keys: list[str]) -> dict[str, MessageRow]:
    found: dict[str, MessageRow] = {}
    for start in range(0, len(keys), 5000):
        query = select(MessageRow).where(MessageRow.idempotency_key.in_(keys[start : start + 5000]))
        found.update({row.idempotency_key: row for row in session.scalars(query)})
    return found


def _enqueued(row: MessageRow, *, duplicate: bool) -> Enqueued:
    return Enqueued(row.message_id, _decision_of(row.status), row.reason, row.due_at, duplicate=duplicate)
