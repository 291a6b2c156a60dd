"""A worker process for reliability tests: the real `huoke worker` command with counting subscribers.

Run as ``python -m tests.e2e.support.counting_worker --label NAME [--go-file PATH]`` with the usual
``HUOKE_*`` environment (data dir or database URL, worker settings). Two subscribers, ``count_a`` and
``count_b``, take the topic ``test.tick``; each delivery inserts one row into ``test_effects`` — a table
with no unique constraint, so a delivery whose effect committed twice shows up as a duplicate row.
Claims are logged (``huoke.work`` at DEBUG) to stderr, so tests can check who claimed what.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import Column, Integer, MetaData, String, Table, insert
from sqlalchemy.orm import Session

from huoke.platform import work_cli
from huoke.platform.runtime import Runtime, build_runtime
from huoke.platform.service import Platform
from huoke.platform.settings import Settings
from huoke.platform.work import Subscriber, Subscriptions, WorkItem
from huoke.platform.worker import WorkQueue

TOPIC = "test.tick"
SUBSCRIBERS = ("count_a", "count_b")
EFFECTS_METADATA = MetaData()
EFFECTS = Table(
    "test_effects",
    EFFECTS_METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("worker", String(32), nullable=False),
    Column("subscriber", String(64), nullable=False),
    Column("key", String(160), nullable=False),
    Column("attempt", Integer, nullable=False),
)


def counting_subscriptions(label: str) -> Subscriptions:
    """The two counting subscribers; LABEL names the worker in every effect row."""

    def subscriber(name: str) -> Subscriber:
        def handle(session: Session, item: WorkItem, _now: datetime) -> None:
            row = {"worker": label, "subscriber": name, "key": item.key, "attempt": item.attempts}
            session.execute(insert(EFFECTS).values(row))

        return Subscriber(name=name, topics=frozenset({TOPIC, "event.*"}), handle=handle)

    return Subscriptions(subscriber(name) for name in SUBSCRIBERS)


class CountingFactory:
    """Stands in for the CLI's context: the same runtime, but the counting subscribers."""

    def __init__(self, settings: Settings, label: str, go_file: Path | None) -> None:
        self.settings = settings
        self._label = label
        self._go_file = go_file
        self._runtime: Runtime | None = None

    def runtime(self) -> Runtime:
        if self._runtime is None:
            self._runtime = build_runtime(self.settings)
        return self._runtime

    def platform(self) -> Platform:
        return Platform(runtime=self.runtime())

    def work_queue(self) -> WorkQueue:
        queue = WorkQueue(self.runtime(), counting_subscriptions(self._label), worker_id=self._label)
        sys.stderr.write("ready\n")
        sys.stderr.flush()
        while self._go_file is not None and not self._go_file.exists():
            time.sleep(0.01)
        return queue

    def api(self) -> Any:
        raise NotImplementedError


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--label", required=True)
    parser.add_argument("--go-file", type=Path)
    args = parser.parse_args()
    logging.basicConfig(stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("huoke.work").setLevel(logging.DEBUG)
    app = typer.Typer(pretty_exceptions_enable=False, add_completion=False)
    work_cli.register(app)

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = CountingFactory(Settings(), args.label, args.go_file)

    app(["worker", "--json"])


if __name__ == "__main__":
    main()
