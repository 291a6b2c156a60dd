"""The journeys API: save, activate, the API trigger (once per key), status with step and goal counts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from huoke.app import create_app
from huoke.platform.apikeys import create_api_key
from huoke.platform.runtime import Runtime
from tests.conftest import START
from tests.integration.messaging.bank import messages_of, open_bank, run_until

SERVICE_CALL: dict[str, Any] = {
    "name": "branch_callback",
    "trigger": {"api": True},
    "entry": {"reentry": True, "max_concurrent": 5},
    "steps": [
        {"id": "alert", "send": {"template": "fraud_alert"}, "next": "done"},
        {"id": "done", "exit": True},
    ],
}


@pytest.fixture
def client(runtime: Runtime, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    open_bank(runtime, tmp_path / "bank")
    _, token = create_api_key(runtime, "e2e")
    with TestClient(create_app(runtime.settings), raise_server_exceptions=False) as test_client:
        yield test_client, {"Authorization": f"Bearer {token}"}


def test_the_api_trigger_enters_once_per_key_and_status_counts_it(
    client: tuple[TestClient, dict[str, str]], runtime: Runtime
) -> None:
    http, headers = client
    assert http.post("/api/v1/journeys", json=SERVICE_CALL, headers=headers).status_code == 201
    assert http.post("/api/v1/journeys/branch_callback/activate", headers=headers).json()["state"] == "active"

    entry = {"customer_no": "C1", "key": "ticket-42"}
    first = http.post("/api/v1/journeys/branch_callback/entries", json=entry, headers=headers)
    again = http.post("/api/v1/journeys/branch_callback/entries", json=entry, headers=headers)
    run_until(runtime, START + timedelta(minutes=1))

    assert first.status_code == 202, first.text
    assert first.json()["entered"] is True
    assert again.json() == first.json() | {"entered": False}
    assert [m["template"] for m in messages_of(runtime, "C1")] == ["fraud_alert"]
    status = http.get("/api/v1/journeys/branch_callback", headers=headers).json()
    assert (status["entered"], status["completed"]) == (1, 1)
    assert status["steps"]["alert"] == {"sent": 1}


def test_an_api_entry_into_a_journey_without_an_api_trigger_is_refused(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    http, headers = client
    on_login = SERVICE_CALL | {"name": "on_login", "trigger": {"event": {"type": "login"}}}
    http.post("/api/v1/journeys", json=on_login, headers=headers)
    http.post("/api/v1/journeys/on_login/activate", headers=headers)

    refused = http.post("/api/v1/journeys/on_login/entries", json={"customer_no": "C1", "key": "k"}, headers=headers)

    assert refused.status_code == 409
    assert refused.json()["code"] == "not_api_journey"
