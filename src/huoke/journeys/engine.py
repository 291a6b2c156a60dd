"""The pure journey engine: what one customer's journey instance does next.

``advance(definition, instance, facts, now)`` runs steps from ``instance.step`` until the instance waits
(``wait``, ``wait_for``) or ends (``exit``), and returns the new instance and the actions to execute. It reads
nothing but its arguments: the same inputs always give the same result, with the same idempotency keys, so a
worker that crashes after computing an advance and retries it causes each effect at most once.

Holdout instances walk the same steps (waits, branches and splits included) and log every step, but emit no
customer-facing action: their step log shows where a treated customer would have been, and the goal is
measured for both groups over the same period.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo

from huoke.journeys.actions import (
    Action,
    CallWebhook,
    ChangeTag,
    Completed,
    CreateTask,
    Effect,
    Exited,
    Ignored,
    SendMessage,
    StepLogged,
    idempotency_key,
)  # fmt: skip
from huoke.journeys.definition import (
    BranchStep,
    ExitStep,
    JourneyDefinition,
    SendStep,
    SplitStep,
    Step,
    TagStep,
    TaskStep,
    WaitForStep,
    WaitSpec,
    WaitStep,
    WebhookStep,
)  # fmt: skip
from huoke.journeys.matching import awaited_matches, matches, occurred_at
from huoke.journeys.trigger_model import EventGoal, EventTrigger, TxnTrigger
from huoke.messaging.model import DEFAULT_PRIORITY
from huoke.segments.evaluate import evaluate
from huoke.segments.facts import CustomerFacts
from huoke.segments.filters import EventFilter, TxnFilter

DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")
MAX_STEPS_PER_ADVANCE = 100  # a guard against bugs: validation already refuses loops without a wait
HOLDOUT_BUCKETS = 10_000  # holdout shares are exact to a hundredth of a percent
Status = Literal["active", "waiting", "completed", "exited"]
FINISHED: frozenset[str] = frozenset({"completed", "exited"})


@dataclass(frozen=True)
class Instance:
    """One customer's run through one version of a journey.

    ``status`` is ``waiting`` on a ``wait`` or ``wait_for`` step (``wake_at``: when the wait ends or times
    out), ``active`` between steps, and ``completed`` / ``exited`` at the end. ``visits`` counts the step
    executions so far; it makes the idempotency keys of repeated visits to a step (loops) distinct.
    """

    instance_id: str
    journey: str
    version: int
    one_id: str
    status: Status
    step: str | None
    wake_at: datetime | None
    entered_at: datetime
    holdout: bool
    visits: int = 0


@dataclass(frozen=True)
class Facts:
    """What the engine may know when it runs: the customer (for ``branch`` rules) and the event that arrived.

    ``event`` is a mapping with ``kind`` (``event`` or ``txn``; default ``event``), ``occurred_at`` (aware
    datetime or ISO text) and, for events, ``type`` and ``properties``; for transactions ``txn_type``,
    ``direction``, ``amount`` (yuan) or ``amount_fen``, ``channel``, ``mcc`` and ``product_code``.
    Without a ``profile`` every attribute is missing, so comparisons are false (CONTRACTS.md §3).
    """

    profile: CustomerFacts | None = None
    event: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Advance:
    """The instance after the call and what to do, in order."""

    instance: Instance
    actions: tuple[Action, ...] = ()


@dataclass
class _Run:
    """The state of one call: the instance as it moves and the actions gathered so far."""

    definition: JourneyDefinition
    instance: Instance
    facts: Facts
    now: datetime
    zone: tzinfo
    actions: list[Action] = field(default_factory=list)

    def log(self, step: Step, outcome: str) -> None:
        visit = self.instance.visits
        self.actions.append(StepLogged(step.id, step.kind, outcome, self.now, visit))
        self.instance = replace(self.instance, visits=visit + 1)

    def key(self, step: Step) -> str:
        return idempotency_key(self.instance.instance_id, self.instance.visits, step.id)

    def go(self, target: str) -> str:
        self.instance = replace(self.instance, status="active", step=target, wake_at=None)
        return target

    def done(self) -> Advance:
        return Advance(self.instance, tuple(self.actions))


def start(
    definition: JourneyDefinition, *, instance_id: str, version: int, one_id: str, entered_at: datetime, holdout: bool
) -> Instance:
    """A new instance at the journey's first step, ready for its first ``advance``."""
    _aware(entered_at, "entered_at")
    first = definition.steps[0].id
    return Instance(instance_id, definition.name, version, one_id, "active", first, None, entered_at, holdout)


def advance(
    definition: JourneyDefinition, instance: Instance, facts: Facts, now: datetime, *, zone: tzinfo = DEFAULT_ZONE
) -> Advance:
    """Run the instance from its current step until it waits or ends; ``zone`` is the business time zone.

    A waiting instance continues when ``now`` reaches ``wake_at`` or, on a ``wait_for``, when ``facts.event``
    matches what it waits for (an event that does not match changes nothing). A finished instance is left
    as it is, with an ``Ignored`` action for the log.
    """
    _aware(now, "now")
    if instance.status in FINISHED:
        return Advance(instance, (Ignored("instance_finished", now),))
    run = _Run(definition, instance, facts, now, zone)
    if instance.status == "waiting" and not _resume(run):
        return Advance(instance)
    return _walk(run)


