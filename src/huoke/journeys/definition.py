"""Journey definitions (CONTRACTS.md §5) as immutable pydantic models, format version 1.

A journey is one JSON document: a ``name``, a ``trigger``, ``entry`` rules, an optional ``goal`` and a list of
``steps``. Each trigger and each step is a JSON object whose one distinguishing key says what it is.
``parse_journey`` turns a document into a ``JourneyDefinition`` or raises ``InvalidInput(code="bad_journey")``
naming the journey, the JSON path (``steps[2].wait.hours``) and the reason. Graph checks (dangling edges,
unreachable steps, zero-delay loops) and catalogue checks live in ``validation.py``; triggers, entry rules and
goals in ``trigger_model.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, Tag, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from huoke.journeys.trigger_model import (
    Awaited,
    ClockTime,
    Days,
    DslRule,
    Entry,
    Goal,
    Hours,
    Part,
    Snake,
    Trigger,
    one_of,
)
from huoke.messaging.model import PRIORITY_MAX, PRIORITY_MIN
from huoke.platform.errors import InvalidInput

FORMAT_VERSION = 1
MAX_STEPS = 200


# --- steps ---------------------------------------------------------------------------------------------------


class SendSpec(Part):
    template: Snake
    priority: Annotated[int, Field(strict=True, ge=PRIORITY_MIN, le=PRIORITY_MAX)] | None = None


class WaitSpec(Part):
    """Exactly one of: a number of hours, a number of days, or the next local time of day ``until_time``."""

    hours: Hours | None = None
    days: Days | None = None
    until_time: ClockTime | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> WaitSpec:
        given = [key for key in ("hours", "days", "until_time") if getattr(self, key) is not None]
        if len(given) != 1:
            reason = "a wait needs exactly one of hours, days, until_time"
            raise PydanticCustomError("bad_journey", "{reason}", {"reason": reason})
        return self


class BranchSpec(Part):
    if_: DslRule = Field(alias="if")
    then: Snake
    else_: Snake = Field(alias="else")


class Variant(Part):
    weight: Annotated[int, Field(strict=True, ge=1, le=10_000)]
    next: Snake


class SplitSpec(Part):
    variants: tuple[Variant, ...] = Field(min_length=2, max_length=20)


class TaskSpec(Part):
    assignee: Literal["rm", "branch_queue"]
    template: Snake
    due_hours: Hours = 24


class TagSpec(Part):
    """Exactly one of ``add`` or ``remove``, naming the tag."""

    add: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    remove: Annotated[str, Field(min_length=1, max_length=128)] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> TagSpec:
        if (self.add is None) == (self.remove is None):
            raise PydanticCustomError(
                "bad_journey", "{reason}", {"reason": "a tag step needs exactly one of add, remove"}
            )
        return self

    @property
    def name(self) -> str:
        return self.add if self.add is not None else str(self.remove)


class WebhookSpec(Part):
    url: Annotated[str, Field(pattern=r"^https?://[^\s/]+\S*$", max_length=2_000)]


class StepBase(Part):
    """Every step has an id (snake_case, unique in the journey)."""

    kind: ClassVar[str]
    id: Snake

    def targets(self) -> tuple[tuple[str, str], ...]:
        """(field, step id) for every step this one may go to."""
        return ()


class _Linear(StepBase):
    next: Snake

    def targets(self) -> tuple[tuple[str, str], ...]:
        return (("next", self.next),)


class SendStep(_Linear):
    kind: ClassVar[str] = "send"
    send: SendSpec


class WaitStep(_Linear):
    kind: ClassVar[str] = "wait"
    wait: WaitSpec


class WaitForStep(StepBase):
    """Wait for an event or transaction; ``on_event`` when it comes, ``on_timeout`` after ``timeout_hours``."""

    kind: ClassVar[str] = "wait_for"
    wait_for: Awaited
    timeout_hours: Hours
    on_event: Snake
    on_timeout: Snake

    def targets(self) -> tuple[tuple[str, str], ...]:
        return (("on_event", self.on_event), ("on_timeout", self.on_timeout))


class BranchStep(StepBase):
    """``then`` when the rule holds for the customer now, else ``else`` (both may also sit beside ``branch``)."""

    kind: ClassVar[str] = "branch"
    branch: BranchSpec

    @model_validator(mode="before")
    @classmethod
    def _routes_inside(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("branch"), dict) and ("then" in data or "else" in data):
            routes = {key: data[key] for key in ("then", "else") if key in data}
            rest = {key: value for key, value in data.items() if key not in routes}
            return {**rest, "branch": {**data["branch"], **routes}}
        return data

    def targets(self) -> tuple[tuple[str, str], ...]:
        return (("branch.then", self.branch.then), ("branch.else", self.branch.else_))


class SplitStep(StepBase):
    kind: ClassVar[str] = "split"
    split: SplitSpec

    def targets(self) -> tuple[tuple[str, str], ...]:
        return tuple((f"split.variants[{i}].next", v.next) for i, v in enumerate(self.split.variants))


class TaskStep(_Linear):
    kind: ClassVar[str] = "task"
    task: TaskSpec


class TagStep(_Linear):
    kind: ClassVar[str] = "tag"
    tag: TagSpec


class WebhookStep(_Linear):
    kind: ClassVar[str] = "webhook"
    webhook: WebhookSpec


class ExitStep(StepBase):
    kind: ClassVar[str] = "exit"
    exit: Literal[True]


STEP_KEYS = ("send", "wait", "wait_for", "branch", "split", "task", "tag", "webhook", "exit")
WAITING_KINDS = frozenset({"wait", "wait_for"})
Step = Annotated[
    Annotated[SendStep, Tag("<send>")]
    | Annotated[WaitStep, Tag("<wait>")]
    | Annotated[WaitForStep, Tag("<wait_for>")]
    | Annotated[BranchStep, Tag("<branch>")]
    | Annotated[SplitStep, Tag("<split>")]
    | Annotated[TaskStep, Tag("<task>")]
    | Annotated[TagStep, Tag("<tag>")]
    | Annotated[WebhookStep, Tag("<webhook>")]
    | Annotated[ExitStep, Tag("<exit>")],
    one_of(STEP_KEYS, "a step"),
]


# --- the journey ---------------------------------------------------------------------------------------------


class JourneyDefinition(Part):
    """One journey as written; ``steps[0]`` runs on entry."""

    format_version: Literal[1] = 1
    name: Snake
    description: Annotated[str, Field(max_length=1_000)] | None = None
    trigger: Trigger
    entry: Entry = Entry()
    goal: Goal | None = None
    steps: tuple[Step, ...] = Field(min_length=1, max_length=MAX_STEPS)

    @model_validator(mode="after")
    def _unique_ids(self) -> JourneyDefinition:
        seen: set[str] = set()
        for index, step in enumerate(self.steps):
            if step.id in seen:
                raise PydanticCustomError(
                    "bad_journey",
                    "{reason}",
                    {"field": f"steps[{index}].id", "reason": f"duplicate step id {step.id!r}"},
                )
            seen.add(step.id)
        return self

    def step(self, step_id: str) -> Step:
        """The step with this id; KeyError when there is none."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def to_json(self) -> dict[str, Any]:
        """The journey as the JSON document a user would write."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def parse_journey(document: Any) -> JourneyDefinition:
    """Validate a journey document (parsed JSON, or JSON text) into a ``JourneyDefinition``.

    Raises ``InvalidInput(code="bad_journey")`` whose message names the journey, the JSON path of the first
    problem and the reason; ``details["errors"]`` lists every problem pydantic found as ``{"path", "reason"}``.
    """
    document = _loaded(document)
    try:
        return JourneyDefinition.model_validate(document)
    except ValidationError as exc:
        problems = [_problem(error) for error in exc.errors(include_url=False)]
        name = document.get("name") if isinstance(document.get("name"), str) else "(unnamed)"
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        message = f"journey {name!r}: {first['path'] or 'the document'}: {first['reason']}{more}"
        details = {"journey": name, "path": first["path"], "reason": first["reason"], "errors": problems}
        raise InvalidInput(message, code="bad_journey", details=details) from None


def _loaded(document: Any) -> dict[str, Any]:
    if isinstance(document, str | bytes):
        try:
            document = json.loads(document)
        except ValueError as exc:
            raise InvalidInput(f"journey: the document is not valid JSON ({exc})", code="bad_journey") from None
    if not isinstance(document, dict):
        raise InvalidInput(f"journey: expected a JSON object, got {type(document).__name__}", code="bad_journey")
    return document


def _problem(error: Any) -> dict[str, str]:
    """One pydantic error as the JSON path users wrote and a reason."""
    parts = [part for part in error["loc"] if not (isinstance(part, str) and part.startswith("<"))]
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts)
    context = error.get("ctx") or {}
    inner = str(context.get("field") or "")
    if inner:
        path += inner if inner[0] in ".[" else f".{inner}"
    return {"path": path.lstrip("."), "reason": _reason(error, context)}


_REASONS: dict[str, Callable[[Any], str]] = {
    "missing": lambda error: "this key is required",
    "extra_forbidden": lambda error: f"unknown key {error['loc'][-1]!r}",
}


def _reason(error: Any, context: dict[str, Any]) -> str:
    if "reason" in context:
        allowed = context.get("allowed")
        listed = f"; allowed: {', '.join(map(str, allowed))}" if isinstance(allowed, list) else ""
        return f"{context['reason']}{listed}"
    explain = _REASONS.get(error["type"])
    return explain(error) if explain else str(error["msg"])
