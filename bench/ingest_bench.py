"""HTTP ingestion benchmark: batches of 100 events from concurrent clients against `create_app`, per backend,
side by side with the floor (the same event rows inserted raw into the same table in the same run).

    .venv/bin/python -m bench.ingest_bench --seconds 60 --clients 4 --backends sqlite,postgres

The server runs in a child process (uvicorn, one worker process, access log off) over a store holding a generated
bank's customers. Each client thread posts batches of known customers' events (login, page_view, product_view with
dwell time, search) and records the request latency. The floor takes every accepted event and inserts it raw into
a fresh `events` table: SQLite `executemany` in one transaction, PostgreSQL `COPY`. Work items for subscribers are
written by huoke in the same transaction (they are part of ingestion); delivering them is the worker's job and is
not running here.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from huoke.app import create_app
from huoke.customers.import_service import import_file
from huoke.demo.generator import generate_bank
from huoke.platform import migrate
from huoke.platform.apikeys import create_api_key
from huoke.platform.clockstate import set_clock
from huoke.platform.runtime import build_runtime
from huoke.platform.settings import Settings

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TYPES = ("login", "page_view", "product_view", "search")
PAGES = ("/home", "/wealth", "/cards", "/loans", "/me")
QUERIES = ("大额存单", "基金定投", "信用卡分期", "房贷利率", "理财")


def _settings(data_dir: Path, url: str | None) -> Settings:
    return Settings(data_dir=data_dir, database_url=url, profile="dev")  # type: ignore[arg-type]


def _pg_schema(base: str) -> str:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with create_engine(base).begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    return make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)


def _drop_schema(base: str, url: str) -> None:
    schema = make_url(url).query["options"].split("=")[1]  # type: ignore[union-attr]
    with create_engine(base).begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def prepare(data_dir: Path, url: str | None, bank_dir: Path) -> tuple[list[str], str]:
    """A migrated store with the bank's customers; returns their numbers and an API token."""
    runtime = build_runtime(_settings(data_dir, url))
    migrate.upgrade(runtime.engine)
    with runtime.uow() as uow:
        set_clock(uow.session, "real", None)
        uow.commit()
    for kind in ("org", "staff", "products", "customers"):
        import_file(runtime, kind=kind, path=bank_dir / f"{kind}.csv")
    with runtime.engine.connect() as conn:
        numbers = [r[0] for r in conn.execute(text("select customer_no from customers where customer_no is not null"))]
    _, token = create_api_key(runtime, "bench")
    runtime.close()
    return numbers, token


def serve(data_dir: str, url: str | None, port: int, processes: int) -> None:
    import uvicorn  # noqa: PLC0415

    os.environ["HUOKE_DATA_DIR"] = data_dir
    if url:
        os.environ["HUOKE_DATABASE_URL"] = url
    uvicorn.run(
        "bench.ingest_bench:app_from_environment", factory=True, host="127.0.0.1", port=port,
        log_level="warning", access_log=False, workers=processes,
    )  # fmt: skip


def app_from_environment() -> Any:
    """The API over the data dir and database named in the environment (one per server process)."""
    return create_app(Settings(profile="dev"))  # type: ignore[call-arg]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _batch(rng: random.Random, numbers: list[str], size: int) -> list[dict[str, Any]]:
    now = datetime.now(UTC).isoformat()
    items = []
    for _ in range(size):
        kind = rng.choice(TYPES)
        properties: dict[str, Any] = {}
        if kind == "page_view":
            properties = {"page": rng.choice(PAGES)}
        elif kind == "product_view":
            properties = {"product_code": f"WM{rng.randrange(100):03d}", "dwell_seconds": rng.randrange(1, 300)}
        elif kind == "search":
            properties = {"query": rng.choice(QUERIES)}
        items.append(
            {
                "event_id": uuid.uuid4().hex,
                "type": kind,
                "occurred_at": now,
                "customer_no": rng.choice(numbers),
                "channel": "app",
                "properties": properties,
            }
        )
    return items


class Load:
    """Client threads posting batches until the deadline; latencies in seconds, accepted items kept for the floor."""

    def __init__(self, base: str, token: str, numbers: list[str], batch: int) -> None:
        self.base, self.token, self.numbers, self.batch = base, token, numbers, batch
        self.latencies: list[float] = []
        self.accepted: list[dict[str, Any]] = []
        self.failures = 0
        self._lock = threading.Lock()

    def client(self, seed: int, deadline: float) -> None:
        rng = random.Random(seed)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        with httpx.Client(base_url=self.base, headers=headers, timeout=30) as http:
            while time.perf_counter() < deadline:
                items = _batch(rng, self.numbers, self.batch)
                started = time.perf_counter()
                response = http.post("/api/v1/events", content=json.dumps(items))
                took = time.perf_counter() - started
                ok = response.status_code == 202
                with self._lock:
                    self.latencies.append(took)
                    if ok:
                        statuses = [r["status"] for r in response.json()["results"]]
                        self.accepted.extend(i for i, s in zip(items, statuses, strict=True) if s == "accepted")
                    else:
                        self.failures += 1


