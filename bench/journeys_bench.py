"""Journey benchmarks, each beside its floor in the same run.

    .venv/bin/python -m bench.journeys_bench timers --instances 200000 --backends sqlite,postgres
    .venv/bin/python -m bench.journeys_bench triggers --seconds 60 --rate 1000 --backends sqlite,postgres

timers: INSTANCES waiting instances of a journey (`wait 1 h → exit`) fall due at once; huoke's timer runner
(`journeys.runtime.run_due`: claim in batches of 500 with SKIP LOCKED on PostgreSQL, load the customer, run the
engine, store the instance and its step log) advances them all. Floor: the same batches claimed and
completed with raw SQL (select the due ids, update them, insert one step-log row each, commit).

triggers: login events arrive through live ingestion at RATE per second for SECONDS, on an event-triggered
journey whose first step sends a message; a worker delivers the work queue — in its own process by default,
as deployed next to `huoke serve` (`--worker thread` runs it beside ingestion in one process). Latency: the
event's `received_at` to the commit of its message in the outbox (the worker's transaction commit, recorded
by `bench.commit_times`), p50/p99. Floor: the same
event row and message row inserted and committed raw, one transaction per event, timed the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from bench.commit_times import CommitTimes
from huoke.app import build_ingestion, build_platform, build_subscriptions, build_work_queue
from huoke.customers.import_service import import_file
from huoke.demo.generator import generate_bank
from huoke.journeys import service
from huoke.journeys.runtime import run_due
from huoke.journeys.store import InstanceRow, JourneyRow, StepLogRow
from huoke.messaging import service as messaging
from huoke.platform.runtime import Runtime, build_runtime
from huoke.platform.settings import Settings

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BATCH = 500
FLOOR_CLAIM = (
    "select instance_id from journey_instances where status = 'waiting' and entry_key like 'floor:%' "
    "order by wake_at limit :n"
)
FLOOR_COMPLETE = (
    "update journey_instances set status = 'completed', step = 'done', wake_at = null where instance_id = :i"
)
FLOOR_EVENT = (
    "insert into events (event_id, one_id, type, occurred_at, received_at, properties) "
    "values (:e, 'floor', 'login', :t, :t, '{}')"
)
FLOOR_MESSAGE = (
    "insert into messages (message_id, idempotency_key, one_id, template, template_version, channel, purpose, "
    "priority, source, quiet_hours, context, status, reason, enqueued_at, attempts) values (:m, :m, 'floor', "
    "'bench_alert', 1, 'sms', 'risk', 5, 'floor', 'defer', '{}', 'queued', 'queued', :t, 0)"
)
PAUSE = {
    "name": "bench_pause",
    "trigger": {"api": True},
    "entry": {"reentry": True, "max_concurrent": 100},
    "steps": [{"id": "pause", "wait": {"hours": 1}, "next": "done"}, {"id": "done", "exit": True}],
}
ALERT = {"name": "bench_alert", "channel": "sms", "purpose": "risk", "signature": "活客银行",
         "body": "{{ customer.honorific }}，您的账户刚刚登录。"}  # fmt: skip
ON_LOGIN = {
    "name": "bench_login",
    "trigger": {"event": {"type": "login"}},
    "entry": {"reentry": True, "max_concurrent": 100},
    "steps": [{"id": "alert", "send": {"template": "bench_alert"}, "next": "done"}, {"id": "done", "exit": True}],
}


def _schema(base: str) -> tuple[str, str]:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    with create_engine(base).begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {name}"))
    return name, make_url(base).update_query_dict({"options": f"-csearch_path={name}"}).render_as_string(False)


def _store(folder: Path, url: str | None, customers: int, *, clock: str) -> Runtime:
    runtime = build_runtime(Settings(data_dir=folder / "data", database_url=url, profile="dev"))  # type: ignore[arg-type]
    build_platform(runtime).init(
        mode=clock, start=datetime(2026, 11, 24, 1, tzinfo=UTC) if clock == "simulated" else None
    )  # type: ignore[arg-type]
    bank = generate_bank(folder / "bank", customers=customers, seed=5, as_of=date(2026, 11, 24))
    for kind in ("org", "staff", "products", "customers"):
        import_file(runtime, kind=kind, path=bank.files[kind])
    return runtime


def _one_ids(runtime: Runtime) -> list[str]:
    with runtime.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("select one_id from customers where customer_no is not null"))]


def _waiting(runtime: Runtime, count: int, due: datetime, tag: str) -> None:
    ids = _one_ids(runtime)
    with runtime.uow() as uow:
        journey = uow.session.scalars(select(JourneyRow).where(JourneyRow.name == "bench_pause")).one()
        for start in range(0, count, 10_000):
            rows = [
                {"instance_id": uuid.uuid4().hex, "journey_id": journey.id, "version": 1, "one_id": ids[n % len(ids)],
                 "entry_key": f"{tag}:{n}", "status": "waiting", "step": "pause", "wake_at": due, "visits": 1,
                 "holdout": False, "entered_at": due - timedelta(hours=1), "updated_at": due}
                for n in range(start, min(count, start + 10_000))
            ]  # fmt: skip
            uow.session.execute(insert(InstanceRow), rows)
        uow.commit()


def _floor_timers(runtime: Runtime, due: datetime) -> int:
    """Raw SQL: claim due ids in batches, complete them, log one step each, commit per batch."""
    done, pg = 0, runtime.engine.dialect.name == "postgresql"
    claim = text(FLOOR_CLAIM + (" for update skip locked" if pg else ""))
    while True:
        with runtime.engine.begin() as conn:
            ids = [r[0] for r in conn.execute(claim, {"n": BATCH})]
            if not ids:
                return done
            conn.execute(text(FLOOR_COMPLETE), [{"i": i} for i in ids])
            conn.execute(insert(StepLogRow), [_log(i, due) for i in ids])
        done += len(ids)


def _log(instance_id: str, at: datetime) -> dict[str, Any]:
    return {"instance_id": instance_id, "at": at, "step": "done", "kind": "exit", "outcome": "completed"}


def bench_timers(backend: str, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    schema, url = _schema(args.pg_url) if backend == "postgres" else (None, None)
    try:
        runtime = _store(folder / backend, url, 2000, clock="simulated")
        service.create_journey(runtime, PAUSE, actor="bench")
        service.change_state(runtime, name="bench_pause", command="activate", actor="bench")
        due = runtime.now() + timedelta(hours=1)
        _waiting(runtime, args.instances, due, "huoke")
        _waiting(runtime, args.instances, due, "floor")
        started = time.perf_counter()
        floor = _floor_timers(runtime, due)
        floor_s = time.perf_counter() - started
        started = time.perf_counter()
        ours = run_due(runtime, build_subscriptions(runtime), due)
        ours_s = time.perf_counter() - started
        runtime.close()
    finally:
        if schema:
            with create_engine(args.pg_url).begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    ours_rate, floor_rate = ours / ours_s, floor / floor_s
    return {
        "bench": "journey_timers",
        "backend": backend,
        "instances": ours,
        "huoke_per_s": round(ours_rate),
        "floor_instances": floor,
        "floor_per_s": round(floor_rate),
        "ratio": round(ours_rate / floor_rate, 3),
    }


def bench_triggers(backend: str, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    schema, url = _schema(args.pg_url) if backend == "postgres" else (None, None)
    try:
        runtime = _store(folder / backend, url, 20_000, clock="real")
        messaging.create_template(runtime, ALERT, actor="bench")
        service.create_journey(runtime, ON_LOGIN, actor="bench")
        service.change_state(runtime, name="bench_login", command="activate", actor="bench")
        ours = _drive_events(runtime, args)
        floor = _floor_triggers(runtime, min(args.rate * args.seconds, 5000))
        runtime.close()
    finally:
        if schema:
            with create_engine(args.pg_url).begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    return {"bench": "journey_triggers", "backend": backend, **ours,
            "floor_p50_ms": floor[0], "floor_p99_ms": floor[1], "rate": args.rate, "seconds": args.seconds}  # fmt: skip


def _drive_events(runtime: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    """Ingest logins at RATE for SECONDS while a worker (a thread here, or a `huoke worker`-like process)
    delivers them; latency is each event's receipt to its message's commit."""
    numbers = _customer_numbers(runtime)
    if args.worker == "process":
        worker: _Worker = _ProcessWorker(runtime)
    else:
        worker = _ThreadWorker(runtime)
    ingestion, sent, began = build_ingestion(runtime), 0, time.perf_counter()
    per_tick = max(1, args.rate // 10)
    while time.perf_counter() - began < args.seconds:
        batch = [{"event_id": uuid.uuid4().hex, "type": "login", "occurred_at": datetime.now(UTC).isoformat(),
                  "customer_no": numbers[(sent + i) % len(numbers)]} for i in range(per_tick)]  # fmt: skip
        ingestion.events(batch, actor="bench")
        sent += per_tick
        time.sleep(max(0.0, began + sent / args.rate - time.perf_counter()))
    produced = sent / (time.perf_counter() - began)
    deadline = time.perf_counter() + 120
    while _messages(runtime) < sent and time.perf_counter() < deadline:
        time.sleep(0.2)
    committed = worker.finish()
    latencies = _latencies(runtime, committed)
    spread = {"p50_ms": _pct(latencies, 0.5), "p99_ms": _pct(latencies, 0.99), "max_ms": _pct(latencies, 1.0)}
    return {"events": sent, "events_per_s": round(produced), "messages": len(latencies), "worker": args.worker,
            **spread}  # fmt: skip


class _Worker:
    def finish(self) -> dict[str, float]:
        """Stop delivering; the commit time of each message by idempotency key."""
        raise NotImplementedError


class _ThreadWorker(_Worker):
    def __init__(self, runtime: Runtime) -> None:
        self._times = CommitTimes(runtime)
        self._stop = threading.Event()
        self._runtime = runtime
        self._thread = threading.Thread(target=build_work_queue(runtime).run_forever, args=(self._stop,), daemon=True)
        self._thread.start()

    def finish(self) -> dict[str, float]:
        self._stop.set()
        self._runtime.work_arrived.set()
        self._thread.join(timeout=60)
        return self._times.at


class _ProcessWorker(_Worker):
    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUOKE_")}
        env |= {"HUOKE_DATA_DIR": str(settings.data_dir), "HUOKE_PROFILE": settings.profile}
        if settings.database_url:
            env["HUOKE_DATABASE_URL"] = settings.database_url
        self._out = settings.data_dir / "commit_times.json"
        command = [sys.executable, "-m", "bench.commit_times", str(self._out)]
        self._process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
        if self._process.stdout is None or self._process.stdout.readline().strip() != "ready":
            raise RuntimeError("the bench worker process did not start")

    def finish(self) -> dict[str, float]:
        self._process.send_signal(signal.SIGTERM)
        self._process.wait(timeout=120)
        times: dict[str, float] = json.loads(self._out.read_text())
        return times


def _customer_numbers(runtime: Runtime) -> list[str]:
    with runtime.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("select customer_no from customers where customer_no is not null"))]


def _messages(runtime: Runtime) -> int:
    with runtime.engine.connect() as conn:
        return int(conn.execute(text("select count(*) from messages")).scalar() or 0)


def _latencies(runtime: Runtime, committed: dict[str, float]) -> list[float]:
    """Milliseconds from each event's receipt to its message's commit, sorted (joined here by key: the
    message key names the instance, whose entry key names the event)."""
    with runtime.engine.connect() as conn:
        received = {e: _at(r) for e, r in conn.execute(text("select event_id, received_at from events"))}
        entries = dict(conn.execute(text("select instance_id, entry_key from journey_instances")).all())
        keys = [k for (k,) in conn.execute(text("select idempotency_key from messages where source = 'journey'"))]
    latencies = []
    for key in keys:
        event_id = entries[key.split(":")[1]].split(":event:")[1]
        if key in committed:
            latencies.append((committed[key] - received[event_id].timestamp()) * 1000)
    return sorted(latencies)


def _floor_triggers(runtime: Runtime, count: int) -> tuple[float, float]:
    """One event row and one message row inserted and committed raw per event: milliseconds p50, p99."""
    timings = []
    for n in range(count):
        started = time.perf_counter()
        with runtime.engine.begin() as conn:
            now = datetime.now(UTC)
            conn.execute(text(FLOOR_EVENT), {"e": f"floor-{n}", "t": now})
            conn.execute(text(FLOOR_MESSAGE), {"m": f"floor{n:027d}", "t": now})
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return _pct(timings, 0.5), _pct(timings, 0.99)


def _at(value: Any) -> datetime:
    at: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at if at.tzinfo else at.replace(tzinfo=UTC)  # stored in UTC


def _pct(values: list[float], q: float) -> float:
    return round(values[min(len(values) - 1, int(len(values) * q))], 1) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("which", choices=["timers", "triggers"])
    parser.add_argument("--instances", type=int, default=200_000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument(
        "--worker", choices=["process", "thread"], default="process",
        help="triggers: deliver in a separate worker process (as deployed) or a thread beside ingestion",
    )  # fmt: skip
    args = parser.parse_args()
    run = bench_timers if args.which == "timers" else bench_triggers
    with tempfile.TemporaryDirectory(prefix="huoke-journeys-bench-") as folder:
        for backend in args.backends.split(","):
            print(json.dumps(run(backend.strip(), args, Path(folder)), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
