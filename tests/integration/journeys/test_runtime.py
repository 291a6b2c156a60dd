"""Journeys at work on the simulated clock (SQLite and PostgreSQL): a login enters the customer once, the first
message goes out at once, the timer wakes the instance a day later for the RM task; a purchase ends a wait;
holdout customers are recorded and get nothing; a stopped journey's instances stop."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from huoke.app import build_ingestion
from huoke.journeys import service
from huoke.journeys.engine import holdout_of
from huoke.journeys.store import InstanceRow, StepLogRow
from huoke.messaging import task_service
from huoke.platform.runtime import Runtime
from tests.conftest import START
from tests.integration.messaging.bank import messages_of, open_bank, run_until

WELCOME: dict[str, Any] = {
    "name": "login_welcome",
    "trigger": {"event": {"type": "login"}},
    "entry": {"reentry": False},
    "steps": [
        {"id": "hello", "send": {"template": "fraud_alert"}, "next": "pause"},
        {"id": "pause", "wait": {"days": 1}, "next": "call"},
        {"id": "call", "task": {"assignee": "rm", "template": "rm_call", "due_hours": 24}, "next": "done"},
        {"id": "done", "exit": True},
    ],
}
PURCHASE: dict[str, Any] = {
    "name": "wealth_nudge",
    "trigger": {"event": {"type": "product_view", "where": {"dwell_seconds": {"op": "ge", "value": 60}}}},
    "entry": {"reentry": True},
    "goal": {"txn": {"txn_type": "wealth_purchase"}, "within_days": 14},
    "steps": [
        {"id": "wait", "wait_for": {"txn": {"txn_type": "wealth_purchase"}}, "timeout_hours": 48,
         "on_event": "done", "on_timeout": "nudge"},
        {"id": "nudge", "send": {"template": "fraud_alert"}, "next": "done"},
        {"id": "done", "exit": True},
    ],
}  # fmt: skip


@pytest.fixture
def bank_runtime(runtime: Runtime, tmp_path: Path) -> Runtime:
    open_bank(runtime, tmp_path / "bank")
    return runtime


def activate(runtime: Runtime, document: dict[str, Any]) -> None:
    service.create_journey(runtime, document, actor="test")
    service.change_state(runtime, name=document["name"], command="activate", actor="test")


def event(runtime: Runtime, event_id: str, customer_no: str, kind: str, minutes: int, **properties: Any) -> None:
    at = (START + timedelta(minutes=minutes)).isoformat()
    item = {"event_id": event_id, "type": kind, "occurred_at": at, "customer_no": customer_no, "properties": properties}
    report = build_ingestion(runtime).events([item], actor="test")
    assert report.count("rejected") == 0, report.as_dict()


def purchase(runtime: Runtime, txn_id: str, customer_no: str, minutes: int) -> None:
    at = (START + timedelta(minutes=minutes)).isoformat()
    item = {"txn_id": txn_id, "customer_no": customer_no, "occurred_at": at, "amount": "50000",
            "direction": "debit", "txn_type": "wealth_purchase"}  # fmt: skip
    report = build_ingestion(runtime).transactions([item], actor="test")
    assert report.count("rejected") == 0, report.as_dict()


def steps_of(runtime: Runtime, journey: str) -> list[str]:
    with runtime.uow() as uow:
        rows = uow.session.scalars(select(StepLogRow).order_by(StepLogRow.at, StepLogRow.id)).all()
        return [f"{row.step}:{row.outcome}" for row in rows]


def test_a_login_enters_once_sends_at_once_and_the_timer_creates_the_task(bank_runtime: Runtime) -> None:
    activate(bank_runtime, WELCOME)
    event(bank_runtime, "e1", "C2", "login", 0)
    run_until(bank_runtime, START + timedelta(minutes=1))

    [message] = messages_of(bank_runtime, "C2")
    assert (message["template"], message["status"]) == ("fraud_alert", "sent")
    assert service.journey_status(bank_runtime, name="login_welcome")["active"] == 1

    event(bank_runtime, "e1", "C2", "login", 0)  # the same event again: a duplicate
    event(bank_runtime, "e2", "C2", "login", 2)  # another login: no re-entry
    run_until(bank_runtime, START + timedelta(days=1, minutes=5))

    status = service.journey_status(bank_runtime, name="login_welcome")
    assert (status["entered"], status["active"], status["completed"]) == (1, 0, 1)
    [task] = task_service.list_tasks(bank_runtime, customer_no="C2")["tasks"]
    assert task["journey"] == "login_welcome"
    assert (task["staff_no"], task["queue"]) == (None, "SB01")  # C2 has no RM: the branch queue
    assert len(messages_of(bank_runtime, "C2")) == 2  # the alert and the task, each once
    assert steps_of(bank_runtime, "login_welcome") == [
        "hello:sent", "pause:waiting", "pause:elapsed", "call:task_created", "done:completed",
    ]  # fmt: skip


def test_a_purchase_ends_the_wait_and_counts_as_the_goal(bank_runtime: Runtime) -> None:
    activate(bank_runtime, PURCHASE)
    event(bank_runtime, "v1", "C1", "product_view", 0, product_code="W1", dwell_seconds=75)
    event(bank_runtime, "v2", "C2", "product_view", 0, product_code="W1", dwell_seconds=80)
    run_until(bank_runtime, START + timedelta(minutes=30))
    purchase(bank_runtime, "t1", "C1", 30)
    run_until(bank_runtime, START + timedelta(hours=49))

    with bank_runtime.uow() as uow:
        rows = {r.one_id: (r.status, r.goal_at) for r in uow.session.scalars(select(InstanceRow)).all()}
        c1 = task_service.customer_one_id_in(uow.session, "C1")
        c2 = task_service.customer_one_id_in(uow.session, "C2")
    assert rows[c1][0] == "completed"
    assert rows[c1][1] is not None  # the purchase is the goal
    assert rows[c2] == ("completed", None)
    status = service.journey_status(bank_runtime, name="wealth_nudge")
    assert status["goal"]["treatment"] == {"entered": 2, "converted": 1}
    assert status["steps"]["nudge"] == {"sent": 1}
    assert messages_of(bank_runtime, "C1") == []  # bought: no nudge
    [nudge] = messages_of(bank_runtime, "C2")  # did not buy: nudged after 48 h
    assert nudge["template"] == "fraud_alert"


def test_holdout_customers_are_recorded_and_get_nothing(bank_runtime: Runtime) -> None:
    activate(bank_runtime, WELCOME | {"entry": {"reentry": False, "holdout_percent": 50}})
    event(bank_runtime, "h1", "C1", "login", 0)
    event(bank_runtime, "h2", "C2", "login", 0)
    run_until(bank_runtime, START + timedelta(days=1, minutes=5))

    with bank_runtime.uow() as uow:
        ids = {n: task_service.customer_one_id_in(uow.session, n) for n in ("C1", "C2")}
    held = {n for n, one_id in ids.items() if holdout_of("login_welcome", one_id, 50)}
    status = service.journey_status(bank_runtime, name="login_welcome")
    assert (status["entered"], status["holdout"], status["completed"]) == (2, len(held), 2)
    for number in ("C1", "C2"):
        assert (messages_of(bank_runtime, number) == []) == (number in held)


def test_stopping_a_journey_stops_its_instances(bank_runtime: Runtime) -> None:
    activate(bank_runtime, WELCOME)
    event(bank_runtime, "s1", "C2", "login", 0)
    run_until(bank_runtime, START + timedelta(minutes=1))
    service.change_state(bank_runtime, name="login_welcome", command="stop", actor="test")
    run_until(bank_runtime, START + timedelta(days=2))

    status = service.journey_status(bank_runtime, name="login_welcome")
    assert (status["active"], status["exited"]) == (0, 1)
    assert task_service.list_tasks(bank_runtime, customer_no="C2")["tasks"] == []


def test_an_edited_journey_keeps_running_instances_on_their_version(bank_runtime: Runtime) -> None:
    activate(bank_runtime, WELCOME)
    event(bank_runtime, "v1", "C2", "login", 0)
    run_until(bank_runtime, START + timedelta(minutes=1))
    edited = WELCOME | {"steps": [WELCOME["steps"][0], {**WELCOME["steps"][1], "next": "done"}, WELCOME["steps"][3]]}
    assert service.create_journey(bank_runtime, edited, actor="test")["version"] == 2  # no more RM call
    event(bank_runtime, "v2", "C1", "login", 2)

    run_until(bank_runtime, START + timedelta(days=1, minutes=5))

    with bank_runtime.uow() as uow:
        versions = {r.one_id: r.version for r in uow.session.scalars(select(InstanceRow)).all()}
        c1, c2 = (task_service.customer_one_id_in(uow.session, n) for n in ("C1", "C2"))
    assert versions == {c2: 1, c1: 2}
    assert [t["customer_no"] for t in task_service.list_tasks(bank_runtime)["tasks"]] == ["C2"]  # only version 1 calls
