"""The Parquet lake: dated datasets and snapshot tables under one root, readable by any number of processes.

Layout (docs/lake.md)::

    <root>/<table>/_manifest.json                      the live files; replaced atomically
    <root>/<table>/date=YYYY-MM-DD/<batch>-<id>-N.parquet   dated datasets (events, transactions)
    <root>/<name>/snap-<id>.parquet                    snapshot tables (customers, holdings, tags, scores)

Writers write new files first, then swap the manifest under the table's lock file; a reader that goes through
the manifest never sees a half-written file or half of a compaction, and a crash leaves the old manifest valid.
The lake knows nothing of customers or events: callers name the time column, the batch and the key.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa

from huoke.platform import lake_compact, lake_erase, lake_vacuum
from huoke.platform import lake_write as write
from huoke.platform.errors import ConfigurationError, Conflict, InvalidInput, NotFound
from huoke.platform.lake_manifest import (
    MANIFEST,
    STAGING,
    LakeFile,
    Manifest,
    TableKind,
    check_name,
    load,
    locked,
    save,
)
from huoke.platform.lake_read import PointReader
from huoke.platform.lake_results import (
    AppendResult,
    CompactResult,
    DataFile,
    EraseResult,
    SnapshotResult,
    VacuumResult,
)
from huoke.platform.lake_schema import as_reader, check_batch_key, merge_schema, same_time_column
from huoke.platform.settings import Settings

DEFAULT_TARGET_ROWS = 1_000_000
DEFAULT_GRACE = timedelta(hours=1)


class Lake:
    """A Parquet lake on the local file system (object storage is the scale path, see docs/lake.md)."""

    def __init__(self, root: str | Path, zone: ZoneInfo) -> None:
        self.root = Path(root)
        self.zone = zone
        self._reader = PointReader()
        self._manifests: dict[str, tuple[tuple[int, int, int], Manifest]] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> Lake:
        root = settings.lake_root
        if "://" in root and not root.startswith("file://"):
            raise ConfigurationError(
                f"HUOKE_LAKE_URL {root!r}: only a local directory is supported for now; object storage is on "
                "the scale path in docs/lake.md",
                code="lake_url_unsupported",
            )
        return cls(Path(root.removeprefix("file://")), settings.zone)

    # --- reading the manifest -------------------------------------------------------------------------------

    def tables(self) -> list[str]:
        """Names of every table (dated and snapshot) that has been written."""
        if not self.root.is_dir():
            return []
        return sorted(p.parent.name for p in self.root.glob("*/_manifest.json"))

    def manifest(self, table: str) -> Manifest:
        """The table's current manifest (re-read only when the file has been replaced since the last call)."""
        directory = self._dir(table)
        try:
            stat = (directory / MANIFEST).stat()
        except FileNotFoundError:
            raise NotFound(f"lake table {table} has not been written yet", code="lake_table_not_found") from None
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        cached = self._manifests.get(table)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        found = load(directory)
        if found is None:
            raise NotFound(f"lake table {table} has not been written yet", code="lake_table_not_found")
        self._manifests[table] = (stamp, found)
        return found

    def schema(self, table: str) -> pa.Schema:
        """The table's columns (the union over its files); the lake's own columns are not included."""
        schema = self.manifest(table).schema
        return schema if schema is not None else pa.schema([])

    def files(self, table: str, *, since: date | None = None, until: date | None = None) -> list[DataFile]:
        """The live files, oldest date first; ``since``/``until`` bound the business dates (inclusive)."""
        parts = [
            f
            for f in self.manifest(table).files
            if f.date is None or ((since is None or f.date >= since) and (until is None or f.date <= until))
        ]
        parts.sort(key=lambda f: (f.date or date.min, f.path))
        return [DataFile(self._dir(table) / f.path, f.date, f.rows) for f in parts]

    def dates(self, table: str) -> list[date]:
        return sorted({f.date for f in self.manifest(table).files if f.date is not None})

    def snapshot_path(self, name: str) -> Path:
        """The one Parquet file holding snapshot ``name`` now."""
        manifest = self.manifest(name)
        if manifest.kind != "snapshot" or len(manifest.files) != 1:
            raise InvalidInput(f"lake table {name} is not a snapshot", code="lake_not_snapshot")
        return self._dir(name) / manifest.files[0].path

    # --- writing --------------------------------------------------------------------------------------------

    def append(
        self, table: str, data: pa.Table | pa.RecordBatchReader, *, time_column: str, batch_key: str
    ) -> AppendResult:
        """Add rows to a dated table, one file per business date; the same ``batch_key`` again replaces them.

        ``batch_key`` must name deterministic content (``live-<from>-<to>``, a history file's hash and chunk),
        so that a re-run after a crash replaces what the first run may have written instead of doubling it.
        """
        check_batch_key(table, batch_key)
        reader = as_reader(data)
        write.check_time_column(reader.schema, time_column, table=table)
        self._check_compatible(table, reader.schema, time_column)
        staging = self._dir(table) / STAGING / uuid.uuid4().hex
        basename = f"{write.file_slug(batch_key)}-{staging.name[:12]}"
        try:
            prepared = write.with_partition(
                reader, table=table, time_column=time_column, zone=self.zone, batch_key=batch_key
            )
            staged = write.write_partitioned(prepared, staging, basename=basename)
            moved = write.promote(staged, self._dir(table))
        finally:
            write.discard(staging)
        added = [LakeFile(rel, item.date, item.rows, item.path.stat().st_size, batch_key) for item, rel in moved]
        return self._commit_append(table, reader.schema, time_column, batch_key, added)

    def replace_snapshot(self, name: str, data: pa.Table | pa.RecordBatchReader) -> SnapshotResult:
        """Replace snapshot table ``name`` with ``data`` in one step (readers see the old or the new whole).

        A RecordBatchReader is written as it streams, so an export of any size runs in bounded memory.
        """
        reader = as_reader(data)
        directory = self._dir(name)
        directory.mkdir(parents=True, exist_ok=True)
        part = write.write_stream(reader, directory, f"snap-{uuid.uuid4().hex[:12]}.parquet")
        with self._writing(name, "snapshot") as (manifest, now):
            new = manifest.swap(remove={f.path for f in manifest.files}, add=[part], now=now, schema=reader.schema)
            save(directory, new)
        return SnapshotResult(name, part.rows, new.version)

    # --- maintenance ----------------------------------------------------------------------------------------

    def compact(
        self,
        table: str,
        *,
        sort_by: list[str] | None = None,
        target_rows: int = DEFAULT_TARGET_ROWS,
        key_column: str | None = None,
    ) -> CompactResult:
        """Merge each date's files into sorted files of up to ``target_rows`` rows, one date at a time.

        ``key_column`` (default: the first ``sort_by`` column) gets a key index so point reads skip files.
        """
        order = tuple(sort_by or ())
        plan = lake_compact.CompactPlan(order, target_rows, key_column or (order[0] if order else None))
        lake_compact.check_plan(plan, self.schema(table), table=table)
        dates = before = after = rows = 0
        for day in self.dates(table):
            with self._writing(table, "dataset") as (manifest, now):
                parts = [f for f in manifest.files if f.date == day]
                if not lake_compact.needs_compaction(parts, plan):
                    continue
                written = lake_compact.compact_date(self._dir(table), parts, day, plan)
                save(self._dir(table), manifest.swap(remove={p.path for p in parts}, add=written, now=now))
            dates, before, after = dates + 1, before + len(parts), after + len(written)
            rows += sum(f.rows for f in written)
        return CompactResult(table, dates, before, after, rows)

    def erase(self, table: str, *, column: str, values: Collection[Any]) -> EraseResult:
        """Remove every row whose ``column`` is one of ``values``, rewriting only the files that hold one.

        Replaced files stay on disk until :meth:`vacuum` removes them after the grace period.
        """
        kind = self.manifest(table).kind
        with self._writing(table, kind) as (manifest, now):
            schema = manifest.schema or pa.schema([])
            done = lake_erase.erase_values(
                self._dir(table), manifest.files, schema, table=table, column=column, values=values
            )
            if done.remove:
                save(self._dir(table), manifest.swap(remove=set(done.remove), add=done.add, now=now))
        return EraseResult(table, done.rows_removed, len(done.remove), done.files_checked)

    def vacuum(self, *, older_than: timedelta = DEFAULT_GRACE, now: datetime | None = None) -> VacuumResult:
        """Delete files no manifest lists any more once they are older than the grace period."""
        cutoff = lake_vacuum.cutoff_for(older_than, now)
        removed = freed = 0
        for table in self.tables():
            directory = self._dir(table)
            with locked(directory):
                swept = lake_vacuum.sweep(directory, load(directory), cutoff=cutoff)
                if swept.manifest is not None and swept.files:
                    save(directory, swept.manifest)
            removed, freed = removed + swept.files, freed + swept.bytes
        return VacuumResult(removed, freed)

    # --- point reads ----------------------------------------------------------------------------------------

    def read_newest(
        self, table: str, *, column: str, value: Any, since: date | None = None, limit: int = 50
    ) -> pa.Table:
        """Up to ``limit`` rows where ``column`` equals ``value``, newest first (a customer's timeline)."""
        if limit < 1:
            raise InvalidInput("limit must be at least 1", code="lake_bad_limit")
        manifest = self.manifest(table)
        return self._reader.newest(self._dir(table), manifest, column=column, value=value, since=since, limit=limit)

    def close(self) -> None:
        self._reader.close()

    # --- internals ------------------------------------------------------------------------------------------

    def _dir(self, table: str) -> Path:
        return self.root / check_name(table)

    @contextmanager
    def _writing(self, table: str, kind: TableKind) -> Iterator[tuple[Manifest, datetime]]:
        """The table's manifest under its lock (a new, empty one for a new table) and the time of the swap."""
        directory = self._dir(table)
        with locked(directory):
            manifest = load(directory) or Manifest(table=table, kind=kind)
            if manifest.kind != kind:
                raise Conflict(
                    f"lake table {table} is a {manifest.kind} table, not a {kind} table",
                    code="lake_kind_mismatch",
                    details={"table": table},
                )
            yield manifest, datetime.now(UTC)

    def _check_compatible(self, table: str, schema: pa.Schema, time_column: str) -> None:
        existing = load(self._dir(table))
        if existing is not None:
            same_time_column(existing, time_column)
            merge_schema(existing.schema, schema, table=table)

    def _commit_append(
        self, table: str, schema: pa.Schema, time_column: str, batch_key: str, added: list[LakeFile]
    ) -> AppendResult:
        dates = tuple(sorted({f.date for f in added if f.date is not None}))
        with self._writing(table, "dataset") as (manifest, now):
            same_time_column(manifest, time_column)
            merged = merge_schema(manifest.schema, schema, table=table)
            old = lake_erase.drop_batch(self._dir(table), manifest.files, batch_key=batch_key, dates=set(dates))
            new = manifest.swap(remove=set(old.remove), add=[*old.add, *added], now=now, schema=merged)
            save(self._dir(table), replace(new, time_column=time_column))
        rows = sum(f.rows for f in added)
        return AppendResult(table, batch_key, rows, len(added), dates, old.rows_removed, new.version)
