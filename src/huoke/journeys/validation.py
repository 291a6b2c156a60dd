"""Checks a journey must pass before it is activated: its graph, and the names it refers to.

``validate`` finds graph problems (dangling edges, steps no customer can reach, loops that never wait);
``check`` adds the catalogue (templates, segments, tags, event types) and raises one ``InvalidInput`` that
lists every problem with the step it belongs to, so an operator can fix them all in one pass.
"""

from __future__ import annotations

from collections.abc import Iterator, Set
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import BaseModel

from huoke.journeys.definition import WAITING_KINDS, JourneyDefinition, SendStep, Step, TagStep, TaskStep
from huoke.journeys.trigger_model import (
    DateTrigger,
    FestivalTrigger,
    ScheduleTrigger,
    SegmentEnteredTrigger,
    SegmentExitedTrigger,
)
from huoke.platform.errors import InvalidInput
from huoke.segments.dsl import SegmentRule, TagRule
from huoke.segments.filters import EventFilter


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a journey: where (a step id, or ``trigger`` / ``entry`` / ``goal``), a stable
    code and a message saying what to change."""

    step: str
    code: str
    message: str


def validate(definition: JourneyDefinition) -> list[Problem]:
    """Graph problems: dangling targets, unreachable steps, loops without a ``wait`` / ``wait_for``.

    Every step kind except ``exit`` must name where it goes (the models enforce it), so once these problems
    are fixed every path through the journey either ends at an ``exit`` or passes a wait on each lap.
    """
    return [*_dangling(definition), *_unreachable(definition), *_zero_delay_loops(definition)]


def check(
    definition: JourneyDefinition, *, templates: Set[str], segments: Set[str], tags: Set[str], event_types: Set[str]
) -> None:
    """Raise ``InvalidInput(code="invalid_journey")`` listing every graph and catalogue problem, if any."""
    problems = validate(definition) + references(
        definition, templates=templates, segments=segments, tags=tags, event_types=event_types
    )
    if not problems:
        return
    listed = "; ".join(f"{p.step}: {p.message}" for p in problems)
    count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
    raise InvalidInput(
        f"journey {definition.name!r} is not valid ({count}): {listed}",
        code="invalid_journey",
        details={"journey": definition.name, "problems": [asdict(p) for p in problems]},
    )


# --- the graph -----------------------------------------------------------------------------------------------


def _ids(definition: JourneyDefinition) -> set[str]:
    return {step.id for step in definition.steps}


def _dangling(definition: JourneyDefinition) -> Iterator[Problem]:
    ids = _ids(definition)
    for step in definition.steps:
        for field, target in step.targets():
            if target not in ids:
                message = f"{field} names step {target!r}, which does not exist"
                yield Problem(step.id, "dangling_target", message)


def _edges(definition: JourneyDefinition) -> dict[str, list[str]]:
    """Each step id with the existing steps it may go to."""
    ids = _ids(definition)
    return {step.id: [t for _, t in step.targets() if t in ids] for step in definition.steps}


def _unreachable(definition: JourneyDefinition) -> Iterator[Problem]:
    edges, first = _edges(definition), definition.steps[0].id
    seen, todo = {first}, [first]
    while todo:
        for target in edges[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    for step in definition.steps:
        if step.id not in seen:
            message = f"no path from the first step {first!r} leads here; link it or remove it"
            yield Problem(step.id, "unreachable_step", message)


def _zero_delay_loops(definition: JourneyDefinition) -> Iterator[Problem]:
    """Cycles through steps none of which waits: an instance would spin in them without end."""
    waiting = {step.id for step in definition.steps if step.kind in WAITING_KINDS}
    edges = {
        s: [t for t in targets if t not in waiting] for s, targets in _edges(definition).items() if s not in waiting
    }
    reported: set[str] = set()
    for start in edges:
        loop = _loop_through(start, edges)
        if loop and not reported.intersection(loop):
            reported.update(loop)
            chain = " → ".join([*loop, loop[0]])
            message = f"steps {chain} form a loop with no wait or wait_for step; add a wait to the loop"
            yield Problem(loop[0], "zero_delay_loop", message)


def _loop_through(start: str, edges: dict[str, list[str]]) -> list[str] | None:
    """A path from ``start`` back to itself along ``edges`` (``[start, …]``), or None."""
    path, seen = [start], {start}

    def walk(current: str) -> list[str] | None:
        for target in edges.get(current, []):
            if target == start:
                return list(path)
            if target not in seen:
                seen.add(target)
                path.append(target)
                if found := walk(target):
                    return found
                path.pop()
        return None

    return walk(start)


# --- the catalogue -------------------------------------------------------------------------------------------


def references(
    definition: JourneyDefinition, *, templates: Set[str], segments: Set[str], tags: Set[str], event_types: Set[str]
) -> list[Problem]:
    """Templates, segments, tags and event types the journey names that the catalogues do not know."""
    catalogues = {"template": templates, "segment": segments, "tag": tags, "event type": event_types}
    found: list[Problem] = []
    for where, what, name in _named(definition):
        if name not in catalogues[what]:
            code = f"unknown_{what.replace(' ', '_')}"
            found.append(Problem(where, code, f"unknown {what} {name!r}"))
    return found


def _named(definition: JourneyDefinition) -> Iterator[tuple[str, str, str]]:
    """(where, what, name) for every catalogue name in the journey."""
    yield from (("trigger", what, name) for what, name in _trigger_names(definition.trigger))
    yield from (("trigger", what, name) for what, name in _in_models(definition.trigger))
    if definition.entry.suppression_segment is not None:
        yield "entry", "segment", definition.entry.suppression_segment
    if definition.goal is not None:
        yield from (("goal", what, name) for what, name in _in_models(definition.goal))
    for step in definition.steps:
        yield from ((step.id, what, name) for what, name in _step_names(step))
        yield from ((step.id, what, name) for what, name in _in_models(step))


def _trigger_names(trigger: Any) -> Iterator[tuple[str, str]]:
    if isinstance(trigger, SegmentEnteredTrigger):
        yield "segment", trigger.segment_entered
    elif isinstance(trigger, SegmentExitedTrigger):
        yield "segment", trigger.segment_exited
    elif isinstance(trigger, ScheduleTrigger):
        yield "segment", trigger.schedule.segment
    elif isinstance(trigger, DateTrigger | FestivalTrigger):
        spec = trigger.date if isinstance(trigger, DateTrigger) else trigger.festival
        if spec.segment is not None:
            yield "segment", spec.segment


def _step_names(step: Step) -> Iterator[tuple[str, str]]:
    if isinstance(step, SendStep):
        yield "template", step.send.template
    elif isinstance(step, TaskStep):
        yield "template", step.task.template
    elif isinstance(step, TagStep):
        yield "tag", step.tag.name


def _in_models(node: Any) -> Iterator[tuple[str, str]]:
    """Tags, segments and event types named inside rules and filters anywhere below ``node``."""
    if isinstance(node, TagRule):
        yield "tag", node.tag
    elif isinstance(node, SegmentRule):
        yield "segment", node.segment
    elif isinstance(node, EventFilter):
        yield "event type", node.type
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _in_models(getattr(node, name))
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _in_models(item)
