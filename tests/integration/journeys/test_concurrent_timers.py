"""Two workers on PostgreSQL advance the same due timers at once: each instance is advanced by exactly one of
them (rows locked with SKIP LOCKED), none twice, none skipped."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from huoke.app import build_platform, build_subscriptions
from huoke.customers.service import one_ids_by_customer_no
from huoke.journeys import service
from huoke.journeys.runtime import run_due
from huoke.journeys.store import InstanceRow, JourneyRow, StepLogRow
from huoke.platform.runtime import Runtime, build_runtime
from tests.conftest import START, _pg_schema_url, make_settings
from tests.integration.messaging.bank import open_bank

INSTANCES = 3000
JOURNEY = {
    "name": "pause_then_done",
    "trigger": {"api": True},
    "entry": {"reentry": True, "max_concurrent": 100},
    "steps": [{"id": "pause", "wait": {"hours": 1}, "next": "done"}, {"id": "done", "exit": True}],
}


@pytest.mark.postgres
def test_two_workers_never_advance_the_same_instance(tmp_path: Path, pg_base_url: str | None) -> None:
    if pg_base_url is None:
        pytest.skip("PostgreSQL not configured; CI runs this")
    for url in _pg_schema_url(pg_base_url):
        runtime = build_runtime(make_settings(tmp_path / "data", url))
        build_platform(runtime).init(mode="simulated", start=START)
        open_bank(runtime, tmp_path / "bank")
        service.create_journey(runtime, JOURNEY, actor="test")
        service.change_state(runtime, name="pause_then_done", command="activate", actor="test")
        _waiting_instances(runtime)
        workers = [build_runtime(make_settings(tmp_path / "data", url)) for _ in range(2)]
        done = _side_by_side(workers)
        with runtime.uow() as uow:
            statuses = Counter(uow.session.scalars(select(InstanceRow.status)).all())
            logged = Counter(uow.session.execute(select(StepLogRow.instance_id, StepLogRow.outcome)).all())
            per_instance = uow.session.scalar(select(func.count(func.distinct(StepLogRow.instance_id))))
        assert sum(done) == INSTANCES  # together they advanced each once
        assert min(done) > 0, done  # and both took part
        assert statuses == {"completed": INSTANCES}
        assert max(logged.values()) == 1
        assert per_instance == INSTANCES
        for rt in [*workers, runtime]:
            rt.close()


def _side_by_side(workers: list[Runtime]) -> list[int]:
    """Run the timers of both workers at once; how many each advanced."""
    done: list[int] = []

    def work(rt: Runtime) -> None:
        done.append(run_due(rt, build_subscriptions(rt), START + timedelta(hours=2)))

    threads = [threading.Thread(target=work, args=(rt,)) for rt in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return done


def _waiting_instances(runtime: Runtime) -> None:
    """INSTANCES waiting on `pause`, due an hour after START (as entries by the API would leave them)."""
    with runtime.uow() as uow:
        journey = uow.session.scalars(select(JourneyRow)).one()
        one_id = one_ids_by_customer_no(uow.session, ["C1"])["C1"]
        rows = [
            {
                "instance_id": f"{n:032x}", "journey_id": journey.id, "version": 1, "one_id": one_id,
                "entry_key": f"test:{n}", "status": "waiting", "step": "pause", "wake_at": START + timedelta(hours=1),
                "visits": 1, "holdout": False, "entered_at": START, "updated_at": START,
            }
            for n in range(INSTANCES)
        ]  # fmt: skip
        uow.session.execute(insert(InstanceRow), rows)
        uow.commit()
