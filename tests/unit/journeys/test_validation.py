"""Graph and catalogue checks: every problem is reported, with the step it belongs to."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from huoke.demo.showcase_segments import SHOWCASE_SEGMENTS
from huoke.events.catalogue import STANDARD_SCHEMAS
from huoke.journeys.definition import parse_journey
from huoke.journeys.validation import Problem, check, validate
from huoke.messaging.templates import check_template, parse_template
from huoke.platform.errors import InvalidInput
from huoke.segments.tag_model import TagThresholds

EXAMPLES = Path(__file__).parents[3] / "examples"


def journey(steps: list[dict[str, Any]], **fields: Any) -> Any:
    return parse_journey({"name": "j", "trigger": {"api": True}, "steps": steps, **fields})


def codes(problems: list[Problem]) -> set[tuple[str, str]]:
    return {(p.step, p.code) for p in problems}


def test_a_well_formed_graph_has_no_problems() -> None:
    steps = [
        {"id": "a", "send": {"template": "t"}, "next": "b"},
        {"id": "b", "split": {"variants": [{"weight": 1, "next": "c"}, {"weight": 1, "next": "end"}]}},
        {"id": "c", "wait": {"days": 1}, "next": "end"},
        {"id": "end", "exit": True},
    ]
    assert validate(journey(steps)) == []


def test_dangling_targets_name_the_step_and_field() -> None:
    steps = [
        {"id": "a", "branch": {"if": {"tag": "x"}, "then": "nowhere", "else": "end"}},
        {"id": "end", "exit": True},
    ]
    problems = validate(journey(steps))
    assert codes(problems) == {("a", "dangling_target")}
    assert "branch.then names step 'nowhere'" in problems[0].message


def test_steps_no_path_reaches_are_unreachable() -> None:
    steps = [
        {"id": "a", "send": {"template": "t"}, "next": "end"},
        {"id": "orphan", "send": {"template": "t"}, "next": "end"},
        {"id": "end", "exit": True},
    ]
    assert codes(validate(journey(steps))) == {("orphan", "unreachable_step")}


def test_a_loop_without_a_wait_is_refused_and_one_with_a_wait_is_not() -> None:
    spinning = [
        {"id": "a", "send": {"template": "t"}, "next": "b"},
        {"id": "b", "branch": {"if": {"tag": "x"}, "then": "end", "else": "a"}},
        {"id": "end", "exit": True},
    ]
    problems = validate(journey(spinning))
    assert codes(problems) == {("a", "zero_delay_loop")}
    assert "a → b → a" in problems[0].message
    waiting = [*spinning[:1], {"id": "b", "wait_for": {"event": {"type": "login"}}, "timeout_hours": 24,
                               "on_event": "end", "on_timeout": "a"}, spinning[2]]  # fmt: skip
    assert validate(journey(waiting)) == []


def test_a_step_that_goes_to_itself_is_a_loop() -> None:
    steps = [{"id": "a", "tag": {"add": "x"}, "next": "a"}]
    assert codes(validate(journey(steps))) == {("a", "zero_delay_loop")}


def test_check_lists_every_unknown_name_with_its_place() -> None:
    definition = parse_journey(
        {
            "name": "j",
            "trigger": {"event": {"type": "app_crash"}, "condition": {"segment": "ghosts"}},
            "entry": {"suppression_segment": "vip_block"},
            "goal": {"event": {"type": "purchase"}, "within_days": 3},
            "steps": [
                {"id": "a", "send": {"template": "nope"}, "next": "b"},
                {"id": "b", "tag": {"add": "fresh"}, "next": "c"},
                {"id": "c", "branch": {"if": {"tag": "old"}, "then": "d", "else": "e"}},
                {"id": "d", "wait_for": {"event": {"type": "tap"}}, "timeout_hours": 1, "on_event": "e",
                 "on_timeout": "missing"},
                {"id": "e", "exit": True},
            ],
        }
    )  # fmt: skip
    with pytest.raises(InvalidInput) as caught:
        check(definition, templates={"t"}, segments={"s"}, tags={"t"}, event_types={"login"})
    error = caught.value
    assert error.code == "invalid_journey"
    found = {(p["step"], p["code"]) for p in error.details["problems"]}
    assert found == {
        ("trigger", "unknown_event_type"), ("trigger", "unknown_segment"), ("entry", "unknown_segment"),
        ("goal", "unknown_event_type"), ("a", "unknown_template"), ("b", "unknown_tag"), ("c", "unknown_tag"),
        ("d", "unknown_event_type"), ("d", "dangling_target"),
    }  # fmt: skip
    assert "'app_crash'" in error.message
    assert "9 problems" in error.message


def test_check_passes_a_journey_whose_names_are_known() -> None:
    definition = journey([{"id": "a", "send": {"template": "t"}, "next": "end"}, {"id": "end", "exit": True}])
    check(definition, templates={"t"}, segments=set(), tags=set(), event_types=set())


# --- the shipped examples ------------------------------------------------------------------------------------


def _templates() -> set[str]:
    names = set()
    for path in sorted((EXAMPLES / "templates").glob("*.json")):
        template = parse_template(json.loads(path.read_text(encoding="utf-8")))
        check_template(template)
        names.add(template.name)
    return names


def _segments() -> set[str]:
    return set(SHOWCASE_SEGMENTS) | {path.stem for path in (EXAMPLES / "segments").glob("*.json")}


EXAMPLE_FILES = sorted((EXAMPLES / "journeys").glob("*.json"))


def test_the_seven_seed_scenarios_are_shipped() -> None:
    assert {path.stem for path in EXAMPLE_FILES} == {
        "new_customer_welcome", "dormant_reactivation", "wealth_interest", "spring_festival_greeting",
        "silver_double_ninth", "low_nps_recovery", "anniversary_thanks",
    }  # fmt: skip


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda path: path.stem)
def test_every_example_parses_and_passes_the_checks(path: Path) -> None:
    definition = parse_journey(path.read_text(encoding="utf-8"))
    assert definition.name == path.stem
    tags = set(TagThresholds().computed_names())
    check(definition, templates=_templates(), segments=_segments(), tags=tags, event_types=set(STANDARD_SCHEMAS))
