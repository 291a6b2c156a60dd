"""The dispatcher killed with SIGKILL at random moments loses no message and doubles none at the provider.

Real `huoke messages dispatch` processes send risk SMS (no cap or quiet hour holds them back) through the HTTP
SMS adapter to a real local gateway that de-duplicates on the idempotency key. The dispatcher is killed several
times mid-flight and restarted; once the leases of the killed ones end, what is left is sent. Every message
ends `sent`, the gateway accepted each message exactly once, and the provider id on each message is the one the
gateway gave its key — whatever the number of repeats the kills caused.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from huoke.app import build_platform
from huoke.customers.import_service import import_file
from huoke.messaging import service
from huoke.messaging.store import AttemptRow, MessageRow
from huoke.platform.runtime import Runtime, build_runtime
from tests.conftest import make_settings
from tests.integration.customers import bank_files as bank
from tests.integration.messaging.bank import CONSENTS, TEMPLATES
from tests.support.providers import SmsGatewayServer

ROOT = Path(__file__).resolve().parents[2]
SECRET = "reliability-secret"  # noqa: S105 - the local gateway's throwaway secret
MESSAGES, KILLS, MAX_KILLS, LEASE_SECONDS = 1200, 5, 20, 5
pytestmark = pytest.mark.slow


def _store(tmp: Path, url: str | None, gateway: str) -> Runtime:
    data = tmp / "data"
    data.mkdir(parents=True)
    (data / "channels.toml").write_text(
        f'[sms]\nbase_url = "{gateway}"\nsecret_env = "HUOKE_TEST_SMS_SECRET"\nconcurrency = 8\n', encoding="utf-8"
    )
    runtime = build_runtime(make_settings(data, url))
    build_platform(runtime).init(mode="real", start=None)
    bank.import_bank(runtime, tmp / "bank")
    import_file(runtime, kind="consents", path=bank.write_csv(tmp / "consents.csv", CONSENTS))
    service.create_template(runtime, next(t for t in TEMPLATES if t["name"] == "fraud_alert"), actor="test")
    items = [
        {"customer_no": ("C1", "C2")[n % 2], "template": "fraud_alert", "idempotency_key": f"alert:{n}"}
        for n in range(MESSAGES)
    ]
    for start in range(0, MESSAGES, 300):
        service.send_many(runtime, items[start : start + 300], source="test")
    return runtime


def _env(tmp: Path, url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUOKE_")}
    env |= {"HUOKE_PROFILE": "dev", "HUOKE_DATA_DIR": str(tmp / "data"), "PYTHONPATH": str(ROOT)}
    env |= {"HUOKE_TEST_SMS_SECRET": SECRET, "HUOKE_DISPATCH_BATCH_SIZE": "40"}
    env |= {"HUOKE_DISPATCH_LEASE_SECONDS": str(LEASE_SECONDS), "HUOKE_WORKER_POLL_SECONDS": "0.05"}
    return env | ({"HUOKE_DATABASE_URL": url} if url else {})


def _dispatcher(tmp: Path, url: str | None, *, once: bool = False) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "huoke", "messages", "dispatch", *(["--once"] if once else [])]
    return subprocess.Popen(command, cwd=ROOT, env=_env(tmp, url), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _statuses(runtime: Runtime) -> dict[str, int]:
    with runtime.uow() as uow:
        rows = uow.session.scalars(select(MessageRow.status)).all()
    return {status: rows.count(status) for status in set(rows)}


def _in_flight(runtime: Runtime) -> int:
    """Messages left marked `sending` (sent or not by the provider, not yet recorded)."""
    with runtime.uow() as uow:
        rows = uow.session.scalars(select(MessageRow.reason).where(MessageRow.status == "queued")).all()
    return sum(reason == "sending" for reason in rows)


def _kill_while_sending(
    runtime: Runtime, tmp: Path, url: str | None, gateway: SmsGatewayServer, rng: random.Random
) -> int:
    """Start a dispatcher, wait until the gateway receives its messages (start-up takes longer on a loaded
    machine), kill it at a random moment soon after; how many messages are left marked `sending`."""
    before = len(gateway.accepted)
    process = _dispatcher(tmp, url)
    deadline = time.monotonic() + 60
    while len(gateway.accepted) == before and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(rng.uniform(0.02, 0.25))
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    return _in_flight(runtime)


def test_sigkill_at_random_moments_loses_and_doubles_no_message(tmp_path: Path, database_url: str | None) -> None:
    rng = random.Random(20261124)
    with SmsGatewayServer(SECRET.encode(), delay_ms=3) as gateway:
        runtime = _store(tmp_path, database_url, gateway.url)
        try:
            interrupted, kills = 0, 0
            while kills < KILLS or (interrupted == 0 and kills < MAX_KILLS):  # until one kill lands mid-flight
                interrupted += _kill_while_sending(runtime, tmp_path, database_url, gateway, rng)
                kills += 1
            assert interrupted > 0, "no kill landed while a batch was on the wire: the test proved nothing"
            time.sleep(LEASE_SECONDS + 1)  # the killed dispatchers' leases end
            deadline = time.monotonic() + 120
            while _statuses(runtime).get("sent", 0) < MESSAGES and time.monotonic() < deadline:
                finisher = _dispatcher(tmp_path, database_url, once=True)
                _, err = finisher.communicate(timeout=120)
                assert finisher.returncode == 0, err.decode()[-2000:]

            assert _statuses(runtime) == {"sent": MESSAGES}
            keys = [document["idempotency_key"] for document in gateway.accepted]
            assert len(keys) == len(set(keys)) == MESSAGES  # each message accepted once by the provider
            with runtime.uow() as uow:
                rows = uow.session.scalars(select(MessageRow)).all()
                assert all(row.provider_id == gateway.ids_by_key[row.message_id] for row in rows)
                sent_attempts = uow.session.scalars(select(AttemptRow).where(AttemptRow.outcome == "sent")).all()
            assert len(sent_attempts) == MESSAGES  # the record of a repeat replaces no earlier answer
            assert gateway.duplicates == len(gateway.received) - MESSAGES - gateway.bad_signatures
        finally:
            runtime.close()
