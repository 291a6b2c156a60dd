"""The HTTP API end to end: create_app over a real store, API keys, the 360° view, errors as problem+json."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from huoke.app import create_app
from huoke.customers import service
from huoke.customers.import_service import import_file
from huoke.platform.apikeys import create_api_key, revoke_api_key
from huoke.platform.errors import ConfigurationError
from huoke.platform.runtime import Runtime
from huoke.platform.settings import Settings

PHONE, RESIDENT_ID = "13812345678", "110105199003071239"
SHARED_ID = "110105198501010020"  # one resident ID on two customer numbers: a ONE_ID conflict
FILES = {
    "org": "code,name,parent_code,level\nHO,总行,,head_office\nBJ01,北京分行,HO,branch\n",
    "staff": "staff_no,name,org_code,role,phone\nS001,李经理,BJ01,rm,\n",
    "products": "product_code,name,product_type,risk_level\nDC01,借记卡,debit_card,R1\n",
    "customers": (
        "customer_no,name,gender,birth_date,phone,email,id_card_no,branch_code,rm_staff_no\n"
        f"C0001,张三,M,1990-03-07,{PHONE},zs@example.com,{RESIDENT_ID},BJ01,S001\n"
        f"C0002,李四,F,,13900001111,,{SHARED_ID},BJ01,\n"
        f"C0003,王五,M,,13900002222,,{SHARED_ID},,\n"
    ),
}
PROBLEM = "application/problem+json"


@dataclass
class Api:
    client: TestClient
    runtime: Runtime
    token: str
    key_id: str

    def get(self, url: str, **params: str) -> httpx.Response:
        response: httpx.Response = self.client.get(
            url, params=params, headers={"Authorization": f"Bearer {self.token}"}
        )
        return response


@pytest.fixture
def api(runtime: Runtime, tmp_path: Path) -> Iterator[Api]:
    """A store with three customers imported from CSV, one API key, and the app from create_app."""
    for kind, content in FILES.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(content, encoding="utf-8")
        assert import_file(runtime, kind=kind, path=path).rejected == 0
    key_id, token = create_api_key(runtime, "e2e")
    with TestClient(create_app(runtime.settings), raise_server_exceptions=False) as client:
        yield Api(client, runtime, token, key_id)


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"].startswith(PROBLEM)
    doc: dict[str, Any] = response.json()
    assert (doc["status"], doc["code"]) == (status, code)
    assert "Traceback" not in response.text
    return doc


def test_healthz_needs_no_key_and_checks_the_store(api: Api) -> None:
    response = api.client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_store_is_unreachable(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable() -> None:
        raise OperationalError("select 1", {}, ConnectionRefusedError("db down"))

    monkeypatch.setattr(api.client.app.state.runtime.engine, "connect", unreachable)  # type: ignore[attr-defined]

    response = api.client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}
    assert "db down" not in response.text


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer hk_0123456789abcdef_wrong"}, {"X-API-Key": "nonsense"}],
    ids=["no-key", "wrong-key", "malformed-key"],
)
def test_customer_routes_refuse_callers_without_a_valid_key(api: Api, headers: dict[str, str]) -> None:
    response = api.client.get("/api/v1/customers", params={"customer_no": "C0001"}, headers=headers)

    assert_problem(response, 401, "invalid_api_key")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "张" not in response.text


def test_a_revoked_key_is_refused(api: Api) -> None:
    revoke_api_key(api.runtime, api.key_id)

    assert_problem(api.get("/api/v1/customers/merges"), 401, "invalid_api_key")


@pytest.mark.parametrize("header", ["Authorization", "X-API-Key"])
def test_a_created_key_works_in_either_header(api: Api, header: str) -> None:
    value = f"Bearer {api.token}" if header == "Authorization" else api.token

    response = api.client.get("/api/v1/customers", params={"customer_no": "C0001"}, headers={header: value})

    assert response.status_code == 200
    assert response.json()["customer_no"] == "C0001"


def test_lookups_by_customer_no_phone_and_one_id_give_the_same_masked_view(api: Api) -> None:
    by_number = api.get("/api/v1/customers", customer_no="C0001")
    by_phone = api.get("/api/v1/customers", phone=f"+86 {PHONE[:3]}-{PHONE[3:7]}-{PHONE[7:]}")
    one_id = by_number.json()["one_id"]
    by_one_id = api.get(f"/api/v1/customers/{one_id}")

    assert [r.status_code for r in (by_number, by_phone, by_one_id)] == [200, 200, 200]
    assert by_number.json() == by_phone.json() == by_one_id.json()
    profile = by_number.json()["profile"]
    assert (profile["name"], profile["phone"], profile["id_card_no"]) == (
        "张*",
        "138****5678",
        "110***********1239",
    )
    for response in (by_number, by_phone, by_one_id):
        assert PHONE not in response.text
        assert RESIDENT_ID not in response.text
        assert "zs@example.com" not in response.text


def test_an_unknown_customer_is_a_404_problem(api: Api) -> None:
    doc = assert_problem(api.get("/api/v1/customers", customer_no="C9999"), 404, "customer_not_found")

    assert "C9999" in doc["detail"]
    assert doc["instance"] == "/api/v1/customers"
    assert_problem(api.get("/api/v1/customers/no-such-one-id"), 404, "customer_not_found")


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "bad_lookup"),
        ({"customer_no": "C0001", "phone": PHONE}, "bad_lookup"),
        ({"customer_no": ""}, "invalid_request"),
    ],
    ids=["neither", "both", "empty"],
)
def test_lookup_needs_exactly_one_of_customer_no_or_phone(api: Api, params: dict[str, str], code: str) -> None:
    doc = assert_problem(api.get("/api/v1/customers", **params), 422, code)

    assert PHONE not in str(doc)


def test_an_invalid_phone_is_a_422_naming_the_field(api: Api) -> None:
    doc = assert_problem(api.get("/api/v1/customers", phone="12345"), 422, "bad_phone")

    assert "phone" in doc["detail"]


def test_identity_conflicts_and_merges_are_listed_masked(api: Api) -> None:
    conflicts = api.get("/api/v1/customers/identity-conflicts")
    merges = api.get("/api/v1/customers/merges")

    assert conflicts.status_code == 200
    (conflict,) = conflicts.json()["conflicts"]
    assert (conflict["kind"], conflict["value"], len(conflict["one_ids"])) == (
        "resident_id",
        "110***********0020",
        2,
    )
    assert SHARED_ID not in conflicts.text
    assert merges.status_code == 200
    assert merges.json() == {"merges": []}


def test_an_unexpected_error_is_a_500_without_details(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(service, "show_customer", broken)

    response = api.get("/api/v1/customers", customer_no="C0001")

    doc = assert_problem(response, 500, "internal_error")
    assert "secret detail" not in response.text
    assert "RuntimeError" not in response.text
    assert "incident" in doc["detail"]


def test_unknown_paths_are_problems_too(api: Api) -> None:
    assert_problem(api.client.get("/api/v1/nowhere"), 404, "not_found")


def test_the_openapi_document_lists_the_customer_paths_and_both_key_headers(api: Api) -> None:
    doc = api.client.get("/api/v1/openapi.json").json()

    assert {
        "/api/v1/customers",
        "/api/v1/customers/{one_id}",
        "/api/v1/customers/identity-conflicts",
        "/api/v1/customers/merges",
        "/healthz",
    } <= set(doc["paths"])
    assert {"HTTPBearer", "APIKeyHeader"} <= set(doc["components"]["securitySchemes"])
    assert "CustomerRead" in doc["components"]["schemas"]
    assert api.client.get("/api/v1/docs").status_code == 200


def test_create_app_refuses_the_prod_profile_without_pii_keys(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "prod", profile="prod", encryption_keys=None, blind_index_key=None)

    with pytest.raises(ConfigurationError) as caught:
        create_app(settings)
    assert caught.value.code == "missing_secret_keys"


def cli_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("HUOKE_")} | {"HUOKE_PROFILE": "dev"}


def cli(data_dir: Path, *args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "huoke"), "--data-dir", str(data_dir), *args]


def huoke(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cli(data_dir, *args), capture_output=True, text=True, env=cli_env(), timeout=60, check=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_cli_keys_and_serve_end_to_end(tmp_path: Path) -> None:
    data, log_path, port = tmp_path / "data", tmp_path / "serve.log", free_port()
    assert huoke(data, "init").returncode == 0
    created = json.loads(huoke(data, "apikeys", "create", "mobile-app", "--json").stdout)
    listed = huoke(data, "apikeys", "list", "--json").stdout
    assert json.loads(listed)["api_keys"][0]["status"] == "active"
    assert created["token"].split("_", 2)[2] not in listed

    with log_path.open("w") as log:
        server = subprocess.Popen(cli(data, "serve", "--port", str(port)), stdout=log, stderr=log, env=cli_env())
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(f"{base}/healthz")
            lookup, key = f"{base}/api/v1/customers?phone={PHONE}", {"X-API-Key": created["token"]}
            assert httpx.get(lookup, headers=key).status_code == 404
            assert huoke(data, "apikeys", "revoke", created["key_id"]).returncode == 0
            assert httpx.get(lookup, headers=key).status_code == 401
        finally:
            server.terminate()
            server.wait(timeout=15)
    served = log_path.read_text()
    assert "GET /api/v1/customers HTTP/1.1" in served
    assert PHONE not in served  # access log lines drop the query string: it may carry PII


def wait_until_up(url: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url).status_code == 200:
                return
        time.sleep(0.2)
    pytest.fail(f"{url} did not answer 200 within {seconds} s")