def run_load(base: str, token: str, numbers: list[str], *, clients: int, seconds: float, batch: int) -> Load:
    load = Load(base, token, numbers, batch)
    deadline = time.perf_counter() + seconds
    threads = [threading.Thread(target=load.client, args=(i, deadline)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return load


def _wait_up(base: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise SystemExit("the benchmark server exited during startup")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("the benchmark server did not come up")


def floor(url: str | None, data_dir: Path, events: list[dict[str, Any]]) -> float:
    """Seconds to insert the same event rows raw into a fresh, migrated `events` table."""
    runtime = build_runtime(_settings(data_dir, url))
    migrate.upgrade(runtime.engine)
    now = datetime.now(UTC)
    rows = [
        (e["event_id"], e["type"], e["occurred_at"], now.isoformat(), uuid.uuid4().hex, e["customer_no"],
         e["channel"], json.dumps(e["properties"], ensure_ascii=False))
        for e in events
    ]  # fmt: skip
    columns = "event_id, type, occurred_at, received_at, one_id, customer_no, channel, properties"
    raw = runtime.engine.raw_connection()
    started = time.perf_counter()
    try:
        cursor = raw.cursor()
        if url is None:
            cursor.executemany(f"insert into events ({columns}) values (?,?,?,?,?,?,?,?)", rows)
        else:
            with cursor.copy(f"copy events ({columns}) from stdin") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row)
        raw.commit()
    finally:
        raw.close()
    took = time.perf_counter() - started
    runtime.close()
    return took


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def bench_backend(backend: str, args: argparse.Namespace, bank_dir: Path, work: Path) -> dict[str, Any]:
    url = _pg_schema(args.pg_url) if backend == "postgres" else None
    floor_url = _pg_schema(args.pg_url) if backend == "postgres" else None
    try:
        numbers, token = prepare(work / f"{backend}-data", url, bank_dir)
        port = _free_port()
        command = [
            sys.executable,
            "-m",
            "bench.ingest_bench",
            "--serve",
            str(work / f"{backend}-data"),
            url or "",
            str(port),
            str(args.processes),
        ]
        env = {**os.environ, "HUOKE_PROFILE": "dev"}
        server = subprocess.Popen(command, env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_up(base, server)
            run_load(base, token, numbers, clients=args.clients, seconds=3, batch=args.batch)  # warm-up
            load = run_load(base, token, numbers, clients=args.clients, seconds=args.seconds, batch=args.batch)
        finally:
            server.terminate()
            server.wait(timeout=30)
        floor_s = floor(floor_url, work / f"{backend}-floor", load.accepted)
    finally:
        for u in (url, floor_url):
            if u is not None:
                _drop_schema(args.pg_url, u)
    rate = len(load.accepted) / args.seconds
    floor_rate = len(load.accepted) / floor_s if floor_s else float("nan")
    return {
        "backend": backend,
        "seconds": args.seconds,
        "clients": args.clients,
        "batch": args.batch,
        "server_processes": args.processes,
        "requests": len(load.latencies),
        "failed_requests": load.failures,
        "accepted_events": len(load.accepted),
        "events_per_s": round(rate),
        "p50_ms": round(statistics.median(load.latencies) * 1000, 1) if load.latencies else None,
        "p99_ms": round(_percentile(load.latencies, 0.99) * 1000, 1),
        "floor_s": round(floor_s, 3),
        "floor_events_per_s": round(floor_rate),
        "ratio_to_floor": round(rate / floor_rate, 4) if floor_rate else None,
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--processes", type=int, default=1, help="API server processes (uvicorn workers)")
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--pg-url", default=os.environ.get("HUOKE_BENCH_PG_URL", DEFAULT_PG_URL))
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="huoke-ingest-bench-"))
    try:
        bank = generate_bank(work / "bank", customers=args.customers, seed=7, as_of=date(2026, 11, 24))
        results = [bench_backend(b, args, bank.out_dir, work) for b in args.backends.split(",")]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for r in results:
        print(json.dumps(r))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
