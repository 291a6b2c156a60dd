"""Compaction: merge a business date's small files into a few large ones, sorted for point reads.

Files sorted by the key (for example ``one_id``, then time) with small row groups let a reader skip most of
each file by its row-group statistics, and the key index written beside each file lets it skip whole files.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa

from huoke.platform.errors import InvalidInput
from huoke.platform.lake_manifest import LakeFile
from huoke.platform.lake_write import APPEND_ROW_GROUP, POINT_READ_ROW_GROUP, read_part, write_part


@dataclass(frozen=True)
class CompactPlan:
    """How to lay out a compacted date."""

    sort_by: tuple[str, ...]
    target_rows: int
    key_column: str | None

    @property
    def row_group_rows(self) -> int:
        return POINT_READ_ROW_GROUP if self.sort_by else APPEND_ROW_GROUP


def check_plan(plan: CompactPlan, schema: pa.Schema, *, table: str) -> None:
    """Sort and key columns must exist; a key index needs a string or integer column."""
    for name in (*plan.sort_by, *(() if plan.key_column is None else (plan.key_column,))):
        if name not in schema.names:
            raise InvalidInput(
                f"lake table {table} has no column {name!r} to compact by",
                code="lake_missing_column",
                details={"table": table, "column": name},
            )
    if plan.target_rows < 1:
        raise InvalidInput("target_rows must be at least 1", code="lake_bad_target_rows")


def needs_compaction(parts: Sequence[LakeFile], plan: CompactPlan) -> bool:
    """A date is done when it is one file in the requested order with the requested key index."""
    if len(parts) != 1:
        return len(parts) > 1
    only = parts[0]
    index = None if only.key_index is None else only.key_index.column
    return only.sorted_by != plan.sort_by or (plan.key_column is not None and index != plan.key_column)


def compact_date(table_dir: Path, parts: Sequence[LakeFile], day: date, plan: CompactPlan) -> list[LakeFile]:
    """Write the date's rows again as sorted files of at most ``target_rows`` rows; returns the new files."""
    data = pa.concat_tables([read_part(table_dir, p) for p in parts], promote_options="permissive")
    if plan.sort_by:
        data = data.sort_by([(name, "ascending") for name in plan.sort_by])
    batches = {p.batch for p in parts}
    batch = batches.pop() if len(batches) == 1 else None
    token = uuid.uuid4().hex[:12]
    written: list[LakeFile] = []
    for n, start in enumerate(range(0, data.num_rows, plan.target_rows)):
        written.append(
            write_part(
                table_dir,
                data.slice(start, plan.target_rows),
                relative=f"date={day.isoformat()}/c-{token}-{n}.parquet",
                day=day,
                batch=batch,
                sorted_by=plan.sort_by,
                key_column=plan.key_column,
                row_group_rows=plan.row_group_rows,
            )
        )
    return written
