"""What one call of the journey engine asks the world to do, as immutable values.

``engine.advance`` returns these; the journey service executes them (enqueue a message, create an RM task,
change a tag, call a webhook) in the same transaction that stores the instance, and writes every
``StepLogged`` to the instance's step log. Effects carry an idempotency key derived from the instance, its
visit counter and the step, so running the same advance twice yields the same keys and at most one effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Assignee = Literal["rm", "branch_queue"]


def idempotency_key(instance_id: str, visits: int, step: str) -> str:
    """The key of the effect of the ``visits``-th step execution of an instance (0-based), at ``step``."""
    return f"journey:{instance_id}:{visits}:{step}"


@dataclass(frozen=True)
class SendMessage:
    """Enqueue the template for the instance's customer; the contact policy decides at send time."""

    template: str
    priority: int
    idempotency_key: str


@dataclass(frozen=True)
class CreateTask:
    """Create a follow-up task for the customer's RM (or the branch queue), due ``due_hours`` from now."""

    template: str
    assignee: Assignee
    due_hours: int
    idempotency_key: str


@dataclass(frozen=True)
class ChangeTag:
    """Give the customer the tag (``add``) or take it away."""

    tag: str
    add: bool
    idempotency_key: str


@dataclass(frozen=True)
class CallWebhook:
    """POST the instance's context to the URL (the executor signs it and retries with the same key)."""

    url: str
    idempotency_key: str


@dataclass(frozen=True)
class StepLogged:
    """One execution of a step, for the per-instance step log and the per-step reporting counts.

    ``outcome`` is a stable code: ``sent``, ``task_created``, ``tagged``, ``untagged``, ``called`` (or
    ``held_out`` for a holdout instance, which gets none of these), ``waiting``, ``elapsed``, ``event``,
    ``timeout``, ``then``, ``else``, ``variant_<i>`` and ``completed``. ``visit`` is the instance's visit
    counter before this execution.
    """

    step: str
    kind: str
    outcome: str
    at: datetime
    visit: int = 0


@dataclass(frozen=True)
class Completed:
    """The instance reached an ``exit`` step."""

    at: datetime


@dataclass(frozen=True)
class Exited:
    """The instance stopped before an ``exit`` step: ``stopped`` by an operator, ``goal_reached``,
    ``step_limit`` (a bug guard), ``unknown_step`` (its step vanished from the definition)."""

    reason: str
    at: datetime


@dataclass(frozen=True)
class Ignored:
    """Nothing happened: e.g. an event for a finished instance (``instance_finished``), kept for the log."""

    reason: str
    at: datetime


Effect = SendMessage | CreateTask | ChangeTag | CallWebhook
Action = SendMessage | CreateTask | ChangeTag | CallWebhook | StepLogged | Completed | Exited | Ignored
CUSTOMER_FACING: tuple[type[Effect], ...] = (SendMessage, CreateTask, ChangeTag, CallWebhook)
