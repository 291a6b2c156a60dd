"""Writing lake files: rows split by business date, written under ``_staging``, then moved into place.

Everything here is vectorised with pyarrow: the business date of a timestamp column is computed with
pyarrow compute in the lake's zone, and one partitioned pyarrow dataset write lays out a whole append.
Files become visible only when the caller swaps the manifest (see ``lake_manifest``).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from huoke.platform import lake_keyindex as keyindex
from huoke.platform.errors import InvalidInput
from huoke.platform.lake_manifest import KeyIndex, LakeFile, fsync_dir

BATCH_COLUMN = "_lake_batch"  # which append wrote each row: makes a re-run of the same batch replace it
LINEAGE_TYPE = pa.dictionary(pa.int32(), pa.string())  # one value per append: costs next to nothing
PARTITION = "date"
RESERVED = (BATCH_COLUMN, PARTITION)
COMPRESSION = "zstd"
APPEND_ROW_GROUP = 131_072
POINT_READ_ROW_GROUP = 4_096  # sorted files: small row groups let a point read skip nearly all of a file
MAX_DATES_PER_APPEND = 20_000


@dataclass(frozen=True)
class StagedFile:
    """A finished file under ``_staging`` with its business date and row count."""

    path: Path
    date: date | None
    rows: int


def business_dates(times: pa.Array | pa.ChunkedArray, zone: ZoneInfo) -> pa.Array | pa.ChunkedArray:
    """The calendar date in ``zone`` of every instant (23:30 UTC is the next day in Shanghai)."""
    unit = times.type.unit
    local = pc.local_timestamp(times.cast(pa.timestamp(unit, tz=zone.key)))
    return local.cast(pa.date32())


def check_time_column(schema: pa.Schema, column: str, *, table: str) -> None:
    """The partitioning column must exist and hold time-zone-aware instants."""
    if column not in schema.names:
        raise InvalidInput(
            f"lake table {table}: time column {column!r} is not among the columns {schema.names}",
            code="lake_missing_column",
            details={"table": table, "column": column},
        )
    kind = schema.field(column).type
    if not pa.types.is_timestamp(kind) or kind.tz is None:
        raise InvalidInput(
            f"lake table {table}: column {column!r} is {kind}, but the business date needs a timestamp with a "
            "time zone (a naive time is ambiguous)",
            code="lake_naive_time",
            details={"table": table, "column": column, "type": str(kind)},
        )
    clash = [name for name in RESERVED if name in schema.names]
    if clash:
        raise InvalidInput(
            f"lake table {table}: column name {clash[0]!r} is reserved by the lake; rename the column",
            code="lake_reserved_column",
            details={"table": table, "column": clash[0]},
        )


def with_partition(
    reader: pa.RecordBatchReader, *, table: str, time_column: str, zone: ZoneInfo, batch_key: str
) -> pa.RecordBatchReader:
    """The same rows plus the business ``date`` and the batch lineage column; refuses null times."""
    schema = reader.schema.append(pa.field(BATCH_COLUMN, LINEAGE_TYPE)).append(pa.field(PARTITION, pa.date32()))

    def batches() -> Iterator[pa.RecordBatch]:
        seen = 0
        for batch in reader:
            times = batch.column(time_column)
            if times.null_count:
                row = seen + pc.index(pc.is_null(times), True).as_py() + 1
                raise InvalidInput(
                    f"lake table {table}, batch {batch_key!r}, row {row}: {time_column} is empty; every row needs "
                    "its time",
                    code="lake_missing_time",
                    details={"table": table, "batch": batch_key, "row": row, "column": time_column},
                )
            lineage = pa.DictionaryArray.from_arrays(np.zeros(len(batch), dtype=np.int32), [batch_key])
            columns = [*batch.columns, lineage, business_dates(times, zone)]
            seen += len(batch)
            yield pa.RecordBatch.from_arrays(columns, schema=schema)

    return pa.RecordBatchReader.from_batches(schema, batches())


def write_partitioned(reader: pa.RecordBatchReader, staging: Path, *, basename: str) -> list[StagedFile]:
    """Write rows as ``staging/date=YYYY-MM-DD/<basename>-N.parquet`` in one multi-threaded pass."""
    staged: list[StagedFile] = []

    def visit(written: ds.WrittenFile) -> None:
        path = Path(written.path)
        day = date.fromisoformat(path.parent.name.removeprefix(f"{PARTITION}="))
        staged.append(StagedFile(path, day, written.metadata.num_rows))

    ds.write_dataset(
        reader,
        staging,
        format="parquet",
        partitioning=ds.partitioning(pa.schema([(PARTITION, pa.date32())]), flavor="hive"),
        basename_template=f"{basename}-{{i}}.parquet",
        file_options=ds.ParquetFileFormat().make_write_options(compression=COMPRESSION),
        max_rows_per_group=APPEND_ROW_GROUP,
        max_partitions=MAX_DATES_PER_APPEND,
        file_visitor=visit,
        existing_data_behavior="overwrite_or_ignore",
    )
    return staged


def write_file(
    table: pa.Table,
    path: Path,
    *,
    row_group_rows: int,
    sorted_by: Sequence[str] = (),
) -> int:
    """Write one Parquet file durably under a temporary name, then move it into place; returns its size.

    The leading sort column is stored plain, not dictionary-encoded: sorted keys are nearly all distinct
    within a row group, and plain values decode faster for point reads.
    """
    temp = path.with_name(f".{path.name}.tmp")
    sorting = [pq.SortingColumn(table.schema.get_field_index(c)) for c in sorted_by] or None
    dictionary: bool | list[str] = [n for n in table.column_names if n != sorted_by[0]] if sorted_by else True
    pq.write_table(
        table,
        temp,
        row_group_size=row_group_rows,
        compression=COMPRESSION,
        sorting_columns=sorting,
        use_dictionary=dictionary,
    )
    _fsync(temp)
    os.replace(temp, path)
    return path.stat().st_size


def write_stream(reader: pa.RecordBatchReader, table_dir: Path, relative: str) -> LakeFile:
    """Write a stream of rows as one Parquet file in bounded memory, durably; for snapshot tables."""
    path = table_dir / relative
    temp = path.with_name(f".{path.name}.tmp")
    rows = 0
    try:
        with pq.ParquetWriter(temp, reader.schema, compression=COMPRESSION) as writer:
            for batch in reader:
                writer.write_batch(batch, row_group_size=APPEND_ROW_GROUP)
                rows += len(batch)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync(temp)
    os.replace(temp, path)
    return LakeFile(relative, None, rows, path.stat().st_size, None)


def promote(staged: Sequence[StagedFile], table_dir: Path) -> list[tuple[StagedFile, str]]:
    """Move staged files durably into their date directories; returns each with its table-relative path."""
    moved: list[tuple[StagedFile, str]] = []
    for item in staged:
        _fsync(item.path)
        relative = f"{item.path.parent.name}/{item.path.name}"
        target = table_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(item.path, target)
        moved.append((StagedFile(target, item.date, item.rows), relative))
    for directory in {table_dir / rel.split("/")[0] for _, rel in moved}:
        fsync_dir(directory)
    return moved


def file_slug(batch_key: str) -> str:
    """A file-name-safe form of a batch key (the manifest keeps the key itself)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", batch_key)[:80] or "batch"


def discard(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_part(
    table_dir: Path,
    data: pa.Table,
    *,
    relative: str,
    day: date | None,
    batch: str | None,
    sorted_by: Sequence[str] = (),
    key_column: str | None = None,
    row_group_rows: int = APPEND_ROW_GROUP,
) -> LakeFile:
    """Write one finished lake file (and its key index when asked and possible), not yet in the manifest."""
    path = table_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    size = write_file(data, path, row_group_rows=row_group_rows, sorted_by=sorted_by)
    index = None
    hashes = None if key_column is None else keyindex.key_hashes(data.column(key_column))
    if key_column is not None and hashes is not None:
        sidecar = relative.removesuffix(".parquet") + ".keys"
        keyindex.write(table_dir / sidecar, keyindex.build(hashes))
        index = KeyIndex(key_column, sidecar)
    return LakeFile(relative, day, data.num_rows, size, batch, tuple(sorted_by), index)


def read_part(table_dir: Path, part: LakeFile) -> pa.Table:
    """All rows of one lake file, exactly as stored (no partition column inferred from its path)."""
    return pq.ParquetFile(table_dir / part.path).read()
