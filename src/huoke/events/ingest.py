"""Store-side steps of ingestion shared by events and transactions: duplicates, inserts that ignore repeats."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from huoke.events.model import ItemError
from huoke.platform.db import key_in

_IN_BATCH = 500


@dataclass
class ItemResult:
    """The outcome of one item of a batch, in the shape the API and CLI report."""

    index: int
    id: str | None
    status: str = "rejected"
    one_id: str | None = None
    errors: list[ItemError] = field(default_factory=list)

    def as_dict(self, id_field: str) -> dict[str, Any]:
        doc: dict[str, Any] = {"index": self.index, id_field: self.id, "status": self.status}
        if self.one_id is not None:
            doc["one_id"] = self.one_id
        if self.errors:
            doc["errors"] = [{"field": e.field, "reason": e.reason} for e in self.errors]
        return doc


@dataclass
class BatchReport:
    """Counts and per-item results of one ingested batch (or a whole file)."""

    id_field: str
    results: list[ItemResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    def extend(self, other: BatchReport, offset: int) -> None:
        for r in other.results:
            r.index += offset
            self.results.append(r)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.count("accepted"),
            "duplicates": self.count("duplicate"),
            "rejected": self.count("rejected"),
            "results": [r.as_dict(self.id_field) for r in self.results],
        }


def existing_ids(session: Session, column: Any, ids: Iterable[str]) -> set[str]:
    """The natural ids among ``ids`` already in the store."""
    wanted = sorted(set(ids))
    found: set[str] = set()
    for start in range(0, len(wanted), _IN_BATCH):
        chunk = wanted[start : start + _IN_BATCH]
        found.update(session.scalars(select(column).where(key_in(column, chunk, _dialect(session)))))
    return found


def insert_new(session: Session, entity: type[Any], rows: Sequence[dict[str, Any]], key: str) -> set[str]:
    """Insert rows whose natural key is not yet stored; returns the keys inserted (a concurrent repeat is skipped).

    The caller has already dropped keys it saw stored, so a conflict here means a concurrent request with the same
    id. PostgreSQL first tries a plain pipelined executemany in a savepoint (fast, and short statements the driver
    caches); only if that meets a conflict does it insert again skipping conflicts and returning what went in.
    """
    if not rows:
        return set()
    table = cast(Table, entity.__table__)  # Core, not ORM bulk: one cached statement, many parameter sets
    if _dialect(session) == "postgresql":
        try:
            with session.begin_nested():
                session.execute(table.insert(), list(rows))
            return {row[key] for row in rows}
        except IntegrityError:
            pass  # a concurrent duplicate: fall through to the conflict-skipping insert
    make = postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert
    statement = make(table).on_conflict_do_nothing(index_elements=[key]).returning(table.c[key])
    return set(session.scalars(statement, list(rows)))


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def mark_repeats_in_batch(results: Sequence[ItemResult], seen: set[str]) -> None:
    """The second and later items with one id in a batch are duplicates of the first."""
    for result in results:
        if result.status != "pending" or result.id is None:
            continue
        if result.id in seen:
            result.status = "duplicate"
        else:
            seen.add(result.id)
