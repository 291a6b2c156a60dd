"""The shape every import KIND shares: outcomes per row, the context a chunk is applied in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple, Protocol

from sqlalchemy import FromClause
from sqlalchemy.orm import Session

from huoke.customers.model import RowProblem
from huoke.customers.rows import RowContext
from huoke.platform.crypto import PiiCipher

Status = Literal["accepted", "duplicate", "rejected"]


@dataclass(frozen=True)
class RowOutcome:
    row: int
    status: Status
    problem: RowProblem | None = None


@dataclass(frozen=True)
class ApplyContext:
    cipher: PiiCipher
    now: datetime
    actor: str


class ParsedRow(NamedTuple):
    """A validated row on its way to the store: where it is in the file, its record, and the record's text
    (``repr``), from which both the in-file duplicate check and the stored row hash are computed."""

    row: int
    record: Any
    content: str


class KindImporter(Protocol):
    """How one KIND of CONTRACTS.md §2 is parsed, keyed and stored."""

    kind: str
    required: tuple[str, ...]
    lookup_tables: tuple[FromClause, ...]  # looked up by key per chunk: PostgreSQL needs fresh statistics on them

    def parse(self, values: dict[str, Any], ctx: RowContext) -> tuple[Any, list[RowProblem]]:
        """Validate one row into a record, or return its problems."""
        ...

    def key(self, record: Any) -> str:
        """The natural key of a record: two rows of one file with the same key are duplicates."""
        ...

    def prepare(self, rows: Sequence[ParsedRow], ctx: ApplyContext) -> Sequence[Any]:
        """The pure work on a chunk's validated rows before they meet the store (row hashes, encryption, blind
        indexes). It runs while the previous chunk is being written, so it must not touch the database."""
        ...

    def apply(self, session: Session, rows: Sequence[Any], ctx: ApplyContext) -> list[RowOutcome]:
        """Upsert the rows ``prepare`` gave; never commits."""
        ...


def row_hash(cipher: PiiCipher, kind: str, record: Any) -> str:
    """Keyed digest of a record's content, so re-importing the same row is recognised without storing PII."""
    return content_hash(cipher, kind, repr(record))


def content_hash(cipher: PiiCipher, kind: str, content: str) -> str:
    """``row_hash`` of a record whose text (``repr``) is already at hand."""
    return cipher.blind_index(f"row:{kind}", content)[:32]


def accepted(rows: Sequence[ParsedRow]) -> list[RowOutcome]:
    return [RowOutcome(row.row, "accepted") for row in rows]
