"""Does an arriving event or transaction pass a journey's filter (its trigger, a ``wait_for`` step, its goal)?

Pure. Each arriving row is judged by the segment evaluator (CONTRACTS.md §3 filters, including property
conditions), so a filter means the same in a journey as in a segment rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from huoke.journeys.trigger_model import Awaited, EventAwaited
from huoke.segments.dsl import EventRule, TxnRule
from huoke.segments.evaluate import evaluate
from huoke.segments.facts import CustomerFacts, EventFact, TxnFact
from huoke.segments.filters import EventFilter, LastDays, TxnFilter

FEN_PER_YUAN = 100


def awaited_matches(awaited: Awaited, event: Mapping[str, Any], zone: tzinfo, now: datetime) -> bool:
    """Whether the event or transaction is what a ``wait_for`` step waits for."""
    wanted: EventFilter | TxnFilter = awaited.event if isinstance(awaited, EventAwaited) else awaited.txn
    return matches(wanted, event, zone, now)


def matches(wanted: EventFilter | TxnFilter, event: Mapping[str, Any], zone: tzinfo, now: datetime) -> bool:
    """Whether one arriving event / transaction passes a §3 filter, judged by the segment evaluator."""
    when = occurred_at(event, now)
    kind = event.get("kind", "event")
    if isinstance(wanted, EventFilter):
        if kind != "event":
            return False
        rule: EventRule | TxnRule = EventRule(event=wanted, window=LastDays(last_days=1), agg="count", op="ge", value=1)
        facts = CustomerFacts(zone=zone, events=(_event_fact(event, when),))
    else:
        if kind != "txn":
            return False
        rule = TxnRule(txn=wanted, window=LastDays(last_days=1), agg="count", op="ge", value=1)
        facts = CustomerFacts(zone=zone, transactions=(_txn_fact(event, when),))
    return evaluate(rule, facts, when)


def occurred_at(event: Mapping[str, Any], default: datetime) -> datetime:
    """The event's ``occurred_at`` (an aware datetime or ISO text with an offset), else ``default``."""
    value = event.get("occurred_at")
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    return default


def _event_fact(event: Mapping[str, Any], when: datetime) -> EventFact:
    return EventFact(type=str(event.get("type", "")), occurred_at=when, properties=dict(event.get("properties") or {}))


def _txn_fact(event: Mapping[str, Any], when: datetime) -> TxnFact:
    fen = event.get("amount_fen")
    if fen is None:
        fen = int(Decimal(str(event.get("amount", 0))) * FEN_PER_YUAN)
    return TxnFact(
        occurred_at=when,
        amount_fen=int(fen),
        direction=str(event.get("direction", "debit")),
        txn_type=str(event.get("txn_type", "other")),
        channel=event.get("channel"),
        mcc=event.get("mcc"),
        product_code=event.get("product_code"),
    )
