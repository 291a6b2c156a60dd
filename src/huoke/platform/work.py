"""The durable work queue: subscribers, messages, and enqueueing inside the caller's transaction.

A message (topic, key, payload) is delivered once to every subscriber of its topic, as one work item each.
Enqueueing writes the items in the caller's session, so they commit (or vanish) with the caller's own
changes: an accepted event always has its work queued. Workers (``huoke.platform.worker``) deliver items at
least once; a handler's store writes commit together with marking its item done, so they happen exactly
once, and any effect outside the store must be idempotent by ``item.key``. See docs/work-queue.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from huoke.platform.errors import Conflict, InvalidInput
from huoke.platform.work_store import insert_items

NAME_MAX = 64
TOPIC_MAX = 64
KEY_MAX = 160
ERROR_MAX = 1000
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600
_EARLIEST = "huoke.work.earliest"  # session.info: the earliest due time enqueued in this transaction
QUEUED = "huoke.work.queued"  # session.info: this transaction queued work (wakes idle workers on commit)


@dataclass(frozen=True)
class WorkItem:
    """One delivery handed to a subscriber. ``attempts`` counts this delivery too (1 on the first)."""

    id: int
    subscriber: str
    topic: str
    key: str
    payload: dict[str, Any]
    attempts: int
    enqueued_at: datetime
    available_at: datetime


Handler = Callable[[Session, WorkItem, datetime], None]
# Handles several items of one subscriber at once, with the same effects as ``Handler`` on each in order.
BatchHandler = Callable[[Session, list[WorkItem], datetime], None]


@dataclass(frozen=True)
class Subscriber:
    """A named consumer of topics. ``handle(session, item, now)`` runs in the worker's transaction."""

    name: str
    topics: frozenset[str]
    handle: Handler
    # Narrows ``topics`` at enqueue time (e.g. to what a context currently cares about); None takes them all.
    wants: Callable[[str], bool] | None = None
    # Optional: the items of one delivery batch in one call (fewer statements); must match ``handle`` item by
    # item, because a failing batch is run again one item at a time through ``handle``.
    handle_batch: BatchHandler | None = None

    def __post_init__(self) -> None:
        if not self.name or len(self.name) > NAME_MAX:
            raise InvalidInput(f"subscriber name {self.name!r} must be 1 to {NAME_MAX} characters", code="bad_name")
        if not self.topics:
            raise InvalidInput(f"subscriber {self.name!r} subscribes to no topic", code="no_topics")

    def takes(self, topic: str) -> bool:
        """Whether TOPIC is one of this subscriber's topics, named exactly or by a prefix such as ``event.*``."""
        return topic in self.topics or _by_pattern(topic, self.topics)

    def accepts(self, topic: str) -> bool:
        """Whether a message on TOPIC is queued for this subscriber now: one of its topics that ``wants``."""
        return self.takes(topic) and (self.wants is None or self.wants(topic))


class Subscriptions:
    """Which subscribers receive which topics. Names are unique: they identify queued items."""

    def __init__(self, subscribers: Iterable[Subscriber] = ()) -> None:
        self._by_name: dict[str, Subscriber] = {}
        for subscriber in subscribers:
            self.register(subscriber)

    def register(self, subscriber: Subscriber) -> None:
        if subscriber.name in self._by_name:
            raise Conflict(f"a subscriber named {subscriber.name!r} is already registered", code="duplicate_subscriber")
        self._by_name[subscriber.name] = subscriber

    def for_topic(self, topic: str) -> list[Subscriber]:
        """Subscribers a message on TOPIC is queued for (see ``Subscriber.accepts``)."""
        return [s for s in self._by_name.values() if s.accepts(topic)]

    def get(self, name: str) -> Subscriber | None:
        return self._by_name.get(name)

    def __iter__(self) -> Iterator[Subscriber]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)


@dataclass(frozen=True)
class Message:
    """What a caller enqueues: KEY is the idempotency key (e.g. the event id), unique per subscriber."""

    topic: str
    key: str
    payload: dict[str, Any]
    available_at: datetime | None = None  # None: due at once

    def __post_init__(self) -> None:
        _check_text(self.key, "topic", self.topic, TOPIC_MAX)
        _check_text(self.key, "key", self.key, KEY_MAX)
        if not isinstance(self.payload, dict):
            raise InvalidInput(f"work message {self.key!r}: field 'payload' must be a JSON object", code="bad_payload")
        if self.available_at is not None and self.available_at.tzinfo is None:
            raise InvalidInput(
                f"work message {self.key!r}: field 'available_at' has no time zone", code="naive_datetime"
            )


def enqueue(
    session: Session,
    subscriptions: Subscriptions,
    *,
    topic: str,
    key: str,
    payload: dict[str, Any],
    now: datetime,
    available_at: datetime | None = None,
) -> int:
    """Queue one message for every subscriber of TOPIC in the caller's session (no commit); items queued.

    A (subscriber, key) already queued is skipped, not an error; a topic nobody subscribes to queues nothing.
    """
    message = Message(topic=topic, key=key, payload=payload, available_at=available_at)
    return enqueue_many(session, subscriptions, [message], now=now)


def enqueue_many(session: Session, subscriptions: Subscriptions, messages: Iterable[Message], *, now: datetime) -> int:
    """``enqueue`` for many messages in one statement per 500 items; how many items were queued."""
    rows = [
        _row(subscriber.name, message, now)
        for message in messages
        for subscriber in subscriptions.for_topic(message.topic)
    ]
    if not rows:
        return 0
    earliest = min(row["available_at"] for row in rows)
    known = session.info.get(_EARLIEST)
    session.info[_EARLIEST] = earliest if known is None else min(known, earliest)
    session.info[QUEUED] = True
    return insert_items(session, rows)


def take_earliest_enqueued(session: Session) -> datetime | None:
    """The earliest due time enqueued through SESSION since the last call (the drain keeps time order)."""
    value: datetime | None = session.info.pop(_EARLIEST, None)
    return value


def _by_pattern(topic: str, topics: frozenset[str]) -> bool:
    return any(t.endswith(".*") and topic.startswith(t[:-1]) for t in topics)


def backoff_seconds(attempt: int, *, base: int = BACKOFF_BASE_SECONDS, cap: int = BACKOFF_CAP_SECONDS) -> int:
    """Seconds to wait after failed attempt ATTEMPT (1, 2, …): BASE doubling each time, at most CAP."""
    if attempt < 1:
        raise ValueError(f"attempt numbers start at 1, not {attempt}")
    return min(cap, base << min(attempt - 1, 32))


def error_text(exc: BaseException) -> str:
    """The error kept on a failed item: type and message, no stack trace, at most ERROR_MAX characters."""
    text = f"{type(exc).__name__}: {exc}".strip()
    return text if len(text) <= ERROR_MAX else text[: ERROR_MAX - 1] + "…"


def _row(subscriber: str, message: Message, now: datetime) -> dict[str, Any]:
    return {
        "subscriber": subscriber,
        "topic": message.topic,
        "key": message.key,
        "payload": message.payload,
        "enqueued_at": now,
        "available_at": message.available_at or now,
        "attempts": 0,
        "status": "ready",
    }


def _check_text(key: str, field: str, value: str, limit: int) -> None:
    if not isinstance(value, str) or not value or len(value) > limit:
        length = len(value) if isinstance(value, str) else type(value).__name__
        raise InvalidInput(
            f"work message {key!r}: field {field!r} must be 1 to {limit} characters, not {length}",
            code="bad_work_message",
        )
