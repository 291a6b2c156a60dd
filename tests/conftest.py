"""Shared fixtures: a migrated store on SQLite (always) and PostgreSQL (HUOKE_TEST_DATABASE_URL; required in CI)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from huoke.platform import migrate
from huoke.platform.clockstate import set_clock
from huoke.platform.runtime import Runtime, build_runtime
from huoke.platform.settings import Settings

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)
PG_ENV = "HUOKE_TEST_DATABASE_URL"


def _ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def postgres_url() -> str | None:
    """The PostgreSQL URL for tests; in CI a missing or unreachable server fails the run."""
    url = os.environ.get(PG_ENV)
    if not url:
        if _ci():
            pytest.fail(f"CI=true but {PG_ENV} is not set: PostgreSQL tests must run in CI")
        return None
    try:
        with create_engine(url).connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # any driver error means unreachable
        if _ci():
            pytest.fail(f"CI=true and PostgreSQL at {make_url(url).render_as_string()} is unreachable: {exc}")
        return None
    return url


@pytest.fixture(scope="session")
def pg_base_url() -> str | None:
    return postgres_url()


def _pg_schema_url(base: str) -> Iterator[str]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, pg_base_url: str | None) -> Iterator[str | None]:
    """None (embedded SQLite in the data dir) or an isolated PostgreSQL schema."""
    if request.param == "sqlite":
        yield None
        return
    if pg_base_url is None:
        pytest.skip(f"PostgreSQL not configured ({PG_ENV} unset); CI runs these")
    yield from _pg_schema_url(pg_base_url)


def make_settings(data_dir: Path, database_url: str | None = None, **extra: object) -> Settings:
    return Settings(data_dir=data_dir, database_url=database_url, profile="dev", **extra)  # type: ignore[arg-type]


@pytest.fixture
def runtime(tmp_path: Path, database_url: str | None) -> Iterator[Runtime]:
    """A migrated store with a simulated clock at 2026-11-24 09:00 Asia/Shanghai."""
    rt = build_runtime(make_settings(tmp_path / "data", database_url, import_chunk_size=50))
    migrate.upgrade(rt.engine)
    with rt.uow() as uow:
        set_clock(uow.session, "simulated", START)
        uow.commit()
    yield rt
    rt.close()
