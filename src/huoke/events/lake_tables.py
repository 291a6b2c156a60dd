"""The lake's `events` and `transactions` tables: their columns, and store rows or history files turned into them.

Both are partitioned by the business date of `occurred_at`. `one_id` is the identity unit the item was recorded on
(the customer's own ONE_ID for history loads); account numbers appear only as blind index and mask.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

EVENTS = "events"
TRANSACTIONS = "transactions"
TIME_COLUMN = "occurred_at"
TIMESTAMP = pa.timestamp("us", tz="UTC")

EVENT_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("type", pa.string()),
        ("occurred_at", TIMESTAMP),
        ("one_id", pa.string()),
        ("customer_no", pa.string()),
        ("channel", pa.string()),
        ("properties", pa.string()),  # JSON object text
    ]
)
TRANSACTION_SCHEMA = pa.schema(
    [
        ("txn_id", pa.string()),
        ("occurred_at", TIMESTAMP),
        ("one_id", pa.string()),
        ("customer_no", pa.string()),
        ("account_bidx", pa.string()),
        ("account_masked", pa.string()),
        ("amount_fen", pa.int64()),
        ("direction", pa.string()),
        ("txn_type", pa.string()),
        ("channel", pa.string()),
        ("mcc", pa.string()),
        ("merchant", pa.string()),
        ("product_code", pa.string()),
    ]
)
SCHEMAS = {EVENTS: EVENT_SCHEMA, TRANSACTIONS: TRANSACTION_SCHEMA}


def from_rows(table: str, rows: Sequence[Any]) -> pa.Table:
    """Store rows (ORM objects of `events` / `transactions`) as a lake table."""
    schema = SCHEMAS[table]
    columns: dict[str, list[Any]] = {name: [] for name in schema.names}
    for row in rows:
        for name in schema.names:
            value = getattr(row, name)
            columns[name].append(json.dumps(value, ensure_ascii=False) if name == "properties" else value)
    return pa.table(columns, schema=schema)
