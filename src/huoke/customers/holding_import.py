"""Importers for holdings (accounts and cards, balances in fen) and consent records (history kept)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from huoke.customers import model as m
from huoke.customers import rows as parse
from huoke.customers.importing import ApplyContext, RowOutcome, row_hash
from huoke.customers.rows import RowContext
from huoke.customers.store import ConsentRow, CustomerRow, HoldingRow
from huoke.platform.crypto import mask_account


def current_profiles(session: Session, customer_nos: Sequence[str]) -> dict[str, str]:
    """customer_no → the one_id of the profile it belongs to now (the survivor after merges)."""
    rows = session.execute(
        select(CustomerRow.customer_no, CustomerRow.one_id, CustomerRow.merged_into).where(
            CustomerRow.customer_no.in_(list(set(customer_nos)))
        )
    )
    return {no: merged_into or one_id for no, one_id, merged_into in rows if no is not None}


def _unknown_customer(number: int, customer_no: str) -> RowOutcome:
    return RowOutcome(
        number,
        "rejected",
        m.RowProblem("customer_no", customer_no, f"unknown customer_no {customer_no}; import customers first"),
    )


class HoldingImporter:
    kind = "holdings"
    required: tuple[str, ...] = ("account_no", "customer_no", "product_code", "product_type")

    def parse(self, values: dict[str, Any], ctx: RowContext) -> tuple[Any, list[m.RowProblem]]:
        return parse.parse_holding(values, ctx)

    def key(self, record: m.HoldingRecord) -> str:
        return record.account_no

    def apply(self, session: Session, rows: Sequence[tuple[int, Any]], ctx: ApplyContext) -> list[RowOutcome]:
        profiles = current_profiles(session, [r.customer_no for _, r in rows])
        indexes = {r.account_no: ctx.cipher.blind_index("account_no", r.account_no) for _, r in rows}
        existing = {
            h.account_bidx: h
            for h in session.scalars(select(HoldingRow).where(HoldingRow.account_bidx.in_(list(indexes.values()))))
        }
        outcomes: list[RowOutcome] = []
        inserts: list[dict[str, Any]] = []
        for number, record in rows:
            one_id = profiles.get(record.customer_no)
            if one_id is None:
                outcomes.append(_unknown_customer(number, record.customer_no))
                continue
            values = _holding_columns(record, one_id, indexes[record.account_no], ctx)
            stored = existing.get(values["account_bidx"])
            if stored is None:
                inserts.append(values)
            elif stored.row_hash == values["row_hash"]:
                outcomes.append(RowOutcome(number, "duplicate"))
                continue
            else:
                for column, value in values.items():
                    setattr(stored, column, value)
            outcomes.append(RowOutcome(number, "accepted"))
        if inserts:
            session.execute(insert(HoldingRow), inserts)
        return outcomes


def _holding_columns(r: m.HoldingRecord, one_id: str, bidx: str, ctx: ApplyContext) -> dict[str, Any]:
    return {
        "account_bidx": bidx,
        "account_masked": mask_account(r.account_no),
        "one_id": one_id,
        "customer_no": r.customer_no,
        "product_code": r.product_code,
        "product_type": r.product_type,
        "status": r.status,
        "opened_at": r.opened_at,
        "closed_at": r.closed_at,
        "balance_fen": r.balance_fen,
        "credit_limit_fen": r.credit_limit_fen,
        "card_level": r.card_level,
        "card_role": r.card_role,
        "approved_at": r.approved_at,
        "row_hash": row_hash(ctx.cipher, "holdings", r),
        "updated_at": ctx.now,
    }


class ConsentImporter:
    kind = "consents"
    required: tuple[str, ...] = ("customer_no", "channel", "purpose", "status", "recorded_at")

    def parse(self, values: dict[str, Any], ctx: RowContext) -> tuple[Any, list[m.RowProblem]]:
        return parse.parse_consent(values, ctx)

    def key(self, record: m.ConsentRecord) -> str:
        return f"{record.customer_no}|{record.channel}|{record.purpose}|{record.recorded_at.isoformat()}"

    def apply(self, session: Session, rows: Sequence[tuple[int, Any]], ctx: ApplyContext) -> list[RowOutcome]:
        numbers = [r.customer_no for _, r in rows]
        profiles = current_profiles(session, numbers)
        stored = {
            self.key(_as_record(c)): c.row_hash
            for c in session.scalars(select(ConsentRow).where(ConsentRow.customer_no.in_(list(set(numbers)))))
        }
        outcomes: list[RowOutcome] = []
        inserts: list[dict[str, Any]] = []
        for number, record in rows:
            one_id = profiles.get(record.customer_no)
            digest = row_hash(ctx.cipher, self.kind, record)
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
                inserts.append({"one_id": one_id, "row_hash": digest, **_consent_columns(record)})
                outcomes.append(RowOutcome(number, "accepted"))
        if inserts:
            session.execute(insert(ConsentRow), inserts)
        return outcomes


def _consent_columns(r: m.ConsentRecord) -> dict[str, Any]:
    return {
        "customer_no": r.customer_no,
        "channel": r.channel,
        "purpose": r.purpose,
        "status": r.status,
        "recorded_at": r.recorded_at,
        "source": r.source,
        "notice_version": r.notice_version,
    }


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
