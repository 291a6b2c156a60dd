"""Journey documents: what parses, and the path and reason users see when something does not."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from huoke.journeys.definition import BranchStep, JourneyDefinition, WaitForStep, parse_journey
from huoke.journeys.trigger_model import ApiTrigger, EventTrigger, FestivalTrigger, cron_problem
from huoke.platform.errors import InvalidInput

CONTRACT_EXAMPLE: dict[str, Any] = {
    "name": "wealth_interest",
    "trigger": {"event": {"type": "product_view", "where": {"dwell_seconds": {"op": "ge", "value": 60}}}},
    "entry": {"reentry": False, "cooldown_days": 30, "holdout_percent": 10},
    "goal": {"txn": {"txn_type": "wealth_purchase"}, "within_days": 14},
    "steps": [
        {"id": "wait", "wait_for": {"txn": {"txn_type": "wealth_purchase"}}, "timeout_hours": 48,
         "on_event": "done", "on_timeout": "offer"},
        {"id": "offer", "send": {"template": "wealth_offer"}, "next": "task"},
        {"id": "task", "task": {"assignee": "rm", "template": "wealth_followup", "due_hours": 24}, "next": "done"},
        {"id": "done", "exit": True},
    ],
}  # fmt: skip


def doc(**changes: Any) -> dict[str, Any]:
    found = copy.deepcopy(CONTRACT_EXAMPLE)
    found.update(changes)
    return found


def with_step(index: int, step: dict[str, Any]) -> dict[str, Any]:
    found = doc()
    found["steps"][index] = step
    return found


def error_of(document: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        parse_journey(document)
    assert caught.value.code == "bad_journey"
    return caught.value


def test_the_contract_example_parses_into_typed_steps() -> None:
    journey = parse_journey(CONTRACT_EXAMPLE)
    assert isinstance(journey, JourneyDefinition)
    assert isinstance(journey.trigger, EventTrigger)
    assert journey.entry.holdout_percent == 10
    assert journey.entry.max_concurrent == 1
    assert [step.kind for step in journey.steps] == ["wait_for", "send", "task", "exit"]
    wait = journey.steps[0]
    assert isinstance(wait, WaitForStep)
    assert wait.targets() == (("on_event", "done"), ("on_timeout", "offer"))


def test_json_text_parses_and_to_json_round_trips() -> None:
    journey = parse_journey(json.dumps(CONTRACT_EXAMPLE))
    assert parse_journey(journey.to_json()) == journey


def test_branch_routes_may_sit_inside_or_beside_the_branch() -> None:
    rule = {"attr": "age", "op": "ge", "value": 60}
    inside = with_step(1, {"id": "offer", "branch": {"if": rule, "then": "task", "else": "done"}})
    beside = with_step(1, {"id": "offer", "branch": {"if": rule}, "then": "task", "else": "done"})
    first, second = parse_journey(inside).steps[1], parse_journey(beside).steps[1]
    assert isinstance(first, BranchStep)
    assert first == second
    assert first.branch.then == "task"
    assert first.branch.else_ == "done"


@pytest.mark.parametrize(
    ("trigger", "kind"),
    [
        ({"api": True}, ApiTrigger),
        (
            {"festival": {"name": "double_ninth", "offset_days": -3, "at": "09:30", "segment": "silver"}},
            FestivalTrigger,
        ),
    ],
)
def test_extension_and_festival_triggers(trigger: dict[str, Any], kind: type) -> None:
    assert isinstance(parse_journey(doc(trigger=trigger)).trigger, kind)


@pytest.mark.parametrize(
    ("document", "path", "reason"),
    [
        (with_step(1, {"id": "offer", "wait": {"hours": "2"}, "next": "task"}), "steps[1].wait.hours", "integer"),
        (with_step(1, {"id": "offer", "wait": {"hours": 0}, "next": "task"}), "steps[1].wait.hours", "greater than"),
        (with_step(1, {"id": "offer", "wait": {"hours": 1, "days": 1}, "next": "task"}), "steps[1].wait",
         "exactly one of hours, days, until_time"),
        (with_step(1, {"id": "offer", "wait": {"until_time": "25:00"}, "next": "task"}), "steps[1].wait.until_time",
         "pattern"),
        (with_step(1, {"id": "offer", "send": {"template": "a"}, "wait": {"hours": 1}, "next": "task"}), "steps[1]",
         "exactly one of the keys send, wait"),
        (with_step(1, {"id": "offer", "send": {"template": "a"}}), "steps[1].next", "required"),
        (with_step(1, {"id": "offer", "send": {"template": "a"}, "next": "task", "nxt": 1}), "steps[1].nxt",
         "unknown key"),
        (with_step(1, {"id": "Offer", "send": {"template": "a"}, "next": "task"}), "steps[1].id", "pattern"),
        (with_step(1, {"id": "wait", "send": {"template": "a"}, "next": "task"}), "steps[1].id", "duplicate step id"),
        (with_step(1, {"id": "offer", "branch": {"if": {"all": [{"attr": "age", "op": "near", "value": 1}]},
                                                 "then": "task", "else": "done"}}),
         "steps[1].branch.if.all[0].op", "allowed"),
        (with_step(1, {"id": "offer", "split": {"variants": [{"weight": 0, "next": "task"},
                                                              {"weight": 1, "next": "done"}]}}),
         "steps[1].split.variants[0].weight", "greater than"),
        (with_step(1, {"id": "offer", "tag": {"add": "a", "remove": "b"}, "next": "task"}), "steps[1].tag",
         "exactly one of add, remove"),
        (with_step(1, {"id": "offer", "webhook": {"url": "ftp://x"}, "next": "task"}), "steps[1].webhook.url",
         "pattern"),
        (with_step(2, {"id": "task", "task": {"assignee": "boss", "template": "t"}, "next": "done"}),
         "steps[2].task.assignee", "rm"),
        (with_step(0, {"id": "wait", "wait_for": {"txn": {"min_amount": -1}}, "timeout_hours": 1,
                       "on_event": "done", "on_timeout": "done"}), "steps[0].wait_for.txn.min_amount", "yuan"),
        (doc(trigger={"schedule": {"cron": "0 24 * * *", "segment": "s"}}), "trigger.schedule.cron", "'24'"),
        (doc(trigger={"festival": {"name": "christmas", "segment": "s"}}), "trigger.festival.name", "mid_autumn"),
        (doc(trigger={"segment_entered": "a", "segment_exited": "b"}), "trigger", "exactly one of the keys"),
        (doc(trigger={"event": {"type": "login"}, "condition": {"tag": ""}}), "trigger.condition.tag", "at least"),
        (doc(entry={"holdout_percent": 60}), "entry.holdout_percent", "less than or equal to 50"),
        (doc(goal={"txn": {}}), "goal.within_days", "required"),
        (doc(name="Wealth Interest"), "name", "pattern"),
        (doc(steps=[]), "steps", "at least 1"),
    ],
)  # fmt: skip
def test_errors_name_the_json_path_and_the_reason(document: dict[str, Any], path: str, reason: str) -> None:
    error = error_of(document)
    assert error.details["path"] == path
    assert reason in error.details["reason"]
    assert path in error.message
    assert "'wealth_interest'" in error.message or document.get("name") != "wealth_interest"


def test_not_json_or_not_an_object_is_refused() -> None:
    assert "not valid JSON" in error_of("{").message
    assert "expected a JSON object" in error_of([1]).message


@pytest.mark.parametrize("cron", ["0 9 * * 1", "*/15 8-20 * * mon-fri", "30 10 1,15 * *", "0 0 1 jan *"])
def test_cron_expressions_of_five_fields_are_accepted(cron: str) -> None:
    assert cron_problem(cron) is None


@pytest.mark.parametrize("cron", ["0 9 * *", "60 9 * * *", "0 9 * * 8", "0 9 */0 * *", "0 9 1-2-3 * *"])
def test_bad_cron_expressions_are_refused(cron: str) -> None:
    assert cron_problem(cron) is not None
