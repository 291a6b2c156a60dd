"""The pure engine, step kind by step kind, and the entry rules. Times are Shanghai unless said otherwise."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from huoke.journeys.actions import (
    CallWebhook,
    ChangeTag,
    Completed,
    CreateTask,
    Exited,
    Ignored,
    SendMessage,
    StepLogged,
)
from huoke.journeys.definition import WaitSpec, parse_journey
from huoke.journeys.engine import (
    Facts,
    Instance,
    advance,
    enters,
    goal_reached,
    holdout_of,
    start,
    stop,
    triggered,
    wake_time,
)
from huoke.segments.facts import CustomerFacts

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 18, 10, 0, tzinfo=SHANGHAI)
END = {"id": "end", "exit": True}


def journey(*steps: dict[str, Any], **fields: Any) -> Any:
    return parse_journey({"name": "j", "trigger": {"api": True}, "steps": [*steps, END], **fields})


def begin(definition: Any, *, holdout: bool = False, instance_id: str = "i-1") -> Instance:
    return start(definition, instance_id=instance_id, version=1, one_id="o-1", entered_at=NOW, holdout=holdout)


def run(definition: Any, facts: Facts | None = None, *, holdout: bool = False) -> Any:
    return advance(definition, begin(definition, holdout=holdout), facts or Facts(), NOW)


def logged(actions: Any) -> list[tuple[str, str]]:
    return [(a.step, a.outcome) for a in actions if isinstance(a, StepLogged)]


def effects(actions: Any) -> list[Any]:
    return [a for a in actions if not isinstance(a, StepLogged | Completed)]


def txn(kind: str = "wealth_purchase", at: datetime = NOW, **fields: Any) -> Facts:
    return Facts(event={"kind": "txn", "txn_type": kind, "amount": 1000, "occurred_at": at.isoformat(), **fields})


def test_send_task_tag_and_webhook_emit_their_actions_in_order_then_complete() -> None:
    definition = journey(
        {"id": "a", "send": {"template": "offer", "priority": 7}, "next": "b"},
        {"id": "b", "task": {"assignee": "branch_queue", "template": "call", "due_hours": 12}, "next": "c"},
        {"id": "c", "tag": {"remove": "cold"}, "next": "d"},
        {"id": "d", "webhook": {"url": "https://crm.example.cn/hook"}, "next": "end"},
    )
    result = run(definition)
    assert effects(result.actions) == [
        SendMessage("offer", 7, "journey:i-1:0:a"),
        CreateTask("call", "branch_queue", 12, "journey:i-1:1:b"),
        ChangeTag("cold", False, "journey:i-1:2:c"),
        CallWebhook("https://crm.example.cn/hook", "journey:i-1:3:d"),
    ]
    assert logged(result.actions) == [("a", "sent"), ("b", "task_created"), ("c", "untagged"), ("d", "called"),
                                      ("end", "completed")]  # fmt: skip
    assert result.instance.status == "completed"
    assert result.instance.step is None
    assert result.actions[-1] == Completed(NOW)


def test_send_without_priority_uses_the_default() -> None:
    result = run(journey({"id": "a", "send": {"template": "offer"}, "next": "end"}))
    assert effects(result.actions)[0].priority == 5


def test_holdout_walks_the_steps_but_gets_nothing() -> None:
    definition = journey(
        {"id": "a", "send": {"template": "offer"}, "next": "b"},
        {"id": "b", "tag": {"add": "warm"}, "next": "end"},
    )
    result = run(definition, holdout=True)
    assert effects(result.actions) == []
    assert logged(result.actions) == [("a", "held_out"), ("b", "held_out"), ("end", "completed")]
    assert result.instance.status == "completed"


def test_wait_hours_then_continue_once_due() -> None:
    definition = journey(
        {"id": "w", "wait": {"hours": 5}, "next": "a"}, {"id": "a", "send": {"template": "t"}, "next": "end"}
    )
    waiting = run(definition).instance
    assert (waiting.status, waiting.step, waiting.wake_at) == ("waiting", "w", NOW + timedelta(hours=5))
    early = advance(definition, waiting, Facts(), NOW + timedelta(hours=4, minutes=59))
    assert early.instance == waiting
    assert early.actions == ()
    due = advance(definition, waiting, Facts(), NOW + timedelta(hours=5))
    assert logged(due.actions) == [("w", "elapsed"), ("a", "sent"), ("end", "completed")]


def test_wait_until_time_is_the_next_local_time_of_day() -> None:
    assert wake_time(WaitSpec(until_time="09:00"), NOW, SHANGHAI) == datetime(2026, 3, 19, 9, tzinfo=SHANGHAI)
    assert wake_time(WaitSpec(until_time="18:30"), NOW, SHANGHAI) == datetime(2026, 3, 18, 18, 30, tzinfo=SHANGHAI)
    assert wake_time(WaitSpec(until_time="10:00"), NOW, SHANGHAI) == datetime(2026, 3, 19, 10, tzinfo=SHANGHAI)


def test_waits_keep_local_time_across_a_daylight_saving_change() -> None:
    new_york = ZoneInfo("America/New_York")
    before = datetime(2026, 3, 7, 9, 0, tzinfo=new_york)  # clocks spring forward on 8 March 2026
    assert wake_time(WaitSpec(days=2), before, new_york) == datetime(2026, 3, 9, 9, 0, tzinfo=new_york)
    assert wake_time(WaitSpec(until_time="08:00"), before, new_york) == datetime(2026, 3, 8, 8, tzinfo=new_york)
    assert wake_time(WaitSpec(hours=48), before, new_york) == datetime(2026, 3, 9, 10, 0, tzinfo=new_york)


WAIT_FOR = {"id": "w", "wait_for": {"txn": {"txn_type": "wealth_purchase", "min_amount": 500}}, "timeout_hours": 48,
            "on_event": "end", "on_timeout": "offer"}  # fmt: skip
OFFER = {"id": "offer", "send": {"template": "offer"}, "next": "end"}


def test_wait_for_a_matching_transaction_takes_on_event() -> None:
    definition = journey(WAIT_FOR, OFFER)
    waiting = run(definition).instance
    assert waiting.wake_at == NOW + timedelta(hours=48)
    later = NOW + timedelta(hours=3)
    result = advance(definition, waiting, txn(at=later), later)
    assert logged(result.actions) == [("w", "event"), ("end", "completed")]


@pytest.mark.parametrize(
    "facts",
    [txn("card_spend"), txn(amount=100), Facts(event={"type": "wealth_purchase", "occurred_at": NOW.isoformat()})],
    ids=["other type", "too small", "an event not a txn"],
)
def test_wait_for_ignores_what_does_not_match(facts: Facts) -> None:
    definition = journey(WAIT_FOR, OFFER)
    waiting = run(definition).instance
    assert advance(definition, waiting, facts, NOW + timedelta(hours=1)) == advance(
        definition, waiting, Facts(), NOW + timedelta(hours=1)
    )
    assert advance(definition, waiting, facts, NOW + timedelta(hours=1)).instance == waiting


def test_wait_for_times_out_and_a_late_event_counts_as_timeout() -> None:
    definition = journey(WAIT_FOR, OFFER)
    waiting = run(definition).instance
    due = NOW + timedelta(hours=48)
    timed_out = advance(definition, waiting, Facts(), due)
    assert logged(timed_out.actions)[:2] == [("w", "timeout"), ("offer", "sent")]
    too_late = advance(definition, waiting, txn(at=due + timedelta(minutes=1)), due + timedelta(minutes=1))
    assert logged(too_late.actions)[0] == ("w", "timeout")


def test_the_entering_event_does_not_satisfy_a_first_wait_for() -> None:
    definition = journey(WAIT_FOR, OFFER)
    result = run(definition, txn())
    assert result.instance.status == "waiting"


def test_event_wait_for_matches_property_conditions() -> None:
    step = {"id": "w", "wait_for": {"event": {"type": "survey_answered", "where": {"score": {"op": "le", "value": 6}}}},
            "timeout_hours": 24, "on_event": "end", "on_timeout": "end"}  # fmt: skip
    definition = journey(step)
    waiting = run(definition).instance
    low = Facts(event={"type": "survey_answered", "properties": {"score": 3}, "occurred_at": NOW.isoformat()})
    high = Facts(event={"type": "survey_answered", "properties": {"score": 9}, "occurred_at": NOW.isoformat()})
    assert logged(advance(definition, waiting, low, NOW).actions)[0] == ("w", "event")
    assert advance(definition, waiting, high, NOW).instance == waiting


def test_branch_evaluates_the_rule_on_the_profile_now() -> None:
    definition = journey(
        {"id": "b", "branch": {"if": {"attr": "age", "op": "ge", "value": 60}, "then": "silver", "else": "end"}},
        {"id": "silver", "send": {"template": "silver"}, "next": "end"},
    )
    senior = CustomerFacts(zone=SHANGHAI, attributes={"birth_date": "1960-01-01"})
    young = CustomerFacts(zone=SHANGHAI, attributes={"birth_date": "2000-01-01"})
    assert logged(run(definition, Facts(profile=senior)).actions)[:2] == [("b", "then"), ("silver", "sent")]
    assert logged(run(definition, Facts(profile=young)).actions)[0] == ("b", "else")
    assert logged(run(definition).actions)[0] == ("b", "else")  # no profile: every attribute is missing


def test_split_is_deterministic_per_instance() -> None:
    definition = journey(
        {"id": "s", "split": {"variants": [{"weight": 1, "next": "a"}, {"weight": 1, "next": "end"}]}},
        {"id": "a", "send": {"template": "t"}, "next": "end"},
    )
    outcomes = {logged(run(definition).actions)[0] for _ in range(5)}
    assert len(outcomes) == 1
    chosen = {logged(advance(definition, begin(definition, instance_id=f"i-{n}"), Facts(), NOW).actions)[0][1]
              for n in range(50)}  # fmt: skip
    assert chosen == {"variant_0", "variant_1"}


def test_a_finished_instance_ignores_events_and_timers() -> None:
    definition = journey(OFFER)
    done = run(definition).instance
    result = advance(definition, done, txn(), NOW + timedelta(days=1))
    assert result.instance == done
    assert result.actions == (Ignored("instance_finished", NOW + timedelta(days=1)),)


def test_an_instance_whose_step_vanished_exits() -> None:
    definition = journey(OFFER)
    lost = replace(begin(definition), step="gone")
    result = advance(definition, lost, Facts(), NOW)
    assert result.instance.status == "exited"
    assert result.actions == (Exited("unknown_step", NOW),)


def test_stop_exits_a_running_instance() -> None:
    definition = journey(WAIT_FOR, OFFER)
    result = stop(run(definition).instance, "stopped", NOW)
    assert (result.instance.status, result.instance.wake_at) == ("exited", None)
    assert result.actions == (Exited("stopped", NOW),)


def test_visits_make_keys_distinct_on_each_lap_of_a_loop() -> None:
    definition = journey(
        {"id": "remind", "send": {"template": "t"}, "next": "w"},
        {"id": "w", "wait": {"days": 7}, "next": "remind"},
    )
    first = run(definition)
    second = advance(definition, first.instance, Facts(), NOW + timedelta(days=7))
    keys = [a.idempotency_key for a in (*first.actions, *second.actions) if isinstance(a, SendMessage)]
    assert keys == ["journey:i-1:0:remind", "journey:i-1:3:remind"]


def test_naive_times_are_refused() -> None:
    definition = journey(OFFER)
    with pytest.raises(ValueError, match="timezone-aware"):
        advance(definition, begin(definition), Facts(), datetime(2026, 1, 1))  # noqa: DTZ001


# --- triggers, goals, entry and holdout ----------------------------------------------------------------------


def test_event_trigger_needs_the_filter_and_the_condition() -> None:
    definition = parse_journey({
        "name": "j", "steps": [END],
        "trigger": {"event": {"type": "product_view", "where": {"dwell_seconds": {"op": "ge", "value": 60}}},
                    "condition": {"attr": "city", "op": "eq", "value": "苏州"}},
    })  # fmt: skip
    view = {"type": "product_view", "properties": {"dwell_seconds": 75}, "occurred_at": NOW.isoformat()}
    suzhou = CustomerFacts(zone=SHANGHAI, attributes={"city": "苏州"})
    assert triggered(definition, Facts(profile=suzhou, event=view), NOW)
    assert not triggered(definition, Facts(profile=CustomerFacts(zone=SHANGHAI), event=view), NOW)
    short = {**view, "properties": {"dwell_seconds": 20}}
    assert not triggered(definition, Facts(profile=suzhou, event=short), NOW)


def test_goal_counts_within_its_window_only() -> None:
    definition = journey(OFFER, goal={"txn": {"txn_type": "wealth_purchase"}, "within_days": 14})
    instance = begin(definition)
    assert goal_reached(definition, instance, txn(at=NOW + timedelta(days=13)))
    assert not goal_reached(definition, instance, txn(at=NOW + timedelta(days=15)))
    assert not goal_reached(definition, instance, txn("card_spend", at=NOW + timedelta(days=1)))


def entry_of(**entry: Any) -> Any:
    return journey(OFFER, entry=entry)


@pytest.mark.parametrize(
    ("entry", "active", "last", "suppressed", "expected"),
    [
        ({}, 0, None, False, (True, "entered")),
        ({}, 0, None, True, (False, "suppressed")),
        ({}, 0, NOW - timedelta(days=400), False, (False, "already_entered")),
        ({"reentry": True}, 1, NOW - timedelta(days=1), False, (False, "max_concurrent")),
        ({"reentry": True, "max_concurrent": 2}, 1, NOW - timedelta(days=1), False, (True, "entered")),
        ({"reentry": True, "cooldown_days": 30}, 0, NOW - timedelta(days=29), False, (False, "cooldown")),
        ({"reentry": True, "cooldown_days": 30}, 0, NOW - timedelta(days=30), False, (True, "entered")),
    ],
)
def test_entry_rules(entry: dict[str, Any], active: int, last: datetime | None, suppressed: bool,
                     expected: tuple[bool, str]) -> None:  # fmt: skip
    decision = enters(entry_of(**entry), active_instances=active, last_entered_at=last, in_suppression=suppressed,
                      now=NOW)  # fmt: skip
    assert decision == expected


def test_holdout_is_deterministic_and_near_the_percentage() -> None:
    assert holdout_of("j", "o-1", 10) == holdout_of("j", "o-1", 10)
    held = sum(holdout_of("welcome", f"o-{n}", 10) for n in range(20_000))
    assert 1_800 <= held <= 2_200
    assert not any(holdout_of("welcome", f"o-{n}", 0) for n in range(1_000))
    assert holdout_of("welcome", "o-1", 10, salt="2026") in (True, False)


def test_instances_store_utc_wake_times() -> None:
    waiting = run(journey({"id": "w", "wait": {"hours": 1}, "next": "end"})).instance
    assert waiting.wake_at is not None
    assert waiting.wake_at.tzinfo == UTC
