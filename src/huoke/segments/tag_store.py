"""Tables of tags: rule and manual tag definitions, and every customer's tags with their history. Never commits.

``customer_tags`` keeps one row per time a customer held a tag: ``assigned_at`` when it was given,
``removed_at`` (null while held) when it was taken away. At most one open row exists per (one_id, tag).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

import pyarrow as pa
from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from huoke.platform.bulk import insert_rows, one_of
from huoke.platform.db import Base, UtcDateTime, key_in

_ID = BigInteger().with_variant(Integer, "sqlite")


class TagDefinitionRow(Base):
    """A tag that is not built in: a rule tag (with its rule and version) or a manual tag (from an import)."""

    __tablename__ = "tag_definitions"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # rule | manual
    rule: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    description: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CustomerTagRow(Base):
    """One period during which a customer held a tag; open (``removed_at`` null) while it still holds."""

    __tablename__ = "customer_tags"
    __table_args__ = (
        Index(
            "uq_customer_tags_open",
            "one_id",
            "tag",
            unique=True,
            sqlite_where=text("removed_at IS NULL"),
            postgresql_where=text("removed_at IS NULL"),
        ),
        Index("ix_customer_tags_tag_removed_at", "tag", "removed_at"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    one_id: Mapped[str] = mapped_column(String(32), index=True)
    tag: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # computed | rule | manual
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime)
    assigned_by: Mapped[str] = mapped_column(String(160))
    removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    removed_by: Mapped[str | None] = mapped_column(String(160))


_TAG_SCHEMA = pa.schema([("id", pa.int64()), ("one_id", pa.string()), ("tag", pa.string()), ("kind", pa.string())])
_READ_BATCH = 100_000
_KEY_BATCH = 5_000
_WRITE_COLUMNS = ("one_id", "tag", "kind", "assigned_at", "assigned_by")


def duplicate_open_row(error: BaseException) -> bool:
    """Whether a write failed on the one-open-row-per-customer-and-tag index (SQLAlchemy wraps it; PostgreSQL's
    ``COPY`` raises the driver's own error, SQLSTATE 23505)."""
    return isinstance(error, IntegrityError) or getattr(error, "sqlstate", None) == "23505"


def definitions(session: Session) -> list[TagDefinitionRow]:
    """Every rule and manual tag definition, by name."""
    return list(session.scalars(select(TagDefinitionRow).order_by(TagDefinitionRow.name)))


def definition(session: Session, name: str) -> TagDefinitionRow | None:
    return session.get(TagDefinitionRow, name)


def open_tags(session: Session) -> pa.Table:
    """Every open row (the tags held now) as ``(id, one_id, tag, kind)``, read in batches straight from the
    driver: a refresh reads millions of them, and row objects would cost more than the query."""
    table = CustomerTagRow.__table__
    query = select(table.c.id, table.c.one_id, table.c.tag, table.c.kind).where(table.c.removed_at.is_(None))
    connection = session.connection()
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    cursor = connection.exec_driver_sql(sql).cursor
    batches = []
    while rows := cursor.fetchmany(_READ_BATCH):
        columns = zip(*rows, strict=True)
        arrays = [pa.array(column, f.type) for column, f in zip(columns, _TAG_SCHEMA, strict=True)]
        batches.append(pa.record_batch(arrays, schema=_TAG_SCHEMA))
    cursor.close()
    return pa.Table.from_batches(batches, schema=_TAG_SCHEMA)


def open_pairs(session: Session, one_ids: Collection[str], tags: Collection[str]) -> dict[tuple[str, str], int]:
    """(one_id, tag) → row id of the open rows of these customers and tags."""
    found: dict[tuple[str, str], int] = {}
    wanted = sorted(set(one_ids))
    for start in range(0, len(wanted), _KEY_BATCH):
        query = select(CustomerTagRow.one_id, CustomerTagRow.tag, CustomerTagRow.id).where(
            CustomerTagRow.removed_at.is_(None),
            one_of(session, CustomerTagRow.one_id, wanted[start : start + _KEY_BATCH]),
            one_of(session, CustomerTagRow.tag, sorted(set(tags))),
        )
        found.update({(one_id, tag): row_id for one_id, tag, row_id in session.execute(query)})
    return found


def assign(session: Session, rows: Iterable[tuple[str, str, str]], *, at: datetime, by: str) -> int:
    """Open a row for every (one_id, tag, kind), in bulk; the count written."""
    written = 0
    batch: list[tuple[Any, ...]] = []
    for one_id, tag, kind in rows:
        batch.append((one_id, tag, kind, at, by))
        if len(batch) >= _READ_BATCH:
            insert_rows(session, CustomerTagRow.__table__, _WRITE_COLUMNS, batch)
            written, batch = written + len(batch), []
    insert_rows(session, CustomerTagRow.__table__, _WRITE_COLUMNS, batch)
    return written + len(batch)


def close_ids(session: Session, ids: Sequence[int], *, at: datetime, by: str) -> int:
    """Close the open rows with these ids (``removed_at`` = ``at``); the count closed."""
    dialect = session.get_bind().dialect.name
    closed = 0
    for start in range(0, len(ids), _KEY_BATCH):
        chunk = list(ids[start : start + _KEY_BATCH])
        done = session.execute(
            update(CustomerTagRow)
            .where(key_in(CustomerTagRow.id, chunk, dialect), CustomerTagRow.removed_at.is_(None))
            .values(removed_at=at, removed_by=by)
            .execution_options(synchronize_session=False)
        )
        closed += int(getattr(done, "rowcount", 0) or 0)
    return closed


def history(session: Session, one_ids: Collection[str]) -> list[CustomerTagRow]:
    """Every row (held and removed) of these units, oldest assignment first."""
    query = (
        select(CustomerTagRow)
        .where(CustomerTagRow.one_id.in_(sorted(set(one_ids))))
        .order_by(CustomerTagRow.assigned_at, CustomerTagRow.id)
    )
    return list(session.scalars(query))


def holder_counts(session: Session) -> dict[str, int]:
    """How many units hold each tag now."""
    query = (
        select(CustomerTagRow.tag, func.count()).where(CustomerTagRow.removed_at.is_(None)).group_by(CustomerTagRow.tag)
    )
    return {tag: int(count) for tag, count in session.execute(query)}
