"""The parts of a journey definition around its steps: triggers, entry rules, goals and what a step waits for.

Also the building blocks the step models share (``Part``, the ``one_of`` discriminator, DSL rules inside a
journey). ``definition.py`` assembles them into ``JourneyDefinition``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, TypeAlias

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    PlainValidator,
    Tag,
    model_validator,
)
from pydantic_core import PydanticCustomError

from huoke.platform.errors import InvalidInput
from huoke.segments.dsl import Rule, parse_rule
from huoke.segments.filters import EventFilter, TxnFilter

SNAKE = r"^[a-z][a-z0-9_]{0,63}$"
FESTIVALS = ("spring_festival", "lantern", "qingming", "dragon_boat", "qixi", "mid_autumn", "double_ninth",
             "national_day", "new_year")  # fmt: skip
_CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_CRON_NAMES = re.compile(r"^(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|sun|mon|tue|wed|thu|fri|sat)$")

Snake = Annotated[str, Field(pattern=SNAKE)]
Name = Annotated[str, Field(min_length=1, max_length=64)]
Hours = Annotated[int, Field(strict=True, ge=1, le=8_760)]
Days = Annotated[int, Field(strict=True, ge=1, le=3_660)]
OffsetDays = Annotated[int, Field(strict=True, ge=-366, le=366)]
ClockTime = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


def _rule(value: Any) -> Rule:
    """A segment DSL rule; its own errors keep their path inside the rule (``.all[1].op``)."""
    try:
        return parse_rule(value)
    except InvalidInput as exc:
        inner = str(exc.details.get("path", "$"))[1:]
        reason = str(exc.details.get("reason", exc.message))
        context = {"field": inner, "reason": reason}
        if isinstance(exc.details.get("allowed"), list):
            context["allowed"] = exc.details["allowed"]
        raise PydanticCustomError("bad_journey", "{reason}", context) from None


def _rule_json(rule: Rule) -> dict[str, Any]:
    return rule.to_json()


if TYPE_CHECKING:
    DslRule: TypeAlias = Rule
else:  # the rule's own discriminator cannot sit in an optional union, so pydantic sees a validated Any
    DslRule = Annotated[Any, PlainValidator(_rule), PlainSerializer(_rule_json)]


class Part(BaseModel):
    """An immutable part of a journey that rejects unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True)


def one_of(keys: tuple[str, ...], what: str) -> Discriminator:
    """A discriminator choosing the model by the one distinguishing key present; anything else is an error."""
    reason = f"{what} needs exactly one of the keys {', '.join(keys)}"

    def pick(value: Any) -> str | None:
        if isinstance(value, dict):
            present = [key for key in keys if key in value]
            return f"<{present[0]}>" if len(present) == 1 else None
        kind = getattr(value, "kind", None)
        return f"<{kind}>" if isinstance(kind, str) else None

    return Discriminator(pick, custom_error_type="bad_journey", custom_error_message=reason)


# --- triggers ------------------------------------------------------------------------------------------------


class EventTrigger(Part):
    """An event of the filter's type arrives; ``condition`` (a §3 rule on the profile) must hold then."""

    kind: ClassVar[str] = "event"
    event: EventFilter
    condition: DslRule | None = None


class TxnTrigger(Part):
    """A transaction matching the filter arrives."""

    kind: ClassVar[str] = "txn"
    txn: TxnFilter


class SegmentEnteredTrigger(Part):
    kind: ClassVar[str] = "segment_entered"
    segment_entered: Name


class SegmentExitedTrigger(Part):
    kind: ClassVar[str] = "segment_exited"
    segment_exited: Name


class Schedule(Part):
    """A cron expression of five fields read in the business time zone, over the members of a segment."""

    cron: Annotated[str, Field(min_length=9, max_length=120)]
    segment: Name

    @model_validator(mode="after")
    def _cron_fields(self) -> Schedule:
        problem = cron_problem(self.cron)
        if problem:
            raise PydanticCustomError("bad_journey", "{reason}", {"field": "cron", "reason": problem})
        return self


class ScheduleTrigger(Part):
    kind: ClassVar[str] = "schedule"
    schedule: Schedule


