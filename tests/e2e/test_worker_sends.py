"""`huoke worker` sends the outbox: a message enqueued while it runs is delivered, on the real clock."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from huoke.app import build_platform
from huoke.platform.runtime import build_runtime
from tests.conftest import make_settings
from tests.integration.messaging.bank import open_bank, send

ROOT = Path(__file__).resolve().parents[2]


def test_a_running_worker_delivers_a_message_enqueued_meanwhile(tmp_path: Path) -> None:
    data = tmp_path / "data"
    runtime = build_runtime(make_settings(data))
    build_platform(runtime).init(mode="real", start=None)
    open_bank(runtime, tmp_path / "bank")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUOKE_")}
    env |= {"HUOKE_PROFILE": "dev", "HUOKE_DATA_DIR": str(data), "HUOKE_WORKER_POLL_SECONDS": "0.05"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "huoke", "worker"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        answer = send(runtime, "C1", "fraud_alert")  # a risk message: sent at any hour of the real clock
        sink = data / "outbox" / "sms.jsonl"
        deadline = time.monotonic() + 60
        while not sink.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        [line] = [json.loads(text) for text in sink.read_text(encoding="utf-8").splitlines()]
        assert line["message_id"] == answer["message_id"]
        assert line["body"].startswith("【活客银行】张先生")
    finally:
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=60)
        runtime.close()
    assert worker.returncode == 0, err.decode()[-2000:]
