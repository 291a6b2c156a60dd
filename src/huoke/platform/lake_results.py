"""What lake operations report back to their callers (and, through them, to operators)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path


@dataclass(frozen=True)
class DataFile:
    """A live file of a lake table, as a reader (DuckDB, Spark, pyarrow) should open it."""

    path: Path
    date: date | None
    rows: int


@dataclass(frozen=True)
class AppendResult:
    table: str
    batch_key: str
    rows: int
    files: int
    dates: tuple[date, ...]
    replaced_rows: int  # rows an earlier append of the same batch had written, now replaced
    version: int


@dataclass(frozen=True)
class CompactResult:
    table: str
    dates: int
    files_before: int
    files_after: int
    rows: int


@dataclass(frozen=True)
class EraseResult:
    table: str
    rows_removed: int
    files_rewritten: int
    files_checked: int


@dataclass(frozen=True)
class SnapshotResult:
    name: str
    rows: int
    version: int


@dataclass(frozen=True)
class VacuumResult:
    files_removed: int
    bytes_freed: int
