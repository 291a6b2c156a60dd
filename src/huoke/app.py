"""Composition root: builds every component from Settings. Nothing here runs at import."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import MetaData

from huoke.platform.db import Base
from huoke.platform.runtime import Runtime, build_runtime
from huoke.platform.service import Platform
from huoke.platform.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["Runtime", "all_metadata", "build_platform", "build_runtime", "create_app"]


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


def create_app(settings: Settings) -> FastAPI:
    """The HTTP API over a runtime built from SETTINGS; refuses unsafe PII keys before serving anything.

    Raises ConfigurationError (for example missing or development keys in the prod profile).
    """
    from huoke.customers.api import router as customers_router
    from huoke.platform.http import build_api

    runtime = build_runtime(settings)
    try:
        _ = runtime.cipher  # checks the keyring once, at startup, not at the first request
    except Exception:
        runtime.close()
        raise
    return build_api(runtime, [customers_router])
