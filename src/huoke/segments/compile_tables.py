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
from huoke.segments.compile_json import DIALECTS, Dialect

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
    """Every table a compiled rule reads, all on one Ibis backend, and that backend's SQL ``dialect``.

    The dialect picks the backend's own functions where Ibis offers no portable one (reading JSON texts).
    """

    customers: Any
    holdings: Any
    org_units: Any
    events: Any
    transactions: Any
    tags: Any
    memberships: Any
    dialect: Dialect = "duckdb"

    @classmethod
    def from_engine(cls, engine: QueryEngine) -> Tables:
        """The lake's tables as the engine registered them; missing ones are empty tables of the known shape.

        A column that a table written by an older huoke lacks (such as the holdings' ``approved_at``) reads as
        all null, as ``shaped`` does for Arrow tables.
        """
        present = set(engine.registered)
        return cls(
            **{name: _filled(engine.table(name), name) if name in present else _empty(name) for name in LAKE_SCHEMAS},
            dialect=dialect_of(engine.kind),
        )

    @classmethod
    def named(cls, dialect: Dialect) -> Tables:
        """Unbound tables under their lake names: for the SQL text of a rule without any data (stable names)."""
        return cls(
            **{name: ibis.table(ibis.schema(schema), name=name) for name, schema in LAKE_SCHEMAS.items()},
            dialect=dialect,
        )

    @classmethod
    def from_arrow(cls, tables: Mapping[str, pa.Table], dialect: Dialect = "duckdb") -> Tables:
        """In-memory tables from Arrow tables, for the backend of ``dialect`` (tests, previews); missing ones empty.

        On Spark, Ibis (12, with pandas 3) loads in-memory tables through pandas and reads NULL texts back as
        ``"NaN"``: give Spark temporary views of the Arrow tables instead.
        """
        found: dict[str, Any] = {}
        for name, schema in LAKE_SCHEMAS.items():
            data = tables.get(name)
            arrow = schema.empty_table() if data is None else shaped(data, schema)
            found[name] = ibis.memtable(arrow)
        return cls(**found, dialect=dialect)


def shaped(data: pa.Table, schema: pa.Schema) -> pa.Table:
    """The table with the schema's columns in order and types; absent columns are all null."""
    columns = [
        data.column(f.name).cast(f.type) if f.name in data.column_names else pa.nulls(data.num_rows, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def dialect_of(kind: str) -> Dialect:
    """The dialect of a query backend's name (``QueryEngine.kind``)."""
    for dialect in DIALECTS:
        if dialect == kind:
            return dialect
    raise ValueError(f"unknown query backend {kind!r}; expected one of {', '.join(DIALECTS)}")


def _filled(table: Any, name: str) -> Any:
    absent = {f.name: ibis.null().cast(ibis.dtype(f.type)) for f in LAKE_SCHEMAS[name] if f.name not in table.columns}
    return table.mutate(**absent) if absent else table


def _empty(name: str) -> Any:
    return ibis.memtable(LAKE_SCHEMAS[name].empty_table())
