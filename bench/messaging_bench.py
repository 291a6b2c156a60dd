"""Messaging benchmark, end to end: enqueue → contact policy → render → HTTP to a local SMS gateway that answers
after 5 ms, side by side with the floor (bare signed HTTP requests to the same gateway at the same concurrency)
in the same run.

    .venv/bin/python -m bench.messaging_bench --messages 20000 --backends sqlite,postgres

The gateway runs in a child process (uvicorn). huoke's side runs in this process as it does in a worker: a
producer thread enqueues batches of marketing SMS (`service.send_many`, one transaction per batch, the policy
deciding each) while the dispatcher claims, re-decides, renders, sends through the SMS adapter and records each
attempt. Throughput is messages sent per second from the first enqueue to the last sent; latency is each
message's `sent_at − enqueued_at` as stored. Every customer has SMS marketing consent and receives one message,
so no cap suppresses any.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import tempfile
import threading
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from huoke.customers.import_service import import_file
from huoke.demo.generator import generate_bank
from huoke.messaging import service
from huoke.messaging.channels.base import signed_headers
from huoke.messaging.runner import LazyDispatcher
from huoke.platform import migrate
from huoke.platform.clockstate import set_clock
from huoke.platform.runtime import Runtime, build_runtime
from huoke.platform.settings import Settings

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SECRET = "bench-sms-secret"  # noqa: S105 - a throwaway secret of the local gateway
SECRET_ENV = "HUOKE_BENCH_SMS_SECRET"  # noqa: S105 - the name of a variable
TEMPLATE = {
    "name": "bench_offer",
    "channel": "sms",
    "purpose": "marketing",
    "signature": "活客银行",
    "body": "{{ customer.honorific }}，您的专属理财额度已更新，详询客户经理。拒收请回复R",
}


def _gateway(port_out: Any, delay_ms: float) -> None:
    from tests.support.providers import SmsGatewayServer  # noqa: PLC0415 - the child process imports it

    server = SmsGatewayServer(SECRET.encode(), delay_ms=delay_ms).start()
    port_out.put(server.port)
    threading.Event().wait()


def start_gateway(delay_ms: float) -> tuple[multiprocessing.Process, str]:
    ctx = multiprocessing.get_context("spawn")
    port_out = ctx.Queue()
    process = ctx.Process(target=_gateway, args=(port_out, delay_ms), daemon=True)
    process.start()
    return process, f"http://127.0.0.1:{port_out.get(timeout=30)}"


def _pg_schema(base: str) -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with create_engine(base).begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    return schema, make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)


def prepare(data_dir: Path, url: str | None, customers: int, gateway: str, concurrency: int) -> Runtime:
    """A store with a generated bank whose every customer consented to SMS marketing, and the template."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "channels.toml").write_text(
        f'[sms]\nbase_url = "{gateway}"\nsecret_env = "{SECRET_ENV}"\nconcurrency = {concurrency}\n',
        encoding="utf-8",
    )
    runtime = build_runtime(Settings(data_dir=data_dir, database_url=url, profile="dev"))  # type: ignore[arg-type]
    migrate.upgrade(runtime.engine)
    with runtime.uow() as uow:
        set_clock(uow.session, "real", None)
        uow.commit()
    bank = data_dir.parent / "bank"
    generate_bank(bank, customers=customers, seed=7, as_of=date(2026, 11, 24))
    for kind in ("org", "staff", "products", "customers"):
        import_file(runtime, kind=kind, path=bank / f"{kind}.csv")
    consents = data_dir.parent / "consents.csv"
    with consents.open("w", encoding="utf-8") as out:
        out.write("customer_no,channel,purpose,status,recorded_at,source\n")
        for number in numbers(runtime):
            out.write(f"{number},sms,marketing,granted,2025-01-01T09:00:00,bench\n")
    import_file(runtime, kind="consents", path=consents)
    service.create_template(runtime, TEMPLATE, actor="bench")
    return runtime


def numbers(runtime: Runtime) -> list[str]:
    with runtime.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("select customer_no from customers where customer_no is not null"))]


def run_ours(runtime: Runtime, targets: list[str], batch: int, rate: float) -> dict[str, Any]:
    """Producer and dispatcher side by side until every message is settled; RATE paces the producer
    (messages/s, 0 = as fast as it can)."""
    handle = LazyDispatcher(runtime)
    dispatcher = handle.get()
    done = threading.Event()
    started = time.perf_counter()
    producer = threading.Thread(target=_produce, args=(runtime, targets, batch, rate), daemon=True)
    producer.start()
    while True:
        processed = dispatcher.dispatch_available(budget_seconds=1.0)
        if processed == 0 and not producer.is_alive() and _settled(runtime, len(targets)):
            break
        if processed == 0:
            time.sleep(0.005)
    elapsed = time.perf_counter() - started
    done.set()
    handle.close()
    return {"seconds": elapsed, **_latencies(runtime)}


