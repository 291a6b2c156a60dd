"""The shape every import KIND shares: outcomes per row, the context a chunk is applied in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

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


class KindImporter(Protocol):
    """How one KIND of CONTRACTS.md §2 is parsed, keyed and stored."""

    kind: str
    required: tuple[str, ...]

    def parse(self, values: dict[str, Any], ctx: RowContext) -> tuple[Any, list[RowProblem]]:
        """Validate one row into a record, or return its problems."""
        ...

    def key(self, record: Any) -> str:
        """The natural key of a record: two rows of one file with the same key are duplicates."""
        ...

    def apply(self, session: Session, rows: Sequence[tuple[int, Any]], ctx: ApplyContext) -> list[RowOutcome]:
        """Upsert validated records; never commits."""
        ...


def row_hash(cipher: PiiCipher, kind: str, record: Any) -> str:
    """Keyed digest of a record's content, so re-importing the same row is recognised without storing PII."""
    return cipher.blind_index(f"row:{kind}", repr(record))[:32]


def accepted(rows: Sequence[tuple[int, Any]]) -> list[RowOutcome]:
    return [RowOutcome(row, "accepted") for row, _ in rows]