class DateSpec(Part):
    """Every year on the anniversary of date attribute ``attr`` (solar or lunar) shifted by ``offset_days``."""

    attr: Snake
    offset_days: OffsetDays = 0
    at: ClockTime = "09:00"
    calendar: Literal["solar", "lunar"] = "solar"
    segment: Name | None = None


class DateTrigger(Part):
    kind: ClassVar[str] = "date"
    date: DateSpec


class FestivalSpec(Part):
    """A Chinese festival (computed from the lunar calendar) shifted by ``offset_days``, for a segment."""

    name: Literal[FESTIVALS]  # type: ignore[valid-type]
    offset_days: OffsetDays = 0
    at: ClockTime = "09:00"
    segment: Name


class FestivalTrigger(Part):
    kind: ClassVar[str] = "festival"
    festival: FestivalSpec


class ApiTrigger(Part):
    """Customers are entered by an API call (an extension of §5)."""

    kind: ClassVar[str] = "api"
    api: Literal[True]


TRIGGERS = (EventTrigger, TxnTrigger, SegmentEnteredTrigger, SegmentExitedTrigger, ScheduleTrigger, DateTrigger,
            FestivalTrigger, ApiTrigger)  # fmt: skip
TRIGGER_KEYS = tuple(model.kind for model in TRIGGERS)
Trigger = Annotated[
    Annotated[EventTrigger, Tag("<event>")]
    | Annotated[TxnTrigger, Tag("<txn>")]
    | Annotated[SegmentEnteredTrigger, Tag("<segment_entered>")]
    | Annotated[SegmentExitedTrigger, Tag("<segment_exited>")]
    | Annotated[ScheduleTrigger, Tag("<schedule>")]
    | Annotated[DateTrigger, Tag("<date>")]
    | Annotated[FestivalTrigger, Tag("<festival>")]
    | Annotated[ApiTrigger, Tag("<api>")],
    one_of(TRIGGER_KEYS, "a trigger"),
]


def cron_problem(expression: str) -> str | None:
    """Why EXPRESSION is not five cron fields (minute hour day month weekday), or None when it is."""
    fields = expression.split()
    if len(fields) != len(_CRON_RANGES):
        return "a cron expression has five fields: minute hour day month weekday, e.g. '0 9 * * 1'"
    for text, (low, high) in zip(fields, _CRON_RANGES, strict=True):
        if not all(_cron_item(item, low, high) for item in text.split(",")):
            return f"cron field {text!r} is not valid: use *, numbers {low}-{high}, ranges a-b and steps /n"
    return None


def _cron_item(item: str, low: int, high: int) -> bool:
    base, _, step = item.partition("/")
    if step and not (step.isdigit() and int(step) >= 1):
        return False
    if base == "*":
        return True
    bounds = base.split("-")
    return len(bounds) <= 2 and all(_cron_value(b, low, high) for b in bounds)  # noqa: PLR2004


def _cron_value(text: str, low: int, high: int) -> bool:
    if text.isdigit():
        return low <= int(text) <= high
    return bool(_CRON_NAMES.match(text.lower()))


# --- entry and goal ------------------------------------------------------------------------------------------


class Entry(Part):
    """Who may enter: re-entry, cooldown, concurrent instances, a suppression segment and the holdout share."""

    reentry: bool = False
    cooldown_days: Days | None = None
    max_concurrent: Annotated[int, Field(strict=True, ge=1, le=100)] = 1
    suppression_segment: Name | None = None
    holdout_percent: Annotated[float, Field(ge=0, le=50)] = 0


class EventGoal(Part):
    kind: ClassVar[str] = "event"
    event: EventFilter
    within_days: Days


class TxnGoal(Part):
    kind: ClassVar[str] = "txn"
    txn: TxnFilter
    within_days: Days


Goal = Annotated[
    Annotated[EventGoal, Tag("<event>")] | Annotated[TxnGoal, Tag("<txn>")], one_of(("event", "txn"), "a goal")
]


class EventAwaited(Part):
    kind: ClassVar[str] = "event"
    event: EventFilter


class TxnAwaited(Part):
    kind: ClassVar[str] = "txn"
    txn: TxnFilter


Awaited = Annotated[
    Annotated[EventAwaited, Tag("<event>")] | Annotated[TxnAwaited, Tag("<txn>")], one_of(("event", "txn"), "wait_for")
]
