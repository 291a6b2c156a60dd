"""Point reads: one key's newest rows (a customer's timeline), fast on a lake of 100M rows.

Date partitions are walked newest-first and the walk stops once a finished date brings the count to the
limit: every row of a date is newer than every row of an older date, because the date is the business date
of the same time column. A file whose key index rules the key out is never opened. In the others only the
row groups whose statistics admit the key are read (compacted files are sorted by the key in row groups of a
few thousand rows, so that is one small row group). Footers and key indexes of these immutable files are
cached between calls.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Generic, TypeVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from huoke.platform import lake_keyindex as keyindex
from huoke.platform.errors import InvalidInput
from huoke.platform.lake_manifest import LakeFile, Manifest
from huoke.platform.lake_write import BATCH_COLUMN

CACHED_FILES = 8192
READ_AHEAD = 4  # files read in parallel threads (pyarrow releases the GIL while it decodes)
K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class Footer:
    """What a point read needs to know of a file without opening it again."""

    metadata: pq.FileMetaData
    bounds: dict[str, list[tuple[Any, Any] | None]]  # per column: (min, max) of each row group, None if unknown


class _Lru(Generic[K, V]):
    """A small thread-safe least-recently-used cache."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, load: Callable[[], V]) -> V:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = load()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class PointReader:
    """Reads newest rows by key, keeping footers and key indexes of the files it has seen."""

    def __init__(self) -> None:
        self._footers: _Lru[Path, Footer] = _Lru(CACHED_FILES)
        self._filters: _Lru[Path, keyindex.U64] = _Lru(CACHED_FILES)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def newest(
        self, table_dir: Path, manifest: Manifest, *, column: str, value: Any, since: date | None, limit: int
    ) -> pa.Table:
        """Up to ``limit`` rows whose ``column`` equals ``value``, newest first by the table's time column."""
        schema, time_column = _readable(manifest, column)
        value = _as_column_value(manifest.table, schema.field(column), value)
        kind = schema.field(column).type
        key_hash = keyindex.hash_one(value, kind) if keyindex.supports(kind) else None
        probe = None if key_hash is None else keyindex.Probe(key_hash)
        dated = (f for f in manifest.files if f.date is not None and (since is None or f.date >= since))
        candidates = [
            part
            for part in sorted(dated, key=lambda f: f.date or date.min, reverse=True)
            if self._may_hold(table_dir, part, column, probe)
        ]
        found = self._walk(table_dir, candidates, column, value, limit)
        if not found:
            return schema.empty_table()
        result = pa.concat_tables([_conform(rows, schema) for rows in found])
        return result.sort_by([(time_column, "descending")]).slice(0, limit)

    def close(self) -> None:
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
        self._footers.clear()
        self._filters.clear()

    def _walk(self, table_dir: Path, candidates: list[LakeFile], column: str, value: Any, limit: int) -> list[pa.Table]:
        """Read candidates newest first, a few files ahead in threads; stop once a finished date reaches ``limit``."""
        pool = self._threads()
        ahead: dict[int, Future[pa.Table | None]] = {}
        found: list[pa.Table] = []
        count = 0
        try:
            for n, part in enumerate(candidates):
                for m in range(n, min(n + READ_AHEAD, len(candidates))):
                    if m not in ahead:
                        ahead[m] = pool.submit(self._matches, table_dir / candidates[m].path, column, value)
                rows = ahead.pop(n).result()
                if rows is not None:
                    found.append(rows)
                    count += rows.num_rows
                date_done = n + 1 == len(candidates) or candidates[n + 1].date != part.date
                if date_done and count >= limit:
                    break
        finally:
            for future in ahead.values():
                future.cancel()
        return found

    def _threads(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=READ_AHEAD, thread_name_prefix="huoke-lake-read")
            return self._pool

    def _may_hold(self, table_dir: Path, part: LakeFile, column: str, probe: keyindex.Probe | None) -> bool:
        if probe is None or part.key_index is None or part.key_index.column != column:
            return True
        path = table_dir / part.key_index.path
        return probe.may_contain(self._filters.get(path, lambda: keyindex.read(path)))

    def _matches(self, path: Path, column: str, value: Any) -> pa.Table | None:
        """The rows of one file where ``column`` equals ``value``, reading only row groups that may hold it."""
        footer = self._footers.get(path, lambda: _footer(path))
        bounds = footer.bounds.get(column)
        if bounds is None:
            bounds = _bounds(footer.metadata, column)
            footer.bounds[column] = bounds
        groups = [i for i, b in enumerate(bounds) if _admits(b, value)]
        if not groups:
            return None
        handle = pq.ParquetFile(path, metadata=footer.metadata)
        names = [n for n in handle.schema_arrow.names if n != BATCH_COLUMN]
        found = []
        for group in groups:  # usually one: the key index already said the key is (almost surely) here
            rows = handle.read_row_group(group, columns=names)
            hits = rows.filter(pc.equal(rows.column(column), value))
            if hits.num_rows:
                found.append(hits)
        return pa.concat_tables(found) if found else None


def _footer(path: Path) -> Footer:
    return Footer(pq.ParquetFile(path).metadata, {})


def _bounds(metadata: pq.FileMetaData, column: str) -> list[tuple[Any, Any] | None]:
    if metadata.num_row_groups == 0:
        return []
    first = metadata.row_group(0)
    position = next((i for i in range(first.num_columns) if first.column(i).path_in_schema == column), None)
    if position is None:
        return []  # the file predates the column: no row can match
    bounds: list[tuple[Any, Any] | None] = []
    for group in range(metadata.num_row_groups):
        stats = metadata.row_group(group).column(position).statistics
        bounds.append((stats.min, stats.max) if stats is not None and stats.has_min_max else None)
    return bounds


def _admits(bounds: tuple[Any, Any] | None, value: Any) -> bool:
    if bounds is None:
        return True
    try:
        return bool(bounds[0] <= value <= bounds[1])
    except TypeError:  # statistics of a type that does not compare with the value: read the row group
        return True


def _readable(manifest: Manifest, column: str) -> tuple[pa.Schema, str]:
    if manifest.kind != "dataset" or manifest.schema is None or manifest.time_column is None:
        raise InvalidInput(
            f"lake table {manifest.table} is a snapshot; newest rows are read from dated tables only",
            code="lake_not_dated",
            details={"table": manifest.table},
        )
    if column not in manifest.schema.names:
        raise InvalidInput(
            f"lake table {manifest.table} has no column {column!r}",
            code="lake_missing_column",
            details={"table": manifest.table, "column": column},
        )
    return manifest.schema, manifest.time_column


def _as_column_value(table: str, field: pa.Field, value: Any) -> Any:
    try:
        return pa.scalar(value, type=field.type).as_py()
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
        raise InvalidInput(
            f"lake table {table}: {value!r} is not a value of column {field.name!r} ({field.type})",
            code="lake_bad_value",
            details={"table": table, "column": field.name},
        ) from exc


def _conform(rows: pa.Table, schema: pa.Schema) -> pa.Table:
    """The rows in the lake's own columns and types (older files may lack newer columns)."""
    columns = [
        rows.column(f.name).cast(f.type) if f.name in rows.column_names else pa.nulls(rows.num_rows, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)
