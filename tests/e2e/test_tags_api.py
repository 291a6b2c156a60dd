"""The tags API end to end: defining rule tags (422 with the JSON path), listing, and tags in the 360° view."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from huoke.app import create_app
from huoke.customers import service as customers
from huoke.customers.import_service import import_file
from huoke.platform.apikeys import create_api_key
from huoke.platform.runtime import Runtime
from huoke.segments.tag_import import import_manual_tags
from tests.integration.customers import bank_files as bank


@pytest.fixture
def client(runtime: Runtime, tmp_path: Path) -> Iterator[TestClient]:
    files = bank.write_bank(tmp_path / "files")
    for kind in bank.BANK_KINDS:
        assert import_file(runtime, kind=kind, path=files[kind]).rejected == 0
    manual = tmp_path / "vip.csv"
    manual.write_text("customer_no,tag\nC1,vip\n", encoding="utf-8")
    import_manual_tags(runtime, path=manual, actor="test")
    _, token = create_api_key(runtime, "e2e")
    with TestClient(create_app(runtime.settings), raise_server_exceptions=False) as found:
        found.headers["Authorization"] = f"Bearer {token}"
        yield found


def c1(runtime: Runtime) -> str:
    with runtime.uow() as uow:
        return customers.units_of_customers(uow.session, ["C1"])["C1"]


def test_an_invalid_rule_is_answered_422_with_the_json_path(client: TestClient) -> None:
    rule = {"any": [{"tag": "vip"}, {"txn": {"txn_type": "card_spend"}, "window": {"last_days": 0}, "agg": "count",
                                     "op": "ge", "value": 1}]}  # fmt: skip
    response = client.post("/api/v1/tags", json={"name": "spender", "rule": rule})

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "invalid_rule"
    assert problem["errors"]["path"] == "$.any[1].window.last_days"
    assert "Traceback" not in response.text


def test_a_rule_tag_is_defined_and_listed(client: TestClient) -> None:
    created = client.post(
        "/api/v1/tags",
        json={
            "name": "vip_wealth",
            "rule": {"all": [{"tag": "vip"}, {"holding": {"product_type": "wealth"}}]},
            "description": "VIPs holding wealth products",
        },
    )
    listed = client.get("/api/v1/tags")
    taken = client.post("/api/v1/tags", json={"name": "vip", "rule": {"tag": "active"}})  # fmt: skip

    assert created.status_code == 200
    assert (created.json()["version"], created.json()["changed"]) == (1, True)
    tags = {t["name"]: t for t in listed.json()["tags"]}
    assert (tags["vip_wealth"]["kind"], tags["vip_wealth"]["holders"]) == ("rule", 0)
    assert (tags["vip"]["kind"], tags["vip"]["holders"]) == ("manual", 1)
    assert tags["age_75_plus"]["kind"] == "computed"
    assert taken.status_code == 409


def test_the_360_view_and_the_tags_endpoint_list_the_customers_tags(client: TestClient, runtime: Runtime) -> None:
    one_id = c1(runtime)

    view = client.get(f"/api/v1/customers/{one_id}")
    by_number = client.get("/api/v1/customers", params={"customer_no": "C1"})
    tags = client.get(f"/api/v1/customers/{one_id}/tags")
    unknown = client.get("/api/v1/customers/nobody/tags")

    expected = [{"name": "vip", "kind": "manual", "assigned_at": "2026-11-24T09:00:00+08:00"}]
    assert view.status_code == 200
    assert view.json()["tags"] == expected
    assert by_number.json()["tags"] == expected
    assert tags.json()["tags"] == expected
    assert tags.json()["history"][0]["assigned_by"] == "import vip.csv"
    assert unknown.status_code == 404
