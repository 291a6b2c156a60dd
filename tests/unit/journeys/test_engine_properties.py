"""Properties of the engine over generated journeys, instances and times."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from huoke.journeys.actions import CUSTOMER_FACING, Exited, StepLogged
from huoke.journeys.definition import JourneyDefinition, parse_journey
from huoke.journeys.engine import Advance, Facts, Instance, advance, start, variant_of
from huoke.journeys.validation import validate
from huoke.segments.facts import CustomerFacts

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 18, 10, 0, tzinfo=SHANGHAI)
KINDS = ("send", "wait", "wait_for", "branch", "split", "task", "tag", "webhook")


def _step(index: int, kind: str, targets: list[int]) -> dict[str, Any]:
    """Step ``s<index>`` of KIND; its first target is the next step, so every step is reachable."""
    ids = [f"s{t}" for t in targets]
    body: dict[str, Any] = {
        "send": {"send": {"template": "t"}, "next": ids[0]},
        "wait": {"wait": {"hours": 1 + index}, "next": ids[0]},
        "wait_for": {"wait_for": {"event": {"type": "login"}}, "timeout_hours": 2, "on_event": ids[1],
                     "on_timeout": ids[0]},
        "branch": {"branch": {"if": {"attr": "age", "op": "ge", "value": 60}, "then": ids[0], "else": ids[1]}},
        "split": {"split": {"variants": [{"weight": 1, "next": ids[0]}, {"weight": 2, "next": ids[1]}]}},
        "task": {"task": {"assignee": "rm", "template": "t"}, "next": ids[0]},
        "tag": {"tag": {"add": "x"}, "next": ids[0]},
        "webhook": {"webhook": {"url": "https://h.example.cn/x"}, "next": ids[0]},
    }[kind]  # fmt: skip
    return {"id": f"s{index}", **body}


@st.composite
def journeys(draw: st.DrawFn) -> JourneyDefinition:
    """A valid journey: a chain of steps ending in exit, with extra edges anywhere (loops included)."""
    size = draw(st.integers(1, 7))
    steps = []
    for index in range(size):
        kind = draw(st.sampled_from(KINDS))
        other = draw(st.integers(0, size))
        steps.append(_step(index, kind, [index + 1, other]))
    steps.append({"id": f"s{size}", "exit": True})
    definition = parse_journey({"name": "gen", "trigger": {"api": True}, "steps": steps})
    assume(not validate(definition))
    return definition


profiles = st.builds(
    lambda year: CustomerFacts(zone=SHANGHAI, attributes={"birth_date": f"{year}-05-01"}), st.integers(1940, 2005)
)
instance_ids = st.text("abcdef0123456789", min_size=1, max_size=12)


def drive(definition: JourneyDefinition, instance: Instance, facts: Facts, rounds: int = 40) -> list[Advance]:
    """Advance at NOW, then at each wake-up time, until the instance ends (or ROUNDS calls)."""
    results = [advance(definition, instance, facts, NOW)]
    while results[-1].instance.status == "waiting" and len(results) < rounds:
        wake = results[-1].instance.wake_at
        assert wake is not None
        results.append(advance(definition, results[-1].instance, facts, wake))
    return results


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])


@FAST
@given(journeys(), instance_ids, profiles, st.booleans())
def test_advance_is_deterministic_with_the_same_keys(
    definition: JourneyDefinition, instance_id: str, profile: CustomerFacts, holdout: bool
) -> None:
    instance = start(definition, instance_id=instance_id, version=1, one_id="o", entered_at=NOW, holdout=holdout)
    facts = Facts(profile=profile)
    assert drive(definition, instance, facts) == drive(definition, instance, facts)


@FAST
@given(journeys(), instance_ids, profiles)
def test_a_valid_journey_never_spins_without_waiting(
    definition: JourneyDefinition, instance_id: str, profile: CustomerFacts
) -> None:
    instance = start(definition, instance_id=instance_id, version=1, one_id="o", entered_at=NOW, holdout=False)
    for result in drive(definition, instance, Facts(profile=profile)):
        assert not any(isinstance(a, Exited) for a in result.actions)
        assert result.instance.status in ("waiting", "completed")
        if result.instance.status == "waiting":
            assert result.instance.wake_at is not None


@FAST
@given(journeys(), instance_ids, profiles)
def test_holdouts_never_get_a_customer_facing_action(
    definition: JourneyDefinition, instance_id: str, profile: CustomerFacts
) -> None:
    held = start(definition, instance_id=instance_id, version=1, one_id="o", entered_at=NOW, holdout=True)
    treated = start(definition, instance_id=instance_id, version=1, one_id="o", entered_at=NOW, holdout=False)
    held_runs = drive(definition, held, Facts(profile=profile))
    treated_runs = drive(definition, treated, Facts(profile=profile))
    assert not any(isinstance(a, CUSTOMER_FACING) for r in held_runs for a in r.actions)
    path = [[(a.step, a.kind) for a in r.actions if isinstance(a, StepLogged)] for r in held_runs]
    assert path == [[(a.step, a.kind) for a in r.actions if isinstance(a, StepLogged)] for r in treated_runs]


@FAST
@given(journeys(), instance_ids)
def test_idempotency_keys_are_unique_within_a_run(definition: JourneyDefinition, instance_id: str) -> None:
    instance = start(definition, instance_id=instance_id, version=1, one_id="o", entered_at=NOW, holdout=False)
    keys = [a.idempotency_key for r in drive(definition, instance, Facts()) for a in r.actions
            if isinstance(a, CUSTOMER_FACING)]  # fmt: skip
    assert len(keys) == len(set(keys))


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(1, 10), min_size=2, max_size=4), st.text("xyz", min_size=1, max_size=5))
def test_split_frequencies_follow_the_weights(weights: list[int], step_id: str) -> None:
    draws = 6_000
    counts = [0] * len(weights)
    for n in range(draws):
        counts[variant_of(f"instance-{n}", step_id, weights)] += 1
    total = sum(weights)
    for count, weight in zip(counts, weights, strict=True):
        share = weight / total
        spread = 5 * (share * (1 - share) / draws) ** 0.5  # five standard deviations
        assert abs(count / draws - share) <= spread


def test_wait_times_are_strictly_in_the_future() -> None:
    step = {"id": "w", "wait": {"until_time": "10:00"}, "next": "end"}
    definition = parse_journey({"name": "j", "trigger": {"api": True}, "steps": [step, {"id": "end", "exit": True}]})
    for minutes in range(0, 24 * 60, 7):
        now = NOW + timedelta(minutes=minutes)
        instance = start(definition, instance_id="i", version=1, one_id="o", entered_at=now, holdout=False)
        wake = advance(definition, instance, Facts(), now).instance.wake_at
        assert wake is not None
        assert now < wake <= now + timedelta(days=1)
