"""Use case: import manual tags from a file (``customer_no``, ``tag``, optional ``action`` add | remove).

The file is read in chunks, one transaction per chunk. A row naming an unknown customer, a bad or reserved tag
name, a rule tag or an unknown action is rejected to the errors file (``row, column, value, reason``) and the
rest proceeds. Rows apply in file order; adding a tag already held or removing one not held changes nothing
(a duplicate), so importing the same file again changes nothing. Afterwards the lake's ``tags`` snapshot is
rewritten from the store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.orm import Session

from huoke.customers import service as customers
from huoke.platform.errors import InvalidInput
from huoke.platform.errors_file import ErrorsFile
from huoke.platform.runtime import Runtime
from huoke.platform.store import ImportRunRow, append_audit
from huoke.platform.tabular import FieldProblem, RecordSource, SourceRecord, open_records
from huoke.segments import tag_store as store
from huoke.segments.tag_model import ManualLine, Problem, plan_manual, read_manual_row
from huoke.segments.tag_service import one_writer, write_snapshot

REQUIRED = ("customer_no", "tag")
KIND = "tags"
Progress = Callable[[int, int], None]
_Reject = tuple[int, list[Problem]]


@dataclass
class TagImportSummary:
    file: str
    encoding: str | None
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    errors_file: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": KIND,
            "file": self.file,
            "encoding": self.encoding,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "errors_file": self.errors_file,
        }


@dataclass(frozen=True)
class _Row:
    row: int
    customer_no: str
    tag: str
    action: Literal["add", "remove"]


def import_manual_tags(
    runtime: Runtime,
    *,
    path: Path,
    encoding: Literal["auto", "utf-8", "gbk"] = "auto",
    actor: str,
    progress: Progress | None = None,
) -> TagImportSummary:
    """Import the manual tags of FILE; ``InvalidInput`` when the file as a whole is unusable or every row is bad."""
    settings = runtime.settings
    source = open_records(
        path, encoding=encoding, chunk_size=settings.import_chunk_size, max_field_length=settings.max_field_length
    )
    _check_header(source, path)
    started = runtime.now()
    summary = TagImportSummary(file=str(path), encoding=source.encoding)
    by = f"import {path.name}"[:160]
    with ErrorsFile(_errors_path(runtime, path, started)) as errors:
        for records in source.chunks():
            rows, rejects = _readable(records)
            rejects += _apply_chunk(runtime, rows, summary, by)
            for row, problems in sorted(rejects, key=lambda reject: reject[0]):
                _reject(errors, summary, row, problems)
            if progress is not None:
                progress(source.bytes_read, source.total_bytes)
    summary.errors_file = str(errors.path_if_written) if errors.path_if_written else None
    write_snapshot(runtime)
    _record_run(runtime, summary, path, started, actor)
    if summary.rejected and not summary.accepted and not summary.duplicates:
        raise InvalidInput(
            f"every row of {path.name} was rejected ({summary.rejected} rows); reasons are in {summary.errors_file}",
            code="file_rejected",
            details=summary.as_dict(),
        )
    return summary


def _check_header(source: RecordSource, path: Path) -> None:
    if not source.columns or path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        return
    missing = [column for column in REQUIRED if column not in source.columns]
    if missing:
        raise InvalidInput(
            f"{path.name} has no column {', '.join(missing)} (required for manual tags); "
            f"columns found: {', '.join(source.columns)}",
            code="missing_columns",
            details={"missing": missing},
        )


def _readable(records: list[SourceRecord]) -> tuple[list[_Row], list[_Reject]]:
    """The rows that read well, and the problems of those that do not."""
    rows: list[_Row] = []
    rejects: list[_Reject] = []
    for record in records:
        if record.problems:
            rejects.append((record.row, [(p.column, p.value, p.reason) for p in record.problems]))
            continue
        read = read_manual_row(record.values)
        if isinstance(read, list):
            rejects.append((record.row, read))
        else:
            rows.append(_Row(record.row, *read))
    return rows, rejects


def _reject(errors: ErrorsFile, summary: TagImportSummary, row: int, problems: list[Problem]) -> None:
    summary.rejected += 1
    for column, value, reason in problems:
        errors.add(row, FieldProblem.of(column, value, reason))


def _apply_chunk(runtime: Runtime, rows: list[_Row], summary: TagImportSummary, by: str) -> list[_Reject]:
    """One transaction: resolve customers, refuse rule tags, then write the net change of the chunk's rows."""
    rejects: list[_Reject] = []
    if not rows:
        return rejects
    with one_writer(f"tags import of {by.removeprefix('import ')}"), runtime.uow() as uow:
        session = uow.session
        units = customers.units_of_customers(session, {row.customer_no for row in rows})
        kinds = _kinds(session, {row.tag for row in rows})
        lines: list[ManualLine] = []
        for row in rows:
            problem = _problem(row, units, kinds)
            if problem is not None:
                rejects.append((row.row, [problem]))
            else:
                lines.append(ManualLine(row.row, (units[row.customer_no], row.tag), row.action))
        held = store.open_pairs(session, {line.pair[0] for line in lines}, {line.pair[1] for line in lines})
        plan = plan_manual(held, lines)
        now = runtime.now()
        _define_manual(session, {pair[1] for pair in plan.changes.assign} - set(kinds), now)
        store.assign(session, ((one_id, tag, "manual") for one_id, tag in plan.changes.assign), at=now, by=by)
        store.close_ids(session, [held[pair] for pair in plan.changes.remove], at=now, by=by)
        uow.commit()
    summary.accepted += len(plan.accepted)
    summary.duplicates += len(plan.duplicates)
    return rejects


def _kinds(session: Session, tags: set[str]) -> dict[str, str]:
    return {row.name: row.kind for row in store.definitions(session) if row.name in tags}


def _problem(row: _Row, units: dict[str, str], kinds: dict[str, str]) -> Problem | None:
    if row.customer_no not in units:
        return ("customer_no", row.customer_no, "unknown customer number: import the customer first")
    if kinds.get(row.tag, "manual") != "manual":
        return ("tag", row.tag, f"{row.tag} is a {kinds[row.tag]} tag: its rule decides who holds it")
    return None


def _define_manual(session: Session, names: set[str], now: datetime) -> None:
    for name in sorted(names):
        session.add(store.TagDefinitionRow(name=name, kind="manual", version=1, created_at=now, updated_at=now))


def _errors_path(runtime: Runtime, path: Path, started: datetime) -> Path:
    stamp = started.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
    folder = runtime.settings.data_dir / "import-errors"
    folder.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 10_000):  # a simulated clock may stand still between two imports
        candidate = folder / f"{path.stem}.{KIND}.{stamp}.{attempt}.errors.csv"
        if not candidate.exists():
            return candidate
    raise InvalidInput(f"too many errors files for {path.name} at {stamp} in {folder}", code="errors_dir_full")


def _record_run(runtime: Runtime, s: TagImportSummary, path: Path, started: datetime, actor: str) -> None:
    with runtime.uow() as uow:
        finished = runtime.now()
        digest = _sha256(path)
        uow.session.add(
            ImportRunRow(
                kind=KIND,
                file_name=str(path),
                file_sha256=digest,
                started_at=started,
                finished_at=finished,
                accepted=s.accepted,
                rejected=s.rejected,
                duplicates=s.duplicates,
                errors_file=s.errors_file,
            )
        )
        append_audit(uow.session, at=finished, actor=actor, action="import.tags", subject=path.name, detail=s.as_dict())
        uow.commit()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
