"""Use case: import one file of a KIND. Streams chunks; one transaction per chunk; rejects go to a CSV.

A crash mid-file loses nothing accepted: committed chunks stay, and running the same file again counts
them as duplicates and continues where it stopped.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from huoke.customers.holding_import import ConsentImporter, HoldingImporter
from huoke.customers.import_chunks import FileState, ImportPlan, apply_chunk, prepare_chunk
from huoke.customers.importing import KindImporter, RowOutcome
from huoke.customers.model import RowProblem
from huoke.customers.profile_import import CustomerImporter
from huoke.customers.reference_import import OrgImporter, ProductImporter, StaffImporter
from huoke.platform.crypto import mask_account, mask_email, mask_id_card, mask_name, mask_phone
from huoke.platform.errors import InvalidInput
from huoke.platform.errors_file import ErrorsFile
from huoke.platform.mapping import ColumnMapping
from huoke.platform.runtime import Runtime
from huoke.platform.store import ImportRunRow, append_audit
from huoke.platform.tabular import FieldProblem, RecordSource, open_records

IMPORTERS: dict[str, Callable[[], KindImporter]] = {
    "org": OrgImporter,
    "staff": StaffImporter,
    "products": ProductImporter,
    "customers": CustomerImporter,
    "holdings": HoldingImporter,
    "consents": ConsentImporter,
}
# Org trees are small and children may precede parents: read them in one chunk.
_WHOLE_FILE_KINDS = frozenset({"org"})
_SENSITIVE: dict[str, Callable[[str], str]] = {
    "id_card_no": mask_id_card,
    "phone": mask_phone,
    "email": mask_email,
    "account_no": mask_account,
    "name": mask_name,
}
Progress = Callable[[int, int], None]
_DIGIT_RUN = re.compile(r"\d{7,}")
_EMAIL = re.compile(r"[^\s,;@\"']+@[^\s,;@\"']+")


@dataclass
class ImportSummary:
    kind: str
    file: str
    encoding: str | None
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    errors_file: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.file,
            "encoding": self.encoding,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "errors_file": self.errors_file,
        }


def import_file(
    runtime: Runtime,
    *,
    kind: str,
    path: Path,
    mapping: Path | None = None,
    encoding: Literal["auto", "utf-8", "gbk"] = "auto",
    actor: str = "cli",
    progress: Progress | None = None,
) -> ImportSummary:
    """Import FILE as KIND (CONTRACTS.md §2); raises InvalidInput when the file as a whole is unusable."""
    importer = _importer(kind)
    columns = ColumnMapping.load(mapping) if mapping else ColumnMapping.identity()
    size = runtime.settings.import_chunk_size if kind not in _WHOLE_FILE_KINDS else 10_000_000
    source = open_records(path, encoding=encoding, chunk_size=size, max_field_length=runtime.settings.max_field_length)
    _check_header(source, columns, importer, path)
    started = runtime.now()
    summary = ImportSummary(kind=kind, file=str(path), encoding=source.encoding)
    errors = ErrorsFile(_errors_path(runtime, kind, path, started))
    plan, state = ImportPlan(runtime, importer, columns, actor), FileState()
    with errors:
        for number, records in enumerate(source.chunks(), start=1):
            chunk = prepare_chunk(plan, records, state, number=number, bytes_read=source.bytes_read)
            for row, problems in chunk.rejects:
                _reject(errors, summary, row, problems)
            summary.duplicates += chunk.duplicates
            _count(apply_chunk(plan, chunk), summary, errors)
            if progress:
                progress(chunk.bytes_read, source.total_bytes)
    summary.errors_file = str(errors.path_if_written) if errors.path_if_written else None
    _record_run(runtime, summary, path, started, actor)
    if summary.rejected and not summary.accepted and not summary.duplicates:
        raise InvalidInput(
            f"every row of {path.name} was rejected ({summary.rejected} rows); reasons are in {summary.errors_file}",
            code="file_rejected",
            details=summary.as_dict(),
        )
    return summary


def _importer(kind: str) -> KindImporter:
    factory = IMPORTERS.get(kind)
    if factory is None:
        raise InvalidInput(f"unknown import kind {kind!r}; choose one of {', '.join(IMPORTERS)}", code="unknown_kind")
    return factory()


def _check_header(source: RecordSource, mapping: ColumnMapping, importer: KindImporter, path: Path) -> None:
    if not source.columns or path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        return
    present = set(mapping.apply_columns(source.columns))
    missing = [c for c in importer.required if c not in present]
    if missing:
        raise InvalidInput(
            f"{path.name} has no column {', '.join(missing)} (required for {importer.kind}); "
            f"columns found: {', '.join(source.columns)}",
            code="missing_columns",
            details={"missing": missing},
        )


def _reject(errors: ErrorsFile, summary: ImportSummary, row: int, problems: list[RowProblem]) -> None:
    summary.rejected += 1
    for p in problems:
        errors.add(row, FieldProblem(p.column, _shown(p.column, p.value), p.reason))


def _count(outcomes: list[RowOutcome], summary: ImportSummary, errors: ErrorsFile) -> None:
    for outcome in outcomes:
        if outcome.status == "accepted":
            summary.accepted += 1
        elif outcome.status == "duplicate":
            summary.duplicates += 1
        else:
            _reject(errors, summary, outcome.row, [outcome.problem] if outcome.problem else [])


def _shown(column: str, value: str) -> str:
    """Values of sensitive columns are masked in the errors file too."""
    mask = _SENSITIVE.get(column)
    if mask is not None and value:
        return mask(value) if len(value) > 8 else "*" * len(value)  # noqa: PLR2004
    # raw lines and source-named columns: hide anything that looks like a phone, ID, card or e-mail
    value = _EMAIL.sub(lambda m: mask_email(m.group()), value)
    return _DIGIT_RUN.sub(lambda m: "*" * (len(m.group()) - 4) + m.group()[-4:], value)


def _errors_path(runtime: Runtime, kind: str, path: Path, started: datetime) -> Path:
    stamp = started.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
    folder = runtime.settings.data_dir / "import-errors"
    folder.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 10_000):  # a simulated clock may stand still between two imports
        candidate = folder / f"{path.stem}.{kind}.{stamp}.{attempt}.errors.csv"
        if not candidate.exists():
            return candidate
    raise InvalidInput(f"too many errors files for {path.name} at {stamp} in {folder}", code="errors_dir_full")


def _record_run(runtime: Runtime, s: ImportSummary, path: Path, started: datetime, actor: str) -> None:
    with runtime.uow() as uow:
        finished = runtime.clock().now()
        uow.session.add(
            ImportRunRow(
                kind=s.kind,
                file_name=str(path),
                file_sha256=_sha256(path),
                started_at=started,
                finished_at=finished,
                accepted=s.accepted,
                rejected=s.rejected,
                duplicates=s.duplicates,
                errors_file=s.errors_file,
            )
        )
        append_audit(
            uow.session,
            at=finished,
            actor=actor,
            action=f"import.{s.kind}",
            subject=path.name,
            detail=s.as_dict(),
        )
        uow.commit()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