def stop(instance: Instance, reason: str, now: datetime) -> Advance:
    """End an instance before an ``exit`` step (an operator's stop, a reached goal); finished ones stay."""
    if instance.status in FINISHED:
        return Advance(instance, (Ignored("instance_finished", now),))
    ended = replace(instance, status="exited", step=None, wake_at=None)
    return Advance(ended, (Exited(reason, now),))


def _walk(run: _Run) -> Advance:
    for _ in range(MAX_STEPS_PER_ADVANCE):
        step = _lookup(run)
        if step is None:
            return run.done()
        target = _RUN_STEP[type(step)](run, step)
        if target is None:
            return run.done()
        run.go(target)
    return _exit(run, "step_limit")


def _lookup(run: _Run) -> Step | None:
    try:
        return run.definition.step(str(run.instance.step))
    except KeyError:
        _exit(run, "unknown_step")
        return None


def _exit(run: _Run, reason: str) -> Advance:
    run.instance = replace(run.instance, status="exited", step=None, wake_at=None)
    run.actions.append(Exited(reason, run.now))
    return run.done()


def _resume(run: _Run) -> bool:
    """Whether a waiting instance moves on now (and to where: its ``step`` is set to the target)."""
    step = _lookup(run)
    wake_at = run.instance.wake_at
    due = wake_at is None or run.now >= wake_at
    if isinstance(step, WaitStep):
        if due:
            run.log(step, "elapsed")
            run.go(step.next)
        return due
    if isinstance(step, WaitForStep):
        return _resume_wait_for(run, step, wake_at, due)
    return True  # a step that does not wait (or no step at all): just run on


def _resume_wait_for(run: _Run, step: WaitForStep, wake_at: datetime | None, due: bool) -> bool:
    event = run.facts.event
    if event is not None and awaited_matches(step.wait_for, event, run.zone, run.now):
        occurred = occurred_at(event, run.now)
        if wake_at is None or occurred <= wake_at:
            run.log(step, "event")
            run.go(step.on_event)
            return True
    if due:
        run.log(step, "timeout")
        run.go(step.on_timeout)
    return due


# --- one step each -------------------------------------------------------------------------------------------


def _effect(run: _Run, step: Step, effect: Effect, outcome: str) -> None:
    """Emit a customer-facing effect, unless the instance is in the holdout group."""
    if run.instance.holdout:
        run.log(step, "held_out")
        return
    run.actions.append(effect)
    run.log(step, outcome)


def _send(run: _Run, step: SendStep) -> str:
    priority = DEFAULT_PRIORITY if step.send.priority is None else step.send.priority
    _effect(run, step, SendMessage(step.send.template, priority, run.key(step)), "sent")
    return step.next


def _task(run: _Run, step: TaskStep) -> str:
    spec = step.task
    _effect(run, step, CreateTask(spec.template, spec.assignee, spec.due_hours, run.key(step)), "task_created")
    return step.next


def _tag(run: _Run, step: TagStep) -> str:
    adding = step.tag.add is not None
    _effect(run, step, ChangeTag(step.tag.name, adding, run.key(step)), "tagged" if adding else "untagged")
    return step.next


def _webhook(run: _Run, step: WebhookStep) -> str:
    _effect(run, step, CallWebhook(step.webhook.url, run.key(step)), "called")
    return step.next


def _wait(run: _Run, step: WaitStep) -> None:
    _start_waiting(run, step, wake_time(step.wait, run.now, run.zone))


def _wait_for(run: _Run, step: WaitForStep) -> None:
    _start_waiting(run, step, run.now.astimezone(UTC) + timedelta(hours=step.timeout_hours))


def _start_waiting(run: _Run, step: Step, wake_at: datetime) -> None:
    run.instance = replace(run.instance, status="waiting", step=step.id, wake_at=wake_at.astimezone(UTC))
    run.log(step, "waiting")


def _branch(run: _Run, step: BranchStep) -> str:
    profile = run.facts.profile or CustomerFacts(zone=run.zone)
    holds = evaluate(step.branch.if_, profile, run.now)
    run.log(step, "then" if holds else "else")
    return step.branch.then if holds else step.branch.else_


def _split(run: _Run, step: SplitStep) -> str:
    index = variant_of(run.instance.instance_id, step.id, [v.weight for v in step.split.variants])
    run.log(step, f"variant_{index}")
    return step.split.variants[index].next


def _finish(run: _Run, step: ExitStep) -> None:
    run.instance = replace(run.instance, status="completed", step=None, wake_at=None)
    run.log(step, "completed")
    run.actions.append(Completed(run.now))


