"""Events use cases: ingest live events and transactions (one transaction per batch), custom event types.

Per batch: validate every item, drop repeats, resolve identities through ONE_ID, insert with the natural id, and
enqueue work for subscribers — all in one transaction, so an accepted item and its work commit together.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from huoke.customers import service as customers
from huoke.events import catalogue
from huoke.events.ingest import BatchReport, ItemResult, existing_ids, insert_new, mark_repeats_in_batch
from huoke.events.model import EventIn, ItemError, Limits, TransactionIn, parse_event, parse_transaction
from huoke.events.store import EventRow, EventTypeRow, TransactionRow
from huoke.platform.clockstate import load_clock
from huoke.platform.errors import InvalidInput, PayloadTooLarge
from huoke.platform.runtime import Runtime
from huoke.platform.store import append_audit
from huoke.platform.work import Message, Subscriptions, enqueue_many


@dataclass
class Ingestion:
    """Live ingestion over one runtime; ``subscriptions`` decides who gets work for each accepted item."""

    runtime: Runtime
    subscriptions: Subscriptions
    _schemas: tuple[Any, dict[str, Draft202012Validator]] | None = field(default=None, repr=False)
    _writer: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _turn(self) -> AbstractContextManager[Any]:
        """SQLite has one writer at a time: batches of this process take turns here instead of in SQLite's busy
        handler, whose growing sleeps showed as latency spikes. PostgreSQL batches run side by side."""
        return self._writer if self.runtime.engine.dialect.name == "sqlite" else nullcontext()

    def events(self, items: Sequence[Any], *, actor: str) -> BatchReport:
        """Ingest one batch of events (CONTRACTS.md §2 shape)."""
        self._check_size(items)
        with self._turn(), self.runtime.uow() as uow:
            session = uow.session
            now = load_clock(session).now()
            schemas = self._validators(session)
            parsed = [parse_event(raw, self._limits(now), schemas) for raw in items]
            report = _start(parsed, "event_id", lambda e: e.event_id)
            _drop_known(session, report, EventRow.event_id)
            accepted = self._resolve_events(session, parsed, report, now=now, actor=actor)
            rows = [_event_row(e, u, n, now) for e, u, n in accepted]
            inserted = insert_new(session, EventRow, rows, "event_id")
            work = [_event_work(e, u, n) for e, u, n in accepted if e.event_id in inserted]
            enqueue_many(session, self.subscriptions, work, now=now)
            _settle(report, inserted)
            uow.commit()
        return report

    def transactions(self, items: Sequence[Any], *, actor: str) -> BatchReport:
        """Ingest one batch of transactions (CONTRACTS.md §2 shape)."""
        self._check_size(items)
        with self._turn(), self.runtime.uow() as uow:
            session = uow.session
            now = load_clock(session).now()
            parsed = [parse_transaction(raw, self._limits(now)) for raw in items]
            report = _start(parsed, "txn_id", lambda t: t.txn_id)
            _drop_known(session, report, TransactionRow.txn_id)
            accepted = self._resolve_transactions(session, parsed, report)
            rows = [_txn_row(t, u, n, a, now) for t, u, n, a in accepted]
            inserted = insert_new(session, TransactionRow, rows, "txn_id")
            work = [_txn_work(t, u, n) for t, u, n, _ in accepted if t.txn_id in inserted]
            enqueue_many(session, self.subscriptions, work, now=now)
            _settle(report, inserted)
            uow.commit()
        return report

    def _validators(self, session: Session) -> dict[str, Draft202012Validator]:
        """Validators for every type, rebuilt only when a custom type was registered or changed."""
        versions = tuple(session.execute(select(EventTypeRow.name, EventTypeRow.version).order_by(EventTypeRow.name)))
        if self._schemas is None or self._schemas[0] != versions:
            custom = {row.name: row.schema for row in session.scalars(select(EventTypeRow))}
            self._schemas = (versions, catalogue.validators(custom))
        return self._schemas[1]

    def _limits(self, now: datetime) -> Limits:
        skew = timedelta(seconds=self.runtime.settings.event_max_future_skew_seconds)
        return Limits(zone=self.runtime.settings.zone, now=now, max_future_skew=skew)

    def _check_size(self, items: Sequence[Any]) -> None:
        limit = self.runtime.settings.ingest_max_items
        if len(items) > limit:
            raise PayloadTooLarge(f"a batch holds at most {limit} items, not {len(items)}", code="batch_too_large")

    def _resolve_events(
        self, session: Session, parsed: Sequence[EventIn | Any], report: BatchReport, *, now: datetime, actor: str
    ) -> list[tuple[EventIn, str, str | None]]:
        pending = [(r, parsed[r.index]) for r in report.results if r.status == "pending"]
        observed = customers.resolve_observations(
            session,
            self.runtime.cipher,
            [e.identity for _, e in pending],
            now=now,
            zone=self.runtime.settings.zone,
            actor=actor,
        )
        accepted: list[tuple[EventIn, str, str | None]] = []
        for (result, event), seen in zip(pending, observed, strict=True):
            if isinstance(seen, InvalidInput):
                _reject(result, seen.message)
            else:
                result.one_id = seen.unit
                accepted.append((event, seen.unit, seen.customer_no))
        return accepted

    def _resolve_transactions(
        self, session: Session, parsed: Sequence[TransactionIn | Any], report: BatchReport
    ) -> list[tuple[TransactionIn, str, str, tuple[str, str] | None]]:
        pending: list[tuple[ItemResult, TransactionIn]] = [
            (r, parsed[r.index]) for r in report.results if r.status == "pending"
        ]
        accounts = customers.accounts_of(
            session, self.runtime.cipher, [t.account_no for _, t in pending if t.account_no]
        )
        owners = [t.customer_no or accounts.get(t.account_no or "", ("", "", None))[2] for _, t in pending]
        units = customers.units_of_customers(session, [o for o in owners if o])
        accepted: list[tuple[TransactionIn, str, str, tuple[str, str] | None]] = []
        for (result, txn), owner in zip(pending, owners, strict=True):
            account = accounts.get(txn.account_no) if txn.account_no else None
            problem = _txn_identity_problem(txn, account, owner, units)
            if problem is not None or owner is None:
                where, why = problem or ("customer_no", "no customer with this number")
                _reject(result, why, where)
                continue
            result.one_id = units[owner]
            accepted.append((txn, units[owner], owner, account[:2] if account else None))
        return accepted


def _txn_identity_problem(
    txn: TransactionIn, account: tuple[str, str, str] | None, owner: str | None, units: dict[str, str]
) -> tuple[str, str] | None:
    if txn.account_no and account is None:
        return "account_no", "no account with this number (import holdings first)"
    if txn.customer_no and account is not None and account[2] != txn.customer_no:
        return "account_no", "belongs to another customer"
    if owner is None or owner not in units:
        return "customer_no", "no customer with this number"
    return None


def _start(parsed: Sequence[Any], id_field: str, key: Any) -> BatchReport:
    report = BatchReport(id_field)
    for index, item in enumerate(parsed):
        if isinstance(item, list):
            report.results.append(ItemResult(index, None, "rejected", errors=item))
        else:
            report.results.append(ItemResult(index, key(item), "pending"))
    return report


def _drop_known(session: Session, report: BatchReport, column: Any) -> None:
    mark_repeats_in_batch(report.results, set())
    pending = [r for r in report.results if r.status == "pending"]
    known = existing_ids(session, column, [r.id for r in pending if r.id])
    for result in pending:
        if result.id in known:
            result.status = "duplicate"


def _reject(result: ItemResult, message: str, field_name: str | None = None) -> None:
    where, _, why = message.partition(": ")
    if field_name is None and why:
        field_name, message = where, why
    result.status = "rejected"
    result.errors.append(ItemError(field_name or "identity", message))


def _settle(report: BatchReport, inserted: set[str]) -> None:
    for result in report.results:
        if result.status == "pending":
            result.status = "accepted" if result.id in inserted else "duplicate"
        if result.status != "accepted":
            result.one_id = None


def _event_row(event: EventIn, unit: str, number: str | None, now: datetime) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "type": event.type,
        "occurred_at": event.occurred_at,
        "received_at": now,
        "one_id": unit,
        "customer_no": number,
        "channel": event.channel,
        "properties": event.properties,
    }


def _txn_row(
    txn: TransactionIn, unit: str, number: str, account: tuple[str, str] | None, now: datetime
) -> dict[str, Any]:
    bidx, masked = account if account else (None, None)
    return {
        "txn_id": txn.txn_id,
        "one_id": unit,
        "customer_no": number,
        "account_bidx": bidx,
        "account_masked": masked,
        "occurred_at": txn.occurred_at,
        "received_at": now,
        "amount_fen": txn.amount_fen,
        "direction": txn.direction,
        "txn_type": txn.txn_type,
        "channel": txn.channel,
        "mcc": txn.mcc,
        "merchant": txn.merchant,
        "product_code": txn.product_code,
    }


def _event_work(event: EventIn, unit: str, number: str | None) -> Message:
    payload = {
        "event_id": event.event_id,
        "type": event.type,
        "one_id": unit,
        "customer_no": number,
        "occurred_at": event.occurred_at.isoformat(),
        "channel": event.channel,
        "properties": event.properties,
    }
    return Message(topic=f"event.{event.type}", key=f"event:{event.event_id}", payload=payload)


def _txn_work(txn: TransactionIn, unit: str, number: str) -> Message:
    payload = {
        "txn_id": txn.txn_id,
        "one_id": unit,
        "customer_no": number,
        "occurred_at": txn.occurred_at.isoformat(),
        "amount_fen": txn.amount_fen,
        "direction": txn.direction,
        "txn_type": txn.txn_type,
        "channel": txn.channel,
        "mcc": txn.mcc,
        "product_code": txn.product_code,
    }
    return Message(topic=f"transaction.{txn.txn_type}", key=f"txn:{txn.txn_id}", payload=payload)


def register_event_type(
    runtime: Runtime, *, name: str, schema: Any, description: str | None, actor: str
) -> dict[str, Any]:
    """Register (or update, as a new version) a custom event type with a JSON Schema for its properties."""
    problems = catalogue.check_custom_type(name, schema)
    if problems:
        raise InvalidInput("; ".join(problems), code="invalid_event_type", details={"problems": problems})
    with runtime.uow() as uow:
        now = load_clock(uow.session).now()
        row = uow.session.get(EventTypeRow, name)
        if row is None:
            row = EventTypeRow(name=name, schema=schema, description=description, version=1, created_at=now)
            uow.session.add(row)
        elif row.schema != schema or row.description != description:
            row.schema, row.description, row.version = schema, description, row.version + 1
        row.updated_at, row.updated_by = now, actor
        append_audit(
            uow.session,
            at=now,
            actor=actor,
            action="event_type.registered",
            subject=name,
            detail={"version": row.version},
        )
        uow.commit()
        return {"name": name, "version": row.version, "standard": False}


def list_event_types(runtime: Runtime) -> list[dict[str, Any]]:
    """Every event type the ingestion accepts: the standard catalogue and registered custom types."""
    with runtime.uow() as uow:
        custom = [
            {"name": r.name, "standard": False, "version": r.version, "schema": r.schema, "description": r.description}
            for r in uow.session.scalars(select(EventTypeRow).order_by(EventTypeRow.name))
        ]
    standard = [{"name": n, "standard": True, "version": 1, "schema": s} for n, s in catalogue.STANDARD_SCHEMAS.items()]
    return standard + custom
