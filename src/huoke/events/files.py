"""Live ingestion from a file (`huoke events ingest`, `huoke transactions ingest`, `huoke import … ` without
--history): the same path as the HTTP API, batch by batch, with rejected items written to an errors file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from huoke.events.ingest import BatchReport, ItemResult
from huoke.events.model import ItemError
from huoke.events.service import Ingestion
from huoke.platform.errors import InvalidInput
from huoke.platform.errors_file import ErrorsFile
from huoke.platform.tabular import FieldProblem, SourceRecord, open_records

LiveKind = Literal["events", "transactions"]
_ID_FIELD = {"events": "event_id", "transactions": "txn_id"}


def ingest_file(
    ingestion: Ingestion,
    *,
    kind: LiveKind,
    path: Path,
    actor: str,
    progress: Callable[[int, int | None], None] | None = None,
) -> tuple[BatchReport, Path | None]:
    """Ingest every item of a JSON lines, CSV or Parquet file; returns the report and the errors file, if any."""
    settings = ingestion.runtime.settings
    source = open_records(path, chunk_size=settings.ingest_max_items, max_field_length=settings.max_field_length)
    total = BatchReport(_ID_FIELD[kind])
    with ErrorsFile(errors_file_path(settings.data_dir, kind, path, ingestion.runtime.now())) as errors:
        for chunk in source.chunks():
            report = _ingest_chunk(ingestion, kind, chunk, actor)
            for record, result in zip(chunk, report.results, strict=True):
                result.index = record.row
                _write_errors(errors, record, result)
            total.results.extend(report.results)
            if progress is not None:
                progress(source.bytes_read, source.total_bytes)
        written = errors.path_if_written
    return total, written


def _ingest_chunk(ingestion: Ingestion, kind: LiveKind, chunk: list[SourceRecord], actor: str) -> BatchReport:
    unreadable = {i for i, record in enumerate(chunk) if record.problems}
    items = [_item(record.values) for i, record in enumerate(chunk) if i not in unreadable]
    ingest = ingestion.events if kind == "events" else ingestion.transactions
    readable = iter(ingest(items, actor=actor).results)
    report = BatchReport(_ID_FIELD[kind])
    for i, record in enumerate(chunk):
        if i in unreadable:
            errors = [ItemError(p.column, p.reason) for p in record.problems]
            report.results.append(ItemResult(i, None, "rejected", errors=errors))
        else:
            report.results.append(next(readable))
    return report


def _item(values: dict[str, Any]) -> dict[str, Any]:
    """A CSV row has no empty-vs-absent distinction: empty cells are absent fields."""
    return {k: v for k, v in values.items() if v is not None and v != ""}


def _write_errors(errors: ErrorsFile, record: SourceRecord, result: ItemResult) -> None:
    if result.status != "rejected":
        return
    if record.problems:
        errors.add_record(record)
        return
    for problem in result.errors:
        shown = record.values.get(problem.field.split(".")[0], "")
        errors.add(record.row, FieldProblem.of(problem.field, _masked(problem.field, shown), problem.reason))


def _masked(field: str, value: Any) -> str:
    text = "" if value is None else str(value)
    if field.startswith(("identity", "account_no")) and len(text) > 4:  # noqa: PLR2004
        return f"{text[:2]}…{text[-2:]}"
    return text


def errors_file_path(data_dir: Path, kind: str, path: Path, started: datetime) -> Path:
    folder = data_dir / "import-errors"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%S")
    for attempt in range(1, 1000):
        candidate = folder / f"{path.stem}.{kind}.{stamp}.{attempt}.errors.csv"
        if not candidate.exists():
            return candidate
    raise InvalidInput(f"too many errors files for {path.name} at {stamp} in {folder}", code="errors_dir_full")
