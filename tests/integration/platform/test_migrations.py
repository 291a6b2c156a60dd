"""Schema migrations: a store created by an older version is upgraded by `huoke init` and then imports."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from huoke.app import all_metadata, build_platform
from huoke.customers.import_service import import_file
from huoke.platform import migrate
from huoke.platform.runtime import build_runtime
from tests.conftest import START, make_settings
from tests.integration.customers import bank_files as bank


def test_an_older_store_is_upgraded_by_init_and_then_imports(tmp_path: Path, database_url: str | None) -> None:
    runtime = build_runtime(make_settings(tmp_path / "data", database_url))
    migrate.upgrade(runtime.engine, "0001")  # the store as the first release left it
    assert migrate.current_revision(runtime.engine) == "0001"
    assert "customers" not in inspect(runtime.engine).get_table_names()

    described = build_platform(runtime).init(mode="simulated", start=START)

    assert described["revision"] == migrate.head_revision(runtime.engine)
    files = bank.write_bank(tmp_path / "files")
    results = [import_file(runtime, kind=k, path=files[k]) for k in ("org", "staff", "products", "customers")]
    assert [r.accepted for r in results] == [3, 1, 3, 2]
    runtime.close()


def test_init_twice_is_idempotent_and_keeps_the_simulated_clock(tmp_path: Path, database_url: str | None) -> None:
    runtime = build_runtime(make_settings(tmp_path / "data", database_url))
    platform = build_platform(runtime)
    first = platform.init(mode="simulated", start=START)

    second = platform.init(mode="simulated", start=START)

    assert first == second
    assert second["now"] == "2026-11-24T09:00:00+08:00"
    runtime.close()


def test_the_migrations_create_exactly_the_tables_the_code_declares(tmp_path: Path, database_url: str | None) -> None:
    runtime = build_runtime(make_settings(tmp_path / "data", database_url))
    migrate.upgrade(runtime.engine)
    with runtime.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, all_metadata())
    runtime.close()
    assert differences == []
