"""The lake tables segment queries read, as Ibis tables; a table the lake does not have yet reads as empty.

Tags and segment memberships have no lake tables yet. Their shapes are fixed here (``SEGMENT_TABLES``): snapshot
tables ``tags(one_id, tag)`` and ``memberships(one_id, segment)``, one row per identity unit and tag / segment.
Until a job writes them, ``tag`` and ``segment`` rules match nobody.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ibis  # type: ignore[import-untyped]
import pyarrow as pa

from huoke.customers.snapshot import CUSTOMER_FIELDS, HOLDING_FIELDS, ORG_FIELDS
from huoke.events.lake_tables import EVENT_SCHEMA, TRANSACTION_SCHEMA
from huoke.platform.query import QueryEngine

SEGMENT_TABLES: dict[str, pa.Schema] = {
    "tags": pa.schema([("one_id", pa.string()), ("tag", pa.string())]),
    "memberships": pa.schema([("one_id", pa.string()), ("segment", pa.string())]),
}
LAKE_SCHEMAS: dict[str, pa.Schema] = {
    "customers": pa.schema([*CUSTOMER_FIELDS, ("attributes", pa.string())]),
    "holdings": pa.schema(list(HOLDING_FIELDS)),
    "org_units": pa.schema(list(ORG_FIELDS)),
    "events": EVENT_SCHEMA,
    "transactions": TRANSACTION_SCHEMA,
    **SEGMENT_TABLES,
}


@dataclass(frozen=True)
class Tables:
    """Every table a compiled rule reads, all on one Ibis backend."""

    customers: Any
    holdings: Any
    org_units: Any
    events: Any
    transactions: Any
    tags: Any
    memberships: Any

    @classmethod
    def from_engine(cls, engine: QueryEngine) -> Tables:
        """The lake's tables as the engine registered them; missing ones are empty tables of the known shape."""
        present = set(engine.registered)
        return cls(**{name: engine.table(name) if name in present else _empty(name) for name in LAKE_SCHEMAS})

    @classmethod
    def from_arrow(cls, tables: Mapping[str, pa.Table]) -> Tables:
        """In-memory tables from Arrow tables (for tests and previews; any backend runs them); missing ones empty."""
        found: dict[str, Any] = {}
        for name, schema in LAKE_SCHEMAS.items():
            data = tables.get(name)
            arrow = schema.empty_table() if data is None else shaped(data, schema)
            found[name] = ibis.memtable(arrow)
        return cls(**found)


def shaped(data: pa.Table, schema: pa.Schema) -> pa.Table:
    """The table with the schema's columns in order and types; absent columns are all null."""
    columns = [
        data.column(f.name).cast(f.type) if f.name in data.column_names else pa.nulls(data.num_rows, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def _empty(name: str) -> Any:
    return ibis.memtable(LAKE_SCHEMAS[name].empty_table())
