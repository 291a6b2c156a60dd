"""Composition root: builds every component from Settings. Nothing here runs at import."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import MetaData

from huoke.platform.db import Base
from huoke.platform.runtime import Runtime, build_runtime
from huoke.platform.service import Platform
from huoke.platform.settings import Settings
from huoke.platform.work import Subscriptions
from huoke.platform.worker import WorkQueue

if TYPE_CHECKING:
    from fastapi import FastAPI

    from huoke.events.service import Ingestion
    from huoke.messaging.runner import LazyDispatcher

__all__ = ["Runtime", "all_metadata", "build_platform", "build_runtime", "create_app"]


def all_metadata() -> MetaData:
    """The metadata of every context's tables (for migrations and test schemas)."""
    import huoke.customers.store
    import huoke.events.store
    import huoke.journeys.store
    import huoke.messaging.store
    import huoke.platform.store
    import huoke.platform.work_store
    import huoke.segments.store
    import huoke.segments.tag_store  # noqa: F401

    return Base.metadata


def build_subscriptions(runtime: Runtime) -> Subscriptions:
    """Every context's subscribers to the work queue, by topic (each context registers its own here)."""
    from huoke.events import activity
    from huoke.journeys import runtime as journeys
    from huoke.journeys import webhooks
    from huoke.messaging import optouts, receipt_subscriber
    from huoke.segments import realtime

    subscriptions = Subscriptions([activity.subscriber()])
    subscriptions.register(realtime.subscriber(runtime, subscriptions))
    subscriptions.register(optouts.subscriber(runtime))
    subscriptions.register(receipt_subscriber.subscriber())
    subscriptions.register(journeys.subscriber(runtime, subscriptions))
    subscriptions.register(webhooks.subscriber())
    return subscriptions


def build_ingestion(runtime: Runtime) -> Ingestion:
    """Live ingestion of events and transactions, enqueueing work for every subscriber."""
    from huoke.events.service import Ingestion

    return Ingestion(runtime, build_subscriptions(runtime))


def build_work_queue(runtime: Runtime, dispatcher: LazyDispatcher | None = None) -> WorkQueue:
    """The work queue that `huoke worker`, `huoke serve` and `huoke run --until` deliver from; its periodic
    jobs refresh scheduled segments and send the outbox."""
    from huoke.journeys.runtime import run_due
    from huoke.journeys.scheduled import run_timed
    from huoke.messaging.runner import LazyDispatcher
    from huoke.segments.refresh import run_scheduled

    subscriptions = build_subscriptions(runtime)
    sender = dispatcher or LazyDispatcher(runtime)
    jobs = [
        lambda now: run_scheduled(runtime, subscriptions, now),
        lambda now: run_due(runtime, subscriptions, now),
        lambda now: run_timed(runtime, subscriptions, now),
        sender.periodic,
    ]
    return WorkQueue(runtime, subscriptions, periodic=jobs)


def build_dispatcher(runtime: Runtime) -> LazyDispatcher:
    """The outbox dispatcher (built on first use: its channel adapters come from the channels file)."""
    from huoke.messaging.runner import LazyDispatcher

    return LazyDispatcher(runtime)


def build_platform(runtime: Runtime) -> Platform:
    """The platform service with every context's due work registered for `huoke run --until`."""
    from huoke.journeys.runtime import next_wake, run_due
    from huoke.journeys.scheduled import next_timed, run_timed
    from huoke.messaging.runner import next_due
    from huoke.segments.refresh import next_scheduled, run_scheduled

    dispatcher = build_dispatcher(runtime)
    queue = build_work_queue(runtime, dispatcher)
    scheduled = partial(run_scheduled, runtime, queue.subscriptions)
    return Platform(
        runtime=runtime,
        due_work=[
            queue.drain,
            scheduled,
            partial(run_timed, runtime, queue.subscriptions),
            partial(run_due, runtime, queue.subscriptions),
            dispatcher.drain,
        ],
        milestones=[
            partial(next_scheduled, runtime),
            partial(next_due, runtime),
            partial(next_wake, runtime),
            partial(next_timed, runtime),
        ],
    )


def build(settings: Settings) -> tuple[Runtime, Platform]:
    runtime = build_runtime(settings)
    return runtime, build_platform(runtime)


def create_app(settings: Settings) -> FastAPI:
    """The HTTP API over a runtime built from SETTINGS; refuses unsafe PII keys before serving anything.

    Raises ConfigurationError (for example missing or development keys in the prod profile).
    """
    from huoke.customers.api import router as customers_router
    from huoke.events.api import router as events_router
    from huoke.events.lake_service import history_reader
    from huoke.events.service import Ingestion
    from huoke.journeys.api import router as journeys_router
    from huoke.messaging.api import inbound_router, public_router
    from huoke.messaging.api import router as messaging_router
    from huoke.messaging.service import contact_history_section
    from huoke.platform.http import build_api
    from huoke.segments.api import router as segments_router
    from huoke.segments.tag_api import router as tags_router
    from huoke.segments.tag_service import tags_section

    runtime = build_runtime(settings)
    try:
        _ = runtime.cipher  # checks the keyring once, at startup, not at the first request
    except Exception:
        runtime.close()
        raise
    app = build_api(
        runtime, [customers_router, events_router, segments_router, tags_router, messaging_router, journeys_router]
    )
    app.include_router(public_router)  # customers follow links and unsubscribe without an API key
    app.include_router(inbound_router)  # providers authenticate by signature
    app.state.customer_sections = {"tags": tags_section, "messages": contact_history_section}
    app.state.subscriptions = build_subscriptions(runtime)
    app.state.ingestion = Ingestion(runtime, app.state.subscriptions)
    app.state.timeline_history = history_reader(runtime)
    return app
