"""Importers for holdings (accounts and cards, balances in fen) and consent records (history kept)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import FromClause, select
from sqlalchemy.orm import Session

from huoke.customers import model as m
from huoke.customers import rows as parse
from huoke.customers.importing import ApplyContext, ParsedRow, RowOutcome, content_hash
from huoke.customers.rows import RowContext
from huoke.customers.store import ConsentRow, CustomerRow, HoldingRow
from huoke.platform.bulk import insert_rows, one_of
from huoke.platform.crypto import mask_account


def current_profiles(session: Session, customer_nos: Sequence[str]) -> dict[str, str]:
    """customer_no → the one_id of the profile it belongs to now (the survivor after merges)."""
    rows = session.execute(
        select(CustomerRow.customer_no, CustomerRow.one_id, CustomerRow.merged_into).where(
            one_of(session, CustomerRow.customer_no, set(customer_nos))
        )
    )
    return {no: merged_into or one_id for no, one_id, merged_into in rows if no is not None}


def _unknown_customer(number: int, customer_no: str) -> RowOutcome:
    return RowOutcome(
        number,
        "rejected",
        m.RowProblem("customer_no", customer_no, f"unknown customer_no {customer_no}; import customers first"),
    )


# the columns an import writes: one_id, then what _holding_values gives
HOLDING_COLUMNS = (
    *("one_id", "account_bidx", "account_masked", "customer_no", "product_code", "product_type", "status"),
    *("opened_at", "closed_at", "balance_fen", "credit_limit_fen", "card_level", "card_role", "approved_at"),
    *("row_hash", "updated_at"),
)


class PreparedHolding(NamedTuple):
    """One validated holdings row, ready for the store: account number already indexed and masked."""

    row: int
    customer_no: str
    bidx: str
    digest: str
    values: tuple[Any, ...]  # HOLDING_COLUMNS after one_id


class HoldingImporter:
    kind = "holdings"
    required: tuple[str, ...] = ("account_no", "customer_no", "product_code", "product_type")
    lookup_tables: tuple[FromClause, ...] = ()  # looked up by unique keys only

    def parse(self, values: dict[str, Any], ctx: RowContext) -> tuple[Any, list[m.RowProblem]]:
        return parse.parse_holding(values, ctx)

    def key(self, record: m.HoldingRecord) -> str:
        return record.account_no

    def prepare(self, rows: Sequence[ParsedRow], ctx: ApplyContext) -> list[PreparedHolding]:
        prepared = []
        for number, record, content in rows:
            bidx = ctx.cipher.blind_index("account_no", record.account_no)
            digest = content_hash(ctx.cipher, self.kind, content)
            values = _holding_values(record, bidx, digest, ctx.now)
            prepared.append(PreparedHolding(number, record.customer_no, bidx, digest, values))
        return prepared

    def apply(self, session: Session, rows: Sequence[PreparedHolding], ctx: ApplyContext) -> list[RowOutcome]:
        profiles = current_profiles(session, [row.customer_no for row in rows])
        stored = _stored_hashes(session, [row.bidx for row in rows])
        outcomes: list[RowOutcome] = []
        inserts: list[tuple[Any, ...]] = []
        updates: dict[str, tuple[Any, ...]] = {}
        for row in rows:
            one_id = profiles.get(row.customer_no)
            if one_id is None:
                outcomes.append(_unknown_customer(row.row, row.customer_no))
                continue
            previous = stored.get(row.bidx)
            if previous == row.digest:
                outcomes.append(RowOutcome(row.row, "duplicate"))
                continue
            if previous is None:
                inserts.append((one_id, *row.values))
            else:
                updates[row.bidx] = (one_id, *row.values)
            outcomes.append(RowOutcome(row.row, "accepted"))
        insert_rows(session, HoldingRow.__table__, HOLDING_COLUMNS, inserts)
        _update_holdings(session, updates)
        return outcomes


def _stored_hashes(session: Session, indexes: list[str]) -> dict[str, str]:
    """account blind index → row hash of the holdings already stored under these account numbers."""
    query = select(HoldingRow.account_bidx, HoldingRow.row_hash).where(
        one_of(session, HoldingRow.account_bidx, indexes)
    )
    return dict(list(session.execute(query)))


def _update_holdings(session: Session, updates: dict[str, tuple[Any, ...]]) -> None:
    if not updates:
        return
    for row in session.scalars(select(HoldingRow).where(HoldingRow.account_bidx.in_(list(updates)))):
        for column, value in zip(HOLDING_COLUMNS, updates[row.account_bidx], strict=True):
            setattr(row, column, value)


def _holding_values(r: m.HoldingRecord, bidx: str, digest: str, now: datetime) -> tuple[Any, ...]:
    return (
        *(bidx, mask_account(r.account_no), r.customer_no, r.product_code, r.product_type, r.status),
        *(r.opened_at, r.closed_at, r.balance_fen, r.credit_limit_fen, r.card_level, r.card_role, r.approved_at),
        *(digest, now),
    )


class ConsentImporter:
    kind = "consents"
    required: tuple[str, ...] = ("customer_no", "channel", "purpose", "status", "recorded_at")
    lookup_tables: tuple[FromClause, ...] = (ConsentRow.__table__,)  # by customer_no, not unique there

    def parse(self, values: dict[str, Any], ctx: RowContext) -> tuple[Any, list[m.RowProblem]]:
        return parse.parse_consent(values, ctx)

    def key(self, record: m.ConsentRecord) -> str:
        return f"{record.customer_no}|{record.channel}|{record.purpose}|{record.recorded_at.isoformat()}"

    def prepare(self, rows: Sequence[ParsedRow], ctx: ApplyContext) -> list[tuple[int, m.ConsentRecord, str]]:
        return [(number, record, content_hash(ctx.cipher, self.kind, content)) for number, record, content in rows]

    def apply(
        self, session: Session, rows: Sequence[tuple[int, m.ConsentRecord, str]], ctx: ApplyContext
    ) -> list[RowOutcome]:
        numbers = [record.customer_no for _, record, _ in rows]
        profiles = current_profiles(session, numbers)
        stored = {
            self.key(_as_record(c)): c.row_hash
            for c in session.scalars(select(ConsentRow).where(one_of(session, ConsentRow.customer_no, set(numbers))))
        }
        outcomes: list[RowOutcome] = []
        inserts: list[tuple[Any, ...]] = []
        for number, record, digest in rows:
            one_id = profiles.get(record.customer_no)
            previous = stored.get(self.key(record))
            if one_id is None:
                outcomes.append(_unknown_customer(number, record.customer_no))
            elif previous == digest:
                outcomes.append(RowOutcome(number, "duplicate"))
            elif previous is not None:
                outcomes.append(
                    RowOutcome(
                        number,
                        "rejected",
                        m.RowProblem(
                            "recorded_at",
                            record.recorded_at.isoformat(),
                            "another consent record for this customer, channel, purpose and time is stored; "
                            "consent history is never rewritten",
                        ),
                    )
                )
            else:
                inserts.append((one_id, digest, *_consent_values(record)))
                outcomes.append(RowOutcome(number, "accepted"))
        insert_rows(session, ConsentRow.__table__, _CONSENT_COLUMNS, inserts)
        return outcomes


_CONSENT_COLUMNS = (
    *("one_id", "row_hash", "customer_no", "channel", "purpose", "status", "recorded_at", "source"),
    "notice_version",
)


def _consent_values(r: m.ConsentRecord) -> tuple[Any, ...]:
    return (r.customer_no, r.channel, r.purpose, r.status, r.recorded_at, r.source, r.notice_version)


def _as_record(row: ConsentRow) -> m.ConsentRecord:
    return m.ConsentRecord(
        customer_no=row.customer_no,
        channel=row.channel,
        purpose=row.purpose,
        status=row.status,
        recorded_at=row.recorded_at,
        source=row.source,
        notice_version=row.notice_version,
    )
