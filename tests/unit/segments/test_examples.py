"""The example segments of PRODUCT.md in examples/segments/ are valid rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from huoke.segments.dsl import parse_rule

EXAMPLES = Path(__file__).parents[3] / "examples" / "segments"
SCENARIOS = [
    "silver_60_75_deposits_branch",
    "active_users",
    "high_spenders",
    "dormant_90_days",
    "wealth_view_no_purchase",
    "new_gold_coffee_primary",
    "birthday_next_7_days",
    "rfm_champions",
    "rfm_at_risk",
]


def test_every_scenario_has_an_example_and_nothing_else_is_there() -> None:
    assert sorted(path.stem for path in EXAMPLES.glob("*.json")) == sorted(SCENARIOS)


@pytest.mark.parametrize("name", SCENARIOS)
def test_each_example_parses_and_round_trips(name: str) -> None:
    document = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    rule = parse_rule(document, known_event_types={"login", "product_view"})
    assert parse_rule(rule.to_json()) == rule
