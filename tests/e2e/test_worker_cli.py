"""`huoke worker`, `huoke work status|retry|purge` and the worker inside `huoke serve`, run as users run them."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any

import httpx

from huoke.platform.runtime import build_runtime
from huoke.platform.work import Message
from tests.conftest import make_settings
from tests.e2e.support.work_subscribers import Recorder, put, subscriptions
from tests.e2e.test_cli import as_json, huoke

FAST = {"HUOKE_WORKER_POLL_SECONDS": "0.05"}


def _enqueue_for_a_removed_subscriber(data_dir: Path, count: int) -> None:
    """Work for subscriber 'gone', which this version of huoke does not register."""
    runtime = build_runtime(make_settings(data_dir))
    put(runtime, subscriptions(Recorder("gone")), *(Message("test.tick", f"e{i}", {"i": i}) for i in range(count)))
    runtime.close()


def test_status_once_retry_and_purge_through_the_cli(tmp_path: Path) -> None:
    data = tmp_path / "data"
    as_json(huoke(data, "init", "--clock", "simulated", "--now", "2026-11-24T09:00", "--json"))
    empty = as_json(huoke(data, "work", "status", "--json"))
    _enqueue_for_a_removed_subscriber(data, 2)

    waiting = as_json(huoke(data, "work", "status", "--json"))
    once = as_json(huoke(data, "worker", "--once", "--json"))
    parked = as_json(huoke(data, "work", "status", "--json"))
    retried = as_json(huoke(data, "work", "retry", "--subscriber", "gone", "--json"))
    unknown = huoke(data, "work", "retry", "--subscriber", "nobody", "--json")
    purged = as_json(huoke(data, "work", "purge", "--older-than-days", "0", "--json"))

    assert empty["totals"] == {"ready": 0, "due": 0, "in_flight": 0, "done": 0, "parked": 0}
    assert waiting["subscribers"]["gone"] | {"registered": None} == {
        "ready": 2,
        "due": 2,
        "in_flight": 0,
        "done": 0,
        "parked": 0,
        "registered": None,
    }
    assert waiting["subscribers"]["gone"]["registered"] is False
    assert (waiting["oldest_due_at"], waiting["oldest_due_age_seconds"]) == ("2026-11-24T09:00:00+08:00", 0.0)
    assert once == {"processed": 2, "done": 0, "retried": 0, "parked": 2}
    assert [p["key"] for p in parked["parked"]] == ["e1", "e0"]
    assert "no subscriber named 'gone' is registered" in parked["parked"][0]["last_error"]
    assert retried == {"requeued": 2, "subscriber": "gone"}
    assert unknown.returncode == 1
    assert json.loads(unknown.stdout)["error"]["code"] == "unknown_subscriber"
    assert purged == {"purged": 0, "before": "2026-11-24T09:00:00+08:00"}


def test_commands_refuse_a_store_that_is_not_initialised_and_bad_options(tmp_path: Path) -> None:
    before_init = huoke(tmp_path / "data", "work", "status", "--json")
    negative = huoke(tmp_path / "data", "work", "purge", "--older-than-days", "-1")

    assert before_init.returncode == 1
    assert json.loads(before_init.stdout)["error"]["code"] == "store_not_initialised"
    assert negative.returncode == 2


def _cli(data: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "huoke", "--data-dir", str(data), *args]


def _env(**extra: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("HUOKE_")} | {"HUOKE_PROFILE": "dev", **extra}


def _wait_for(check: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_the_worker_loop_delivers_then_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    data, log = tmp_path / "data", tmp_path / "worker.log"
    as_json(huoke(data, "init", "--json"))
    with log.open("w") as err:
        worker = subprocess.Popen(
            _cli(data, "worker", "--json"), stdout=subprocess.PIPE, stderr=err, env=_env(**FAST), text=True
        )
        try:
            _wait_for(lambda: "started" in log.read_text())
            _enqueue_for_a_removed_subscriber(data, 3)
            _wait_for(lambda: _status(data)["totals"]["parked"] == 3)
        finally:
            worker.send_signal(signal.SIGTERM)
            out, _ = worker.communicate(timeout=30)

    assert worker.returncode == 0
    assert json.loads(out) == {"processed": 3, "done": 0, "retried": 0, "parked": 3}
    assert "SIGTERM: finishing the current item, then stopping" in log.read_text()


def test_serve_runs_a_worker_in_process_and_stops_it_on_shutdown(tmp_path: Path) -> None:
    data, log, port = tmp_path / "data", tmp_path / "serve.log", _free_port()
    as_json(huoke(data, "init", "--json"))
    _enqueue_for_a_removed_subscriber(data, 2)
    with log.open("w") as out:
        server = subprocess.Popen(_cli(data, "serve", "--port", str(port)), stdout=out, stderr=out, env=_env(**FAST))
        try:
            _wait_for(lambda: _answers(f"http://127.0.0.1:{port}/healthz"))
            _wait_for(lambda: _status(data)["totals"]["parked"] == 2)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)

    assert server.returncode == 0, log.read_text()
    assert "still busy" not in log.read_text()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == HTTPStatus.OK
    except httpx.TransportError:
        return False


def _status(data: Path) -> Any:
    return as_json(huoke(data, "work", "status", "--json"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
