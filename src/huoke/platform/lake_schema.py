"""Lake table schemas and append checks: what an append may bring, and how a table's columns grow."""

from __future__ import annotations

import pyarrow as pa

from huoke.platform.errors import InvalidInput
from huoke.platform.lake_manifest import Manifest

MAX_BATCH_KEY = 200


def as_reader(data: pa.Table | pa.RecordBatchReader) -> pa.RecordBatchReader:
    """A stream of record batches over an in-memory table or an already streaming reader."""
    if isinstance(data, pa.RecordBatchReader):
        return data
    if isinstance(data, pa.Table):
        return data.to_reader()
    raise InvalidInput(
        f"lake data must be a pyarrow Table or RecordBatchReader, not {type(data).__name__}",
        code="lake_bad_data",
    )


def merge_schema(existing: pa.Schema | None, incoming: pa.Schema, *, table: str) -> pa.Schema:
    """The table's columns after an append: new columns are added; a column may not change its type."""
    if existing is None:
        return incoming
    for field in incoming:
        if field.name in existing.names and existing.field(field.name).type != field.type:
            before = existing.field(field.name).type
            raise InvalidInput(
                f"lake table {table}: column {field.name!r} is {field.type} here but {before} in the lake; "
                "convert it before appending",
                code="lake_type_changed",
                details={"table": table, "column": field.name, "expected": str(before), "got": str(field.type)},
            )
    extra = [f for f in incoming if f.name not in existing.names]
    return pa.schema([*existing, *extra], metadata=existing.metadata)


def check_batch_key(table: str, batch_key: str) -> None:
    """A batch key names the content of one append: short, printable, never empty."""
    if not batch_key or len(batch_key) > MAX_BATCH_KEY or not batch_key.isprintable():
        raise InvalidInput(
            f"lake table {table}: batch key {batch_key[:40]!r} must be 1-200 printable characters",
            code="lake_bad_batch_key",
            details={"table": table},
        )


def same_time_column(manifest: Manifest, time_column: str) -> None:
    """A dated table keeps the time column it was first partitioned by."""
    if manifest.time_column not in (None, time_column):
        raise InvalidInput(
            f"lake table {manifest.table} is partitioned by {manifest.time_column!r}, not {time_column!r}",
            code="lake_time_column_changed",
            details={"table": manifest.table, "column": time_column},
        )
