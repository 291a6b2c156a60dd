"""Bulk writes for imports: many new rows in one round trip, inside the caller's transaction. Never commits.

PostgreSQL (psycopg) gets ``COPY … FROM STDIN`` on the session's own connection, so the rows belong to the
same transaction as everything else the session did; SQLite gets one ``executemany``. Values pass through
the column types' own bind processing first (aware UTC timestamps, JSON), so a row written here reads back
exactly like one written through the ORM.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from typing import Any, cast

from sqlalchemy import ARRAY, ColumnElement, Connection, FromClause, String, Table, any_, bindparam, func, select, text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import QueryableAttribute, Session

Row = tuple[Any, ...]
Column = ColumnElement[Any] | QueryableAttribute[Any]
_Processors = list[tuple[int, Callable[[Any], Any]]]


def insert_rows(session: Session, mapped: FromClause, columns: Sequence[str], rows: Sequence[Row]) -> None:
    """Insert ``rows`` (values in ``columns`` order) into a table (a model's ``__table__``) in the session's
    transaction."""
    if not rows:
        return
    table = cast(Table, mapped)
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        _copy(connection, table, columns, _processed(table, columns, dialect, rows))
    elif dialect.paramstyle == "qmark":
        connection.exec_driver_sql(_insert_sql(table, columns, dialect), _processed(table, columns, dialect, rows))
    else:  # any other driver: SQLAlchemy's executemany, every row with the same keys
        connection.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])


def refresh_statistics(session: Session, tables: Sequence[FromClause]) -> None:
    """Let PostgreSQL's planner see how big ``tables`` have grown (ANALYZE), so lookups by key use their index
    while a bulk import fills a table. Nothing to do on SQLite, whose planner needs no statistics for it."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return
    preparer = connection.dialect.identifier_preparer
    for table in tables:
        connection.execute(text(f"ANALYZE {preparer.format_table(cast(Table, table))}"))


def one_of(session: Session, column: Column, values: Collection[str]) -> ColumnElement[bool]:
    """``column`` equals one of ``values``, sent as one parameter however many there are: an array on
    PostgreSQL, a JSON array that SQLite unpacks with json_each. (``IN`` would bind each value on its own, which
    costs more than the lookup itself when a chunk looks up thousands of keys.)"""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(String)))
    if dialect == "sqlite":
        each = func.json_each(bindparam(None, json.dumps(list(values)), type_=String)).table_valued("value")
        return column.in_(select(each.c.value))
    return column.in_(list(values))


def _processors(table: Table, columns: Sequence[str], dialect: Dialect) -> _Processors:
    found: _Processors = []
    for index, name in enumerate(columns):
        column_type = table.c[name].type
        processor = column_type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            found.append((index, processor))
    return found


def _processed(table: Table, columns: Sequence[str], dialect: Dialect, rows: Sequence[Row]) -> Sequence[Row]:
    processors = _processors(table, columns, dialect)
    if not processors:
        return rows
    converted = []
    seen: dict[int, tuple[Any, Any]] = {}  # column → (last value, its processed form): ``now`` repeats in every row
    for row in rows:
        values = list(row)
        for index, processor in processors:
            value = values[index]
            last = seen.get(index)
            if last is None or last[0] is not value:
                last = seen[index] = (value, processor(value))
            values[index] = last[1]
        converted.append(tuple(values))
    return converted


def _column_list(columns: Sequence[str], dialect: Dialect) -> str:
    return ", ".join(dialect.identifier_preparer.quote(name) for name in columns)


def _insert_sql(table: Table, columns: Sequence[str], dialect: Dialect) -> str:
    target = dialect.identifier_preparer.format_table(table)
    marks = ", ".join("?" * len(columns))
    return f"INSERT INTO {target} ({_column_list(columns, dialect)}) VALUES ({marks})"  # noqa: S608 - names from metadata


def _copy(connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[Row]) -> None:
    target = connection.dialect.identifier_preparer.format_table(table)
    driver = connection.connection.driver_connection
    statement = f"COPY {target} ({_column_list(columns, connection.dialect)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row(row)
