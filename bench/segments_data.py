"""The segments benchmark's lake: huoke's demo bank and a year of its activity, thinned to the asked sizes.

1. ``generate_bank`` writes the bank (org tree, customers with custom attributes, holdings) as of ``BANK_DATE``.
2. ``generate_activity`` writes 365 days of transactions and app events ending on ``LAST_DAY``. The demo models
   about 171 transactions and 195 events per customer-year; each row is then kept with a fixed probability
   (chosen from a hash of its id, so the thinning is deterministic) to reach ``--transactions`` and
   ``--events``. Thinning keeps each customer's habits in proportion, only rarer.
3. Identities as ONE_ID would leave them: every customer a profile (``one_id`` = md5 of its number); every
   device seen on events without a customer number an identity unit of its own; a device seen with exactly
   one customer is merged into that customer (status ``merged``), the others stay anonymous profiles. Events
   without a customer number are recorded on their device's unit, so rules must map units to profiles.
4. The lake is written through ``huoke.platform.lake.Lake``: ``transactions`` and ``events`` appended by
   business date (Asia/Shanghai), ``customers``, ``holdings`` and ``org_units`` as snapshots.

A lake directory that already has ``bench.json`` is reused as it is (``--lake DIR``).
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa

from huoke.customers.snapshot import CUSTOMER_FIELDS, HOLDING_FIELDS, ORG_FIELDS
from huoke.demo.activity import generate_activity
from huoke.demo.generator import generate_bank
from huoke.events.lake_tables import EVENT_SCHEMA, TRANSACTION_SCHEMA
from huoke.platform.lake import Lake
from huoke.segments.compile_tables import shaped

ZONE = ZoneInfo("Asia/Shanghai")
BANK_DATE = date(2026, 11, 24)
LAST_DAY = date(2026, 11, 23)
DAYS = 365
AS_OF = datetime(2026, 11, 23, 20, 0, tzinfo=ZONE)  # rows later on the last day must not count
KEEP_SCALE = 1_000_000
READ_BATCH = 1_000_000
Log = Callable[[str], None]

_PEOPLE = """
CREATE TABLE people AS
SELECT customer_no, md5('c:' || customer_no) AS one_id FROM read_csv($path, all_varchar = true)
"""
_UNITS = """
CREATE TABLE units AS
WITH seen AS (
  SELECT device_id, min(customer_no) AS customer_no, count(DISTINCT customer_no) AS owners
  FROM read_parquet($files) WHERE device_id IS NOT NULL AND customer_no IS NOT NULL GROUP BY device_id),
anonymous AS (SELECT DISTINCT device_id FROM read_parquet($files) WHERE customer_no IS NULL AND device_id IS NOT NULL)
SELECT md5('d:' || a.device_id) AS one_id, CASE WHEN s.owners = 1 THEN p.one_id END AS merged_into
FROM anonymous a LEFT JOIN seen s USING (device_id) LEFT JOIN people p ON p.customer_no = s.customer_no
"""
_TRANSACTIONS = """
SELECT t.txn_id, t.occurred_at, p.one_id, t.customer_no, NULL::VARCHAR AS account_bidx,
       left(t.account_no, 6) || '******' || right(t.account_no, 4) AS account_masked,
       CAST(round(t.amount * 100) AS BIGINT) AS amount_fen, t.direction, t.txn_type, t.channel, t.mcc, t.merchant,
       t.product_code
FROM read_parquet($files) t JOIN people p USING (customer_no)
WHERE hash(t.txn_id) % 1000000 < $keep
"""
_EVENTS = """
SELECT e.event_id, e.type, e.occurred_at, coalesce(p.one_id, md5('d:' || e.device_id)) AS one_id, e.customer_no,
       e.channel, e.properties
FROM read_parquet($files) e LEFT JOIN people p USING (customer_no)
WHERE (e.customer_no IS NOT NULL OR e.device_id IS NOT NULL) AND hash(e.event_id) % 1000000 < $keep
"""
_CUSTOMERS = """
SELECT p.one_id, c.customer_no, 'active' AS status, NULL AS merged_into, c.gender, c.birth_date, c.branch_code,
       c.rm_staff_no, c.opened_at, c.risk_level, c.occupation, c.marital_status, c.city,
       CAST(c.opened_at AS TIMESTAMP) AT TIME ZONE 'UTC' AS created_at,
       CAST(json_object('member_since_channel', c.member_since_channel,
                        'preferred_language', c.preferred_language) AS VARCHAR) AS attributes
