"""A store holding the small test bank (two customers, three accounts) and an ingestion with a counting subscriber."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from huoke.events.service import Ingestion
from huoke.platform.runtime import Runtime
from huoke.platform.work import Subscriber, Subscriptions, WorkItem
from tests.integration.customers import bank_files as bank

EVENT_TOPICS = frozenset({"event.login", "event.product_view", "event.search", "event.page_view", "event.app_open"})
TXN_TOPICS = frozenset({"transaction.card_spend", "transaction.salary", "transaction.transfer_in"})


@pytest.fixture
def bank_runtime(runtime: Runtime, tmp_path: Path) -> Runtime:
    bank.import_bank(runtime, tmp_path / "bank")
    return runtime


class Recorder:
    """A subscriber that remembers what it was handed (for asserting what got enqueued and delivered)."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()

    def __call__(self, session: Session, item: WorkItem, now: datetime) -> None:
        self.seen[item.key] += 1


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def ingestion(bank_runtime: Runtime, recorder: Recorder) -> Ingestion:
    subscriptions = Subscriptions([Subscriber("test.recorder", EVENT_TOPICS | TXN_TOPICS, recorder)])
    return Ingestion(bank_runtime, subscriptions)
