"""When each outbox message became visible to others: its transaction's commit, on the wall clock.

The trigger benchmark measures "event accepted → message committed". A message's ``enqueued_at`` is the
worker's clock when it took the batch, before the batch's work and commit; this recorder notes the commit
itself. It listens to a runtime's sessions: messages flushed in a transaction are stamped when that
transaction commits, and forgotten when it rolls back (the worker then runs the batch again).

Run as a module it is a `huoke worker` that records: ``python -m bench.commit_times OUT.json`` with the
usual ``HUOKE_*`` settings in the environment; SIGTERM stops it and writes OUT.json.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from huoke.app import build_work_queue
from huoke.messaging.store import MessageRow
from huoke.platform.runtime import Runtime, build_runtime
from huoke.platform.settings import Settings

_PENDING = "bench.pending_messages"


class CommitTimes:
    """Message idempotency key → wall-clock commit time (seconds since the epoch)."""

    def __init__(self, runtime: Runtime) -> None:
        self.at: dict[str, float] = {}
        self._lock = threading.Lock()
        event.listen(runtime.sessions, "after_flush", self._flushed)
        event.listen(runtime.sessions, "after_commit", self._committed)
        event.listen(runtime.sessions, "after_soft_rollback", self._rolled_back)

    def _flushed(self, session: Session, _context: Any) -> None:
        keys = [obj.idempotency_key for obj in session.new if isinstance(obj, MessageRow)]
        if keys:
            session.info.setdefault(_PENDING, []).extend(keys)

    def _committed(self, session: Session) -> None:
        keys, now = session.info.pop(_PENDING, []), time.time()
        with self._lock:
            for key in keys:
                self.at.setdefault(key, now)

    def _rolled_back(self, session: Session, _previous: Any) -> None:
        if not session.in_transaction():  # the whole transaction, not a savepoint
            session.info.pop(_PENDING, None)


def main() -> None:
    out = Path(sys.argv[1])
    runtime = build_runtime(Settings())
    times = CommitTimes(runtime)
    queue = build_work_queue(runtime)
    stop = threading.Event()

    def finish(*_: Any) -> None:
        stop.set()
        runtime.work_arrived.set()

    signal.signal(signal.SIGTERM, finish)
    print("ready", flush=True)
    queue.run_forever(stop)
    out.write_text(json.dumps(times.at))
    runtime.close()


if __name__ == "__main__":
    main()
