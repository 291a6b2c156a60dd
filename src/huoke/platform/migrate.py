"""Schema migrations of the operational store (Alembic), run by `huoke init`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from huoke.platform.errors import InvalidInput

_SCRIPTS = Path(__file__).parent / "migrations"


def _config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the store to ``revision``; idempotent."""
    cfg = _config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(_config(engine)).get_current_head()


def require_current(engine: Engine) -> None:
    """Refuse to work on a store that `huoke init` has not created or upgraded to this version."""
    current, head = current_revision(engine), head_revision(engine)
    if current != head:
        state = "is not initialised" if current is None else f"is at schema {current}, this version needs {head}"
        raise InvalidInput(
            f"the store {engine.url.render_as_string(hide_password=True)} {state}; run `huoke init`",
            code="store_not_initialised",
        )