FROM read_csv($path, all_varchar = true) c JOIN people p USING (customer_no)
UNION ALL
SELECT one_id, NULL, CASE WHEN merged_into IS NULL THEN 'active' ELSE 'merged' END, merged_into, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, TIMESTAMPTZ '2026-01-01 00:00:00+00', '{}'
FROM units
"""
_HOLDINGS = """
SELECT p.one_id, h.customer_no, left(h.account_no, 6) || '******' || right(h.account_no, 4) AS account_masked,
       h.product_code, h.product_type, h.status, h.opened_at, h.closed_at,
       CAST(round(CAST(h.balance AS DECIMAL(18, 2)) * 100) AS BIGINT) AS balance_fen,
       CAST(round(CAST(h.credit_limit AS DECIMAL(18, 2)) * 100) AS BIGINT) AS credit_limit_fen,
       h.card_level, h.card_role, CAST(h.approved_at AS TIMESTAMPTZ) AS approved_at
FROM read_csv($path, all_varchar = true) h JOIN people p USING (customer_no)
"""


def prepare_lake(root: Path, work: Path, sizes: dict[str, int], seed: int, log: Log) -> dict[str, Any]:
    """The lake at ``root`` (reused when it has ``bench.json``); generated files go to ``work``."""
    done = root / "bench.json"
    if done.exists():
        log(f"reusing the lake at {root}")
        reused: dict[str, Any] = json.loads(done.read_text(encoding="utf-8"))
        return reused
    started = time.perf_counter()
    log(f"generating a bank of {sizes['customers']:,} customers")
    bank = generate_bank(work / "bank", customers=sizes["customers"], seed=seed, as_of=BANK_DATE)
    log(f"generating {DAYS} days of activity")
    activity = generate_activity(bank, days=DAYS, end=LAST_DAY, seed=seed, out_dir=work / "activity")
    generated = {"transactions": activity.counts["transactions"], "events": activity.counts["events"]}
    log(f"generated {generated}; writing the lake")
    counts = _write_lake(Lake(root, ZONE), work, sizes, generated, log)
    info = {"sizes": sizes, "generated": generated, "counts": counts, "seed": seed}
    info["prepare_seconds"] = round(time.perf_counter() - started, 1)
    done.write_text(json.dumps(info, indent=2), encoding="utf-8")
    return info


def _write_lake(lake: Lake, work: Path, sizes: dict[str, int], generated: dict[str, int], log: Log) -> dict[str, int]:
    duck = duckdb.connect()
    duck.execute("SET TimeZone = 'UTC'")
    duck.execute(_PEOPLE, {"path": str(work / "bank" / "customers.csv")})
    events = sorted(str(p) for p in (work / "activity" / "events").glob("*.parquet"))
    transactions = sorted(str(p) for p in (work / "activity" / "transactions").glob("*.parquet"))
    duck.execute(_UNITS, {"files": events})
    counts: dict[str, int] = {}
    for name, sql, files, schema in (
        ("transactions", _TRANSACTIONS, transactions, TRANSACTION_SCHEMA),
        ("events", _EVENTS, events, EVENT_SCHEMA),
    ):
        keep = min(KEEP_SCALE, round(KEEP_SCALE * sizes[name] / max(1, generated[name])))
        reader = duck.sql(sql, params={"files": files, "keep": keep}).to_arrow_reader(READ_BATCH)
        result = lake.append(name, _cast(reader, schema), time_column="occurred_at", batch_key=f"bench-{name}")
        counts[name] = result.rows
        log(f"lake {name}: {counts[name]:,} rows")
    bank = work / "bank"
    snapshots = {
        "customers": (_CUSTOMERS, bank / "customers.csv", pa.schema([*CUSTOMER_FIELDS, ("attributes", pa.string())])),
        "holdings": (_HOLDINGS, bank / "holdings.csv", pa.schema(list(HOLDING_FIELDS))),
    }
    for name, (sql, path, schema) in snapshots.items():
        table = shaped(duck.sql(sql, params={"path": str(path)}).to_arrow_table(), schema)
        lake.replace_snapshot(name, table)
        counts[name] = table.num_rows
    lake.replace_snapshot("org_units", _org_units(bank / "org.csv"))
    lake.close()
    return counts


def _cast(reader: pa.RecordBatchReader, schema: pa.Schema) -> pa.RecordBatchReader:
    batches = (
        pa.Table.from_batches([b]).select(schema.names).cast(schema).to_batches()[0] for b in reader if b.num_rows
    )
    return pa.RecordBatchReader.from_batches(schema, batches)


def _org_units(path: Path) -> pa.Table:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    parents = {r["code"]: r["parent_code"] or None for r in rows}

    def path_of(code: str) -> str:
        parent = parents.get(code)
        return f"{path_of(parent) if parent else '/'}{code}/"

    columns: dict[str, list[Any]] = {name: [] for name, _ in ORG_FIELDS}
    for row in rows:
        for name in ("code", "name", "level"):
            columns[name].append(row[name])
        columns["parent_code"].append(parents[row["code"]])
        columns["path"].append(path_of(row["code"]))
    return pa.table(columns, schema=pa.schema(list(ORG_FIELDS)))
