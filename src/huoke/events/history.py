"""History loads (`huoke import transactions|events FILE --history`): years of rows straight into the lake.

Columnar from end to end — Parquet (a file or a folder of parts), CSV (UTF-8 or GBK) or JSON lines are read in
batches, checked with vectorised rules, tied to customers by customer or account number, and appended to the lake
partitioned by business date. No subscriber is triggered: history is for analysis, not for journeys.

Each batch is written under a batch key made of the file's content hash and the batch number, so loading the same
file again replaces its own rows instead of adding them. Rejected rows go to an errors CSV with row and reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from huoke.events import history_rules as rules
from huoke.events.lake_tables import EVENTS, TIME_COLUMN, TRANSACTIONS
from huoke.platform.errors import InvalidInput
from huoke.platform.errors_file import ErrorsFile
from huoke.platform.lake import Lake
from huoke.platform.tabular import FieldProblem, detect_encoding

BATCH_ROWS = 1_000_000
HistoryKind = Literal["events", "transactions"]
Progress = Callable[[int], None]


@dataclass
class HistorySummary:
    kind: str
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    errors_file: str | None = None
    batches: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "errors_file": self.errors_file,
            "batches": self.batches,
            "history": True,
        }


def load_history(
    lake: Lake,
    *,
    kind: HistoryKind,
    path: Path,
    directory: rules.Directory,
    now: datetime,
    max_future_skew: timedelta,
    errors_path: Path,
    progress: Progress | None = None,
) -> HistorySummary:
    """Load PATH into the lake table KIND; returns what was accepted, rejected and repeated within the file.

    Batch N is written to the lake on a writer thread while batch N + 1 is read and checked (Arrow and Parquet
    release the GIL, so both cores work); at most one batch waits, so memory stays at about two batches.
    """
    summary = HistorySummary(kind)
    fingerprint = _fingerprint(path)
    limits = rules.Limits(zone=lake.zone, latest=now + max_future_skew)
    table = EVENTS if kind == "events" else TRANSACTIONS
    with ErrorsFile(errors_path) as errors, ThreadPoolExecutor(max_workers=1) as writer:
        pending: Future[Any] | None = None
        first_row = 0
        for number, batch in enumerate(_batches(path)):
            checked = rules.check(kind, batch, directory, limits, first_row=first_row + _row_base(path))
            for row, column, value, reason in checked.problems:
                errors.add(row, FieldProblem.of(column, value, reason))
            if pending is not None:
                pending.result()  # the previous batch is in the lake (or its error surfaces here)
            pending = None
            if checked.table.num_rows:
                key = f"hist-{fingerprint}-{number:05d}"
                pending = writer.submit(lake.append, table, checked.table, time_column=TIME_COLUMN, batch_key=key)
            _count(summary, checked)
            first_row += batch.num_rows
            if progress is not None:
                progress(first_row)
        if pending is not None:
            pending.result()
        summary.errors_file = str(errors.path_if_written) if errors.path_if_written else None
    return summary


def _count(summary: HistorySummary, checked: rules.Checked) -> None:
    summary.accepted += checked.table.num_rows
    summary.rejected += checked.rejected
    summary.duplicates += checked.duplicates
    summary.batches += 1


def _row_base(path: Path) -> int:
    """How operators number rows: a JSON lines file by line (1 = first), CSV and Parquet with the header as row 1."""
    return 1 if path.suffix.lower() in (".jsonl", ".ndjson", ".json") else 2


def _fingerprint(path: Path) -> str:
    """A short content hash: of the file, or of a folder's part names and sizes and their own hashes."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(str(file.relative_to(path) if path.is_dir() else file.name).encode())
        with file.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
    return digest.hexdigest()[:16]


def _batches(path: Path) -> Iterator[pa.Table]:
    if not path.exists():
        raise InvalidInput(f"{path}: no such file or folder", code="file_not_found")
    suffix = path.suffix.lower()
    if path.is_dir() or suffix == ".parquet":
        yield from _parquet(path)
    elif suffix in (".csv", ".txt"):
        yield from _csv(path)
    elif suffix in (".jsonl", ".ndjson", ".json"):
        table = pajson.read_json(path)
        for start in range(0, table.num_rows, BATCH_ROWS):
            yield table.slice(start, BATCH_ROWS)
    else:
        raise InvalidInput(f"{path}: use Parquet, CSV or JSON lines for a history load", code="unsupported_file")


def _parquet(path: Path) -> Iterator[pa.Table]:
    """A Parquet file or a folder of parts, file by file in name order, a bounded batch at a time (no read-ahead
    of whole files, so memory stays flat however large the history is)."""
    parts = sorted(p for p in path.rglob("*.parquet") if p.is_file()) if path.is_dir() else [path]
    if not parts:
        raise InvalidInput(f"{path}: no Parquet files in this folder", code="file_not_found")
    for part in parts:
        try:
            reader = pq.ParquetFile(part)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InvalidInput(f"{part}: not a readable Parquet file: {exc}", code="malformed_file") from exc
        for batch in reader.iter_batches(batch_size=BATCH_ROWS):
            yield pa.Table.from_batches([batch])


def _csv(path: Path) -> Iterator[pa.Table]:
    encoding = detect_encoding(path)
    read = pacsv.ReadOptions(encoding="utf8" if encoding.startswith("utf-8") else encoding, block_size=64 << 20)
    names = pacsv.open_csv(path, read_options=read).schema.names
    convert = pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=True)
    try:
        reader = pacsv.open_csv(path, read_options=read, convert_options=convert)
        for batch in reader:
            yield pa.Table.from_batches([batch])
    except pa.ArrowInvalid as exc:
        raise InvalidInput(f"{path}: cannot be read as CSV: {exc}", code="malformed_file") from exc
