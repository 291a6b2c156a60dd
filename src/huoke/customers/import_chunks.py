"""The two steps every chunk of an import file goes through.

* prepare: read what rows are checked against, validate every row, spot repeats within the file, and do the
  pure work (row hashes, encryption, blind indexes). It writes nothing.
* apply: one transaction that stores the prepared rows and commits.

Keeping them apart keeps each transaction short: it holds only the store's own work, with every value
already computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from huoke.customers.importing import ApplyContext, KindImporter, ParsedRow, RowOutcome
from huoke.customers.model import RowProblem
from huoke.customers.profile_import import new_attribute_types, store_attribute_types, stored_attribute_types
from huoke.customers.reference_import import reference_context
from huoke.customers.rows import RowContext
from huoke.platform.bulk import refresh_statistics
from huoke.platform.mapping import ColumnMapping
from huoke.platform.runtime import Runtime
from huoke.platform.tabular import SourceRecord

_FINGERPRINT_BITS = 64
_FINGERPRINT_MASK = (1 << _FINGERPRINT_BITS) - 1


@dataclass(frozen=True)
class ImportPlan:
    """What stays the same for every chunk of one import."""

    runtime: Runtime
    importer: KindImporter
    mapping: ColumnMapping
    actor: str


@dataclass
class FileState:
    """What preparing one file remembers from chunk to chunk."""

    # key → first row << 64 | content fingerprint: one int per row of the file, to spot repeated keys
    seen: dict[str, int] = field(default_factory=dict)
    # custom attribute types this import decided, stored with their chunk (maybe not committed yet)
    attribute_types: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PreparedChunk:
    """A chunk ready to apply, with what preparing it found."""

    number: int  # 1 for the file's first chunk
    ctx: ApplyContext
    rows: Sequence[Any]  # what the importer's prepare gave, for its apply
    rejects: list[tuple[int, list[RowProblem]]]  # rows that failed validation, in file order
    duplicates: int  # exact repeats of earlier rows of this file
    new_attribute_types: dict[str, str]  # first seen in this chunk; stored in its transaction
    bytes_read: int  # of the file, once this chunk was read


def prepare_chunk(
    plan: ImportPlan, chunk: list[SourceRecord], state: FileState, *, number: int, bytes_read: int
) -> PreparedChunk:
    """Validate and prepare one chunk; reads the store, writes nothing."""
    runtime, importer = plan.runtime, plan.importer
    values = [plan.mapping.apply(r.values) for r in chunk]
    with runtime.uow() as uow:  # read-only: rolled back on exit
        ctx = ApplyContext(cipher=runtime.cipher, now=runtime.clock().now(), actor=plan.actor)
        new_types = _new_types(uow.session, importer, values, state)
        row_ctx = _row_context(runtime, uow.session, ctx, state.attribute_types)
    good: list[ParsedRow] = []
    rejects: list[tuple[int, list[RowProblem]]] = []
    duplicates = 0
    for record, mapped in zip(chunk, values, strict=True):
        parsed = _parse(importer, record, mapped, row_ctx, state.seen)
        if isinstance(parsed, list):
            rejects.append((record.row, parsed))
        elif parsed is None:
            duplicates += 1
        else:
            good.append(parsed)
    rows = importer.prepare(good, ctx) if good else []
    return PreparedChunk(number, ctx, rows, rejects, duplicates, new_types, bytes_read)


def apply_chunk(plan: ImportPlan, chunk: PreparedChunk) -> list[RowOutcome]:
    """Store one prepared chunk in one transaction."""
    with plan.runtime.uow() as uow:
        if chunk.number & (chunk.number - 1) == 0:  # chunks 1, 2, 4, 8…: as the tables grow, indexes stay in use
            refresh_statistics(uow.session, plan.importer.lookup_tables)
        store_attribute_types(uow.session, chunk.new_attribute_types, chunk.ctx.now)
        outcomes = plan.importer.apply(uow.session, chunk.rows, chunk.ctx) if chunk.rows else []
        uow.commit()
    return outcomes


def _new_types(
    session: Session, importer: KindImporter, values: list[dict[str, Any]], state: FileState
) -> dict[str, str]:
    """Custom attributes first seen in this chunk (customers only), now known to ``state`` too."""
    if importer.kind != "customers":
        return {}
    known = stored_attribute_types(session) | state.attribute_types
    state.attribute_types = known
    new = new_attribute_types(known, values)
    known.update(new)
    return new


def _row_context(runtime: Runtime, session: Session, ctx: ApplyContext, types: dict[str, str]) -> RowContext:
    org_codes, staff, products = reference_context(session)
    return RowContext(
        today=ctx.now.astimezone(runtime.settings.zone).date(),
        now=ctx.now,
        zone=runtime.settings.zone,
        org_codes=org_codes,
        rm_staff=staff,
        product_types=products,
        attribute_types=types,
        max_field_length=runtime.settings.max_field_length,
    )


def _parse(
    importer: KindImporter, record: SourceRecord, mapped: dict[str, Any], ctx: RowContext, seen: dict[str, int]
) -> ParsedRow | list[RowProblem] | None:
    """A parsed row, a list of problems, or None for an exact repeat of an earlier row of this file."""
    if record.problems:
        return [RowProblem(p.column, p.value, p.reason) for p in record.problems]
    parsed, problems = importer.parse(mapped, ctx)
    if problems:
        return problems
    key, content = importer.key(parsed), repr(parsed)
    mark = record.row << _FINGERPRINT_BITS | hash(content) & _FINGERPRINT_MASK
    first = seen.setdefault(key, mark)
    if first == mark:
        return ParsedRow(record.row, parsed, content)
    if first & _FINGERPRINT_MASK == mark & _FINGERPRINT_MASK:
        return None
    first_row = first >> _FINGERPRINT_BITS
    return [RowProblem("", key, f"duplicate key {key} in this file (first at row {first_row}) with other values")]
