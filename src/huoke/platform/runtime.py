"""The per-process runtime: settings, engine, sessions, cipher and the data dir's clock."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from huoke.platform.clock import Clock
from huoke.platform.clockstate import load_clock
from huoke.platform.crypto import PiiCipher
from huoke.platform.db import SessionFactory, UnitOfWork, make_engine, make_session_factory
from huoke.platform.settings import Settings
from huoke.platform.work import QUEUED


@dataclass
class Runtime:
    """Everything a use case needs, built once per process from Settings."""

    settings: Settings
    engine: Engine
    sessions: SessionFactory
    _cipher: PiiCipher | None = field(default=None, repr=False)
    # Set when a transaction of this process that queued work commits: idle workers wake at once instead of
    # at their next poll (workers in other processes still poll).
    work_arrived: threading.Event = field(default_factory=threading.Event, repr=False)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)

    @property
    def cipher(self) -> PiiCipher:
        """The PII cipher; refuses missing or development keys in the prod profile."""
        if self._cipher is None:
            active, keys, bidx = self.settings.keyring()
            self._cipher = PiiCipher(active, keys, bidx)
        return self._cipher

    def clock(self) -> Clock:
        with self.uow() as uow:
            return load_clock(uow.session)

    def now(self) -> datetime:
        return self.clock().now()

    def close(self) -> None:
        self.engine.dispose()


def build_runtime(settings: Settings) -> Runtime:
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database, echo=settings.sql_echo)
    runtime = Runtime(settings=settings, engine=engine, sessions=make_session_factory(engine))

    def wake_workers(session: Session) -> None:
        if session.info.pop(QUEUED, False):
            runtime.work_arrived.set()

    event.listen(runtime.sessions, "after_commit", wake_workers)
    return runtime
