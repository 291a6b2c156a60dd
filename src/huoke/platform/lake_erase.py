"""Removing rows from lake files by rewriting only the files that hold them.

Used for erasure (a data subject's rows: every file whose statistics or key index may hold one of the
values is checked, and only files that really hold one are rewritten) and for replacing a re-appended batch
inside files where compaction merged it with others. Callers hold the table lock and swap the manifest once.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from huoke.platform import lake_keyindex as keyindex
from huoke.platform.errors import InvalidInput
from huoke.platform.lake_manifest import LakeFile
from huoke.platform.lake_write import APPEND_ROW_GROUP, BATCH_COLUMN, POINT_READ_ROW_GROUP, read_part, write_part


@dataclass(frozen=True)
class Rewrite:
    """Files to drop from the manifest, their replacements, and how many rows went."""

    remove: tuple[str, ...] = ()
    add: tuple[LakeFile, ...] = ()
    rows_removed: int = 0
    files_checked: int = 0


def erase_values(
    table_dir: Path, files: Sequence[LakeFile], schema: pa.Schema, *, table: str, column: str, values: Collection[Any]
) -> Rewrite:
    """Rewrite every file holding a row whose ``column`` is one of ``values``, without those rows."""
    if column not in schema.names:
        raise InvalidInput(
            f"lake table {table} has no column {column!r} to erase by",
            code="lake_missing_column",
            details={"table": table, "column": column},
        )
    wanted = _as_type(values, schema.field(column).type, table=table, column=column)
    candidates = [f for f in files if _may_hold(table_dir, f, column, wanted)]
    return _rewrite_all(table_dir, candidates, lambda data: pc.is_in(data.column(column), value_set=wanted), "e")


def drop_batch(table_dir: Path, files: Sequence[LakeFile], *, batch_key: str, dates: Collection[date]) -> Rewrite:
    """Take a batch's earlier rows out: whole files it wrote alone, its rows in merged files of ``dates``."""
    own = tuple(f.path for f in files if f.batch == batch_key)
    merged = [f for f in files if f.batch is None and f.date in dates]
    rewrite = _rewrite_all(
        table_dir, merged, lambda data: pc.equal(data.column(BATCH_COLUMN).cast(pa.string()), batch_key), "r"
    )
    rows = rewrite.rows_removed + sum(f.rows for f in files if f.batch == batch_key)
    return Rewrite(own + rewrite.remove, rewrite.add, rows, rewrite.files_checked)


def _rewrite_all(table_dir: Path, candidates: Sequence[LakeFile], matches: Any, prefix: str) -> Rewrite:
    token = uuid.uuid4().hex[:12]
    remove: list[str] = []
    add: list[LakeFile] = []
    removed = 0
    for n, part in enumerate(candidates):
        data = read_part(table_dir, part)
        hit = pc.fill_null(matches(data), False)
        count = pc.sum(hit).as_py() or 0
        if not count:
            continue
        removed += count
        remove.append(part.path)
        keep = data.filter(pc.invert(hit))
        if keep.num_rows or part.date is None:  # a snapshot always keeps its one file, even when empty
            add.append(_replacement(table_dir, part, keep, f"{prefix}-{token}-{n}.parquet"))
    return Rewrite(tuple(remove), tuple(add), removed, len(candidates))


def _replacement(table_dir: Path, part: LakeFile, keep: pa.Table, name: str) -> LakeFile:
    folder = part.path.rpartition("/")[0]
    return write_part(
        table_dir,
        keep,
        relative=f"{folder}/{name}" if folder else name,
        day=part.date,
        batch=part.batch,
        sorted_by=part.sorted_by,
        key_column=None if part.key_index is None else part.key_index.column,
        row_group_rows=POINT_READ_ROW_GROUP if part.sorted_by else APPEND_ROW_GROUP,
    )


def _as_type(values: Collection[Any], kind: pa.DataType, *, table: str, column: str) -> pa.Array:
    try:
        return pa.array(list(values)).cast(kind)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise InvalidInput(
            f"lake table {table}: values to erase do not fit column {column!r} of type {kind} ({exc})",
            code="lake_bad_value",
            details={"table": table, "column": column},
        ) from exc


def _may_hold(table_dir: Path, part: LakeFile, column: str, wanted: pa.Array) -> bool:
    """False when the key index or the row-group statistics rule every value out."""
    if part.key_index is not None and part.key_index.column == column:
        bitmap = keyindex.read(table_dir / part.key_index.path)
        hashes = keyindex.key_hashes(wanted)
        if hashes is not None and not any(keyindex.may_contain(bitmap, int(h)) for h in hashes):
            return False
    return _statistics_allow(pq.ParquetFile(table_dir / part.path).metadata, column, wanted.to_pylist())


def _statistics_allow(metadata: pq.FileMetaData, column: str, values: list[Any]) -> bool:
    position = _column_position(metadata, column)
    if position is None:
        return False  # the file predates the column: it holds no value of it
    for group in range(metadata.num_row_groups):
        stats = metadata.row_group(group).column(position).statistics
        if stats is None or not stats.has_min_max:
            return True
        if any(v is not None and stats.min <= v <= stats.max for v in values):
            return True
    return False


def _column_position(metadata: pq.FileMetaData, column: str) -> int | None:
    if metadata.num_row_groups == 0:
        return None
    group = metadata.row_group(0)
    return next((i for i in range(group.num_columns) if group.column(i).path_in_schema == column), None)
