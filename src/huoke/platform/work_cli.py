"""Work queue commands: `huoke worker` (the delivery loop) and `huoke work status|retry|purge`."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Annotated, Any

import typer

from huoke.platform.console import emit, stderr, user_errors
from huoke.platform.migrate import require_current
from huoke.platform.service import PlatformFactory
from huoke.platform.work_admin import purge_done, queue_status, retry_parked
from huoke.platform.worker import Tally, WorkQueue

JsonFlag = Annotated[bool, typer.Option("--json", help="print exactly one JSON document on stdout")]


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
    work = typer.Typer(help="the durable work queue: status, parked items, housekeeping", no_args_is_help=True)
    work.command("status")(status)
    work.command("retry")(retry)
    work.command("purge")(purge)
    app.add_typer(work, name="work")


def work_queue(ctx: typer.Context) -> WorkQueue:
    """The work queue of an initialised store (exit 1 with `store_not_initialised` otherwise)."""
    factory: PlatformFactory = ctx.obj
    queue = factory.work_queue()
    require_current(queue.runtime.engine)
    return queue


def worker(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="deliver what is due now, then exit")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Deliver queued work until SIGTERM or Ctrl-C (the current item is finished first), or once with --once."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    with user_errors(as_json=as_json):
        queue = work_queue(ctx)
    if once:
        tally = _drain_due(queue)
    else:
        stop = threading.Event()
        with stop_on_signals(stop):
            tally = queue.run_forever(stop)
    emit(tally.as_dict(), as_json=as_json, render=_render_tally)


def _drain_due(queue: WorkQueue) -> Tally:
    total = Tally()
    while (tally := queue.run_once()).processed:
        total.add(tally)
    return total


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set STOP; a second one ends the process at once (the default handlers again)."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def _handler(signum: int, _frame: FrameType | None) -> None:
        stderr.print(f"{signal.Signals(signum).name}: finishing the current item, then stopping")
        stop.set()
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    for sig in previous:
        signal.signal(sig, _handler)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def status(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Work items per subscriber (ready, due, in flight, done, parked), the oldest due item, parked items."""
    with user_errors(as_json=as_json):
        queue = work_queue(ctx)
        result = queue_status(queue.runtime, queue.subscriptions)
    emit(result, as_json=as_json, render=_render_status)


def retry(
    ctx: typer.Context,
    subscriber: Annotated[str | None, typer.Option(help="only this subscriber's parked items")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Re-queue parked items, due now with a fresh count of attempts."""
    with user_errors(as_json=as_json):
        result = retry_parked(work_queue(ctx).runtime, subscriber=subscriber)
    emit(result, as_json=as_json, render=lambda r: stderr.print(f"{r['requeued']} parked items re-queued"))


def purge(
    ctx: typer.Context,
    older_than_days: Annotated[int, typer.Option(help="delete done items finished more than N days ago", min=0)],
    as_json: JsonFlag = False,
) -> None:
    """Delete done work items older than N days (parked and waiting items are kept)."""
    with user_errors(as_json=as_json):
        result = purge_done(work_queue(ctx).runtime, older_than_days=older_than_days)
    emit(
        result, as_json=as_json, render=lambda r: stderr.print(f"{r['purged']} done items before {r['before']} purged")
    )


def _render_tally(r: dict[str, Any]) -> None:
    stderr.print(f"processed {r['processed']}: {r['done']} done, {r['retried']} to retry, {r['parked']} parked")


def _render_status(r: dict[str, Any]) -> None:
    stderr.print(f"now {r['now']}")
    stderr.print(f"{'subscriber':<32} {'ready':>8} {'due':>8} {'in flight':>9} {'done':>10} {'parked':>7}")
    for name, c in r["subscribers"].items():
        mark = "" if c["registered"] else "  (not registered)"
        stderr.print(
            f"{name:<32} {c['ready']:>8} {c['due']:>8} {c['in_flight']:>9} {c['done']:>10} {c['parked']:>7}{mark}",
            markup=False,
        )
    if r["oldest_due_age_seconds"] is not None:
        stderr.print(f"oldest due item waiting {r['oldest_due_age_seconds']:.0f} s (due {r['oldest_due_at']})")
    for p in r["parked"]:
        line = f"parked #{p['id']} {p['subscriber']} {p['key']} after {p['attempts']} attempts: {p['last_error']}"
        stderr.print(line, markup=False)