def _produce(runtime: Runtime, targets: list[str], batch: int, rate: float) -> None:
    began = time.perf_counter()
    for start in range(0, len(targets), batch):
        if rate:  # a batch leaves when the pace says so
            time.sleep(max(0.0, began + start / rate - time.perf_counter()))
        items = [
            {"customer_no": n, "template": TEMPLATE["name"], "idempotency_key": f"bench:{n}"}
            for n in targets[start : start + batch]
        ]
        service.send_many(runtime, items, source="bench")


def _settled(runtime: Runtime, expected: int) -> bool:
    with runtime.engine.connect() as conn:
        total = conn.execute(text("select count(*) from messages where status not in ('queued','deferred')")).scalar()
    return int(total or 0) >= expected


def _latencies(runtime: Runtime) -> dict[str, Any]:
    with runtime.engine.connect() as conn:
        rows = conn.execute(text("select status, enqueued_at, sent_at from messages")).all()
    statuses: dict[str, int] = {}
    for status, *_ in rows:
        statuses[status] = statuses.get(status, 0) + 1
    waits = sorted(_seconds(sent) - _seconds(enq) for status, enq, sent in rows if status == "sent")
    return {
        "statuses": statuses,
        "p50_seconds": round(statistics.median(waits), 3) if waits else None,
        "p99_seconds": round(waits[int(len(waits) * 0.99) - 1], 3) if waits else None,
    }


def _seconds(value: Any) -> float:
    if isinstance(value, str):  # SQLite keeps ISO text
        from datetime import datetime  # noqa: PLC0415

        return datetime.fromisoformat(value).timestamp()
    return float(value.timestamp())


def run_floor(gateway: str, count: int, concurrency: int) -> float:
    """Bare signed POSTs of the same JSON bodies to the same gateway at the same concurrency: messages/s."""

    async def main() -> float:
        gate = asyncio.Semaphore(concurrency)
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(base_url=gateway, limits=limits, timeout=30) as client:

            async def one(index: int) -> None:
                key = f"floor:{index}"
                body = json.dumps(
                    {"message_id": key, "idempotency_key": key, "to": "13800138000", "text": "【活客银行】floor"},
                    ensure_ascii=False,
                ).encode()
                async with gate:
                    response = await client.post(
                        "/send", content=body, headers=signed_headers(body, SECRET.encode(), key)
                    )
                    response.raise_for_status()

            started = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(count)))
            return count / (time.perf_counter() - started)

    return asyncio.run(main())


def bench_backend(backend: str, args: argparse.Namespace, gateway: str, work: Path) -> dict[str, Any]:
    url, schema = None, None
    if backend == "postgres":
        schema, url = _pg_schema(args.pg_url)
    try:
        runtime = prepare(work / backend / "data", url, args.messages, gateway, args.concurrency)
        targets = numbers(runtime)[: args.messages]
        floor = run_floor(gateway, len(targets), args.concurrency)
        ours = run_ours(runtime, targets, args.batch, args.rate)
        runtime.close()
    finally:
        if schema is not None:
            with create_engine(args.pg_url).begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    rate = len(targets) / ours["seconds"]
    return {
        "bench": "messaging",
        "backend": backend,
        "messages": len(targets),
        "messages_per_s": round(rate),
        "floor_per_s": round(floor),
        "ratio": round(rate / floor, 3),
        "p50_enqueue_to_sent_s": ours["p50_seconds"],
        "p99_enqueue_to_sent_s": ours["p99_seconds"],
        "statuses": ours["statuses"],
        "enqueue_rate": args.rate or "unpaced",
        "gateway_delay_ms": args.delay_ms,
        "concurrency": args.concurrency,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--batch", type=int, default=100, help="messages per enqueue transaction")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=float, default=0, help="enqueue pace, messages/s (0: as fast as possible)")
    parser.add_argument("--delay-ms", type=float, default=5.0)
    parser.add_argument("--pg-url", default=os.environ.get("HUOKE_TEST_DATABASE_URL", DEFAULT_PG_URL))
    args = parser.parse_args()
    os.environ[SECRET_ENV] = SECRET
    process, gateway = start_gateway(args.delay_ms)
    try:
        with tempfile.TemporaryDirectory(prefix="huoke-msg-bench-") as folder:
            for backend in args.backends.split(","):
                result = bench_backend(backend.strip(), args, gateway, Path(folder))
                print(json.dumps(result, ensure_ascii=False), flush=True)
    finally:
        process.terminate()


if __name__ == "__main__":
    main()
