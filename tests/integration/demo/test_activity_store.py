"""Synthetic activity fits the bank as huoke stores it, on SQLite and PostgreSQL: after importing the generated
bank, every generated account resolves to the customer the transaction names, and generated transactions and
events pass live ingestion without a single rejection."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from huoke.app import build_ingestion
from huoke.customers.import_service import import_file
from huoke.customers.observations import accounts_of
from huoke.demo.activity import ActivityFiles, generate_activity
from huoke.demo.generator import generate_bank
from huoke.platform.runtime import Runtime

AS_OF = date(2026, 11, 24)  # the fixture store's simulated clock starts on this day
KINDS = ("org", "staff", "products", "customers", "holdings")
PER_KIND = 25  # sampled rows per transaction or event type for live ingestion


@pytest.fixture
def activity(runtime: Runtime, tmp_path: Path) -> ActivityFiles:
    bank = generate_bank(tmp_path / "bank", customers=150, seed=8, as_of=AS_OF)
    for kind in KINDS:
        summary = import_file(runtime, kind=kind, path=bank.files[kind], actor="test")
        assert summary.rejected == 0, (kind, summary.as_dict())
    return generate_activity(bank, days=45, end=AS_OF - timedelta(days=1), seed=8, out_dir=tmp_path / "activity")


def test_every_transaction_account_belongs_to_its_customer_in_the_store(
    runtime: Runtime, activity: ActivityFiles
) -> None:
    table = pq.read_table(activity.files["transactions"], columns=["customer_no", "account_no", "occurred_at"])
    assert table.num_rows == activity.counts["transactions"] > 0
    pairs = set(zip(table.column("account_no").to_pylist(), table.column("customer_no").to_pylist(), strict=True))

    with runtime.uow() as uow:
        known = accounts_of(uow.session, runtime.cipher, [account for account, _ in pairs])

    assert set(known) == {account for account, _ in pairs}, "every account is one the store knows"
    assert all(known[account][2] == customer for account, customer in pairs), "…and belongs to the named customer"


def sample(folder: Path, by: str) -> list[dict[str, Any]]:
    """Up to PER_KIND rows of each value of column `by`, as plain Python values."""
    rows = pq.read_table(folder).to_pylist()
    picked: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        group = picked.setdefault(row[by], [])
        if len(group) < PER_KIND:
            group.append(row)
    return [row for group in picked.values() for row in group]


def as_item(row: dict[str, Any]) -> dict[str, Any]:
    """A Parquet row in the CONTRACTS.md §2 item shape live ingestion takes."""
    item = {k: v for k, v in row.items() if v is not None}
    item["occurred_at"] = row["occurred_at"].isoformat()
    if isinstance(row.get("amount"), Decimal):
        item["amount"] = str(row["amount"])
    if "properties" in row:
        item["properties"] = json.loads(row["properties"])
        device = item.pop("device_id", None)
        if device is not None:
            item["identity"] = {"device_id": device}
    return item


def test_generated_rows_pass_live_ingestion(runtime: Runtime, activity: ActivityFiles) -> None:
    ingestion = build_ingestion(runtime)
    transactions = [as_item(r) for r in sample(activity.files["transactions"], "txn_type")]
    events = [as_item(r) for r in sample(activity.files["events"], "type")]
    assert len({t["txn_type"] for t in transactions}) >= 8
    assert any("customer_no" not in e for e in events), "anonymous app opens are in the sample"

    reports = [ingestion.transactions(transactions, actor="test"), ingestion.events(events, actor="test")]

    for report in reports:
        rejected = [r.as_dict(report.id_field) for r in report.results if r.status == "rejected"]
        assert rejected == []
    assert reports[0].count("accepted") == len(transactions)
    assert reports[1].count("accepted") == len(events)
