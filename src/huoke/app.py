"""Composition root: builds every component from Settings. Nothing here runs at import."""

from __future__ import annotations

from sqlalchemy import MetaData

from huoke.platform.db import Base
from huoke.platform.runtime import Runtime, build_runtime
from huoke.platform.service import Platform
from huoke.platform.settings import Settings

__all__ = ["Runtime", "all_metadata", "build_platform", "build_runtime"]


def all_metadata() -> MetaData:
    """The metadata of every context's tables (for migrations and test schemas)."""
    import huoke.customers.store
    import huoke.platform.store  # noqa: F401

    return Base.metadata


def build_platform(runtime: Runtime) -> Platform:
    """The platform service with every context's due work registered for `huoke run --until`."""
    return Platform(runtime=runtime, due_work=[])


def build(settings: Settings) -> tuple[Runtime, Platform]:
    runtime = build_runtime(settings)
    return runtime, build_platform(runtime)
