"""A journey's life: saved as a draft, versioned when it changes, activated only once every template,
segment, tag and event type it names exists, paused, resumed and stopped (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from huoke.journeys import service
from huoke.messaging import service as messaging
from huoke.platform.errors import Conflict, InvalidInput
from huoke.platform.runtime import Runtime

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def example(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXAMPLES / "journeys" / f"{name}.json").read_text(encoding="utf-8"))
    return document


def save_templates(runtime: Runtime, *names: str) -> None:
    for name in names:
        document = json.loads((EXAMPLES / "templates" / f"{name}.json").read_text(encoding="utf-8"))
        messaging.create_template(runtime, document, actor="test")


def test_a_journey_is_a_versioned_draft_until_activated(runtime: Runtime) -> None:
    first = service.create_journey(runtime, example("wealth_interest"), actor="test")
    again = service.create_journey(runtime, example("wealth_interest"), actor="test")
    changed = example("wealth_interest") | {"entry": {"reentry": True, "cooldown_days": 7, "holdout_percent": 10}}
    second = service.create_journey(runtime, changed, actor="test")

    assert (first["version"], first["state"], first["created"]) == (1, "draft", True)
    assert (again["version"], again["created"]) == (1, False)
    assert second["version"] == 2
    status = service.journey_status(runtime, name="wealth_interest")
    assert status == {
        "name": "wealth_interest",
        "version": 2,
        "state": "draft",
        "entered": 0,
        "active": 0,
        "completed": 0,
        "exited": 0,
        "holdout": 0,
        "steps": {},
        "goal": {"treatment": {"entered": 0, "converted": 0}, "holdout": {"entered": 0, "converted": 0}},
    }


def test_activation_names_every_step_whose_template_is_missing(runtime: Runtime) -> None:
    service.create_journey(runtime, example("wealth_interest"), actor="test")

    with pytest.raises(InvalidInput) as refused:
        service.change_state(runtime, name="wealth_interest", command="activate", actor="test")

    assert refused.value.code == "invalid_journey"
    steps = {problem["step"] for problem in refused.value.details["problems"]}
    assert steps == {"offer", "task"}
    assert service.journey_status(runtime, name="wealth_interest")["state"] == "draft"


def test_an_active_journey_can_be_paused_resumed_and_stopped(runtime: Runtime) -> None:
    save_templates(runtime, "wealth_offer_push", "rm_wealth_followup")
    service.create_journey(runtime, example("wealth_interest"), actor="test")

    states = [
        service.change_state(runtime, name="wealth_interest", command=command, actor="test")["state"]
        for command in ("activate", "pause", "resume", "stop")
    ]

    assert states == ["active", "paused", "active", "stopped"]
    with pytest.raises(Conflict, match="stopped; it cannot pause"):
        service.change_state(runtime, name="wealth_interest", command="pause", actor="test")


def test_a_broken_graph_is_refused_at_save_with_the_step_ids(runtime: Runtime) -> None:
    broken = example("wealth_interest")
    broken["steps"][1]["next"] = "nowhere"

    with pytest.raises(InvalidInput, match="offer") as refused:
        service.create_journey(runtime, broken, actor="test")

    assert refused.value.code == "invalid_journey"
    assert service.list_journeys(runtime) == []


@pytest.mark.parametrize("name", sorted(p.stem for p in (EXAMPLES / "journeys").glob("*.json")))
def test_every_example_journey_saves_and_reads_back_unchanged(runtime: Runtime, name: str) -> None:
    saved = service.create_journey(runtime, example(name), actor="test")
    with runtime.uow() as uow:
        definition = service.journey_definition(uow.session, saved["name"])
    assert service.create_journey(runtime, example(name), actor="test")["created"] is False
    assert definition.name == saved["name"]
