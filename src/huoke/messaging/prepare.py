"""The dispatcher's middle step: decide again at send time, render, deliver what the store delivers itself.

Messages of one customer in a batch compete for the room their frequency caps leave, highest priority
first (``policy.decide_batch``). Suppressed and deferred messages are settled here; inbox items and RM
tasks are delivered here, in the same transaction; everything else leaves marked ``sending``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from huoke.customers.service import ContactCard, contact_cards
from huoke.messaging import local_channels
from huoke.messaging.addresses import addresses_of
from huoke.messaging.config import policy_config
from huoke.messaging.facts import SENDING, contact_histories, contact_profiles, history_window, touch_of
from huoke.messaging.model import OutboundMessage
from huoke.messaging.outbox import STATUS_OF, intent_of, live_template, may_link, record_decision
from huoke.messaging.policy import Decision, PolicyConfig, decide_batch
from huoke.messaging.rendering import Rendering, age_today, link_maker, outbound, recipient_of, render_context
from huoke.messaging.store import MessageRow
from huoke.messaging.templates import TemplateDefinition, render
from huoke.messaging.unsubscribe import unsubscribe_url
from huoke.platform.errors import HuokeError
from huoke.platform.runtime import Runtime


@dataclass(frozen=True)
class PreparedSend:
    message: OutboundMessage
    now: datetime


@dataclass
class Prepared:
    outbound: list[PreparedSend] = field(default_factory=list)
    settled: int = 0


@dataclass
class _Batch:
    session: Session
    runtime: Runtime
    config: PolicyConfig
    templates: dict[tuple[str, int], TemplateDefinition] = field(default_factory=dict)
    prepared: Prepared = field(default_factory=Prepared)
    addresses: dict[tuple[str, str], str] = field(default_factory=dict)

    def template(self, row_name: str, version: int) -> TemplateDefinition:
        key = (row_name, version)
        if key not in self.templates:
            self.templates[key] = live_template(self.session, row_name, version)[0]
        return self.templates[key]


def prepare_batch(
    session: Session, runtime: Runtime, rows: Sequence[MessageRow], *, now: datetime, in_time_order: bool
) -> Prepared:
    batch = _Batch(session, runtime, policy_config(runtime.settings))
    cards = contact_cards(session, runtime.cipher, {row.one_id for row in rows}, batch.config.zone)
    groups: dict[tuple[str, datetime], list[MessageRow]] = defaultdict(list)
    for row in rows:
        at = max(now, row.due_at) if in_time_order and row.due_at else now
        if row.one_id in cards:
            groups[(cards[row.one_id].one_id, at)].append(row)
        else:
            _fail(batch, row, "customer_not_found", at)
    live = {card.one_id: card for card in cards.values()}
    batch.addresses = addresses_of(session, runtime.cipher, live)
    earliest = min((at for _, at in groups), default=now)
    profiles = contact_profiles(session, live.values(), max((at for _, at in groups), default=now))
    window = history_window(batch.config)
    histories = contact_histories(session, live.values(), earliest, window, excluding={r.message_id for r in rows})
    for (one_id, at), members in groups.items():
        intents = [intent_of(row, has_links=_may_link(batch, row)) for row in members]
        decisions = decide_batch(profiles[one_id], intents, histories[one_id], at, batch.config)
        for row, decision in zip(members, decisions, strict=True):
            _apply(batch, live[one_id], row, decision, at)
            if decision.kind == "send":
                histories[one_id].append(touch_of(row, at))
    return batch.prepared


def _apply(batch: _Batch, card: ContactCard, row: MessageRow, decision: Decision, now: datetime) -> None:
    record_decision(batch.session, row, decision, stage="send", at=now)
    if decision.kind != "send":
        row.status, row.reason = STATUS_OF[decision.kind], decision.reason
        row.due_at = decision.deliver_at if decision.kind == "defer" else None
        _release(row)
        batch.prepared.settled += 1
        return
    _render_and_route(batch, card, row, now)


def _render_and_route(batch: _Batch, card: ContactCard, row: MessageRow, now: datetime) -> None:
    definition = batch.template(row.template, row.template_version)
    recipient, masked = recipient_of(card, row, batch.addresses)
    if recipient is None:
        _fail(batch, row, "no_address", now)
        return
    try:
        content = render(
            definition,
            render_context(card, row, age_today(card, now, batch.config.zone)),
            link=link_maker(batch.session, row.message_id, batch.runtime.settings.public_base_url, now),
            forbid_links=_protected(batch, card, row, now),
        )
    except HuokeError as exc:
        _fail(batch, row, exc.code or "render_failed", now)
        return
    rendering = Rendering(content, recipient, masked)
    row.subject, row.body, row.recipient_masked = content.subject, content.body, masked
    if row.channel in local_channels.CHANNELS:
        local_channels.deliver(batch.session, card, row, rendering, now)
        _release(row)
        batch.prepared.settled += 1
        return
    row.reason = SENDING
    url = unsubscribe_url(batch.runtime, row.message_id)
    batch.prepared.outbound.append(PreparedSend(outbound(row, rendering, url), now))


def _protected(batch: _Batch, card: ContactCard, row: MessageRow, now: datetime) -> bool:
    """Links are refused in SMS to protected (senior) customers when the policy asks so."""
    config = batch.config
    if row.channel != "sms" or row.purpose != "marketing" or config.senior_age is None:
        return False
    age = age_today(card, now, config.zone)
    return bool(config.senior_no_sms_links and age is not None and age >= config.senior_age)


def _may_link(batch: _Batch, row: MessageRow) -> bool:
    return may_link(batch.template(row.template, row.template_version))


def _fail(batch: _Batch, row: MessageRow, reason: str, now: datetime) -> None:
    row.status, row.reason, row.failed_at, row.due_at = "failed", reason[:48], now, None
    _release(row)
    batch.prepared.settled += 1


def _release(row: MessageRow) -> None:
    row.lease_until, row.lease_token = None, None
