"""Journeys triggered by time on the simulated clock: a weekly cron over a segment, each customer's birthday,
and the eve of Spring Festival — each customer entering once per firing, at the firing's own instant."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from huoke.app import build_subscriptions
from huoke.journeys import service
from huoke.journeys.store import InstanceRow
from huoke.messaging import task_service
from huoke.platform.runtime import Runtime
from huoke.segments import service as segments
from huoke.segments.refresh import refresh_segments
from tests.conftest import SHANGHAI, START
from tests.integration.messaging.bank import open_bank, run_until

STEPS: list[dict[str, Any]] = [
    {"id": "alert", "send": {"template": "fraud_alert"}, "next": "done"},
    {"id": "done", "exit": True},
]


@pytest.fixture
def bank_runtime(runtime: Runtime, tmp_path: Path) -> Runtime:
    open_bank(runtime, tmp_path / "bank")
    segments.create_segment(runtime, name="both_cities", rule={"attr": "city", "op": "in", "value": ["北京", "上海"]})
    refresh_segments(runtime, build_subscriptions(runtime), names=["both_cities"])
    return runtime


def activate(runtime: Runtime, name: str, trigger: dict[str, Any]) -> None:
    document = {"name": name, "trigger": trigger, "entry": {"reentry": True}, "steps": STEPS}
    service.create_journey(runtime, document, actor="test")
    service.change_state(runtime, name=name, command="activate", actor="test")


def entries(runtime: Runtime) -> list[tuple[datetime, str]]:
    with runtime.uow() as uow:
        numbers = {n: task_service.customer_one_id_in(uow.session, n) for n in ("C1", "C2")}
        by_one_id = {v: k for k, v in numbers.items()}
        rows = uow.session.scalars(select(InstanceRow).order_by(InstanceRow.entered_at)).all()
        return [(row.entered_at.astimezone(SHANGHAI), by_one_id[row.one_id]) for row in rows]


def test_a_weekly_schedule_enters_the_segment_every_monday(bank_runtime: Runtime) -> None:
    activate(bank_runtime, "monday_digest", {"schedule": {"cron": "0 10 * * 1", "segment": "both_cities"}})

    run_until(bank_runtime, START + timedelta(days=14))

    mondays = [datetime(2026, 11, 30, 10, tzinfo=SHANGHAI), datetime(2026, 12, 7, 10, tzinfo=SHANGHAI)]
    assert sorted(entries(bank_runtime)) == sorted((day, n) for day in mondays for n in ("C1", "C2"))
    assert service.journey_status(bank_runtime, name="monday_digest")["completed"] == 4


def test_birthdays_fire_on_each_customers_own_day(bank_runtime: Runtime) -> None:
    activate(bank_runtime, "birthday", {"date": {"attr": "birth_date", "at": "09:30"}})

    run_until(bank_runtime, datetime(2027, 1, 2, tzinfo=SHANGHAI))
    run_until(bank_runtime, datetime(2027, 1, 3, tzinfo=SHANGHAI))  # catching up again enters nobody twice

    assert entries(bank_runtime) == [
        (datetime(2026, 12, 31, 9, 30, tzinfo=SHANGHAI), "C1"),  # born 1949-12-31
        (datetime(2027, 1, 1, 9, 30, tzinfo=SHANGHAI), "C2"),  # born 1990-01-01
    ]


def test_the_eve_of_spring_festival_fires_for_the_segment(bank_runtime: Runtime) -> None:
    eve = {"festival": {"name": "spring_festival", "offset_days": -1, "at": "10:00", "segment": "both_cities"}}
    activate(bank_runtime, "spring_eve", eve)

    run_until(bank_runtime, datetime(2027, 2, 8, tzinfo=SHANGHAI))

    day = datetime(2027, 2, 5, 10, tzinfo=SHANGHAI)  # Spring Festival 2027 is 6 February
    assert sorted(entries(bank_runtime)) == [(day, "C1"), (day, "C2")]
