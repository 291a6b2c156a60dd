"""Pure rules of the work queue: the retry schedule, kept errors, subscriptions and message checks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huoke.platform.errors import Conflict, InvalidInput
from huoke.platform.work import (
    BACKOFF_CAP_SECONDS,
    ERROR_MAX,
    Message,
    Subscriber,
    Subscriptions,
    backoff_seconds,
    error_text,
)


def _ignore(*_args: object) -> None:
    return None


def test_the_retry_schedule_doubles_from_thirty_seconds_up_to_an_hour() -> None:
    schedule = [backoff_seconds(attempt) for attempt in range(1, 10)]

    assert schedule == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


@given(st.integers(min_value=1, max_value=10_000))
def test_the_wait_never_shrinks_and_never_exceeds_the_cap(attempt: int) -> None:
    assert backoff_seconds(attempt) <= backoff_seconds(attempt + 1) <= BACKOFF_CAP_SECONDS


def test_attempt_numbers_start_at_one() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        backoff_seconds(0)


def test_a_kept_error_names_its_type_and_is_cut_to_a_bounded_length() -> None:
    short = error_text(KeyError("customer_no"))
    long = error_text(RuntimeError("x" * 5000))

    assert short == "KeyError: 'customer_no'"
    assert len(long) == ERROR_MAX
    assert long.startswith("RuntimeError: xxx")
    assert long.endswith("…")


def test_subscribers_are_found_by_topic_and_a_name_is_registered_once() -> None:
    a = Subscriber(name="journeys", topics=frozenset({"event.accepted", "txn.accepted"}), handle=_ignore)
    b = Subscriber(name="loyalty", topics=frozenset({"txn.accepted"}), handle=_ignore)
    subs = Subscriptions([a, b])

    assert [s.name for s in subs.for_topic("txn.accepted")] == ["journeys", "loyalty"]
    assert subs.for_topic("event.accepted") == [a]
    assert subs.for_topic("segment.entered") == []
    with pytest.raises(Conflict, match="'loyalty' is already registered"):
        subs.register(Subscriber(name="loyalty", topics=frozenset({"x"}), handle=_ignore))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"topic": "", "key": "e1"}, "field 'topic' must be 1 to 64 characters"),
        ({"topic": "t", "key": "k" * 161}, "field 'key' must be 1 to 160 characters, not 161"),
        ({"topic": "t", "key": "e1", "payload": [1]}, "field 'payload' must be a JSON object"),
        ({"topic": "t", "key": "e1", "available_at": datetime(2026, 1, 1)}, "field 'available_at' has no time zone"),  # noqa: DTZ001
    ],
)
def test_a_bad_message_is_refused_naming_the_field(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"payload": {}} | kwargs
    with pytest.raises(InvalidInput, match=message):
        Message(**fields)  # type: ignore[arg-type]


def test_a_subscriber_needs_a_name_and_a_topic() -> None:
    with pytest.raises(InvalidInput, match="subscribes to no topic"):
        Subscriber(name="x", topics=frozenset(), handle=_ignore)
    with pytest.raises(InvalidInput, match="must be 1 to 64 characters"):
        Subscriber(name="n" * 65, topics=frozenset({"t"}), handle=_ignore)


def test_a_due_time_with_a_zone_is_accepted() -> None:
    at = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)

    assert Message("t", "e1", {"a": 1}, at).available_at == at
