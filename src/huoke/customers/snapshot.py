"""Snapshot of the customer tables for the lake: profiles and holdings as columnar tables (no clear PII).

The lake's `customers` and `holdings` snapshots are what segments and insights read. Names, phones, e-mails and
ID numbers never leave the store; masked forms are not needed for analysis either, so they stay out too.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
from sqlalchemy import select

from huoke.customers.store import CustomerRow, HoldingRow, OrgUnitRow
from huoke.platform.runtime import Runtime

CUSTOMER_FIELDS: tuple[tuple[str, pa.DataType], ...] = (
    ("one_id", pa.string()),
    ("customer_no", pa.string()),
    ("status", pa.string()),
    ("merged_into", pa.string()),
    ("gender", pa.string()),
    ("birth_date", pa.date32()),
    ("branch_code", pa.string()),
    ("rm_staff_no", pa.string()),
    ("opened_at", pa.date32()),
    ("risk_level", pa.string()),
    ("occupation", pa.string()),
    ("marital_status", pa.string()),
    ("city", pa.string()),
    ("created_at", pa.timestamp("us", tz="UTC")),
)
ORG_FIELDS: tuple[tuple[str, pa.DataType], ...] = (
    ("code", pa.string()),
    ("name", pa.string()),
    ("parent_code", pa.string()),
    ("level", pa.string()),
    ("path", pa.string()),  # every ancestor's code from the head office down, for "in this branch tree" rules
)
HOLDING_FIELDS: tuple[tuple[str, pa.DataType], ...] = (
    ("one_id", pa.string()),
    ("customer_no", pa.string()),
    ("account_masked", pa.string()),
    ("product_code", pa.string()),
    ("product_type", pa.string()),
    ("status", pa.string()),
    ("opened_at", pa.date32()),
    ("closed_at", pa.date32()),
    ("balance_fen", pa.int64()),
    ("credit_limit_fen", pa.int64()),
    ("card_level", pa.string()),
    ("card_role", pa.string()),
    ("approved_at", pa.timestamp("us", tz="UTC")),  # card approval (核卡) instant, for "approved within N days"
)


def snapshot_tables(runtime: Runtime) -> dict[str, pa.Table]:
    """`customers` (with custom attributes as JSON text), `holdings` and `org_units`, as of now."""
    with runtime.uow() as uow:
        session = uow.session
        customer_rows = session.execute(
            select(*(getattr(CustomerRow, n) for n, _ in CUSTOMER_FIELDS), CustomerRow.attributes)
        ).all()
        holding_rows = session.execute(select(*(getattr(HoldingRow, n) for n, _ in HOLDING_FIELDS))).all()
        org_rows = session.execute(select(*(getattr(OrgUnitRow, n) for n, _ in ORG_FIELDS))).all()
    customers = _table(CUSTOMER_FIELDS, [r[:-1] for r in customer_rows])
    attributes = pa.array([_json(r[-1]) for r in customer_rows], pa.string())
    return {
        "customers": customers.append_column("attributes", attributes),
        "holdings": _table(HOLDING_FIELDS, holding_rows),
        "org_units": _table(ORG_FIELDS, org_rows),
    }


def _table(fields: tuple[tuple[str, pa.DataType], ...], rows: Any) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in fields]
    return pa.table({name: pa.array(list(col), kind) for (name, kind), col in zip(fields, columns, strict=True)})


def _json(value: Any) -> str:
    return json.dumps(value or {}, ensure_ascii=False, sort_keys=True)


def identity_directory(runtime: Runtime) -> dict[str, pa.Array]:
    """Every customer number with its ONE_ID, every account (blind index, mask) with its owner: for bulk loads."""
    with runtime.uow() as uow:
        people = uow.session.execute(
            select(CustomerRow.customer_no, CustomerRow.one_id).where(CustomerRow.customer_no.is_not(None))
        ).all()
        accounts = uow.session.execute(
            select(HoldingRow.account_bidx, HoldingRow.customer_no, HoldingRow.account_masked)
        ).all()
    people_columns = list(zip(*people, strict=True)) if people else [(), ()]
    account_columns = list(zip(*accounts, strict=True)) if accounts else [(), (), ()]
    return {
        "customer_no": pa.array(list(people_columns[0]), pa.string()),
        "one_id": pa.array(list(people_columns[1]), pa.string()),
        "account_bidx": pa.array(list(account_columns[0]), pa.string()),
        "account_owner": pa.array(list(account_columns[1]), pa.string()),
        "account_masked": pa.array(list(account_columns[2]), pa.string()),
    }