_RUN_STEP: dict[type[Any], Callable[[_Run, Any], str | None]] = {
    SendStep: _send, TaskStep: _task, TagStep: _tag, WebhookStep: _webhook, WaitStep: _wait,
    WaitForStep: _wait_for, BranchStep: _branch, SplitStep: _split, ExitStep: _finish,
}  # fmt: skip


# --- times, hashing, matching --------------------------------------------------------------------------------


def wake_time(spec: WaitSpec, now: datetime, zone: tzinfo) -> datetime:
    """When a wait that starts at ``now`` ends, in UTC.

    ``hours`` are elapsed hours; ``days`` keep the local time of day N calendar days later in ``zone``;
    ``until_time`` is the next local HH:MM strictly after ``now``. Both are computed on local dates, so a
    daylight-saving change in ``zone`` moves neither the wall-clock time nor the day.
    """
    if spec.hours is not None:
        return now.astimezone(UTC) + timedelta(hours=spec.hours)  # elapsed time: aware "+" is wall-clock
    local = now.astimezone(zone)
    if spec.days is not None:
        return datetime.combine(local.date() + timedelta(days=spec.days), local.time(), tzinfo=zone).astimezone(UTC)
    hour, minute = (int(part) for part in str(spec.until_time).split(":"))
    for ahead in range(3):  # today, tomorrow, or the day after when a DST gap swallows tomorrow's time
        day = local.date() + timedelta(days=ahead)
        candidate = datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)
        if candidate > now:
            return candidate
    raise AssertionError("unreachable: a local time of day recurs within three days")  # pragma: no cover


def _bucket(text: str, size: int) -> int:
    """A stable number in [0, size) for TEXT, the same in every process (unlike ``hash``)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") % size


def variant_of(instance_id: str, step_id: str, weights: list[int]) -> int:
    """The index of the split variant an instance takes: deterministic, in proportion to the weights."""
    point = _bucket(f"split|{instance_id}|{step_id}", sum(weights))
    for index, weight in enumerate(weights):
        if point < weight:
            return index
        point -= weight
    raise AssertionError("unreachable: the point lies below the total weight")  # pragma: no cover


def holdout_of(journey: str, one_id: str, percent: float, salt: str = "") -> bool:
    """Whether a customer is in a journey's holdout group: deterministic per (salt, journey, customer).

    ``salt`` lets an operator redraw the groups (or share one global holdout across journeys with the same
    journey name, e.g. ``"*"``). About ``percent`` percent of customers are held out.
    """
    return _bucket(f"holdout|{salt}|{journey}|{one_id}", HOLDOUT_BUCKETS) < round(percent * HOLDOUT_BUCKETS / 100)


def enters(
    definition: JourneyDefinition,
    *,
    active_instances: int,
    last_entered_at: datetime | None,
    in_suppression: bool,
    now: datetime,
) -> tuple[bool, str]:
    """Whether a triggered customer enters, with the reason: ``entered``, ``suppressed`` (in the suppression
    segment), ``already_entered`` (re-entry off), ``max_concurrent`` or ``cooldown`` (last entry less than
    ``cooldown_days`` × 24 h ago)."""
    _aware(now, "now")
    entry = definition.entry
    if in_suppression:
        return False, "suppressed"
    if last_entered_at is not None and not entry.reentry:
        return False, "already_entered"
    if active_instances >= entry.max_concurrent:
        return False, "max_concurrent"
    cooldown = timedelta(days=entry.cooldown_days or 0)
    if last_entered_at is not None and now.astimezone(UTC) - last_entered_at.astimezone(UTC) < cooldown:
        return False, "cooldown"
    return True, "entered"


def triggered(definition: JourneyDefinition, facts: Facts, now: datetime, *, zone: tzinfo = DEFAULT_ZONE) -> bool:
    """Whether ``facts.event`` fires an event or transaction trigger (with its profile ``condition`` at ``now``)."""
    trigger, event = definition.trigger, facts.event
    if event is None:
        return False
    if isinstance(trigger, EventTrigger):
        if not matches(trigger.event, event, zone, now):
            return False
        return trigger.condition is None or evaluate(trigger.condition, facts.profile or CustomerFacts(zone), now)
    return isinstance(trigger, TxnTrigger) and matches(trigger.txn, event, zone, now)


def goal_reached(
    definition: JourneyDefinition, instance: Instance, facts: Facts, *, zone: tzinfo = DEFAULT_ZONE
) -> bool:
    """Whether ``facts.event`` is the journey's goal, within ``within_days`` × 24 h of the instance's entry."""
    goal, event = definition.goal, facts.event
    if goal is None or event is None:
        return False
    wanted: EventFilter | TxnFilter = goal.event if isinstance(goal, EventGoal) else goal.txn
    occurred = occurred_at(event, instance.entered_at)
    entered = instance.entered_at.astimezone(UTC)
    in_time = entered <= occurred <= entered + timedelta(days=goal.within_days)
    return in_time and matches(wanted, event, zone, occurred)


def _aware(instant: datetime, name: str) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {instant.isoformat()}")
