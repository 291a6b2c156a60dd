"""Lake export watermarks in the operational store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from huoke.platform.db import Base
from huoke.platform.runtime import Runtime
from huoke.platform.store import LakeWatermarkRow, get_watermark, set_watermark
from tests.conftest import START


def test_a_watermark_starts_at_zero_and_keeps_what_was_committed(runtime: Runtime) -> None:
    with runtime.uow() as uow:
        assert get_watermark(uow.session, "events") == 0
        set_watermark(uow.session, "events", 120, START)
        uow.commit()
    with runtime.uow() as uow:
        set_watermark(uow.session, "events", 250, START + timedelta(minutes=5))
        set_watermark(uow.session, "transactions", 7, START)
        # not committed: a failed export leaves the watermark where it was

    with runtime.uow() as uow:
        assert get_watermark(uow.session, "events") == 120
        assert get_watermark(uow.session, "transactions") == 0
        set_watermark(uow.session, "events", 250, START + timedelta(minutes=5))
        uow.commit()
    with runtime.uow() as uow:
        row = uow.session.get(LakeWatermarkRow, "events")
        assert row is not None
        assert (row.value, row.updated_at) == (250, START + timedelta(minutes=5))


def test_the_migration_creates_the_table_exactly_as_the_model_describes(runtime: Runtime) -> None:
    with runtime.engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)

    assert [d for d in diffs if "lake_watermarks" in repr(d)] == []
