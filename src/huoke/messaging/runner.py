"""Building the dispatcher of a data dir: its channel adapters from the channels file, and the periodic and
`run --until` hooks that drive it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from huoke.messaging.channels.config import load_channels_config
from huoke.messaging.channels.registry import build_adapters
from huoke.messaging.config import channels_file
from huoke.messaging.dispatch import DUE, Dispatcher
from huoke.messaging.sending import AsyncSender
from huoke.messaging.store import MessageRow
from huoke.platform.runtime import Runtime

# A worker's periodic call sends for at most this long, so queued work and other jobs keep their turn.
PERIODIC_BUDGET_SECONDS = 5.0


def build_dispatcher(runtime: Runtime) -> Dispatcher:
    """The dispatcher with every channel's adapter (the file sink where no provider is configured)."""
    settings = runtime.settings
    config = load_channels_config(channels_file(settings))
    adapters = build_adapters(config, outbox_dir=settings.data_dir / "outbox")
    return Dispatcher(runtime, AsyncSender(adapters))


def next_due(runtime: Runtime, until: datetime) -> datetime | None:
    """The earliest moment a queued or deferred message falls due by UNTIL (a `run --until` milestone)."""
    with runtime.uow() as uow:
        return uow.session.scalar(
            select(func.min(MessageRow.due_at)).where(MessageRow.status.in_(DUE), MessageRow.due_at <= until)
        )


def periodic(dispatcher: Dispatcher, now: datetime) -> int:
    """One worker tick: send due batches until none is left or the budget is spent."""
    return dispatcher.dispatch_available(budget_seconds=PERIODIC_BUDGET_SECONDS)


class LazyDispatcher:
    """Builds the dispatcher on first use, so commands that never send open no provider connection."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._dispatcher: Dispatcher | None = None

    def get(self) -> Dispatcher:
        if self._dispatcher is None:
            self._dispatcher = build_dispatcher(self.runtime)
        return self._dispatcher

    def drain(self, until: datetime) -> int:
        return self.get().drain(until)

    def periodic(self, now: datetime) -> int:
        return periodic(self.get(), now)

    def close(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.sender.close()
            self._dispatcher = None
