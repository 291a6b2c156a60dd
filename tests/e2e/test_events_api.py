"""The events API end to end: batches with per-item statuses, size limits, malformed JSON, the timeline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from huoke.app import create_app
from huoke.platform.apikeys import create_api_key
from huoke.platform.runtime import Runtime
from tests.integration.customers import bank_files as bank

AT = "2026-11-24T08:00:00+08:00"


@dataclass
class Api:
    client: TestClient
    runtime: Runtime
    headers: dict[str, str]

    def post(self, url: str, body: Any = None, *, raw: bytes | None = None) -> httpx.Response:
        content = raw if raw is not None else json.dumps(body).encode()
        headers = {**self.headers, "Content-Type": "application/json"}
        response: httpx.Response = self.client.post(url, content=content, headers=headers)
        return response

    def get(self, url: str, **params: Any) -> httpx.Response:
        response: httpx.Response = self.client.get(url, params=params, headers=self.headers)
        return response


@pytest.fixture
def api(runtime: Runtime, tmp_path: Path) -> Iterator[Api]:
    bank.import_bank(runtime, tmp_path / "bank")
    _, token = create_api_key(runtime, "e2e")
    with TestClient(create_app(runtime.settings), raise_server_exceptions=False) as client:
        yield Api(client, runtime, {"Authorization": f"Bearer {token}"})


def login(event_id: str, **fields: Any) -> dict[str, Any]:
    return {"event_id": event_id, "type": "login", "occurred_at": AT, "customer_no": "C1", **fields}


def test_a_batch_gets_202_with_a_status_per_item(api: Api) -> None:
    response = api.post(
        "/api/v1/events",
        [login("e1"), login("e1"), login("e2", amount=1, type="nope"), {"event_id": "e3", "type": "login"}],
    )

    assert response.status_code == 202
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (1, 1, 2)
    assert [r["status"] for r in body["results"]] == ["accepted", "duplicate", "rejected", "rejected"]
    assert body["results"][2]["errors"][0]["field"] == "type"
    assert {e["field"] for e in body["results"][3]["errors"]} == {"occurred_at", "identity"}


def test_transactions_are_ingested_and_repeats_are_duplicates(api: Api) -> None:
    txn = {
        "txn_id": "T-1",
        "account_no": "6222020000000001",
        "occurred_at": AT,
        "amount": 128.5,
        "direction": "debit",
        "txn_type": "card_spend",
        "mcc": "5411",
    }
    first = api.post("/api/v1/transactions", {"items": [txn, {**txn, "txn_id": "T-2", "amount": 0}]})
    again = api.post("/api/v1/transactions", [txn])

    assert [r["status"] for r in first.json()["results"]] == ["accepted", "rejected"]
    assert first.json()["results"][1]["errors"] == [{"field": "amount", "reason": "0 must be greater than 0"}]
    assert again.json()["results"][0]["status"] == "duplicate"


def test_an_oversized_batch_is_413_and_nothing_is_stored(api: Api) -> None:
    limit = api.runtime.settings.ingest_max_items
    too_many = api.post("/api/v1/events", [login(f"e{i}") for i in range(limit + 1)])
    too_big = api.post("/api/v1/events", raw=b"[" + b" " * api.runtime.settings.ingest_max_bytes + b"]")

    assert too_many.status_code == 413
    assert too_big.status_code == 413
    assert too_big.headers["content-type"].startswith("application/problem+json")
    assert api.get("/api/v1/customers/unknown/timeline").status_code == 404


def test_malformed_json_is_400_naming_the_position(api: Api) -> None:
    response = api.post("/api/v1/events", raw=b'[{"event_id": "e1",\n "type": login}]')

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_json"
    assert "line 2, column 10" in response.json()["detail"]


def test_the_timeline_shows_events_and_transactions_newest_first(api: Api) -> None:
    api.post("/api/v1/events", [login("e-old", occurred_at="2026-11-20T10:00:00+08:00"), login("e-new")])
    txn = {"txn_id": "T-9", "customer_no": "C1", "occurred_at": "2026-11-22T12:00", "amount": "9.90"}
    api.post("/api/v1/transactions", [{**txn, "direction": "debit", "txn_type": "card_spend"}])
    one_id = api.get("/api/v1/customers", customer_no="C1").json()["one_id"]

    everything = api.get(f"/api/v1/customers/{one_id}/timeline").json()
    spend_only = api.get(f"/api/v1/customers/{one_id}/timeline", types="card_spend").json()
    recent = api.get(f"/api/v1/customers/{one_id}/timeline", since="2026-11-21", limit=1).json()

    assert [e["id"] for e in everything["entries"]] == ["e-new", "T-9", "e-old"]
    assert everything["entries"][1]["amount"] == "9.90"
    assert everything["entries"][1]["occurred_at"] == "2026-11-22T12:00:00+08:00"
    assert [e["id"] for e in spend_only["entries"]] == ["T-9"]
    assert [e["id"] for e in recent["entries"]] == ["e-new"]


def test_custom_event_types_via_the_api(api: Api) -> None:
    schema = {"type": "object", "properties": {"step": {"type": "integer"}}, "required": ["step"]}
    made = api.post("/api/v1/event-types", {"name": "onboarding_step", "schema": schema})
    listed_response = api.get("/api/v1/event-types")
    assert listed_response.status_code == 200, listed_response.text
    listed = listed_response.json()["types"]
    used = api.post("/api/v1/events", [login("s1", type="onboarding_step", properties={"step": "two"})])

    assert made.status_code == 201
    assert any(t["name"] == "onboarding_step" and not t["standard"] for t in listed)
    assert used.json()["results"][0]["errors"] == [
        {"field": "properties.step", "reason": "'two' is not of type 'integer'"}
    ]
