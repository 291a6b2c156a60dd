"""Platform use cases: initialise a data dir, advance simulated time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.engine import make_url

from huoke.platform import migrate
from huoke.platform.clockstate import ClockMode, advance_clock, clock_mode, has_clock, load_clock, set_clock
from huoke.platform.runtime import Runtime
from huoke.platform.settings import Settings
from huoke.platform.worker import WorkQueue

# Work that `huoke run --until` drives: each returns how many items it processed up to the instant.
DueWork = Callable[[datetime], int]
# The next scheduled moment due by the instant, or None.
Milestone = Callable[[datetime], datetime | None]


@dataclass
class Platform:
    """The store-level operations every data dir has, whatever contexts are installed."""

    runtime: Runtime
    due_work: list[DueWork] = field(default_factory=list)
    # Scheduled moments (e.g. segment refreshes) by ``until``: work is done up to each in turn, in time order.
    milestones: list[Milestone] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    def init(self, *, mode: ClockMode | None, start: datetime | None) -> dict[str, Any]:
        """Migrate the store; set the clock when ``mode`` is given, else keep it (a new store: real)."""
        engine = self.runtime.engine
        migrate.upgrade(engine)
        with self.runtime.uow() as uow:
            if mode is not None or not has_clock(uow.session):
                set_clock(uow.session, mode or "real", start)
            uow.commit()
        return self.describe()

    def describe(self) -> dict[str, Any]:
        engine = self.runtime.engine
        with self.runtime.uow() as uow:
            mode = clock_mode(uow.session)
            now = load_clock(uow.session).now()
        return {
            "data_dir": str(self.settings.data_dir.resolve()),
            "database": make_url(self.settings.database).render_as_string(hide_password=True),
            "revision": migrate.current_revision(engine),
            "clock": mode,
            "now": now.astimezone(self.settings.zone).isoformat(),
        }

    def run_until(self, until: datetime) -> dict[str, Any]:
        """Advance the simulated clock to ``until``, processing due work on the way (in time order)."""
        with self.runtime.uow() as uow:
            advance_clock(uow.session, until)  # refuses a real clock or a move backwards before any work runs
        processed, stuck = 0, None
        while True:
            bound = min((t for m in self.milestones if (t := m(until)) is not None), default=until)
            if stuck is not None and bound <= stuck:
                bound = until  # a milestone nothing could move: order by it no longer
            done = sum(work(bound) for work in self.due_work)  # work may queue more work: repeat until all done
            processed += done
            if done == 0 and bound >= until:
                break
            stuck = bound if done == 0 else None
        with self.runtime.uow() as uow:
            advance_clock(uow.session, until)
            uow.commit()
        return {"processed": processed, "now": until.astimezone(self.settings.zone).isoformat()}


class PlatformFactory(Protocol):
    """What every CLI command finds in ``ctx.obj``: the runtime and platform, built on first use."""

    settings: Settings

    def runtime(self) -> Runtime: ...

    def platform(self) -> Platform: ...

    def work_queue(self) -> WorkQueue:
        """The work queue with every context's subscribers, built by the composition root."""
        ...

    def api(self) -> Any:
        """The ASGI application built by the composition root (the platform never imports it)."""
        ...
