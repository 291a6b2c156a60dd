"""Journey use cases: save a definition (every change a new version), activate it once it is valid against the
templates, segments, tags and event types that exist, pause, resume or stop it, and report its status. Each
opens one unit of work and commits once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from huoke.customers.service import one_ids_by_customer_no
from huoke.events.service import list_event_types
from huoke.journeys.definition import JourneyDefinition, parse_journey
from huoke.journeys.engine import Facts
from huoke.journeys.execution import Context
from huoke.journeys.runtime import Journey, enter, journeys_changed
from huoke.journeys.store import InstanceRow, JourneyRow, JourneyVersionRow, StepLogRow
from huoke.journeys.validation import check, validate
from huoke.messaging.service import list_templates
from huoke.platform.errors import Conflict, InvalidInput, NotFound
from huoke.platform.runtime import Runtime
from huoke.platform.store import append_audit
from huoke.platform.work import Subscriptions
from huoke.segments.service import customer_facts, known_tags, list_segments

STATES = ("draft", "active", "paused", "stopped")
# What each command may move a journey from, and to.
MOVES = {
    "activate": ({"draft", "paused", "stopped"}, "active"),
    "pause": ({"active"}, "paused"),
    "resume": ({"paused"}, "active"),
    "stop": ({"draft", "active", "paused"}, "stopped"),
}


def create_journey(runtime: Runtime, document: Any, *, actor: str) -> dict[str, Any]:
    """Save a journey (a draft when new); a changed definition becomes the next version, the same one is kept.

    Graph problems (dangling steps, unreachable steps, loops without a wait) are refused here with their step
    ids; names of templates, segments and tags are checked when the journey is activated."""
    definition = parse_journey(document)
    _refuse_graph_problems(definition)
    stored = definition.model_dump(mode="json", by_alias=True, exclude_none=True)
    with runtime.uow() as uow:
        session, now = uow.session, runtime.now()
        row = _find(session, definition.name)
        if row is not None and row.definition == stored:
            return _summary(row, created=False)  # read while the session is open
        row = _new_version(session, row, definition.name, stored, now=now, actor=actor)
        append_audit(session, at=now, actor=actor, action="journey.saved", subject=row.name,
                     detail={"version": row.version})  # fmt: skip
        summary = _summary(row, created=True)
        uow.commit()
    return summary


def change_state(runtime: Runtime, *, name: str, command: str, actor: str) -> dict[str, Any]:
    """activate | pause | resume | stop; activation first checks every name the journey uses."""
    sources, target = MOVES[command]
    if command == "activate":
        _check_references(runtime, name)
    with runtime.uow() as uow:
        session, now = uow.session, runtime.now()
        row = _journey(session, name)
        if row.state not in sources:
            raise Conflict(f"journey {name!r} is {row.state}; it cannot {command}", code="bad_journey_state")
        row.state, row.updated_at = target, now
        if target == "stopped":
            _stop_instances(session, row.id, now)
        row.activated_at = now if target == "active" else row.activated_at
        append_audit(session, at=now, actor=actor, action=f"journey.{command}", subject=name,
                     detail={"version": row.version})  # fmt: skip
        summary = _summary(row, created=False)
        uow.commit()
    journeys_changed()
    return summary


def journey_status(runtime: Runtime, *, name: str) -> dict[str, Any]:
    """`journeys status`: the version and state, and how many customers entered, are on their way, completed
    it (or left it), and were held out."""
    with runtime.uow() as uow:
        session = uow.session
        row = _journey(session, name)
        counts = dict(
            session.execute(
                select(InstanceRow.status, func.count())
                .where(InstanceRow.journey_id == row.id)
                .group_by(InstanceRow.status)
            ).all()
        )
        holdout = session.scalar(
            select(func.count()).where(InstanceRow.journey_id == row.id, InstanceRow.holdout.is_(True))
        )
        name, version, state = row.name, row.version, row.state
        steps, goals = _step_counts(session, row.id), _goal_counts(session, row.id)
    return {
        "name": name,
        "version": version,
        "state": state,
        "entered": sum(counts.values()),
        "active": counts.get("active", 0) + counts.get("waiting", 0),
        "completed": counts.get("completed", 0),
        "exited": counts.get("exited", 0),
        "holdout": int(holdout or 0),
        "steps": steps,
        "goal": goals,
    }


def _step_counts(session: Session, journey_id: int) -> dict[str, dict[str, int]]:
    """step → outcome → executions (entered a wait, sent, held out, completed …), from the step log."""
    rows = session.execute(
        select(StepLogRow.step, StepLogRow.outcome, func.count())
        .join(InstanceRow, InstanceRow.instance_id == StepLogRow.instance_id)
        .where(InstanceRow.journey_id == journey_id)
        .group_by(StepLogRow.step, StepLogRow.outcome)
    )
    counts: dict[str, dict[str, int]] = {}
    for step, outcome, n in rows:
        counts.setdefault(step, {})[outcome] = int(n)
    return counts


def _goal_counts(session: Session, journey_id: int) -> dict[str, dict[str, int]]:
    """Entered and converted (goal reached in its window) for the treatment and the holdout group."""
    rows = session.execute(
        select(InstanceRow.holdout, func.count(), func.count(InstanceRow.goal_at))
        .where(InstanceRow.journey_id == journey_id)
        .group_by(InstanceRow.holdout)
    )
    found = {"treatment": {"entered": 0, "converted": 0}, "holdout": {"entered": 0, "converted": 0}}
    for holdout, entered, converted in rows:
        found["holdout" if holdout else "treatment"] = {"entered": int(entered), "converted": int(converted)}
    return found


def enter_by_api(
    runtime: Runtime, subscriptions: Subscriptions, *, name: str, customer_no: str, key: str
) -> dict[str, Any]:
    """The API trigger: enter a customer into an active journey whose trigger is `{"api": true}`; the same KEY
    enters once. Answers whether the customer entered, and the instance."""
    with runtime.uow() as uow:
        session, now = uow.session, runtime.now()
        row = _journey(session, name)
        definition = parse_journey(row.definition)
        if row.state != "active" or definition.trigger.kind != "api":
            raise Conflict(f"journey {name!r} is not an active journey with an api trigger", code="not_api_journey")
        one_id = one_ids_by_customer_no(session, [customer_no]).get(customer_no)
        if one_id is None:
            raise NotFound(f"no customer with customer_no {customer_no}", code="customer_not_found")
        journey = Journey(row.id, row.name, row.version, definition)
        profile = customer_facts(session, runtime, one_id, now)
        ctx = Context(runtime, session, subscriptions)
        entered = enter(
            ctx, journey, one_id=one_id, entry_key=f"{row.id}:api:{key}", facts=Facts(profile=profile), now=now
        )
        instance = session.scalar(select(InstanceRow.instance_id).where(InstanceRow.entry_key == f"{row.id}:api:{key}"))
        uow.commit()
    return {"journey": name, "customer_no": customer_no, "entered": entered, "instance_id": instance}


def list_journeys(runtime: Runtime) -> list[dict[str, Any]]:
    with runtime.uow() as uow:
        rows = uow.session.scalars(select(JourneyRow).order_by(JourneyRow.name)).all()
        return [_summary(row, created=False) for row in rows]


def journey_definition(session: Session, name: str, version: int | None = None) -> JourneyDefinition:
    """A saved definition (its live version unless VERSION is given)."""
    row = _journey(session, name)
    if version is None or version == row.version:
        return parse_journey(row.definition)
    stored = session.scalars(
        select(JourneyVersionRow).where(JourneyVersionRow.journey_id == row.id, JourneyVersionRow.version == version)
    ).first()
    if stored is None:
        raise NotFound(f"journey {name!r} has no version {version}", code="no_journey_version")
    return parse_journey(stored.definition)


def _stop_instances(session: Session, journey_id: int, now: datetime) -> None:
    session.execute(
        update(InstanceRow)
        .where(InstanceRow.journey_id == journey_id, InstanceRow.status.in_(("active", "waiting")))
        .values(status="exited", end_reason="stopped", ended_at=now, wake_at=None, updated_at=now)
    )


def _refuse_graph_problems(definition: JourneyDefinition) -> None:
    problems = validate(definition)
    if problems:
        listed = "; ".join(f"{p.step}: {p.message}" for p in problems)
        raise InvalidInput(
            f"journey {definition.name!r} is not valid: {listed}",
            code="invalid_journey",
            details={"problems": [{"step": p.step, "code": p.code, "message": p.message} for p in problems]},
        )


def _check_references(runtime: Runtime, name: str) -> None:
    templates = {t["name"] for t in list_templates(runtime)}
    segments = {s["name"] for s in list_segments(runtime)}
    event_types = {t["name"] for t in list_event_types(runtime)}
    with runtime.uow() as uow:
        definition = journey_definition(uow.session, name)
        tags = known_tags(runtime, uow.session)
    check(definition, templates=templates, segments=segments, tags=tags, event_types=event_types)


def _new_version(
    session: Session, row: JourneyRow | None, name: str, stored: dict[str, Any], *, now: datetime, actor: str
) -> JourneyRow:
    if row is None:
        row = JourneyRow(name=name, version=0, state="draft", definition=stored, created_at=now, updated_at=now)
        session.add(row)
        session.flush()
    row.version, row.definition, row.updated_at = row.version + 1, stored, now
    session.add(
        JourneyVersionRow(journey_id=row.id, version=row.version, definition=stored, created_at=now, created_by=actor)
    )
    return row


def _find(session: Session, name: str) -> JourneyRow | None:
    return session.scalars(select(JourneyRow).where(JourneyRow.name == name)).first()


def _journey(session: Session, name: str) -> JourneyRow:
    row = _find(session, name)
    if row is None:
        raise NotFound(f"no journey named {name!r}; save it first with `huoke journeys create`", code="no_journey")
    return row


def _summary(row: JourneyRow, *, created: bool) -> dict[str, Any]:
    return {"name": row.name, "version": row.version, "state": row.state, "created": created}
