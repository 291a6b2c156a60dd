"""Bulk writes and key lookups for imports, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select, text

from huoke.customers.store import CustomerRow, IdentityRow
from huoke.platform.bulk import insert_rows, one_of, refresh_statistics
from huoke.platform.runtime import Runtime

NOW = datetime(2026, 11, 24, 1, 2, 3, 456789, tzinfo=UTC)
PROFILE = {
    "status": "active",
    "name_masked": "张*",
    "birth_date": date(1949, 12, 31),
    "attributes": {"vip": 3, "note": '引号"与\\反斜杠', "since": "2020-01-01"},
    "created_at": NOW,
    "updated_at": NOW,
}
COLUMNS = ("one_id", "customer_no", *PROFILE)


def stored(runtime: Runtime, one_id: str) -> dict[str, object]:
    with runtime.uow() as uow:
        row = uow.session.scalars(select(CustomerRow).where(CustomerRow.one_id == one_id)).one()
        return {column: getattr(row, column) for column in PROFILE} | {"id": row.id}


def test_bulk_inserted_rows_read_back_exactly_like_rows_the_orm_wrote(runtime: Runtime) -> None:
    with runtime.uow() as uow:
        uow.session.add(CustomerRow(one_id="a" * 32, customer_no="C1", **PROFILE))
        uow.session.flush()
        insert_rows(uow.session, CustomerRow.__table__, COLUMNS, [("b" * 32, "C2", *PROFILE.values())])
        uow.commit()

    by_orm, in_bulk = stored(runtime, "a" * 32), stored(runtime, "b" * 32)

    assert {k: v for k, v in in_bulk.items() if k != "id"} == {k: v for k, v in by_orm.items() if k != "id"}
    assert in_bulk["id"] > by_orm["id"]  # ids still follow insertion order
    assert in_bulk["created_at"] == NOW


def test_bulk_inserts_belong_to_the_callers_transaction(runtime: Runtime) -> None:
    with runtime.uow() as uow:
        insert_rows(
            uow.session, CustomerRow.__table__, COLUMNS, [(f"{i:032x}", f"C{i}", *PROFILE.values()) for i in range(3)]
        )
        assert uow.session.scalar(select(func.count()).select_from(CustomerRow)) == 3
        # leaving without commit rolls back

    with runtime.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(CustomerRow)) == 0


def test_identity_rows_with_booleans_and_no_values_at_all(runtime: Runtime) -> None:
    with runtime.uow() as uow:
        insert_rows(uow.session, CustomerRow.__table__, COLUMNS, [("u" * 32, "C1", *PROFILE.values())])
        rows = [("u" * 32, "u" * 32, "phone", f"{i:064x}", "138****0000", False, NOW) for i in range(2500)]
        columns = ("one_id", "origin_one_id", "kind", "value_bidx", "masked", "detached", "created_at")
        insert_rows(uow.session, IdentityRow.__table__, columns, rows)
        insert_rows(uow.session, IdentityRow.__table__, columns, [])
        uow.commit()
    with runtime.uow() as uow:
        detached = set(uow.session.scalars(select(IdentityRow.detached)))
        count = uow.session.scalar(select(func.count()).select_from(IdentityRow))
    assert (detached, count) == ({False}, 2500)


def test_one_of_finds_exactly_the_stored_keys_among_thousands(runtime: Runtime) -> None:
    with runtime.uow() as uow:
        rows = [(f"{i:032x}", f"C{i}", *PROFILE.values()) for i in range(50)]
        insert_rows(uow.session, CustomerRow.__table__, COLUMNS, rows)
        uow.commit()
    wanted = [f"C{i}" for i in range(0, 50, 7)] + [f"X{i}" for i in range(5000)] + ["C'; drop table customers; --"]

    with runtime.uow() as uow:
        found = set(
            uow.session.scalars(
                select(CustomerRow.customer_no).where(one_of(uow.session, CustomerRow.customer_no, wanted))
            )
        )
        none = list(
            uow.session.scalars(select(CustomerRow.customer_no).where(one_of(uow.session, CustomerRow.customer_no, [])))
        )

    assert found == {f"C{i}" for i in range(0, 50, 7)}
    assert none == []


def test_refreshing_statistics_lets_postgresql_see_how_big_a_table_grew(runtime: Runtime) -> None:
    with runtime.uow() as uow:
        insert_rows(
            uow.session, CustomerRow.__table__, COLUMNS, [(f"{i:032x}", f"C{i}", *PROFILE.values()) for i in range(300)]
        )
        refresh_statistics(uow.session, [CustomerRow.__table__])
        uow.commit()

    with runtime.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            rows = conn.execute(text("SELECT reltuples FROM pg_class WHERE oid = 'customers'::regclass")).scalar_one()
            assert rows == 300
        assert conn.execute(text("SELECT count(*) FROM customers")).scalar_one() == 300
