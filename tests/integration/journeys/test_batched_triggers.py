"""A live worker hands the journeys subscriber its items a batch at a time; the outcome must be exactly what
delivering the same items one by one gives: the same customers entered (once), held out, refused by the entry
rules, the same step logs and the same messages. The reference store delivers one item at a time (its
subscribers stripped of their batch handlers); the store under test delivers in batches (``run_once``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import select

from huoke.app import build_ingestion, build_platform, build_work_queue
from huoke.customers.import_service import import_file
from huoke.demo.generator import generate_bank
from huoke.journeys import service
from huoke.journeys.engine import holdout_of
from huoke.journeys.store import InstanceRow, JourneyRow, StepLogRow
from huoke.messaging import service as messaging
from huoke.messaging.store import MessageRow
from huoke.platform.runtime import Runtime, build_runtime
from huoke.platform.work import Subscriptions
from huoke.platform.worker import WorkQueue
from tests.conftest import START, make_settings

CUSTOMERS = 40
ALERT = {"name": "login_alert", "channel": "sms", "purpose": "risk", "signature": "活客银行",
         "body": "{{ customer.honorific }}，您的账户刚刚登录。"}  # fmt: skip
ONCE = {
    "name": "login_once",
    "trigger": {"event": {"type": "login"}},
    "entry": {"reentry": False},
    "steps": [{"id": "alert", "send": {"template": "login_alert"}, "next": "done"}, {"id": "done", "exit": True}],
}
HELD = ONCE | {"name": "login_held", "entry": {"reentry": False, "holdout_percent": 50}}
SENIORS = {
    "name": "open_seniors",
    "trigger": {"event": {"type": "app_open"}, "condition": {"attr": "age", "op": "ge", "value": 50}},
    "entry": {"reentry": True, "cooldown_days": 1},
    "steps": [{"id": "alert", "send": {"template": "login_alert"}, "next": "done"}, {"id": "done", "exit": True}],
}
WAITING = {
    "name": "login_then_wait",
    "trigger": {"event": {"type": "login"}},
    "entry": {"reentry": True, "max_concurrent": 2},
    "steps": [
        {"id": "pause", "wait_for": {"event": {"type": "app_open"}}, "timeout_hours": 24,
         "on_event": "thanks", "on_timeout": "done"},
        {"id": "thanks", "send": {"template": "login_alert"}, "next": "done"},
        {"id": "done", "exit": True},
    ],
}  # fmt: skip


def _bank(runtime: Runtime, folder: Path) -> list[str]:
    build_platform(runtime).init(mode="simulated", start=START)
    bank = generate_bank(folder, customers=CUSTOMERS, seed=23, as_of=START.date())
    for kind in ("org", "staff", "products", "customers"):
        import_file(runtime, kind=kind, path=bank.files[kind])
    messaging.create_template(runtime, ALERT, actor="test")
    for journey in (ONCE, HELD, SENIORS, WAITING):
        service.create_journey(runtime, journey, actor="test")
        service.change_state(runtime, name=str(journey["name"]), command="activate", actor="test")
    with runtime.engine.connect() as conn:
        query = "select customer_no from customers where customer_no is not null order by customer_no"
        return [row[0] for row in conn.exec_driver_sql(query)]


def _events(numbers: list[str], prefix: str, kind: str = "login") -> list[dict[str, Any]]:
    return [{"event_id": f"{prefix}-{number}", "type": kind, "occurred_at": START.isoformat(), "customer_no": number}
            for number in numbers]  # fmt: skip


def _ingest(runtime: Runtime, events: list[dict[str, Any]]) -> None:
    report = build_ingestion(runtime).events(events, actor="test")
    assert report.count("rejected") == 0, report.as_dict()


def _by_batches(runtime: Runtime) -> None:
    queue = WorkQueue(runtime, build_work_queue(runtime).subscriptions)
    queue.batch_size = 25  # several batches, each mixing quick entries and one-by-one items
    while queue.run_once().processed:
        pass


def _one_by_one(runtime: Runtime) -> None:
    plain = Subscriptions(replace(s, handle_batch=None) for s in build_work_queue(runtime).subscriptions)
    WorkQueue(runtime, plain).drain(START)


def _scenario(runtime: Runtime, numbers: list[str], deliver: Any) -> None:
    """Logins of the first ten, delivered, and app_opens of five of them; then logins of everyone, a second
    login of five customers in the same delivery, app_opens (two of them by customers waiting for one), and
    the first logins again."""
    _ingest(runtime, _events(numbers[:10], "first"))
    deliver(runtime)
    _ingest(runtime, _events(numbers[5:10], "early", "app_open"))  # ends their wait: entered, none waiting
    deliver(runtime)
    opens = _events(numbers[:2] + numbers[30:36], "open", "app_open")
    second = _events(numbers, "second") + _events(numbers[20:25], "again") + opens
    _ingest(runtime, second)
    _ingest(runtime, _events(numbers[:10], "first"))  # a duplicate: accepted once, never entered twice
    deliver(runtime)


def _outcome(runtime: Runtime) -> dict[str, Any]:
    """What happened, by journey and event (ONE_IDs differ between stores); the holdout journey left out."""
    with runtime.uow() as uow:
        session = uow.session
        names = dict(session.execute(select(JourneyRow.id, JourneyRow.name)).all())
        rows = [r for r in session.scalars(select(InstanceRow)) if names[r.journey_id] != "login_held"]
        kept = {r.instance_id for r in rows}
        instances = Counter((names[r.journey_id], r.entry_key.split(":", 1)[1], r.status, r.step) for r in rows)
        logs = Counter(
            (r.step, r.kind, r.outcome) for r in session.scalars(select(StepLogRow)) if r.instance_id in kept
        )
        messages = Counter(
            (r.customer_no, r.journey, r.template, r.status)
            for r in session.scalars(select(MessageRow))
            if r.journey != "login_held"
        )
    return {"instances": instances, "logs": logs, "messages": messages}


def _held(runtime: Runtime) -> list[tuple[bool, bool, int]]:
    """Per entry of the holdout journey: its holdout flag, what the hash assigns, and its messages."""
    with runtime.uow() as uow:
        session = uow.session
        journey = session.scalars(select(JourneyRow).where(JourneyRow.name == "login_held")).one()
        sent = Counter(r.one_id for r in session.scalars(select(MessageRow).where(MessageRow.journey == "login_held")))
        rows = session.scalars(select(InstanceRow).where(InstanceRow.journey_id == journey.id))
        return [(r.holdout, holdout_of("login_held", r.one_id, 50), sent[r.one_id]) for r in rows]


def test_batched_delivery_enters_exactly_as_one_by_one_delivery(runtime: Runtime, tmp_path: Path) -> None:
    reference = build_runtime(make_settings(tmp_path / "reference"))
    try:
        numbers = _bank(reference, tmp_path / "bank")
        assert _bank(runtime, tmp_path / "bank") == numbers
        _scenario(reference, numbers, _one_by_one)
        _scenario(runtime, numbers, _by_batches)
        expected, batched = _outcome(reference), _outcome(runtime)
    finally:
        reference.close()

    assert batched == expected
    entered = Counter(name for name, *_ in batched["instances"].elements())
    assert entered["login_once"] == CUSTOMERS  # one entry each: the repeats and the duplicate refused
    assert entered["login_then_wait"] == CUSTOMERS + 10 + 5  # up to two running at once
    assert 0 < entered["open_seniors"] < 5 + 8  # the profile condition refused some
    # every instance waiting when its customer opened the app: five early, then two each for the first two
    # and one each for six more
    assert batched["logs"][("thanks", "send", "sent")] == 5 + 2 * 2 + 6


def test_batched_entries_keep_the_holdout_and_give_held_out_customers_nothing(runtime: Runtime, tmp_path: Path) -> None:
    numbers = _bank(runtime, tmp_path / "bank")
    _scenario(runtime, numbers, _by_batches)

    held = _held(runtime)
    assert len(held) == CUSTOMERS
    assert all(flag == assigned for flag, assigned, _ in held)
    assert 0 < sum(flag for flag, _, _ in held) < CUSTOMERS
    assert all(messages == (0 if flag else 1) for flag, _, messages in held)
